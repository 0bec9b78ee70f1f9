package dsn

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sealgate/sealgate/internal/bcc"
)

// Actions for RecipientReport.Action (RFC 3464 §2.3.3).
const (
	ActionFailed    = "failed"
	ActionDelayed   = "delayed"
	ActionDelivered = "delivered"
)

// Report is one DSN about one original message.
type Report struct {
	// ReportingMTA is the DNS name of the reporting host; also used for
	// From: MAILER-DAEMON@ReportingMTA and the Message-ID.
	ReportingMTA string
	// EnvID is the original ENVID (decoded); "" omits Original-Envelope-Id.
	EnvID string
	// Arrival is when the original was received; zero omits Arrival-Date.
	Arrival time.Time
	// To is the original envelope sender, who gets the report.
	To string
	// Date is the report's Date; zero means time.Now().
	Date time.Time
	// Ret is the original RET parameter: "FULL" includes the whole
	// original, anything else only its header.
	Ret        string
	Recipients []RecipientReport
}

// RecipientReport is the per-recipient block of message/delivery-status.
type RecipientReport struct {
	// OriginalRecipient is the ORCPT value as given ("rfc822;addr");
	// "" omits the field.
	OriginalRecipient string
	// FinalRecipient is the address the relay tried (without "rfc822;").
	FinalRecipient string
	Action         string // ActionFailed, ActionDelayed, ActionDelivered
	Status         string // "5.1.1"
	RemoteMTA      string // host name, "" omits
	// DiagnosticCode is the remote reply ("550 5.1.1 no such user"), sent
	// as "smtp; ..."; "" omits the field.
	DiagnosticCode string
	LastAttempt    time.Time // zero omits
}

// Subject returns the Subject used for a report with these recipients.
func (r *Report) Subject() string {
	failed, delayed := false, false
	for _, rc := range r.Recipients {
		switch rc.Action {
		case ActionFailed:
			failed = true
		case ActionDelayed:
			delayed = true
		}
	}
	switch {
	case failed:
		return "Undelivered Mail Returned to Sender"
	case delayed:
		return "Delayed Mail (still being retried)"
	default:
		return "Successful Mail Delivery Report"
	}
}

// Wanted reports whether a recipient with RCPT NOTIFY= list notify wants a
// DSN with the given action (RFC 3461 §4.1): NEVER suppresses all; an
// empty list means FAILURE,DELAY.
func Wanted(notify []string, action string) bool {
	has := func(s string) bool {
		for _, n := range notify {
			if strings.EqualFold(strings.TrimSpace(n), s) {
				return true
			}
		}
		return false
	}
	if has("NEVER") {
		return false
	}
	switch action {
	case ActionFailed:
		return len(notify) == 0 || has("FAILURE")
	case ActionDelayed:
		return len(notify) == 0 || has("DELAY")
	case ActionDelivered:
		return has("SUCCESS")
	}
	return false
}

