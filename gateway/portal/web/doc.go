// Package web is the secure portal's web UI: an http.Handler, served over
// HTTPS on its own listener, through which a recipient with no other
// protected channel reads a message, downloads its attachments and replies.
//
// Flow. The notification link /m/{token} shows a neutral landing page
// (sender name and expiry, never the subject) with one button: "Email me a
// code". A token names one recipient of one message; Messages issues the
// token's code (the store's: 8 digits from crypto/rand, 10-minute life,
// single use) and Mailer sends it to that recipient's own address;
// entering it starts a session bound to that token, at /v.
//
// Second factor (Config.TOTP). Off by default. "required": after the email
// code a recipient whose address has no authenticator app enrols one at
// /m/{token}/enrol (setup key as grouped base32, the otpauth:// link, and a
// QR code PNG served from /m/{token}/enrol/qr, so the CSP's img-src 'self'
// holds and no third party sees the secret), confirming with one code; an
// enrolled address gives the app's code at /m/{token}/totp. "optional":
// the email code lets an unenrolled recipient in and the message page
// offers enrolment (/v/enrol); once enrolled, the address is asked for the
// app's code like "required". The pending step (and the secret on offer)
// lives server side, in memory, keyed by the hash of the browser's cookie,
// for the code's life.
//
// Guarantees, each proved by a test in this package:
//   - Unknown, expired and revoked links get one identical page and status
//     (TestUnknownExpiredRevokedLookAlike).
//   - Codes are single use and expire (TestCodeSingleUse, TestCodeExpires);
//     wrong codes lock the token out, a lock no new code lifts
//     (TestWrongCodesLockOut); code emails are limited per token
//     (TestCodeEmailsLimitedPerToken). Messages owns codes and lockout, so
//     nodes share them. Failures are also counted per client IP across
//     tokens in Messages (FailSource), so a client locked on one node is
//     locked on all (TestSourceLockoutSharedByNodes); in front of that the
//     web keeps an in-memory per-IP limit on failures and code emails
//     (TestIPRateLimit).
//   - A session opens only the message of the token it was verified for:
//     every Messages call takes that token, never an ID. One token's code
//     never opens another token, of another message or of another
//     recipient of the same message (TestOneTokenNeverOpensAnother,
//     TestRecipientsOfOneMessageHaveOwnCodes).
//   - Sessions live server side, keyed by the SHA-256 of a 128-bit cookie;
//     they end after IdleTimeout idle or MaxSession in all
//     (TestSessionIdleTimeout), and at once when the message is revoked or
//     expires (TestRevokeEndsOpenSession). Cookies are __Host-, Secure, HttpOnly,
//     SameSite=Strict (TestCookieAttributes).
//   - Every form carries a CSRF token, an HMAC of the browser's own cookie; a
//     POST without the right one is refused before anything happens
//     (TestCSRFRefused).
//   - The TOTP and enrolment pages are reachable only by the browser that
//     passed the email code for that same token: the email code is never
//     skipped and one recipient's pending step opens no other
//     (TestTOTPPagesCarrySecurityHeadersAndBindTheQRToTheBrowser; against
//     the real store in package portal). Their forms take the same CSRF
//     token, per-IP limit and lockouts as the code form; a wrong TOTP is a
//     failed attempt like a wrong code (FuzzTOTPForm: no hostile code opens
//     the message). TestBrowserTOTPEnrolAndCode and
//     TestBrowserOptionalEnrolment drive enrolment (the QR loads under the
//     CSP) and the TOTP form in Chromium under axe-core.
//   - Every response, errors and downloads included, carries a strict CSP
//     (no script at all), HSTS, X-Frame-Options DENY, nosniff, no-referrer
//     and Cache-Control no-store (TestSecurityHeadersEverywhere).
//   - Message HTML goes through bluemonday's UGC policy; images are replaced
//     by a notice (no remote fetch tells the sender anything) and each link
//     shows its real target; plain text is escaped (TestSanitize*,
//     TestStoredXSSDoesNotExecute in the browser).
//   - Attachments stream from Messages.Open to the client, never held whole,
//     with their own media type, a Content-Disposition attachment whose
//     filename is encoded safely, and a sandbox CSP
//     (TestFlowLandingCodeViewDownload, TestAttachmentFilenameSafe,
//     TestAttachmentStreamsWithoutBuffering).
//   - Server.HTTPServer refuses TLS below 1.2 (TestHTTPServerTLS).
//   - Every page works without JavaScript: the tests above drive the whole
//     flow with a plain HTTP client; TestBrowserFlow drives it in Chromium
//     with the keyboard, at phone and desktop widths, under axe-core.
//   - A reply is built as an RFC 5322 message threaded to the original and
//     handed to Replies; the pipeline protects it (TestReply*).
//   - No PHI in logs or errors: log lines carry message IDs, never subjects,
//     bodies or addresses (TestNoPHIInLogs). Events carry IDs and counts.
//
// The package declares the interfaces it needs (Messages, Mailer, Replies);
// package portal adapts gateway/portal/store to Messages. Code and lockout
// state live in the store so several nodes can share it; sessions (which
// hold the link token in memory only, never on disk or in a log) and the
// per-IP limits are per process (a multi-node deployment pins a client to
// a node, or moves them to the store later); the per-IP failure count
// in Messages is shared.
//
// It never serves third-party assets, never needs JavaScript, and never
// writes message content anywhere but the HTTP response.
package web
