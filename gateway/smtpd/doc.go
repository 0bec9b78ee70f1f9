// Package smtpd is sealgate's SMTP ingress: the listener that Microsoft 365,
// Google Workspace and Exchange hand outbound mail to when sealgate is their
// smarthost. It is built on github.com/emersion/go-smtp.
//
// # What it guarantees
//
//   - 250 only after durable commit. DATA and BDAT stream straight into
//     Store.NewMessage (our Received header first, then the client's bytes
//     unchanged); the reply is 250 only after MessageWriter.Commit returned
//     nil, which for the spool means fsynced. Every store failure is a
//     temporary reply (451 4.3.0, or 452 4.3.1 when out of space), returned as
//     an unwrapped *smtp.SMTPError because go-smtp turns any other error into
//     a permanent 554.
//   - Never an open relay. A recipient is accepted only when the client IP is
//     in AllowNets, or the session authenticated (AUTH PLAIN/LOGIN, offered
//     only inside TLS), or the client presented a certificate whose SHA-256
//     is listed, or whose CN / DNS SAN is listed and which chains to
//     TLSConfig.ClientCAs. Otherwise: 554 5.7.1 Relay access denied.
//     For everyone, authenticated or not, it refuses the forms that route
//     through us: percent hack (user%host@relay), bang paths (host!user@relay),
//     source routes (<@a,@b:user@c>), quoted local parts hiding @ % !, and
//     addresses without a domain.
//   - Addresses as sent. go-smtp unquotes local parts ("a@b"@c reaches Mail
//     as a@b@c) and passes NUL and malformed UTF-8 on, so the tap also keeps
//     each raw MAIL and RCPT line and internal/smtpaddr parses it strictly
//     (RFC 5321 §4.1.2, RFC 6531): control characters 501 5.5.2, malformed
//     UTF-8 553 5.1.7 / 5.1.3, non-ASCII without SMTPUTF8 553 5.6.7, no parse
//     501. The envelope holds smtpaddr's serialisation (quoted stays quoted);
//     SenderDomains sees the real domain.
//   - SMTP smuggling defence (CVE-2023-51766 family). Message data containing
//     a bare CR or bare LF anywhere is refused with 550 5.6.0 and the
//     connection is closed; nothing is spooled. go-smtp's DATA reader silently
//     drops ".\r" at the start of a line, so the raw plaintext stream (after
//     TLS) is also watched, through a per-connection tap on go-smtp's Debug
//     writer, for "\n.\r" followed by anything but "\n".
//   - Loops: more than MaxReceived Received header fields: 554 5.4.6.
//   - Limits: SIZE (552 5.3.4, declared or actual), recipients (452 4.5.3),
//     line length (500 5.4.0 and close, in commands and data), command and
//     DATA timeouts (421 4.4.2 and close; a command line cut by its timeout
//     is never run: guardConn), session lifetime and commands per session
//     (421 4.7.0), RequireTLS (530 5.7.0 before STARTTLS), connections in total and per IP
//     (421 4.7.0), failed AUTHs per IP (454 4.7.0 on AUTH, 421 4.7.0 for new
//     connections from that IP unless it is in AllowNets).
//
// # On a crash
//
// It holds no durable state of its own. A message whose DATA was in flight
// was never answered 250, so the client still owns it and retries; the
// store's uncommitted temp file is the store's to clean up.
//
// # What it never does
//
// It never answers 250 before Commit, never rewrites the client's bytes
// (no line-ending repair: bad line endings are refused, not fixed), never
// writes the recipient into Received, never logs bodies or Subjects (log
// lines carry msg_id, client IP, listener, counts, codes), and never offers
// AUTH without TLS.
//
// # Reload
//
// Update swaps access lists, users, limits, logger and TLS certificate for new
// connections; open connections keep the options they started with. Changing
// Name or ImplicitTLS, or the listen address, needs a new Server.
package smtpd
