// Package smime encrypts and signs messages with S/MIME (RFC 8551, CMS per
// RFC 5652) so that they open in the clients recipients really use.
//
// # What it writes
//
// Encrypt produces application/pkcs7-mime; smime-type=enveloped-data;
// name="smime.p7m", base64 in 76-character CRLF lines. The CMS is an
// EnvelopedData built here (not by github.com/smallstep/pkcs7, whose
// package-level defaults are DES-CBC and whose OAEP parameters omit the
// MGF1 hash, so OpenSSL would unwrap with MGF1-SHA-1 and fail):
//   - content encryption AES-256-CBC (RFC 3565), fresh key and IV per
//     message, by default: it is what Outlook, Apple Mail, Thunderbird and
//     `openssl cms` all read. Options.ContentCipher "aes256-gcm" writes an
//     AuthEnvelopedData (RFC 5083) with AES-256-GCM (RFC 5084, 12-byte
//     nonce, 16-byte tag, no authAttrs), smime-type=authEnveloped-data:
//     tamper-evident, proven with `openssl cms -decrypt` (OpenSSL ≥ 3.0),
//     but gpgsm 2.2.40 refuses it (measured: "error getting IV"), Outlook
//     and Apple Mail are not measured, and it holds the inner entity in
//     memory (at most 64 MiB), since Go's GCM seals one buffer. Config:
//     keys.smime_content_cipher.
//   - key transport per recipient, KeyTransRecipientInfo with
//     issuerAndSerialNumber, chosen by KeyTransportFor: RSAES-OAEP with
//     SHA-256 and MGF1-SHA-256 (RFC 4055, RFC 8551 §2.3) for a recipient
//     whose certificate carries an SMIMECapabilities extension (RFC 4262)
//     listing rsaesOAEP, or whose own signed mail did (Options.Capabilities;
//     nothing harvests those yet), and otherwise Options.KeyTransport, the
//     configured default (keys.smime_key_transport), "pkcs1v15" unless set.
//     One message may mix both: each RecipientInfo names its own algorithm.
//   - key agreement for an EC recipient (P-256 or P-384), a
//     KeyAgreeRecipientInfo (RFC 5652 §6.2.2, RFC 5753 §3.1.1) as OpenSSL
//     writes it: a fresh ephemeral key per recipient and message
//     (originatorKey, id-ecPublicKey, uncompressed point, no ukm),
//     ephemeral-static ECDH, the ANSI X9.63 KDF over ECC-CMS-SharedInfo
//     with SHA-256 for P-256 (dhSinglePass-stdDH-sha256kdf-scheme) and
//     SHA-384 for P-384 (…-sha384kdf-scheme, the RFC 5008 pairing), and
//     the content key wrapped with AES-256 key wrap (RFC 3394, keywrap.go:
//     the standard library has none; tested with the RFC's vectors).
//     OpenSSL's own default KDF hash is SHA-1; it reads ours. Works in both
//     EnvelopedData (then version 2, RFC 5652 §6.1) and AuthEnvelopedData,
//     and mixes with RSA recipients in one message. An EC certificate whose
//     KeyUsage lacks keyAgreement is refused (RFC 5480 §3), by
//     CheckRecipient and by Encrypt, before a byte is written; openssl 3.0
//     itself would encrypt to it. Other curves and Ed25519 are refused.
//   - BER with indefinite lengths and the ciphertext as a constructed OCTET
//     STRING of 64 KiB segments, as `openssl cms -stream`, Outlook and
//     Thunderbird themselves write it.
//
// # Which client opens which key transport
//
//	client                            PKCS#1 v1.5   RSAES-OAEP   evidence
//	openssl cms 3.0                   yes           yes          tests here
//	gpgsm 2.2 (Debian 12)             yes           no           tests here
//	neomutt, KMail, Kleopatra (GPGME) yes           no           outside tester; they run gpgsm
//	Outlook, Apple Mail, Thunderbird  yes           yes          vendors; not measured here
//
// and for EC recipients (ECDH) and the content forms:
//
//	client                            ECDH (CBC)   ECDH (GCM)   evidence
//	openssl cms 3.0                   yes          yes          tests here, P-256 and P-384, mixed with RSA
//	gpgsm 2.2.40 (Debian 12)          no           no           tests here: "Invalid session key", for
//	                                                            openssl's ECDH messages too; gpgsm 2.2 has
//	                                                            no CMS ECDH, and crashes importing an EC
//	                                                            PKCS#12 (SIGSEGV), so EC users of GPGME
//	                                                            clients need gpgsm 2.4
//	Outlook, Thunderbird, Apple Mail  yes          (GCM: not    vendors; not measured here
//	                                               measured)
//
// An EC certificate therefore reaches only clients that read ECDH; a
// hospital whose partners run gpgsm 2.2 should issue them RSA certificates.
// TestECDHClientMatrixGpgsm fails when gpgsm 2.2 starts decrypting ECDH.
//
// PKCS#1 v1.5 is the default because it is the one form every client in
// the table decrypts: a hospital wants no recipient to get a message they
// cannot open. Its known weakness (Bleichenbacher's padding oracle) needs
// an oracle on the recipient's side answering many chosen ciphertexts; a
// mail client that decrypts once and shows the result is no such oracle,
// and RFC 8551 §2.3 still requires agents to support it. An admin whose
// recipients all run OAEP-capable clients sets "oaep". Nothing here falls
// back on a failure: the choice is made before a byte is written, and the
// decision record names it per recipient.
//
// TestKeyTransportsDecryptWithOpenSSLAndGpgsm keeps the measured rows
// honest: it fails if gpgsm 2.2 ever decrypts OAEP, or if either tool stops
// decrypting what the table says it does.
//
// Sign produces multipart/signed; protocol="application/pkcs7-signature";
// micalg=sha-256 with a detached CMS SignedData (SHA-256, signed attributes
// contentType, messageDigest, signingTime; signature rsaEncryption
// PKCS#1 v1.5 or ecdsa-with-SHA256; the signer certificate and chain
// included). The signed part is canonicalised to CRLF and written exactly as
// it was hashed. The SignedData is also built here: smallstep/pkcs7 hashes a
// []byte of the whole content (and defaults to SHA-1), which would hold the
// message in memory several times over; it serves as the second, independent
// decoder and verifier in the tests. With Options.Signer, Encrypt signs first and envelopes the
// multipart/signed entity (sign-then-encrypt, RFC 8551 §3.7).
//
// # Protected headers
//
// Encrypt uses crypto/protect, RFC 9788 by default (Options.HeaderProtection,
// config keys.header_protection): the outer header keeps delivery and
// threading headers and gets an obscured Subject; the real Subject and the
// content headers travel inside, with hp="cipher", the HP-Outer record and,
// by default, the legacy display leading the main text, so Outlook and
// Apple Mail show the real Subject too. TestRFC9788HeaderProtectionReadsBack*
// parse what openssl and gpgsm decrypt. Bcc appears in no output, signed or
// encrypted. Sign alone does not hide the Subject (nothing is encrypted).
//
// # Recipient certificates
//
// CheckRecipient applies the usability rules (validity, key usage, extended
// key usage, address, optional chain to a trust store, RSA ≥ 2048) and says
// which one failed: RSA needs keyEncipherment, EC (P-256, P-384)
// keyAgreement; other key types are reported unusable, never silently
// skipped.
//
// # Memory
//
// Encryption (AES-CBC) and signing both stream: working memory is one 64 KiB cipher
// segment plus small write buffers (a 25 MB sign-then-encrypt allocates
// under 1 MB in total), whatever the message size. Nothing holds a whole
// message, so no concurrency bound is needed here; the caller bounds how
// many messages it processes at once.
//
// # On a failure
//
// An unusable recipient or an unknown key transport is refused before a
// byte is written. A read or write error midway leaves partial output in w:
// callers write to a temporary file or buffer and discard it on error.
//
// # What it never does
//
// It never logs: no content, no Subject, no addresses. It never falls back to
// a weaker algorithm on its own and never parses CMS from outside (there is
// no decryption or verification here). Encrypt does not call CheckRecipient
// itself (it has no address or trust store): callers check every
// certificate first and pass only usable ones; Encrypt still refuses
// keys it cannot wrap for (Ed25519, other curves, EC without keyAgreement).
package smime
