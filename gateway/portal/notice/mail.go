package notice

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-message/mail"
)

// Notice is the value of the NoticeHeader field: a label, not proof. Anyone
// can write it; the loop mark (internal/loopmark) is what the gateway may
// trust.
const (
	NoticeHeader = "X-Sealgate-Notice"
	KindPortal   = "portal"
	KindCode     = "code"
)

// Notification is one portal notification: the recipient learns that a
// protected message waits, who sent it, until when, and where.
type Notification struct {
	From     string    // the original sender's address; the notice comes from the sender
	FromName string    // the sender's display name, may be ""
	To       string    // the recipient
	Link     string    // the portal link with its token (https)
	Expires  time.Time // when the link stops working
	Subject  string    // "" unless the admin opted in to show the original subject
	Hostname string    // the right side of the Message-ID
	Date     time.Time // the Date field; zero means now
}

// Code is the mail that carries a one-time code to a portal recipient.
type Code struct {
	From, To, Code, Hostname string
	Expires                  time.Time     // when the code stops working
	ValidFor                 time.Duration // its whole life; 0 means Expires - Date
	Date                     time.Time     // zero means now
}

// Notification builds the notification as RFC 5322 bytes: a
// multipart/alternative of text and HTML, both UTF-8 quoted-printable.
// Every field is checked first; an error names the field, never its value.
func (t *Templates) Notification(n Notification) ([]byte, error) {
	date := t.date(n.Date)
	n.FromName, n.Subject = strings.TrimSpace(n.FromName), strings.TrimSpace(n.Subject)
	if err := errors.Join(checkAddr("From", n.From), checkAddr("To", n.To),
		checkLine("FromName", n.FromName, maxName), checkLine("Subject", n.Subject, maxSubject),
		checkHTTPS("Link", n.Link), checkHostname(n.Hostname), checkExpiry(n.Expires, date)); err != nil {
		return nil, err
	}
	sender := n.FromName
	if sender == "" {
		sender = n.From
	}
	d := NotificationData{Branding: t.b, SenderName: sender, SenderAddr: n.From, Link: n.Link,
		Expires: plainTime(n.Expires), ExpiresIn: inWords(n.Expires.Sub(date)), Subject: n.Subject}
	subject := "Secure message from " + sender
	if n.Subject != "" {
		subject = n.Subject
	}
	h, err := header(&mail.Address{Name: n.FromName, Address: n.From}, n.To, subject, n.Hostname, date,
		[2]string{NoticeHeader, KindPortal})
	if err != nil {
		return nil, err
	}
	return t.build(h, t.notifText, t.notifHTML, d)
}

// Code builds the one-time code mail, marked Auto-Submitted (RFC 3834) so
// that no responder answers it.
func (t *Templates) Code(c Code) ([]byte, error) {
	date := t.date(c.Date)
	if err := errors.Join(checkAddr("From", c.From), checkAddr("To", c.To), checkCode(c.Code),
		checkHostname(c.Hostname), checkExpiry(c.Expires, date)); err != nil {
		return nil, err
	}
	life := c.ValidFor
	if life <= 0 {
		life = c.Expires.Sub(date)
	}
	d := CodeData{Branding: t.b, Code: c.Code, ValidFor: duration(life), Expires: plainTime(c.Expires)}
	subject := "Your code to open a secure message"
	if t.b.OrgName != "" {
		subject += " from " + t.b.OrgName
	}
	h, err := header(&mail.Address{Name: t.b.OrgName, Address: c.From}, c.To, subject, c.Hostname, date,
		[2]string{NoticeHeader, KindCode}, [2]string{"Auto-Submitted", "auto-generated"})
	if err != nil {
		return nil, err
	}
	return t.build(h, t.codeText, t.codeHTML, d)
}

func (t *Templates) date(d time.Time) time.Time {
	if d.IsZero() {
		d = t.now()
	}
	return d.UTC().Truncate(time.Second)
}

func checkExpiry(exp, date time.Time) error {
	if !exp.After(date) {
		return errField("Expires", "not after the date of the mail")
	}
	return nil
}

