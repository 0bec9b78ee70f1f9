// Package tlspolicy decides what TLS an outbound connection must achieve:
// per recipient domain and MX host, from the admin map (TLSPolicy, then
// DefaultTLS), DANE (RFC 7672), MTA-STS (RFC 8461), the copy's floor,
// REQUIRETLS (RFC 8689) and the downgrade memory. It also answers the
// encryption selector's question "can verified TLS to this domain be
// guaranteed now?" (Policy.CanVerify).
//
// It makes no SMTP connection of its own: the relay hands it an MX lookup
// and a probe, and enforces the Plan it returns (package smtpclient).
//
// Guarantees:
//   - A level is only ever raised: the copy's floor, REQUIRETLS and the
//     downgrade memory never lower what the domain's policy asks.
//   - Every failure is a *Failure with its RFC 8460 result type; the
//     caller defers (4.7.5), it never falls back to plaintext.
//   - A failed TLSA lookup, an MTA-STS policy that may exist but cannot be
//     read, and dane-only without secure MX records all defer.
//   - The downgrade memory (bbolt, Memory) is written after an
//     authenticated delivery (at most once an hour per unchanged domain)
//     and after a downgrade; a crash loses at most that write, which makes
//     the memory weaker for one domain, never stricter.
package tlspolicy
