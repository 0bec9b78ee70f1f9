// Package dsn writes delivery status notifications (RFC 3464): a
// multipart/report with report-type=delivery-status made of
//
//  1. a short human-readable explanation (text/plain),
//  2. the machine-readable message/delivery-status part,
//  3. the original message's header (text/rfc822-headers, RET=HDRS or no
//     RET) or the whole original (message/rfc822, RET=FULL).
//
// Guarantees: the output uses CRLF line endings only; the original is
// streamed from the reader it is given and never held in memory; no part
// of the original body is quoted in the human-readable text.
//
// It never decides whether a DSN should be sent (null sender, NOTIFY, DSN
// about a DSN): that is the caller's job (see package relay and Wanted).
// It owns no durable state.
package dsn
