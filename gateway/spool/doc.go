// Package spool is sealgate's durable message store: what smtpd has
// answered 250 for lives here until the relay removes it.
//
// # Layout
//
//	<Dir>/tmp/                  files being written (never read back)
//	<Dir>/msg/<id>              the message: sealed body, sealed Envelope, footer
//	<Dir>/msg/<id>.state        opaque relay state (optional)
//	<Dir>/msg/<id>.copy.<n>     processed outbound copies (optional; earlier
//	                            spools kept them in <id>.copies/, which Recover moves)
//	<Dir>/quarantine/           messages that failed verification in Recover
//
// A message is one write-once file (msgfile.go): the sealed body stream,
// then the sealed Envelope JSON, then a 24-byte footer giving the
// envelope's offset and length and a magic string. Envelope reads only the
// file's tail; OpenBody reads only the body section.
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
// When Writer.Commit returns nil, the message file is on stable storage
// (fsynced) and so is its entry in msg/ (the directory fsynced after the
// rename). Commit does, in order:
//
//  1. seal the final body chunk, append the sealed envelope and the footer;
//  2. fsync the file in tmp/;
//  3. rename it to msg/<id> (the commit point), fsync msg/.
//
// A crash before 3 leaves only a temp file (Open deletes it); during 3,
// the whole message or nothing (the client never got 250, so at worst the
// message is delivered and also retried: a duplicate, never a loss). A
// torn or modified message file can only come from outside damage; Recover
// quarantines it.
//
// Directory fsyncs are group-committed: concurrent committers share one
// fsync of msg/ that started after all their renames. Each file still gets
// its own fsync. So a message costs one create, one fsync, one rename and
// a share of one directory fsync. SaveState writes a sealed temp file,
// fsyncs it, renames it over the old one and fsyncs the directory: a
// reader sees the old or the new blob, never a mix. PutCopy keeps a copy
// of up to 1 MiB in memory while Options.CopyMemory allows (memcopy.go),
// and otherwise writes and renames it the same way but fsyncs nothing: a
// copy can be made again from the message. SaveState first writes the
// message's copies in memory to files and fsyncs every copy stored since
// the last one, so a saved state never names a copy a crash can lose; a
// message without state has no copy worth keeping.
//
// Remove is not durable, on purpose: it unlinks the message file (and any
// state and copies, which the spool tracks in memory so that a message
// without them costs exactly one unlink) and fsyncs nothing. If a crash
// loses the unlink, the message comes back at the next start and is
// delivered again: a duplicate, which the relay's contract allows, never a
// loss. State or copies left without their message file are deleted by
// Recover.
//
// # Recover
//
// Recover (call it at start, after Open, before serving) reads every
// committed message end to end: footer, envelope, whole body, state and
// copies, all authenticated. Good ones are returned oldest first. The
// copies of a message without state are deleted (it is planned again); a
// copy beside a state that does not authenticate (a later plan cut short)
// is deleted, not quarantined. A message whose file is missing its
// footer, torn or modified, or whose state is, is moved whole to quarantine/ (the message file
// first; side files left by a crash midway follow it at the next start)
// and reported; it is never returned and never deleted. A message in the
// older two-file layout (<id>.body + <id>.env) is rewritten into one file
// under the same ID, then its old files are deleted. An I/O error other
// than corruption fails Recover without moving anything.
//
// # Errors and health
//
// Every write, fsync or rename failure is returned wrapping its cause;
// ENOSPC and EDQUOT match ErrNoSpace. The last such failure is reported by
// Healthy until a later write succeeds. After a failed Commit nothing of the
// message remains and smtpd must answer 4xx. While Healthy reports a
// failure smtpd refuses mail, so no write comes to clear it: the gateway
// calls Probe every few seconds, which writes and fsyncs a 64 KiB temp file
// and clears Healthy when that works.
//
// # What it never does
//
// Acknowledge before fsync; hold a whole message in memory (bodies and
// copies stream through one 64 KiB chunk); log body text, Subjects or
// addresses (logs carry msg_id, counts and error codes); repair or delete a
// corrupt committed message. Only one process may use a Dir at a time: the
// spool does not lock it; the gateway holds an flock on <data_dir>/lock
// before it opens the spool.
package spool
