package protect

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"
)

// outlookMsg is what Microsoft 365 hands the gateway: threading fields,
// Keywords, a QP text part and a base64 HTML part, a text attachment, a
// PDF, and an RFC 2047 Subject.
const outlookMsg = "Received: from m365 by sealgate\r\n" +
	"From: Dr A <a@clinic.test>\r\nTo: b@partner.test\r\nCc: c@partner.test\r\n" +
	"Subject: =?utf-8?q?Befund_M=C3=BCller_MRN_1234?=\r\n" +
	"Thread-Topic: Befund =?utf-8?q?M=C3=BCller?= MRN 1234\r\nThread-Index: AdtEm5Tl0dZ2uSs0Qr6ejw==\r\n" +
	"Keywords: oncology\r\nComments: urgent\r\n" +
	"Date: Sat, 28 Nov 2026 10:00:00 +0000\r\nMessage-ID: <m2@clinic.test>\r\nMIME-Version: 1.0\r\n" +
	"Content-Type: multipart/mixed; boundary=\"mix\"\r\n\r\n" +
	"preamble\r\n--mix\r\nContent-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n" +
	"--alt\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nGr=FC=DFe, results attached.\r\n" +
	"--alt\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
	"PGh0bWw+PEJPRFkgY2xhc3M9Im0iPjxwPlJlc3VsdHM8L3A+PC9CT0RZPjwvaHRtbD4=\r\n--alt--\r\n" +
	"--mix\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=\"notes.txt\"\r\n\r\nkeep me\r\n" +
	"--mix\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--mix--\r\nepilogue\r\n"

