// Package notice builds the emails the secure portal sends: the
// notification that tells a recipient a protected message waits for them,
// and the mail that carries a one-time code. It only builds RFC 5322 bytes;
// the gateway signs (DKIM) and sends them.
//
// Content. A notification comes from the original sender (From is the
// sender's address and display name) and says who sent it, that the message
// is protected and not in the email, the link, when the link stops working
// (in UTC and in words), that a code will be emailed to verify the
// recipient, and that an unexpected notice can be ignored. Its subject is
// neutral, "Secure message from <name>", unless the caller passes the
// original subject because the admin opted in. The code mail holds the code,
// its life, and a warning never to pass it on. Nothing else goes in: the
// package sees only the fields of Notification, Code and Branding.
//
// Templates. Load takes a directory that may hold notification.txt,
// notification.html, code.txt and code.html (text/template and
// html/template over NotificationData and CodeData, with the function
// "lines"); a missing file falls back to the embedded default. Each file is
// parsed and run on sample data at Load, so a broken one stops the start
// with an error that names the file.
//
// Guarantees, each proved by a test in this package:
//   - Every field is checked before use: CR, LF and every other control
//     character, malformed UTF-8, over-long values are refused with an error
//     that names the field, never its value; addresses must be bare
//     addr-specs (net/mail), links https URLs, the hostname a domain name
//     (TestInjectionRefused, FuzzNotification, FuzzCode).
//   - The output is multipart/alternative, text/plain and text/html, UTF-8
//     quoted-printable; the link is in both parts, in the HTML as a button
//     and as text; the expiry is shown (TestNotificationStructure).
//   - Without an opted-in subject, no subject but the neutral one appears
//     anywhere (TestNoSubjectUnlessOptedIn); a non-ASCII subject or name is
//     RFC 2047 encoded (TestNonASCIIEncoded).
//   - HTML is escaped by html/template, whatever a field holds
//     (TestHTMLEscaped); the only remote asset is Branding.LogoURL, with alt
//     text (TestNoRemoteAssetsButLogo). The default HTML has no serious or
//     critical axe-core violation and does not scroll sideways on a phone,
//     in headless Chromium (TestHTMLAccessibleInChromium, screenshots kept
//     under $SEALGATE_ARTIFACTS/portal-notice).
//   - Every line ends in CRLF and none is longer than 998 bytes (RFC 5322
//     §2.1.1), whatever the fields and templates hold (every test checks).
//   - Each notice carries Date, a random Message-ID, MIME-Version and
//     X-Sealgate-Notice (portal or code); the code mail carries
//     Auto-Submitted: auto-generated (RFC 3834) (TestCodeMail).
//   - A custom template replaces the default; a broken one names its file
//     (TestCustomTemplates, TestBrokenTemplateNamesFile).
//
// X-Sealgate-Notice is a label for humans and filters: anyone can write it.
// What the gateway may trust is a loop mark (internal/loopmark).
package notice
