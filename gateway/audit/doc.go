// Package audit is sealgate's write-ahead, tamper-evident audit log: what
// happened to each message, recorded before it happens, in a form where an
// edit afterwards shows.
//
// # Format
//
// One JSON object per line in append-only segment files
// <Dir>/audit-YYYYMMDD-NNNNNN.jsonl (UTC date of the first record, then a
// counter; name order is chain order). Fields, in this order: seq (from 1,
// gap-free across segments), time (UTC, nine fractional digits), type,
// msg_id, message_id, data, prev. prev is the lowercase hex SHA-256 of the
// previous record's exact line without its "\n" (64 zeros for the first),
// so editing, removing, inserting or reordering any line breaks the chain
// at that place. Segments roll at SegmentMaxBytes and at the UTC day.
// Directory 0700, files 0600.
//
// Every CheckpointEvery records, every CheckpointInterval if anything was
// written, at Open and at Close, a checkpoint record carries the chain head
// (seq and hash of the record before it) signed with an Ed25519 key. Someone
// who rewrites the tail and recomputes the chain cannot sign: Verify finds a
// signature that fails, or more than Every records with no checkpoint. A
// rewritten tail shorter than Every after the last genuine checkpoint is only
// caught by comparing with checkpoints copied off the box (Forward, or the
// cron job in docs/audit.md).
//
// # Guarantees
//
// Append returns nil only after the line is written and the segment fsynced.
// Concurrent appenders share one fsync (group commit): whoever finds no fsync
// running becomes the leader and syncs everything written so far; the rest
// wait for it. seq and prev are assigned under one lock in arrival order. A
// segment is wholly durable before the next one is created.
//
// If a write or fsync fails, Append returns the error and Healthy reports it
// until an append is durable again. Nothing past the last durable record is
// trusted: the segment is truncated back to it before the next write, and
// appends waiting on the failed fsync get the error too (their records are
// gone from the file, and may be re-appended by the caller). If even the
// truncation fails, every Append fails. Callers must treat an error as "this
// did not happen": refuse mail (451 4.3.0), do not deliver.
//
// # Crash
//
// A crash can leave at most a torn final line (partial, unparsable, or not
// chaining) in the last segment, or an empty last segment. Open moves those
// bytes into <Dir>/recovery-<unixnano>.bin (fsynced), truncates the segment
// to the last whole record, and appends a "recovered" record naming the file,
// the byte count and the reason. Every record whose Append returned nil
// survives. Nothing else is ever cut: damage earlier in the chain is left for
// Verify to report.
//
// # Never
//
// The log never holds a message body, a Subject, an attachment name or the
// text a detector matched: the typed payloads are the whole schema. It never
// rewrites or deletes a record; Retention deletes whole segments whose last
// write is older than Retention, oldest first, never the current one. The
// Forwarder runs on its own goroutine behind a bounded buffer: a slow or
// dead SIEM loses copies (counted in sealgate_audit_forward_dropped_total),
// it never delays Append.
package audit
