package dsn

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	_ "github.com/emersion/go-message/charset"
	"github.com/emersion/go-message/textproto"

	message "github.com/emersion/go-message"
)

const original = "From: a@example.org\r\nTo: b@example.net\r\nSubject: secret lab result\r\n\r\nBODY-LINE-PHI\r\n"

func sampleReport(ret string) Report {
	return Report{
		ReportingMTA: "relay.example.org",
		EnvID:        "env-1",
		Arrival:      time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
		To:           "a@example.org",
		Ret:          ret,
		Recipients: []RecipientReport{{
			OriginalRecipient: "rfc822;B@example.net",
			FinalRecipient:    "b@example.net",
			Action:            ActionFailed,
			Status:            "5.1.1",
			RemoteMTA:         "mx.example.net",
			DiagnosticCode:    "550 5.1.1 no such user",
			LastAttempt:       time.Date(2025, 1, 2, 3, 5, 0, 0, time.UTC),
		}},
	}
}

func parts(t *testing.T, raw []byte) (*message.Entity, []*message.Entity) {
	t.Helper()
	e, err := message.Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("parse DSN: %v", err)
	}
	mt, params, _ := e.Header.ContentType()
	if mt != "multipart/report" || params["report-type"] != "delivery-status" {
		t.Fatalf("content type %q %v", mt, params)
	}
	mr := e.MultipartReader()
	var out []*message.Entity
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("next part: %v", err)
		}
		body, _ := io.ReadAll(p.Body)
		p.Body = bytes.NewReader(body)
		out = append(out, p)
	}
	return e, out
}

func TestFailureReportIsRFC3464MultipartReport(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, sampleReport(""), strings.NewReader(original)); err != nil {
		t.Fatal(err)
	}
	raw := buf.Bytes()
	if bytes.Contains(bytes.ReplaceAll(raw, []byte("\r\n"), nil), []byte("\n")) {
		t.Fatal("bare LF in DSN")
	}
	e, ps := parts(t, raw)
	if got := e.Header.Get("Subject"); got != "Undelivered Mail Returned to Sender" {
		t.Errorf("subject %q", got)
	}
	if got := e.Header.Get("From"); !strings.Contains(got, "MAILER-DAEMON@relay.example.org") {
		t.Errorf("from %q", got)
	}
	if len(ps) != 3 {
		t.Fatalf("%d parts, want 3", len(ps))
	}
	if mt, _, _ := ps[1].Header.ContentType(); mt != "message/delivery-status" {
		t.Fatalf("part 2 is %q", mt)
	}
	status, _ := io.ReadAll(ps[1].Body)
	for _, want := range []string{
		"Reporting-MTA: dns; relay.example.org", "Original-Envelope-Id: env-1", "Arrival-Date: ",
		"Original-Recipient: rfc822;B@example.net", "Final-Recipient: rfc822; b@example.net",
		"Action: failed", "Status: 5.1.1", "Remote-MTA: dns; mx.example.net",
		"Diagnostic-Code: smtp; 550 5.1.1 no such user", "Last-Attempt-Date: ",
	} {
		if !bytes.Contains(status, []byte(want)) {
			t.Errorf("delivery-status lacks %q:\n%s", want, status)
		}
	}
	// The per-recipient block parses as a header block after the per-message one.
	blocks := strings.SplitN(string(status), "\r\n\r\n", 2)
	h, err := textproto.ReadHeader(bufioReader(blocks[1]))
	if err != nil || h.Get("Final-Recipient") == "" {
		t.Errorf("per-recipient block does not parse: %v", err)
	}
	if mt, _, _ := ps[2].Header.ContentType(); mt != "text/rfc822-headers" {
		t.Fatalf("part 3 is %q", mt)
	}
	hdrs, _ := io.ReadAll(ps[2].Body)
	if !bytes.Contains(hdrs, []byte("Subject: secret lab result")) {
		t.Errorf("headers part lacks the original header: %q", hdrs)
	}
	if bytes.Contains(raw, []byte("BODY-LINE-PHI")) {
		t.Error("DSN without RET=FULL contains the original body")
	}
	human, _ := io.ReadAll(ps[0].Body)
	if bytes.Contains(human, []byte("secret lab result")) {
		t.Error("human-readable part quotes the Subject")
	}
}

func TestRetFullIncludesWholeOriginalAsMessageRFC822(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, sampleReport("FULL"), strings.NewReader(original)); err != nil {
		t.Fatal(err)
	}
	_, ps := parts(t, buf.Bytes())
	if mt, _, _ := ps[2].Header.ContentType(); mt != "message/rfc822" {
		t.Fatalf("part 3 is %q", mt)
	}
	body, _ := io.ReadAll(ps[2].Body)
	if !bytes.HasPrefix(body, []byte(original)) {
		t.Errorf("original not included byte for byte: %q", body)
	}
}

func TestHeaderInjectionThroughDiagnosticIsNeutralised(t *testing.T) {
	r := sampleReport("")
	r.Recipients[0].DiagnosticCode = "550 bad\r\nX-Injected: yes"
	var buf bytes.Buffer
	if err := Write(&buf, r, strings.NewReader(original)); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "\r\nX-Injected") {
		t.Error("CRLF in diagnostic created a new field")
	}
}

func TestNotifyRules(t *testing.T) {
	cases := []struct {
		notify []string
		action string
		want   bool
	}{
		{nil, ActionFailed, true},
		{nil, ActionDelayed, true},
		{nil, ActionDelivered, false},
		{[]string{"NEVER"}, ActionFailed, false},
		{[]string{"SUCCESS"}, ActionFailed, false},
		{[]string{"SUCCESS"}, ActionDelivered, true},
		{[]string{"failure", "DELAY"}, ActionFailed, true},
	}
	for _, c := range cases {
		if got := Wanted(c.notify, c.action); got != c.want {
			t.Errorf("Wanted(%v, %s) = %v, want %v", c.notify, c.action, got, c.want)
		}
	}
}

func TestSuccessReportSubject(t *testing.T) {
	r := sampleReport("")
	r.Recipients[0].Action = ActionDelivered
	r.Recipients[0].Status = "2.0.0"
	if got := r.Subject(); got != "Successful Mail Delivery Report" {
		t.Errorf("subject %q", got)
	}
}

// TestQuotedHeaderLosesBccFields: the original's Bcc and Resent-Bcc are
// not quoted back, as headers only or as the full message.
func TestQuotedHeaderLosesBccFields(t *testing.T) {
	orig := "From: a@example.org\r\nBcc: Hidden\r\n <hidden@example.net>\r\nTo: b@example.net\r\nResent-Bcc: r-hidden@example.net\r\nSubject: s\r\n\r\nBODY\r\n"
	for _, ret := range []string{"HDRS", "FULL"} {
		var b bytes.Buffer
		if err := Write(&b, sampleReport(ret), strings.NewReader(orig)); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		if strings.Contains(out, "hidden@example.net") || strings.Contains(out, "Hidden") || strings.Contains(out, "Bcc") {
			t.Errorf("RET=%s quotes a Bcc field:\n%s", ret, out)
		}
		if !strings.Contains(out, "From: a@example.org\r\nTo: b@example.net\r\nSubject: s\r\n") {
			t.Errorf("RET=%s lost the other fields:\n%s", ret, out)
		}
	}
}
