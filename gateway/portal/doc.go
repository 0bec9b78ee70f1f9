// Package portal is the secure portal as one service: the sealed store
// (gateway/portal/store) and the recipient web UI (gateway/portal/web)
// joined, with the lifecycle the gateway and the CLI drive.
//
// The gateway calls Deposit for the recipients a message goes to by
// portal: the message (RFC 5322, streamed) is sealed once, under one store
// id, with one link token per recipient; it sends each recipient the link
// in its Grant, and serves Handler (or HTTPServer) on the portal's own
// HTTPS listener. Each recipient asks for a code, which Mailer sends to
// that recipient's own address; replies go to Replies, which takes them
// into the policy pipeline; every event goes to EventSink for the audit
// log.
//
// Guarantees, each proved by a test in this package against the real
// DirStore and the real web handler over TLS on 127.0.0.1:
//   - One message to several recipients is one sealed file and one id;
//     each recipient's link and code open it for that recipient only: one
//     recipient's code never verifies another's link, and a reply is from
//     the recipient whose session it is (TestTwoRecipientsEndToEnd).
//   - The body and attachments are readable only after verification;
//     attachments download byte for byte; wrong codes lock a link out
//     (TestTwoRecipientsEndToEnd, TestWrongCodesLockOutAgainstTheStore);
//     a client's failures across tokens lock that client in the store
//     (TestClientLockedAcrossTokensByTheStore).
//   - Revoke and Sweep shred: the links show the neutral not-found page
//     (the one an unknown link gets), an open session ends, and the sealed
//     file and its key are gone (TestRevokeShredsAndEndsAccess,
//     TestSweepShredsExpired).
//   - Nothing under Dir holds the body, subject, an attachment or an
//     address in the clear, and no event carries content: events name a
//     message id, a recipient, a kind, a time and an attachment index
//     (TestNoPlaintextOnDiskOrInEvents).
//   - The landing page shows the sender's display name from Deposit's
//     sender ("Name <addr>"): the message itself is never opened before
//     verification (TestSenderDisplayName).
//   - Bodies stream in and out: a 10 MB message deposited and its
//     attachment downloaded grow the heap by under 8 MB
//     (TestTenMegabytesStreamInAndOut; BenchmarkDepositOpen and
//     BenchmarkAttachmentDownload report ops/s and peak heap).
//   - HTTPServer never allows TLS below 1.2 (TestHTTPServerTLSFloor).
//   - Config.TOTP "required": the email code leads to enrolment of an
//     authenticator app, and every later message to that address (any
//     case) asks for its code instead; a replayed code is refused and
//     counted (TestRequiredTOTPEnrolsOnceThenAsksOnEveryMessageToTheAddress);
//     wrong codes lock the link out, email code form included
//     (TestWrongTOTPsLockTheTokenOut); the TOTP and enrolment steps cannot
//     be reached without the email code (TestTOTPStepsCannotBeReachedWithoutTheEmailCode).
//     "optional" lets an unenrolled recipient in and offers enrolment
//     (TestOptionalTOTPLetsTheUnenrolledInAndOffersEnrolment); "off" shows
//     none of it (TestTOTPOffShowsNoneOfIt). ResetTOTP clears an address's
//     authenticator (TestResetTOTPLetsTheAddressEnrolAgain).
//
// Events: portal.notified (Deposit), portal.opened, portal.code_sent,
// portal.verified, portal.code_failed, portal.locked,
// portal.attachment_downloaded, portal.replied, portal.totp_enrolled,
// portal.totp_verified (the web UI; a wrong TOTP is portal.code_failed),
// portal.totp_reset (ResetTOTP: an address, no message id),
// portal.revoked, portal.expired, portal.extended (the lifecycle calls),
// one per recipient concerned. The store keeps its own event log too
// (Show). A sink failure is logged by message id and the portal goes on.
//
// What it does not do: send email (Mailer and the notices are the
// gateway's), choose who goes by portal (the processing stage), or share
// sessions between nodes (they are per process, as is web's first-line
// per-IP limit; codes, lockout and the per-client failure count live in
// the store).
package portal
