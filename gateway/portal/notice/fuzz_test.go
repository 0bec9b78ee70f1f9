package notice

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"
)

// FuzzNotification feeds hostile field values. Whatever they are, Build
// either refuses them or writes a message whose header is exactly the one
// it means to write: the same field names, one recipient, one sender, and
// sound line structure. It never panics.
func FuzzNotification(f *testing.F) {
	f.Add("Dr. Lee", "dr.lee@clinic.example", "pat@patient.example", "Lab results", "https://portal.example/m/x", "gw.example", int64(3600))
	f.Add("Lee\r\nBcc: x@y", "a@b.example", "c@d.example", "", "https://p.example/m/x", "gw.example", int64(60))
	f.Add("\"quoted\" <x@y>", "\"a b\"@b.example", "c@[192.0.2.1]", "=?utf-8?q?x?=", "https://p.example/m/x?a=b#c", "gw.example", int64(1))
	f.Add(strings.Repeat("Zoë ", 80), "a@b.example", "c@d.example", strings.Repeat("é", 400), "https://p.example/"+strings.Repeat("a", 1500), "gw.example", int64(86400*30))
	tm := mustLoad(f, "", Branding{OrgName: "Org", Footer: "f"})
	f.Fuzz(func(t *testing.T, name, from, to, subject, link, host string, life int64) {
		n := Notification{From: from, FromName: name, To: to, Subject: subject, Link: link, Hostname: host,
			Date: testDate, Expires: testDate.Add(time.Duration(life) * time.Second)}
		msg, err := tm.Notification(n)
		if err != nil {
			return
		}
		name, subject = strings.TrimSpace(name), strings.TrimSpace(subject)
		checkHeaderShape(t, msg, []string{"Content-Type", "Date", "From", "To", "Subject", "Message-Id", "Mime-Version", NoticeHeader})
		r, err := mail.CreateReader(bytes.NewReader(msg))
		if err != nil {
			t.Fatalf("unreadable: %v", err)
		}
		if got, err := r.Header.AddressList("To"); err != nil || len(got) != 1 || got[0].Address != to {
			t.Fatalf("To = %v, %v; want %q", got, err, to)
		}
		if got, err := r.Header.AddressList("From"); err != nil || len(got) != 1 || got[0].Address != from || got[0].Name != name {
			t.Fatalf("From = %v, %v; want %q %q", got, err, name, from)
		}
		want := subject
		if want == "" {
			want = "Secure message from " + name
			if name == "" {
				want = "Secure message from " + from
			}
		}
		if got, _ := r.Header.Subject(); got != want {
			t.Fatalf("Subject = %q, want %q", got, want)
		}
	})
}

// FuzzCode does the same for the code mail.
func FuzzCode(f *testing.F) {
	f.Add("portal@clinic.example", "pat@patient.example", "12345678", "gw.example", int64(600))
	f.Add("portal@clinic.example", "pat@patient.example\r\nBcc: x@y", "1234\n", "gw.example", int64(600))
	tm := mustLoad(f, "", Branding{OrgName: "Org"})
	f.Fuzz(func(t *testing.T, from, to, code, host string, life int64) {
		c := Code{From: from, To: to, Code: code, Hostname: host, Date: testDate,
			Expires: testDate.Add(time.Duration(life) * time.Second)}
		msg, err := tm.Code(c)
		if err != nil {
			return
		}
		checkHeaderShape(t, msg, []string{"Content-Type", "Date", "From", "To", "Subject", "Message-Id", "Mime-Version", "Auto-Submitted", NoticeHeader})
	})
}

// checkHeaderShape fails unless msg's top-level header has exactly the
// given fields, in order, and every line is sound.
func checkHeaderShape(t *testing.T, msg []byte, fields []string) {
	t.Helper()
	if err := checkWire(msg); err != "" {
		t.Fatalf("%s\n%q", err, msg)
	}
	head, _, ok := bytes.Cut(msg, []byte("\r\n\r\n"))
	if !ok {
		t.Fatal("no end of header")
	}
	var got []string
	for _, line := range strings.Split(string(head), "\r\n") {
		if line[0] == ' ' || line[0] == '\t' {
			continue
		}
		k, _, _ := strings.Cut(line, ":")
		got = append(got, k)
	}
	if strings.Join(got, ",") != strings.Join(fields, ",") {
		t.Fatalf("header fields %v, want %v", got, fields)
	}
}