func split(t *testing.T, msg string, opts Options) (outer string, inner []byte) {
	t.Helper()
	oh, in, err := Split(strings.NewReader(msg), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	b, err := io.ReadAll(in)
	if err != nil {
		t.Fatal(err)
	}
	var ob bytes.Buffer
	if err := WriteHeader(&ob, oh); err != nil {
		t.Fatal(err)
	}
	return ob.String(), b
}

// parsedInner is the decrypted Cryptographic Payload, parsed.
type parsedInner struct {
	h     message.Header
	parts map[string]*message.Entity // by path "0.1", "1", ...
	texts map[string]string          // decoded bodies
}

func parseInner(t *testing.T, b []byte) parsedInner {
	t.Helper()
	e, err := message.Read(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	p := parsedInner{h: e.Header, parts: map[string]*message.Entity{}, texts: map[string]string{}}
	err = e.Walk(func(path []int, part *message.Entity, err error) error {
		if err != nil {
			return err
		}
		key := toKey(path)
		p.parts[key] = part
		if mt, _, _ := part.Header.ContentType(); !strings.HasPrefix(mt, "multipart/") {
			body, err := io.ReadAll(part.Body)
			if err != nil {
				return err
			}
			p.texts[key] = string(body)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func toKey(path []int) string {
	var s []string
	for _, i := range path {
		s = append(s, string(rune('0'+i)))
	}
	return strings.Join(s, ".")
}

// hpOuter returns the HP-Outer values of h, in order.
func hpOuter(h message.Header) []string {
	var out []string
	f := h.FieldsByKey("HP-Outer")
	for f.Next() {
		out = append(out, f.Value())
	}
	return out
}

func TestRFC9788PayloadCarriesHPOuterAndTheOuterSubjectIsObscured(t *testing.T) {
	outer, inner := split(t, outlookMsg, Options{Mode: ModeRFC9788})
	p := parseInner(t, inner)
	mt, params, err := p.h.ContentType()
	if err != nil || mt != "multipart/mixed" || params["hp"] != "cipher" || params["protected-headers"] != "v1" {
		t.Fatalf("inner Content-Type %q", p.h.Get("Content-Type"))
	}
	if !bytes.Contains(inner, []byte(`hp="cipher"`)) {
		t.Error(`hp="cipher" not written quoted, as RFC 9788 does`)
	}
	if s, _ := (&mail.Header{Header: p.h}).Subject(); s != "Befund Müller MRN 1234" {
		t.Errorf("inner Subject %q", s)
	}
	want := []string{"From: Dr A <a@clinic.test>", "To: b@partner.test", "Cc: c@partner.test", "Thread-Index: AdtEm5Tl0dZ2uSs0Qr6ejw==",
		"Date: Sat, 28 Nov 2026 10:00:00 +0000", "Message-ID: <m2@clinic.test>", "Subject: [...]"}
	if got := hpOuter(p.h); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("HP-Outer:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	oh, err := textproto.ReadHeader(bufio.NewReader(strings.NewReader(outer)))
	if err != nil {
		t.Fatal(err)
	}
	if oh.Get("Subject") != "[...]" || !strings.HasPrefix(outer, "Received: from m365 by sealgate\r\n") {
		t.Errorf("outer:\n%s", outer)
	}
	// Thread-Topic is the subject: inside only. So are Keywords, Comments.
	for _, k := range []string{"Thread-Topic", "Keywords", "Comments"} {
		if oh.Has(k) || !p.h.Has(k) {
			t.Errorf("%s: outer %v, inner %v", k, oh.Has(k), p.h.Has(k))
		}
	}
	if strings.Contains(outer, "Befund") || strings.Contains(outer, "1234") || strings.Contains(outer, "oncology") {
		t.Errorf("PHI outside:\n%s", outer)
	}
	// Without the legacy display the body streams unchanged.
	if !bytes.HasSuffix(inner, []byte(outlookMsg[strings.Index(outlookMsg, "\r\n\r\n")+4:])) {
		t.Error("body changed without the legacy display")
	}
}

func TestLegacyDisplayLeadsTheMainTextPartsOnly(t *testing.T) {
	_, inner := split(t, outlookMsg, Options{}) // the default mode
	p := parseInner(t, inner)
	if _, params, _ := p.h.ContentType(); params["hp"] != "cipher" || len(hpOuter(p.h)) != 7 {
		t.Fatalf("payload header lost its marks:\n%s", inner[:bytes.Index(inner, []byte("\r\n\r\n"))])
	}
	plain, html := p.parts["0.0"], p.parts["0.1"]
	for _, e := range []*message.Entity{plain, html} {
		if _, params, _ := e.Header.ContentType(); params["hp-legacy-display"] != "1" || params["charset"] != "utf-8" {
			t.Errorf("main part Content-Type %q", e.Header.Get("Content-Type"))
		}
	}
	if got, want := p.texts["0.0"], "Subject: Befund Müller MRN 1234\r\n\r\nGrüße, results attached."; got != want {
		t.Errorf("text/plain part %q, want %q", got, want)
	}
	if got, want := p.texts["0.1"], `<html><BODY class="m"><div class="header-protection-legacy-display"><pre>Subject: Befund Müller MRN 1234</pre></div><p>Results</p></BODY></html>`; got != want {
		t.Errorf("text/html part %q, want %q", got, want)
	}
	if p.texts["1"] != "keep me" || p.parts["1"].Header.Has("Content-Transfer-Encoding") {
		t.Errorf("attachment changed: %q", p.texts["1"])
	}
	if !bytes.Contains(inner, []byte("Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n")) {
		t.Error("PDF part not copied byte for byte")
	}
	if !strings.HasPrefix(p.texts["2"], "%PDF-1.4") {
		t.Errorf("PDF %q", p.texts["2"])
	}
}

func TestLegacyDisplayOnASinglePartAndNoneWithoutSubject(t *testing.T) {
	_, inner := split(t, "From: a@clinic.test\r\nSubject: MRN 99\r\n\r\nhello\r\n", Options{})
	p := parseInner(t, inner)
	_, params, _ := p.h.ContentType()
	if params["hp"] != "cipher" || params["hp-legacy-display"] != "1" || p.texts[""] != "Subject: MRN 99\r\n\r\nhello\r\n" {
		t.Errorf("single part:\n%s", inner)
	}
	_, inner = split(t, "From: a@clinic.test\r\n\r\nhello\r\n", Options{})
	if bytes.Contains(inner, []byte("hp-legacy-display")) || !bytes.HasSuffix(inner, []byte("\r\n\r\nhello\r\n")) {
		t.Errorf("nothing obscured, yet a legacy display:\n%s", inner)
	}
}

// A signed message's parts must not change (the signature would break),
// nor a part in a charset nobody can decode.
func TestLegacyDisplayLeavesSignedAndUndecodablePartsAlone(t *testing.T) {
	signed := "Subject: s\r\nContent-Type: multipart/signed; boundary=\"s\"; protocol=\"application/pkcs7-signature\"\r\n\r\n" +
		"--s\r\nContent-Type: text/plain\r\n\r\nsigned text\r\n--s\r\nContent-Type: application/pkcs7-signature\r\n\r\nAAAA\r\n--s--\r\n"
	_, inner := split(t, signed, Options{})
	if !bytes.HasSuffix(inner, []byte(signed[strings.Index(signed, "\r\n\r\n")+4:])) {
		t.Errorf("signed entity changed:\n%s", inner)
	}
	odd := "Subject: s\r\nContent-Type: text/plain; charset=x-no-such-charset\r\n\r\nbytes \xff\r\n"
	_, inner = split(t, odd, Options{})
	if !bytes.HasSuffix(inner, []byte("\r\n\r\nbytes \xff\r\n")) || bytes.Contains(inner, []byte("hp-legacy-display")) {
		t.Errorf("undecodable part changed:\n%q", inner)
	}
}

func TestLegacyV1ModeHasNoRFC9788Marks(t *testing.T) {
	outer, inner := split(t, outlookMsg, Options{Mode: ModeLegacyV1, Subject: "Secure message"})
	p := parseInner(t, inner)
	if _, params, _ := p.h.ContentType(); params["protected-headers"] != "v1" || params["hp"] != "" || len(hpOuter(p.h)) != 0 {
		t.Errorf("legacy-v1 payload header:\n%s", inner[:bytes.Index(inner, []byte("\r\n\r\n"))])
	}
	if !strings.Contains(outer, "Subject: Secure message\r\n") {
		t.Errorf("outer:\n%s", outer)
	}
}

func TestUnknownHeaderProtectionIsRefused(t *testing.T) {
	_, _, err := Split(strings.NewReader("Subject: x\r\n\r\n"), Options{Mode: "rfc9787"})
	if err == nil || !strings.HasPrefix(err.Error(), "protect: unknown header protection \"rfc9787\"") {
		t.Fatalf("err = %v", err)
	}
}

// The encrypting caller may stop reading midway (a write error): Close
// returns promptly and the writer is gone.
func TestCloseMidStreamStopsTheWriter(t *testing.T) {
	big := "Subject: s\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		strings.Repeat(base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("x"), 57))+"\r\n", 200_000)
	_, in, err := Split(strings.NewReader(big), Options{})
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1000)
	if _, err := io.ReadFull(in, buf); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { in.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return")
	}
	if _, err := in.Read(buf); !errors.Is(err, io.ErrClosedPipe) {
		t.Errorf("read after Close: %v", err)
	}
}
