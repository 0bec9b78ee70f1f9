package compose

import (
	"bytes"
	"io"
	"net/mail"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset"
	gomail "github.com/emersion/go-message/mail"
)

var png = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR fake image bytes \x00\xff")

func full() Message {
	return Message{
		From:    &mail.Address{Name: "Clinique Zoé", Address: "noreply@clinic.example"},
		To:      []*mail.Address{{Name: "Pat Doe", Address: "pat@example.org"}},
		Cc:      []*mail.Address{{Address: "nurse@clinic.example"}},
		ReplyTo: []*mail.Address{{Address: "desk@clinic.example"}},
		Subject: "Your appointment — rendez-vous",
		Text:    "Hello,\nyour appointment is on Monday.\n" + strings.Repeat("long line ", 20) + "\n",
		HTML:    `<p>Hello, <img src="cid:logo@clinic"></p>`,
		Attachments: []Attachment{
			{Filename: "logo.png", ContentType: "image/png", ContentID: "logo@clinic", Content: png},
			{Filename: "résumé.pdf", ContentType: "application/pdf; name=x", Content: []byte("%PDF-1.4 fake")},
		},
		Headers: []Field{{Name: "X-Campaign", Value: "reminders-2026"}},
	}
}

func build(t *testing.T, m Message) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	id, err := Write(&buf, m, Options{Hostname: "gw.clinic.example", Date: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), id
}

func TestEveryLineEndsInCRLF(t *testing.T) {
	raw, _ := build(t, full())
	for i, line := range bytes.SplitAfter(raw, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		if !bytes.HasSuffix(line, []byte("\r\n")) || bytes.Count(line, []byte("\r")) != 1 {
			t.Fatalf("line %d is not CRLF-terminated (or has a bare CR): %q", i, line)
		}
	}
}

func TestMessageParsesBackWithGoMessage(t *testing.T) {
	raw, id := build(t, full())
	mr, err := gomail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := mr.Header.MessageID(); got != id || !strings.HasSuffix(id, "@gw.clinic.example") {
		t.Errorf("Message-ID = %q, Write said %q", got, id)
	}
	if s, _ := mr.Header.Subject(); s != "Your appointment — rendez-vous" {
		t.Errorf("Subject = %q", s)
	}
	from, _ := mr.Header.AddressList("From")
	if len(from) != 1 || from[0].Name != "Clinique Zoé" || from[0].Address != "noreply@clinic.example" {
		t.Errorf("From = %v", from)
	}
	if d, _ := mr.Header.Date(); !d.Equal(time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)) {
		t.Errorf("Date = %v", d)
	}
	if mr.Header.Get("X-Campaign") != "reminders-2026" {
		t.Errorf("extra header lost")
	}
	if mt, _, _ := mr.Header.ContentType(); mt != "multipart/mixed" {
		t.Errorf("top type = %s", mt)
	}
	var text, html string
	var files []string
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(p.Body)
		switch h := p.Header.(type) {
		case *gomail.InlineHeader:
			mt, _, _ := h.ContentType()
			switch mt {
			case "text/plain":
				text = string(body)
			case "text/html":
				html = string(body)
			case "image/png":
				if h.Get("Content-Id") != "<logo@clinic>" || !bytes.Equal(body, png) {
					t.Errorf("inline image: cid %q, %d bytes", h.Get("Content-Id"), len(body))
				}
				files = append(files, "inline:png")
			}
		case *gomail.AttachmentHeader:
			name, _ := h.Filename()
			files = append(files, name)
			if string(body) != "%PDF-1.4 fake" {
				t.Errorf("attachment body = %q", body)
			}
		}
	}
	if text != strings.ReplaceAll(full().Text, "\n", "\r\n") {
		t.Errorf("text = %q", text)
	}
	if html != full().HTML {
		t.Errorf("html = %q", html)
	}
	if strings.Join(files, ",") != "inline:png,résumé.pdf" {
		t.Errorf("files = %v", files)
	}
}

