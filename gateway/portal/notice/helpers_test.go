package notice

import (
	"bytes"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"
)

var (
	testDate    = time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	testExpires = testDate.Add(30 * 24 * time.Hour)
)

func testNotification() Notification {
	return Notification{From: "dr.lee@clinic.example", FromName: "Dr. Lee", To: "pat@patient.example",
		Link: "https://portal.clinic.example/m/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdE", Expires: testExpires,
		Hostname: "gw.clinic.example", Date: testDate}
}

func testCode() Code {
	return Code{From: "portal@clinic.example", To: "pat@patient.example", Code: "48213977",
		Hostname: "gw.clinic.example", Expires: testDate.Add(10 * time.Minute), ValidFor: 10 * time.Minute, Date: testDate}
}

func mustLoad(t testing.TB, dir string, b Branding) *Templates {
	t.Helper()
	tm, err := Load(dir, b)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

// parsed is a notice read back with go-message.
type parsed struct {
	h          mail.Header
	text, html string
	types      []string
}

// readBack reads msg back as a client would, after checking the wire form:
// CRLF only, no line over 998 bytes (RFC 5322 §2.1.1).
func readBack(t testing.TB, msg []byte) parsed {
	t.Helper()
	if err := checkWire(msg); err != "" {
		t.Fatalf("%s\n%s", err, msg)
	}
	r, err := mail.CreateReader(bytes.NewReader(msg))
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, msg)
	}
	p := parsed{h: r.Header}
	for {
		part, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("next part: %v", err)
		}
		ih, ok := part.Header.(*mail.InlineHeader)
		if !ok {
			t.Fatalf("part is not inline: %T", part.Header)
		}
		typ, params, _ := ih.ContentType()
		if params["charset"] != "utf-8" {
			t.Errorf("%s charset %q", typ, params["charset"])
		}
		b, err := io.ReadAll(part.Body)
		if err != nil {
			t.Fatal(err)
		}
		p.types = append(p.types, typ)
		// Quoted-printable decodes to CRLF lines; compare as text.
		body := strings.ReplaceAll(string(b), "\r\n", "\n")
		switch typ {
		case "text/plain":
			p.text = body
		case "text/html":
			p.html = body
		}
	}
	return p
}

// checkWire returns what is wrong with msg's line structure, or "".
func checkWire(msg []byte) string {
	for i, line := range bytes.SplitAfter(msg, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		if !bytes.HasSuffix(line, []byte("\r\n")) {
			return "line " + strconv.Itoa(i+1) + " does not end in CRLF"
		}
		body := line[:len(line)-2]
		if bytes.IndexByte(body, '\r') >= 0 {
			return "bare CR in line " + strconv.Itoa(i+1)
		}
		if len(body) > 998 {
			return "line " + strconv.Itoa(i+1) + " longer than 998 bytes"
		}
	}
	return ""
}

func (p *parsed) subject() string {
	s, _ := p.h.Subject()
	return s
}
