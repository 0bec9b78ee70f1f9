// Package store keeps secure-portal messages: sealed at rest, reachable
// only through per-recipient tokens, and crypto-shredded when they expire
// or are revoked.
//
// Store is the contract; DirStore is the embedded implementation (files
// plus a bbolt index under one data directory). The contract assumes no
// single process, so a database-backed Store can serve several gateway
// nodes: ids and tokens are random (never counters), every state change
// is durable when its call returns, single use of a code and lockout
// counting are atomic read-modify-writes, and the verification state and
// event log live in the store, not in a node's memory.
//
// Package storetest holds the contract as a suite any implementation
// runs (TestDirStoreMeetsTheStoreContract runs it on DirStore).
//
// Layout of a DirStore directory (0700; files 0600):
//
//	index.db     bbolt: records (addresses sealed), token hashes,
//	             verification state, events, the wrapped index key,
//	             TOTP enrolments (by address HMAC, secret sealed)
//	msgs/<id>    the message, sealed with crypto/seal under its data key
//	keys/<id>    the data key, wrapped by the KEK (see keyfile.go)
//
// What it guarantees (each has a test):
//   - Each message has its own random 256-bit data key; the sealed file is
//     authenticated, streamed AES-256-GCM (crypto/seal), bound to its id,
//     so a torn, tampered or swapped file fails with ErrCorrupt and never
//     yields altered plaintext. Memory is O(64 KiB) whatever the size.
//   - Data keys are wrapped by a KeyWrapper (LocalKEK: AES-256-GCM under a
//     KEK from a 0600 file or the environment; a KMS can implement it),
//     bound to the message id; rotation keeps old KEKs for unwrapping,
//     and a wrong KEK makes New fail with ErrCorrupt.
//   - Tokens are 256 bits from crypto/rand, shown once in Put's Receipt
//     and stored only as SHA-256. A token resolves to one recipient of one
//     message; wrong, expired, revoked and swept tokens all answer exactly
//     ErrNotFound.
//   - No subject, body, address, token or code is written in the clear.
//     Addresses (sender, recipients, who revoked) are sealed in each index
//     record under an index key (random, per store, wrapped by the KEK and
//     unwrapped once by New); tokens and events name a recipient by its
//     position. In the clear: ids, times, state, sizes, hashes.
//   - Revoke and Sweep commit the new state (tokens gone) first, then
//     overwrite and delete the key file and delete the sealed file: with
//     the key gone a copy of the sealed file is useless, KEK or not. A
//     tombstone (state, times, events; no key) stays for the retention.
//   - Put writes temp files, fsyncs, renames and fsyncs the directories
//     before the index commit; New removes temp files and every file no
//     active record owns, so a crash leaves neither an orphan nor a key
//     that the index has already let go.
//   - One-time codes: 8 digits, stored as a hash bound to the token,
//     10-minute life, single use, replaced by the next code, at most
//     MaxCodes per token per hour; failures are counted per token (codes
//     and other factors alike) and lock it after MaxFailures for Lockout;
//     each attempt is logged as an event in the same transaction.
//   - TOTP (the optional second factor) is enrolled per recipient address,
//     case folded, so every message to that address asks for the same
//     authenticator (TestTOTPIsPerAddressAndSingleUse in storetest). The
//     index names the address only by an HMAC under a key derived from
//     the index key, and seals the secret under the index key bound to
//     that HMAC: neither the secret nor the address is on disk in the
//     clear, and a record copied to another address does not open
//     (TestTOTPSecretIsSealedAtRestAndBoundToItsAddress). Codes are RFC
//     6238 (SHA1, 6 digits, 30 s, one step of skew each way); a step once
//     accepted, the enrolment's own included, is spent with every earlier
//     one, so a code cannot be replayed, even on another message's link
//     or by racing requests (TestRacingTOTPChecksSucceedOnce). Wrong TOTPs
//     lock the token like wrong codes, in the same transaction as their
//     event; their count survives a correct email code, so fresh codes buy
//     no more guesses (TestTOTPFailuresLockAndSurviveEmailCodes), and they
//     are counted per address too, so the links of many messages to one
//     address buy no more either (TestTOTPFailuresAcrossLinksLockTheAddress). An
//     address enrols once; only ResetTOTP (an operator) clears it
//     (TestTOTPEnrolOnceAndReset). FuzzMatchStep and FuzzHostileTOTPRecord
//     cover hostile codes and index contents.
//   - Failures per source (an IP address, as the caller names it) are
//     counted across tokens under a hash of the source and lock it after
//     SourceFailures per Lockout window.
//   - The event log holds a closed set of kinds, a time, the message id
//     and the recipient: no free text.
//
// A reader opened before a Revoke may finish reading the file it has
// open; every Lookup and Open after Revoke returns fail.
//
// What it does not do: hide message sizes (sealed size tracks plaintext),
// guarantee that overwritten blocks are gone on copy-on-write filesystems
// or SSDs (the guarantee is that no wrapped copy of the key is kept), or
// let two processes share one directory (bbolt locks it; New waits 2 s).
package store