func TestInlineImageSitsInRelatedWithTheAlternative(t *testing.T) {
	m := full()
	m.Attachments = m.Attachments[:1]
	raw, _ := build(t, m)
	e, err := message.Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	var tree []string
	var walk func(e *message.Entity, depth int)
	walk = func(e *message.Entity, depth int) {
		mt, _, _ := e.Header.ContentType()
		tree = append(tree, strings.Repeat(" ", depth)+mt)
		if mr := e.MultipartReader(); mr != nil {
			for {
				p, err := mr.NextPart()
				if err != nil {
					break
				}
				walk(p, depth+1)
			}
		}
	}
	walk(e, 0)
	want := "multipart/related| multipart/alternative|  text/plain|  text/html| image/png"
	if got := strings.Join(tree, "|"); got != want {
		t.Fatalf("tree = %s\nwant   %s", got, want)
	}
}

func TestTextOnlyIsOneLeafAndNamesAreEncoded(t *testing.T) {
	raw, _ := build(t, Message{
		From:    &mail.Address{Name: "Zoé", Address: "a@b.example"},
		To:      []*mail.Address{{Name: "Jörg", Address: "c@d.example"}},
		Subject: "hi",
		Text:    "x",
	})
	hdr := string(raw[:bytes.Index(raw, []byte("\r\n\r\n"))])
	if !strings.Contains(hdr, "Content-Type: text/plain") {
		t.Errorf("text-only message is not a single text/plain:\n%s", hdr)
	}
	if regexp.MustCompile(`[^\x00-\x7f]`).MatchString(hdr) {
		t.Errorf("header has raw non-ASCII (names must be RFC 2047 encoded):\n%s", hdr)
	}
	if !strings.Contains(hdr, "=?utf-8?") {
		t.Errorf("no encoded word in header:\n%s", hdr)
	}
}

func TestNoBccEverInHeader(t *testing.T) {
	raw, _ := build(t, full())
	if bytes.Contains(bytes.ToLower(raw), []byte("\nbcc:")) {
		t.Fatal("Bcc header written")
	}
}

func TestStructuralHeaders(t *testing.T) {
	for _, n := range []string{"From", "bcc", "Content-Type", "content-transfer-encoding", "MIME-Version", "Received", "Return-Path", "DKIM-Signature", "X-Sealgate-Loop", "Subject "} {
		if !Structural(n) {
			t.Errorf("Structural(%q) = false", n)
		}
	}
	for _, n := range []string{"X-Campaign", "List-Unsubscribe", "X-Priority"} {
		if Structural(n) {
			t.Errorf("Structural(%q) = true", n)
		}
	}
}

// TestPythonEmailReadsTheMessage is the interop check: Python's email
// package (an independent MIME parser) must see the same structure.
func TestPythonEmailReadsTheMessage(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("SEALGATE_REQUIRE_INTEROP") == "1" {
			t.Fatal("python3 not found and SEALGATE_REQUIRE_INTEROP=1")
		}
		t.Skip("python3 not found")
	}
	raw, _ := build(t, full())
	script := `
import sys, email, email.policy
m = email.message_from_bytes(sys.stdin.buffer.read(), policy=email.policy.default)
assert not m.defects, m.defects
print(m["From"].addresses[0].display_name)
print(m["Subject"])
for p in m.walk():
    assert not p.defects, p.defects
    fn = p.get_filename()
    print(p.get_content_type(), fn or "", len(p.get_content()) if not p.is_multipart() else "")
print(m.get_body(("plain",)).get_content().splitlines()[0])
`
	cmd := exec.Command(py, "-c", script)
	cmd.Stdin = bytes.NewReader(raw)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python email: %v\n%s", err, out)
	}
	// Lengths as Python decodes them: the text keeps its CRLFs (239
	// characters and 3 CRs), the images their bytes.
	want := `Clinique Zoé
Your appointment — rendez-vous
multipart/mixed  
multipart/related  
multipart/alternative  
text/plain  242
text/html  41
image/png logo.png 36
application/pdf résumé.pdf 13
Hello,
`
	if string(out) != want {
		t.Fatalf("python saw:\n%s\nwant:\n%s", out, want)
	}
}
