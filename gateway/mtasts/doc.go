// Package mtasts implements the sending side of SMTP MTA Strict Transport
// Security (MTA-STS, RFC 8461): policy discovery, fetching, parsing, caching
// and MX matching. It decides nothing about delivery; the relay applies the
// policy it returns.
//
// Algorithm of Client.Lookup for a recipient DOMAIN:
//
//  1. Take the cached policy for DOMAIN, if any, and drop it if it has expired
//     (Fetched + max_age is in the past; RFC 8461 §3.2, §5.1).
//  2. Look up TXT at _mta-sts.DOMAIN (RFC 8461 §3.1). Records that do not start
//     with "v=STSv1" are discarded. Exactly one remaining, syntactically valid
//     record is required; zero, several or a malformed one mean "no live policy
//     announced" (RFC 8461 §3.1).
//  3. If the TXT lookup failed (SERVFAIL, timeout): return the cached policy if
//     any, else an error for which IsTemporary reports true; the relay defers.
//  4. If no live policy is announced: return the cached policy if any
//     (RFC 8461 §5.1: a valid cached policy is applied even when DNS no longer
//     announces one), else (nil, nil): the domain has no MTA-STS policy.
//  5. If the TXT id equals the cached policy's id: return the cache (§3.1, §5.1).
//  6. Otherwise fetch https://mta-sts.DOMAIN/.well-known/mta-sts.txt
//     (RFC 8461 §3.3): certificate valid for mta-sts.DOMAIN under the
//     configured roots, HTTP 200 only, redirects never followed, Content-Type
//     text/plain, body at most 64 KiB, the whole fetch bounded by
//     Options.Timeout. No HTTP caching is used.
//  7. A fetched policy that parses (RFC 8461 §3.2) is stamped with the TXT id
//     and the fetch time, stored in the cache and returned.
//  8. If the fetch or parse fails: return the cached unexpired policy if any
//     (RFC 8461 §5.1); else the domain is treated as having no policy
//     (RFC 8461 §5.1: "continue with delivery as though the domain has not
//     implemented MTA-STS"): Lookup returns a nil policy and a non-temporary
//     error wrapping ErrFetch, for the caller to log and count (TLSRPT
//     "sts-policy-fetch-error"), not to defer on.
//
// Policy application (RFC 8461 §4, §5): in mode "enforce" the relay delivers
// only to MX hosts for which Policy.MatchMX is true and only over TLS with a
// certificate valid for that MX host (PKIX, RFC 8461 §4.2); otherwise it
// defers, never falls back to plaintext. In mode "testing" it delivers anyway
// and reports the failure. Mode "none" means no policy.
//
// What this package guarantees: a policy is only ever taken from an
// authenticated HTTPS response with a valid certificate for mta-sts.DOMAIN;
// a cached policy is never returned after its max_age; the cache is only
// written with a freshly fetched, fully parsed policy.
//
// On a crash: nothing is lost that matters. A persistent Cache (Options.Store)
// keeps policies across restarts, as RFC 8461 §10.2 wants, so that an attacker
// who blocks the DNS or HTTPS lookup after a restart cannot strip a known policy;
// with the memory cache policies are re-fetched after a restart.
//
// What it never does: follow an HTTP redirect, use an HTTP proxy (with the
// default client; an injected Options.Client decides that itself), accept a
// policy over plain HTTP or with an unverified certificate, read more than
// 64 KiB of a policy body, or log message content (it logs nothing at all).
package mtasts
