// Package spool is sealgate's durable message store: what smtpd has
// answered 250 for lives here until the relay removes it.
//
// # Layout
//
//	<Dir>/tmp/                  files being written (never read back)
//	<Dir>/msg/<id>.body         the message bytes
//	<Dir>/msg/<id>.env          the Envelope as JSON: its presence is the commit
//	<Dir>/msg/<id>.state        opaque relay state (optional)
//	<Dir>/msg/<id>.copies/<n>   processed outbound copies (optional)
//	<Dir>/quarantine/           messages that failed verification in Recover
//
// Every file is sealed with crypto/seal (AES-256-GCM STREAM, per-file key
// from the master key) under a context naming its kind and message ID, so
// no address, header or body byte is ever on disk in the clear, and a file
// moved to another name does not authenticate. Directories are 0700, files
// 0600. IDs are 26 characters of lower-case base32hex over 8 bytes of Unix
// nanoseconds and 8 random bytes: unique, and sorting them sorts by time.
//
// # Durability contract
//
// When Writer.Commit returns nil, all of this is on stable storage: the body
// file (fsynced), the env file (fsynced), and both directory entries in
// msg/ (the directory fsynced after the renames). Commit does, in order:
//
//  1. seal the final body chunk, fsync the temp body;
//  2. write the sealed env to a temp file, fsync it;
//  3. rename the body into msg/, fsync msg/;
//  4. rename the env into msg/ (the commit point), fsync msg/.
//
// A crash leaves, by step: before 3, only temp files (Open deletes them);
// between 3 and 4, a body without env (Recover deletes it: the client never
// got 250); after 4 but before its fsync finished, the body alone or the
// whole message (the client never got 250, so at worst the message is
// delivered and also retried: a duplicate, never a loss). An env without a
// body can only come from outside damage; Recover quarantines it.
//
// Directory fsyncs are group-committed: concurrent committers share one
// fsync of msg/ that started after all their renames. Each file still gets
// its own fsync. SaveState and PutCopy write a sealed temp file, fsync it,
// rename it over the old one and fsync the directory: a reader sees the old
// or the new blob, never a mix. Remove deletes the env first, so a crash in
// the middle leaves only garbage.
//
// # Recover
//
// Recover (call it at start, after Open, before serving) reads every
// committed message end to end: envelope, whole body, state and copies, all
// authenticated. Good ones are returned oldest first. A message with an env
// but a missing, torn or modified file is moved whole to quarantine/ (env
// last, so a crash mid-move is redone next start) and reported; it is never
// returned and never deleted. Files without an env are deleted. An I/O error
// other than corruption fails Recover without moving anything.
//
// # Errors and health
//
// Every write, fsync or rename failure is returned wrapping its cause;
// ENOSPC and EDQUOT match ErrNoSpace. The last such failure is reported by
// Healthy until a later write succeeds. After a failed Commit nothing of the
// message remains and smtpd must answer 4xx.
//
// # What it never does
//
// Acknowledge before fsync; hold a whole message in memory (bodies and
// copies stream through one 64 KiB chunk); log body text, Subjects or
// addresses (logs carry msg_id, counts and error codes); repair or delete a
// corrupt committed message. Only one process may use a Dir at a time: this
// is not enforced by a lock.
package spool
