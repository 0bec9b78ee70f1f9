// Package dkim signs every outgoing copy of a message with DKIM (RFC 6376)
// using github.com/emersion/go-msgauth, and manages the signing keys.
//
// What is signed, and when. The relay signs each outbound copy as the very
// last step before it goes on the wire: after any encryption (S/MIME, PGP) and
// after every header the gateway adds, so the signature covers exactly the
// bytes the receiver gets. Signing before encryption would sign a body nobody
// ever sees. The key is chosen by the domain of the RFC 5322 From address:
// exact, case-insensitive match only. A key for example.com does not sign mail
// from sub.example.com (a parent-domain fallback would let a subdomain speak
// for its parent's selector without the admin saying so); configure a key per
// domain. When several keys are configured for one domain (say RSA and
// Ed25519, as RFC 8463 §4 suggests during the Ed25519 transition) the message
// gets one DKIM-Signature per key. A message with no key for its From domain,
// with no parseable From, with From addresses in more than one domain, or with
// no header/body separator is passed through unchanged and reported unsigned.
//
// Algorithm. rsa-sha256 (keys of 2048 bits or more; smaller keys are refused
// at load) or ed25519-sha256 (RFC 8463). Canonicalisation is relaxed/relaxed
// (RFC 6376 §3.4.2, §3.4.4): header case, folding and whitespace changes made
// by intermediate MTAs, and trailing whitespace in the body, do not break the
// signature. Every signature carries t= (signing time).
//
// Headers. The default list (DefaultHeaders) names From twice: that is
// oversigning (RFC 6376 §5.4.2, §8.15). A verifier takes header instances from
// the bottom up and treats a listed name with no remaining instance as empty,
// so a second From added after signing (the classic trick to show a reader a
// different sender than the one DKIM/DMARC checked) breaks the signature.
// Headers listed but absent from the message (Cc, Reply-To, ...) are signed as
// absent, so adding them later breaks the signature too. From is always
// signed: a header list without From gets it added.
//
// Never l=. The body length tag is never emitted: with l= an attacker can
// append content (a second MIME part, a phishing link) below the signed length
// and the signature still verifies.
//
// The package keeps no state on disk and no mutable globals. Key files are PEM,
// read once at load, and refused when group- or other-readable; GenerateKey
// writes nothing itself. Messages are streamed, never held whole in memory by
// SignTo: the message is read twice through the caller's open function (once
// to hash, once to write), so the two reads must return identical bytes, which
// the spool guarantees for a stored copy. Nothing here logs: callers log the
// outcome with the message ID, never the signature or any header value.
package dkim
