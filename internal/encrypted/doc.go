// Package encrypted recognises mail the sender already encrypted end to
// end: PGP/MIME (RFC 3156) and S/MIME enveloped or authEnveloped data
// (RFC 8551, RFC 5083). The gateway may pass such mail as it is, under a
// policy option, since it is protected and cannot be scanned.
//
// IsEncrypted and Label read the Content-Type label only. Verify reads the
// message and checks that the content is what the label says (a PGP
// MESSAGE that starts with an encrypted session key; a CMS ContentInfo of
// an enveloped type), so plaintext labelled as encrypted is not passed
// unscanned. It streams and never decrypts.
//
// Guarantees, each proved by a test in this package:
//   - Real gpg and openssl output is recognised: gpg public-key and
//     symmetric encryption in PGP/MIME, openssl smime and cms enveloped
//     data (DER and streamed BER), cms authEnveloped data (AES-GCM)
//     (TestRealToolOutput).
//   - Signed-only mail is not encryption: gpg --sign, openssl cms -sign
//     opaque (signed-data) and multipart/signed (TestRealToolOutput).
//   - A label on plaintext is refused: multipart/encrypted around text,
//     application/pkcs7-mime around anything that is not an enveloped
//     ContentInfo, a third part (TestForgedLabels).
//   - The labels alone (TestLabels); hostile input never panics
//     (FuzzVerify).
//   - A 64 MiB message of either kind is verified in a few KiB of memory
//     (TestLargeMessagesAreStreamed).
package encrypted
