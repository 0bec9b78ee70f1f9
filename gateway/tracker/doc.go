// Package tracker follows the audit log and derives from it, and from
// nothing else, the message status index behind GET /v1/messages and the
// webhook events (message.*, portal.*). The audit log is the single source
// of truth: every record in it was durable before the step it describes
// happened, so an index entry or an event derived from it cannot describe
// something that did not happen, and cannot be lost.
//
// # Flow
//
// Run follows the log (audit.FollowFrom) from the cursor, the last audit
// seq applied. Per batch of records it derives the index changes and the
// events, hands the events to Options.Emit (the webhook outbox makes them
// durable), and only then commits the index changes and the new cursor in
// one Store transaction. Emit and commit failures are retried with
// backoff; no record is ever skipped, except one whose data does not
// decode (logged by seq and type).
//
// # Crash
//
// A crash after Emit and before the commit leaves the cursor where it was:
// the next Run derives the same records from the same index state and
// emits the same events again, with the same IDs (evt_<seq>, or
// evt_<seq>_<n> when one record yields several). Delivery is at least
// once; receivers dedupe by event ID.
//
// # First start
//
// With no cursor, every retained record is indexed, but events are
// emitted only for records appended after that first start (Cursor), so an
// upgrade does not push months of history to subscribers. Replay derives
// past events again on request (sealgate webhooks replay --since) from an
// empty in-memory state, without touching the index.
//
// # Deriving
//
// received creates the entry (every recipient queued); later records move
// recipients through held, blocked, deferred, delivered, bounced (expired
// counts as bounced), deleted and the portal states. Records for messages
// the index never saw received for (sealgate's own DSNs and code emails,
// or pruned messages) are ignored; a record at or before an entry's last
// applied seq changes nothing; delivered is never undone by a later
// deferral, nor a portal state by an earlier step (a reminder
// notification after a reply). Policy bcc addresses are not recipients of
// the sender's message and are not shown.
//
// # Never
//
// No subject, body, attachment name or matched text reaches the index or
// an event: the audit log holds none. Tags and metadata come from the
// API's Annotation, sealed by the gateway; this package never opens them.
// Logs name records by seq and type, messages by msg_id.
package tracker
