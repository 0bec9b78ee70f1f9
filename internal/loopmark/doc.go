// Package loopmark marks the copies sealgate produces, so that a copy routed
// back through sealgate (a forward rule, a connector loop, the org's own
// domain) is recognised and not encrypted twice, while a mark forged
// outside is worthless.
//
// The mark is one header field:
//
//	X-Sealgate-Protected: v=1; t=<unix time>; m=<method>; id=<sealgate id>; mac=<base64url>
//
// mac is HMAC-SHA256, under a key derived from a local secret of at least
// 32 bytes, over v, t, m and id (each length-prefixed) and a SHA-256 of the
// fields the mark binds to: Message-ID, the From addresses and the
// top-level media type with its protocol and smime-type parameters. Those
// are what relays leave alone; they add fields, re-fold lines, re-encode
// display names, rebuild boundaries and re-encode bodies, so none of that is
// bound (see bound).
//
// Guarantees, each proved by a test in this package:
//   - A mark made by Header passes Check on the same header, also after
//     fields are added, the mark and other fields are re-folded, display
//     names re-encoded and the boundary changed (TestRoundTrip,
//     TestSurvivesRelayRewrites).
//   - It fails when a bound field or a tag changes, under another key, when
//     older than MaxAge (7 days) or more than MaxSkew (5 minutes) in the
//     future, and when malformed in any way (TestInvalidMarks,
//     TestMalformedValues, FuzzParse, FuzzCheck). The MAC is compared in constant time.
//   - Keys shorter than 32 bytes are refused; old keys can be kept for
//     rotation: marks made under them still pass (TestKeys).
//   - With several instances, the newest valid one counts, so forgeries
//     added beside a real mark change nothing and cannot make an unmarked
//     message pass; more than 16 instances are invalid
//     (TestSeveralInstances). StripAll removes every instance
//     (TestStripAll).
//   - Stamp streams a message through, removing every old instance and
//     adding a fresh mark, other fields and the body byte for byte; a
//     64 MiB message allocates a few hundred KiB (TestStamp,
//     TestStampStreams).
//
// How the gateway uses it: on every message it accepts, Check, then
// StripAll (always, valid or not), then decide; add a fresh mark (Header,
// or Stamp on the stream) only to the copies it produces, after their last
// header change and before DKIM signing. A valid mark says "sealgate made this copy with
// method m less than a week ago", nothing about the body: it is not bound,
// since relays re-encode it. For m=pgp or m=smime the top-level type, which
// is bound, says the body is ciphertext; for tls or a portal notice the
// copy was plaintext and the caller should decide again rather than skip.
// A mark seen on the wire can be replayed within MaxAge onto a message with
// the same Message-ID, From and type; binding to those fields, and not
// trusting marks on plaintext types, is what limits it.
package loopmark
