// Package keystore is sealgate's recipient key store: S/MIME certificates
// and OpenPGP public keys, found by email address, from a local store the
// admin fills with `sealgate keys import` and, for OpenPGP, from the
// recipient domain's Web Key Directory (draft-koch-openpgp-webkey-service).
//
// # Storage
//
// Everything lives in one bbolt file, <Dir>/keys.db (mode 0600, directory
// 0700): bucket "entries" holds each Entry (kind:fingerprint -> JSON, with
// the DER certificate or binary public key), "byaddr" indexes them by
// lowercased address, "wkd" caches WKD answers with their expiry. A local
// lookup is one read transaction and a prefix scan: microseconds.
//
// # Guarantees
//
//   - Import refuses, with a reason per item: private keys ("refusing a
//     private key: import the public key"), certificates without an email
//     address, CA certificates, expired certificates and keys, OpenPGP keys
//     with no user ID carrying an address, revoked keys (and removes a stored
//     copy of a revoked key), and garbage. It never stores private key
//     material.
//   - Addresses are compared lowercased, local part included (RFC 5321 calls
//     local parts case-sensitive; no real mail system treats them so).
//   - Lookup does not judge usability beyond import: callers (crypto/smime,
//     crypto/pgp) check expiry, revocation and key usage at use time, and
//     record Entry.Source with every use.
//   - Parsers get bounded input: 16 MiB per import, 1 MiB per PKCS#7 bundle
//     (which is also walked first by berCheck, because its BER-to-DER
//     conversion recurses without limit and rescans the input), 256 KiB per
//     WKD response; a parser panic on hostile input becomes a refusal.
//     OpenPGP key reading does not decompress anything.
//
// # WKD
//
// The advanced method (https://openpgpkey.DOMAIN/...) is asked first; the
// direct one (https://DOMAIN/...) only if the advanced host gave no HTTP
// answer at all (DNS failure, refused connection, TLS failure). Only keys
// with a user ID equal to the address are kept. Answers are cached in the
// store, "no key" too (WKDOptions.PositiveTTL, NegativeTTL). A timeout,
// network error or 5xx is not cached: the domain backs off (Backoff,
// doubling per failure up to 64x) and Lookup reports ErrUnavailable if
// nothing else was found. Lookups can take up to WKDOptions.Timeout: the
// selector calls Lookup after the message is spooled and acknowledged,
// never on the SMTP reply path.
//
// # Harvesting
//
// HarvestAutocrypt learns a sender's OpenPGP key from an Autocrypt header
// (Source "harvest"), only for the header's own sender address, never over
// a key the admin imported. The caller turns it on (keys.harvest), checks
// the message's authenticity first and audits what was learned. Learning
// S/MIME certificates from signed mail is not implemented.
//
// # Crash and concurrency
//
// Each Import and each cache write is one bbolt transaction: after a crash
// the store holds all of an import or none of it. bbolt allows one writer
// process at a time: while another holds the store, an Open waits
// Options.OpenTimeout (2s) and then reports the store busy. Within a
// process a Store is safe for concurrent use.
//
// The daemon does not hold the store: it looks keys up through a Finder,
// which answers repeat lookups from memory while keys.db's stat (size,
// mtime, ctime, inode) is unchanged and its last change is older than a few
// seconds, and otherwise reads it through a read-only open (shared lock, no
// write, no fsync). A lookup writes only when it asks WKD (the answer is
// cached in the store). So `sealgate keys import` and `remove` run while
// the daemon does, and the next lookup sees their change.
//
// # Never
//
// It never logs key material, full addresses of WKD lookups (domains
// only), or message content; it never fetches WKD over plain HTTP or
// follows a redirect away from HTTPS.
package keystore
