// Package smtpclient is the relay's SMTP client: it dials a server, says
// EHLO, does STARTTLS (or implicit TLS), checks the peer's certificate
// (PKIX or DANE) against a tlspolicy.Plan, runs mail transactions, and
// keeps idle sessions in a Pool for reuse. It knows nothing of queues,
// retries or DSNs; every failure is an *Error saying whether it is
// permanent, with its SMTP and enhanced codes and, for TLS, its RFC 8460
// result type.
//
// Guarantees:
//   - A plan at encrypt or verify never sends a command in plaintext beyond
//     EHLO and STARTTLS; without STARTTLS, or when it is refused or the
//     handshake fails, Dial fails (4.7.5). At may, a refused STARTTLS goes
//     on in plaintext on the same session; a failed handshake is marked
//     (IsHandshake) so the caller can retry once in plaintext.
//   - The certificate is checked after the handshake and before any other
//     command, so a failure is named by its RFC 8460 type.
//   - Bytes pipelined after the STARTTLS reply fail the session
//     (CVE-2011-0411 family); they never reach the TLS layer.
//   - Send never ends DATA after a short write of the message: the
//     connection is dropped instead, which aborts the transaction.
//   - A pooled session is used by one delivery at a time, only for the
//     same name, address and plan (Key), after a NOOP probe.
//
// The greeting, the first EHLO and STARTTLS are done here on a
// textproto.Conn, and go-smtp's Client is then handed the connection with
// a synthetic "220" greeting in front. go-smtp v0.25 cannot be driven
// through these steps itself: its Client always reads a greeting first;
// its only STARTTLS entry (NewClientStartTLS) says EHLO as "localhost",
// closes the connection when STARTTLS is refused (no plaintext "may" on
// the same session), defers the handshake to the next command (a
// handshake failure cannot be told from a network error, nor the
// certificate checked before a command is sent) and silently drops bytes
// pipelined after the 220 instead of refusing them.
package smtpclient
