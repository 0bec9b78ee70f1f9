// Package seal is sealgate's at-rest encryption: authenticated, streaming
// AES-256-GCM in fixed-size chunks (the STREAM construction, as in age's
// payload format).
//
// File format:
//
//	header = "SGSEAL1\n" || salt[32]
//	chunk  = AES-256-GCM(key, nonce, plaintext[<=64 KiB], aad=header)
//	key    = HKDF-SHA256(secret=masterKey, salt=salt, info="sealgate/seal/v1\x00"||context)
//	nonce  = counter[11, big-endian] || lastFlag[1]
//
// Every chunk but the last holds exactly 64 KiB of plaintext; the last chunk
// holds 0..64 KiB-1 bytes and carries lastFlag=1, so a file always ends with
// exactly one flagged chunk (an empty one when the plaintext length is a
// multiple of 64 KiB, including the empty plaintext).
//
// What it guarantees:
//   - Truncation at any byte, appended bytes, reordered or duplicated chunks,
//     any changed byte, a wrong master key or a wrong context all fail with an
//     error satisfying errors.Is(err, ErrCorrupt).
//   - A Reader returns plaintext chunk by chunk, each one authenticated before
//     it is released, and returns io.EOF only after the flagged final chunk has
//     verified and no byte follows it. A short stream is never a clean EOF.
//   - Memory is O(chunk) on both sides, whatever the file size.
//   - The context string is bound into the key, so a file sealed for one
//     purpose (say "spool-body") does not open under another ("spool-state").
//
// What it never does: buffer whole files, write plaintext anywhere, or close
// the underlying writer/reader. It does not hide the approximate plaintext
// length (ciphertext = 40 + plaintext + 16 per chunk started).
package seal
