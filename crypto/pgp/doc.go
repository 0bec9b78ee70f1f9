// Package pgp encrypts (and optionally signs) outbound mail as PGP/MIME
// (RFC 3156) to recipients' OpenPGP keys, and parses and judges those keys.
//
// # What Encrypt produces
//
// protect.Split cuts the message (RFC 9788 header protection,
// Options.HeaderProtection): the outer header keeps From, To, Cc, Date,
// Message-ID, threading, MIME-Version and trace fields and gets an obscured
// Subject (Options.Subject, default "[...]"); Bcc is dropped everywhere.
// The whole inner entity - content headers, the protected headers with the
// real Subject, hp="cipher" and protected-headers=v1, the HP-Outer record,
// all parts and attachments, by default the legacy display in the main
// text - is one binary literal data packet, so it decrypts byte-identical
// to protect.Split's inner entity.
// The outer body is multipart/encrypted; protocol="application/pgp-encrypted"
// with the "Version: 1" control part and the armored application/octet-stream
// part named encrypted.asc (RFC 3156 §4). With Options.Signer the OpenPGP
// message is signed and encrypted in one (RFC 3156 §6.2, as gpg --sign
// --encrypt does): one-pass signature, literal data, signature, all inside
// the encryption.
//
// # Algorithms
//
// gopenpgp v2 / go-crypto, checked in their source: the session key is
// AES-256 when every recipient key lists it among its preferred ciphers (gpg
// keys do; otherwise AES-128, the mandatory fallback). The container is
// SEIPD v1 (integrity-protected with MDC), never AEAD/SEIPD v2: AEAD is off
// in the library's config, and gpg 2.2 - still what many partners run -
// cannot read v2. No compression (no compression oracle on PHI, nothing to
// decompress for the recipient). Signatures hash with SHA-256 unless every
// recipient prefers otherwise among SHA-256/384/512.
//
// # Key selection
//
// A key is usable for an address (CheckRecipient) iff its primary key has a
// valid self-signature and is neither revoked nor expired, a user ID carries
// the address (case-insensitive) and is not revoked, and an encryption key
// is valid. Among encryption-capable subkeys (key flag "encrypt
// communications") that are not expired and not revoked, the one with the
// newest binding signature is used, which is what gpg does; the primary key
// only when no subkey qualifies and its own flags allow encryption. Encrypt
// hands the library a copy of the key holding only that subkey, so the
// choice cannot differ. Refusals are *UnusableError with a stable Reason.
//
// # Limits on outside input
//
// ParseKeys reads at most 10 MiB in all, 1 MiB and 2000 packets per key,
// 1000 keys. It walks the packet framing itself before the library parses
// anything and refuses compressed, encrypted or literal packets, partial and
// indeterminate lengths, and secret key material, so a key can neither
// decompress nor nest. RSA keys over 16384 bits, DSA over 3072/256 and
// ElGamal over 4096 are refused before any signature is checked (a
// 65535-bit DSA key would make each self-signature check a very long
// exponentiation). A library panic on a hostile key becomes an error.
// This package never decrypts or parses OpenPGP messages.
//
// # Memory
//
// Encrypt streams: header split, literal data, encryption, armor and the
// CRLF conversion each work on small buffers, so memory does not grow with
// the message and no concurrency bound is needed on its account (a 25 MB
// message peaks under 4 MB of heap, TestEncrypting25MBStreamsInBoundedMemory).
// What the library forces: its partial-length packet writer buffers whatever
// one Write hands it, so Encrypt feeds it 32 KiB writes and never lets
// io.Copy pass the whole body at once (WriteTo). Allocation churn is about
// 1x the message (the cipher stream allocates an output slice per write);
// live memory stays flat. Only the message header is read whole
// (protect.Split).
//
// # Never
//
// Nothing here logs. Errors carry fingerprints, addresses and reasons, never
// message content or Subjects. LoadSigner refuses key and passphrase files
// that group or others can access.
package pgp