// Write writes the complete report message (header and body) to w.
// original is the original message (header and body); it is read as a
// stream, only up to the end of its header unless r.Ret is "FULL".
func Write(w io.Writer, r Report, original io.Reader) error {
	if r.ReportingMTA == "" {
		return errors.New("dsn: ReportingMTA is empty")
	}
	if len(r.Recipients) == 0 {
		return errors.New("dsn: no recipients to report")
	}
	date := r.Date
	if date.IsZero() {
		date = time.Now()
	}
	boundary, err := randomToken(24)
	if err != nil {
		return err
	}
	msgID, err := randomToken(12)
	if err != nil {
		return err
	}
	full := strings.EqualFold(r.Ret, "FULL")
	bw := bufio.NewWriter(w)
	p := func(format string, args ...any) {
		fmt.Fprintf(bw, format, args...)
		bw.WriteString("\r\n")
	}

	// RFC 3834 §5: Auto-Submitted so responders do not answer it.
	p("Date: %s", date.Format(time.RFC1123Z))
	p("From: \"Mail Delivery System\" <MAILER-DAEMON@%s>", clean(r.ReportingMTA))
	p("To: <%s>", clean(r.To))
	p("Subject: %s", r.Subject())
	p("Message-ID: <%s@%s>", msgID, clean(r.ReportingMTA))
	p("Auto-Submitted: auto-replied")
	p("MIME-Version: 1.0")
	p("Content-Type: multipart/report; report-type=delivery-status;")
	p("\tboundary=\"%s\"", boundary)
	p("")
	p("This is a MIME-encapsulated message.")
	p("")

	// Part 1: human-readable. Names recipients and reasons, nothing from
	// the original body.
	p("--%s", boundary)
	p("Content-Type: text/plain; charset=utf-8")
	p("Content-Transfer-Encoding: 8bit")
	p("")
	p("This is the mail system at host %s.", clean(r.ReportingMTA))
	p("")
	switch r.Subject() {
	case "Undelivered Mail Returned to Sender":
		p("Your message could not be delivered to one or more recipients.")
	case "Delayed Mail (still being retried)":
		p("Your message has not been delivered yet; delivery is still being retried.")
	default:
		p("Your message was delivered to the recipients listed below.")
	}
	p("")
	for _, rc := range r.Recipients {
		line := fmt.Sprintf("<%s>: %s (%s)", clean(rc.FinalRecipient), rc.Action, clean(rc.Status))
		if rc.RemoteMTA != "" {
			line += " host " + clean(rc.RemoteMTA)
		}
		p("%s", line)
		if rc.DiagnosticCode != "" {
			p("    %s", clean(rc.DiagnosticCode))
		}
	}
	p("")

	// Part 2: RFC 3464 §2.2 per-message fields, §2.3 per-recipient fields.
	p("--%s", boundary)
	p("Content-Type: message/delivery-status")
	p("")
	p("Reporting-MTA: dns; %s", clean(r.ReportingMTA))
	if r.EnvID != "" {
		p("Original-Envelope-Id: %s", clean(r.EnvID))
	}
	if !r.Arrival.IsZero() {
		p("Arrival-Date: %s", r.Arrival.Format(time.RFC1123Z))
	}
	for _, rc := range r.Recipients {
		p("")
		if rc.OriginalRecipient != "" {
			orcpt := clean(rc.OriginalRecipient)
			if !strings.Contains(orcpt, ";") {
				orcpt = "rfc822;" + orcpt
			}
			p("Original-Recipient: %s", orcpt)
		}
		p("Final-Recipient: rfc822; %s", clean(rc.FinalRecipient))
		p("Action: %s", clean(rc.Action))
		p("Status: %s", clean(rc.Status))
		if rc.RemoteMTA != "" {
			p("Remote-MTA: dns; %s", clean(rc.RemoteMTA))
		}
		if rc.DiagnosticCode != "" {
			p("Diagnostic-Code: smtp; %s", clean(rc.DiagnosticCode))
		}
		if !rc.LastAttempt.IsZero() {
			p("Last-Attempt-Date: %s", rc.LastAttempt.Format(time.RFC1123Z))
		}
	}
	p("")

	// Part 3: the original, streamed.
	p("--%s", boundary)
	if full {
		p("Content-Type: message/rfc822")
		p("Content-Transfer-Encoding: 8bit")
		p("")
		if original != nil {
			if err := copyCRLF(bw, original, false); err != nil {
				return err
			}
		}
	} else {
		p("Content-Type: text/rfc822-headers")
		p("Content-Transfer-Encoding: 8bit")
		p("")
		if original != nil {
			if err := copyCRLF(bw, original, true); err != nil {
				return err
			}
		}
	}
	p("")
	p("--%s--", boundary)
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("dsn: write: %w", err)
	}
	return nil
}

// copyCRLF copies lines from r to w, each ending in CRLF. With headerOnly
// it stops at the first empty line (end of the RFC 5322 header). Bcc and
// Resent-Bcc never come back quoted (RFC 5322 §3.6.3).
func copyCRLF(w *bufio.Writer, r io.Reader, headerOnly bool) error {
	br := bufio.NewReader(bcc.Strip(r))
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 || err == nil {
			full := err == nil
			body := line
			if full {
				body = body[:len(body)-1]
				if n := len(body); n > 0 && body[n-1] == '\r' {
					body = body[:n-1]
				}
			}
			if headerOnly && full && len(body) == 0 {
				return nil
			}
			w.Write(body)
			if full || err == io.EOF {
				// ErrBufferFull means a long line continues in the next
				// slice: no line break yet.
				w.WriteString("\r\n")
			}
		}
		switch {
		case err == nil, errors.Is(err, bufio.ErrBufferFull):
		case err == io.EOF:
			return nil
		default:
			return fmt.Errorf("dsn: read original: %w", err)
		}
	}
}

// clean drops CR and LF so a value cannot inject header lines.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, s)
}

func randomToken(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("dsn: random: %w", err)
	}
	return hex.EncodeToString(b), nil
}