// header is the top-level header every notice shares, plus extra fields.
// go-message encodes non-ASCII display names and subjects as RFC 2047 words
// and folds lines. It writes fields in the reverse order they are set, so
// they are set last to first.
func header(from *mail.Address, to, subject, hostname string, date time.Time, extra ...[2]string) (mail.Header, error) {
	var h mail.Header
	for _, kv := range extra {
		h.Set(kv[0], kv[1])
	}
	h.Set("MIME-Version", "1.0")
	id := make([]byte, 16)
	if _, err := rand.Read(id); err != nil {
		return h, fmt.Errorf("notice: message id: %w", err)
	}
	h.SetMessageID(hex.EncodeToString(id) + "@" + hostname)
	h.Set("Subject", encodeText(subject))
	h.SetAddressList("To", []*mail.Address{{Address: to}})
	h.SetAddressList("From", []*mail.Address{from})
	h.SetDate(date)
	return h, nil
}

// encodeText is an unstructured field value as RFC 2047 requires: as it is
// when plain ASCII, else encoded words. Text that itself looks like an
// encoded word ("=?utf-8?b?...?=") is encoded too, so a reader shows what
// was meant rather than decoding it.
func encodeText(s string) string {
	if !strings.Contains(s, "=?") {
		return mime.QEncoding.Encode("utf-8", s)
	}
	var words []string
	for len(s) > 0 {
		n := 0
		for _, r := range s {
			if n+utf8.RuneLen(r) > 45 {
				break
			}
			n += utf8.RuneLen(r)
		}
		words = append(words, "=?utf-8?b?"+base64.StdEncoding.EncodeToString([]byte(s[:n]))+"?=")
		s = s[n:]
	}
	return strings.Join(words, " ")
}

// build renders both parts and writes the message.
func (t *Templates) build(h mail.Header, text, html textTmpl, data any) ([]byte, error) {
	tb, err := render(text, data)
	if err != nil {
		return nil, err
	}
	hb, err := render(html, data)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	w, err := mail.CreateInlineWriter(&buf, h)
	if err != nil {
		return nil, fmt.Errorf("notice: header: %w", err)
	}
	if err := part(w, "text/plain", tb); err != nil {
		return nil, err
	}
	if err := part(w, "text/html", hb); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("notice: %w", err)
	}
	return buf.Bytes(), nil
}

// part writes one alternative. Quoted-printable keeps every body line under
// 77 bytes and CRLF-terminated, whatever a template holds.
func part(w *mail.InlineWriter, typ string, body []byte) error {
	var ph mail.InlineHeader
	ph.SetContentType(typ, map[string]string{"charset": "utf-8"})
	ph.Set("Content-Transfer-Encoding", "quoted-printable")
	pw, err := w.CreatePart(ph)
	if err != nil {
		return fmt.Errorf("notice: %s part: %w", typ, err)
	}
	body = bytes.ReplaceAll(body, []byte("\r\n"), []byte("\n"))
	if _, err := pw.Write(bytes.ReplaceAll(body, []byte("\r"), []byte("\n"))); err != nil {
		return fmt.Errorf("notice: %s part: %w", typ, err)
	}
	return pw.Close()
}

// plainTime is a time in UTC, spelt out: "Friday, 1 January 2027 at 09:30 UTC".
func plainTime(t time.Time) string {
	return t.UTC().Format("Monday, 2 January 2006 at 15:04 UTC")
}

// inWords is a time to come, roughly: "in 30 days", "in 5 hours".
func inWords(d time.Duration) string {
	return "in " + duration(d)
}

// duration spells a duration in its largest unit, rounded to the nearest,
// at least "1 minute".
func duration(d time.Duration) string {
	unit := func(n int64, s string) string {
		if n == 1 {
			return "1 " + s
		}
		return fmt.Sprintf("%d %ss", n, s)
	}
	switch {
	case d >= 47*time.Hour+30*time.Minute:
		return unit(int64((d+12*time.Hour)/(24*time.Hour)), "day")
	case d >= 119*time.Minute+30*time.Second:
		return unit(int64((d+30*time.Minute)/time.Hour), "hour")
	case d >= 90*time.Second:
		return unit(int64((d+30*time.Second)/time.Minute), "minute")
	}
	return "1 minute"
}
