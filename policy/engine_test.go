package policy

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sealgate/sealgate/envelope"
)

func engineFor(t testing.TB, yaml string) *Engine {
	t.Helper()
	set, err := compile([]source{{name: "t.yaml", data: []byte(yaml)}}, os.ReadFile)
	if err != nil {
		t.Fatal(err)
	}
	e, err := NewEngine(set)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func crlf(s string) []byte { return []byte(strings.ReplaceAll(s, "\n", "\r\n")) }

func eval(t *testing.T, e *Engine, env *envelope.Envelope, msg []byte) *Decision {
	t.Helper()
	if env == nil {
		env = EnvelopeFromHeaders(msg)
	}
	d, err := e.Evaluate(context.Background(), Input{Env: env, Body: bytes.NewReader(msg)})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestPHIInsideAZipAttachmentIsFound(t *testing.T) {
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	w, _ := zw.Create("notes.txt")
	fmt.Fprint(w, "Patient SSN 536-22-1234, seen today.\n")
	zw.Close()
	msg := crlf("From: a@clinic.example\nTo: b@x.example\nSubject: notes\nMIME-Version: 1.0\n" +
		"Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nsee attached\n--b\n" +
		"Content-Type: application/zip; name=n.zip\nContent-Disposition: attachment; filename=n.zip\nContent-Transfer-Encoding: base64\n\n" +
		base64.StdEncoding.EncodeToString(zb.Bytes()) + "\n--b--\n")
	d := eval(t, DefaultSet().engine(t), nil, msg)
	if d.FindingCounts()["ssn"] != 1 || d.Rule != "phi-identifiers" {
		t.Fatalf("rule %s, findings %v, unscannable %v", d.Rule, d.FindingCounts(), d.Unscannable)
	}
}

func (s *Set) engine(t testing.TB) *Engine {
	e, err := NewEngine(s)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestBrokenBase64IsUnscannableAndTheDefaultPolicyEncrypts(t *testing.T) {
	msg := crlf("From: a@clinic.example\nTo: b@x.example\nSubject: x\nMIME-Version: 1.0\n" +
		"Content-Type: text/plain; charset=x-no-such-charset\n\nhello\n")
	d := eval(t, DefaultSet().engine(t), nil, msg)
	if d.Action != ActionEncrypt || d.Rule != "unscannable" || d.FindingCounts()[FindingUnscannable] == 0 {
		t.Fatalf("got %s by %s, findings %v", d.Action, d.Rule, d.FindingCounts())
	}
	if d.Min != MinEndToEnd {
		t.Fatalf("min %s", d.Min)
	}
}

func TestShippedDefaultNeverPassesInTheClear(t *testing.T) {
	d := eval(t, DefaultSet().engine(t), nil, crlf("From: a@clinic.example\nTo: b@x.example\nSubject: lunch\n\nLunch at noon?\n"))
	if d.Rule != "default" || d.Action != ActionRequireTLS {
		t.Fatalf("got %s/%s min %s", d.Rule, d.Action, d.Min)
	}
}

func TestTraceAndDecisionCarryNoAddressesSubjectOrText(t *testing.T) {
	e := engineFor(t, `rules:
  - id: r1
    when: {recipient: {domain: gmail.com}}
    action: block
  - id: r2
    when: {attachment: {name: "*.pdf"}}
    action: quarantine
  - id: r3
    when: {header: {name: X-Class, regex: secret}}
    action: quarantine
`+defaultRule)
	msg := crlf("From: jane.patient@example.net\nTo: dr.who@hospital.example\nSubject: my cancer results\nX-Class: topsecret-sauce\n\nSSN 536-22-1234\n")
	d := eval(t, e, nil, msg)
	var all strings.Builder
	for _, tr := range d.Trace {
		all.WriteString(tr.Why + "\n")
	}
	fmt.Fprintf(&all, "%+v", *d)
	for _, secret := range []string{"jane", "dr.who", "cancer", "536-22", "topsecret", "1234"} {
		if strings.Contains(all.String(), secret) {
			t.Errorf("decision leaks %q:\n%s", secret, all.String())
		}
	}
	if d.Rule != "r3" {
		t.Fatalf("rule %s", d.Rule)
	}
}

func TestRecipientMatchesAnyButAllRecipientsNeedsEvery(t *testing.T) {
	e := engineFor(t, `rules:
  - id: every
    when: {all_recipients: {domain: [clinic.example, .clinic.example]}}
    action: pass
  - id: some
    when: {recipient: {domain: clinic.example}}
    action: require_tls
`+strings.Replace(defaultRule, "pass", "quarantine", 1))
	env := func(rcpts ...string) *envelope.Envelope {
		en := &envelope.Envelope{From: "a@clinic.example"}
		for _, r := range rcpts {
			en.Recipients = append(en.Recipients, envelope.Recipient{Addr: r})
		}
		return en
	}
	msg := crlf("Subject: x\n\nhello\n")
	for _, c := range []struct {
		rcpts []string
		want  string
	}{
		{[]string{"a@clinic.example", "b@lab.clinic.example"}, "every"},
		{[]string{"a@CLINIC.example", "b@other.example"}, "some"},
		{[]string{"b@notclinic.example"}, "default"},
		{[]string{"b@clinic.example.evil"}, "default"},
		{nil, "default"},
	} {
		if d := eval(t, e, env(c.rcpts...), msg); d.Rule != c.want {
			t.Errorf("%v: rule %s, want %s", c.rcpts, d.Rule, c.want)
		}
	}
}

func TestSubjectTagMatchesCaseInsensitivelyAsAWholeTag(t *testing.T) {
	e := engineFor(t, `settings: {subject_tags: ["#encrypt", "[secure]"]}
rules:
  - id: tag
    when: {subject_tag: true}
    action: encrypt
    strip_tag: true
`+defaultRule)
	for subj, want := range map[string]string{
		"Results #ENCRYPT":                   "#encrypt",
		"[Secure] lab":                       "[secure]",
		"#encryption policy":                 "",
		"=?UTF-8?B?W3NlY3VyZV0gw7w=?=":       "[secure]",
		"no tag here":                        "",
		"x#encrypt":                          "#encrypt",
		"=?ISO-8859-1?Q?=23encrypt_caf=E9?=": "#encrypt",
	} {
		d := eval(t, e, &envelope.Envelope{}, crlf("Subject: "+subj+"\n\nbody\n"))
		if d.SubjectTag != want || d.StripTag != (want != "") {
			t.Errorf("%q: tag %q strip %v, want %q", subj, d.SubjectTag, d.StripTag, want)
		}
	}
}

func TestEvaluateFailsOnlyForACancelledContext(t *testing.T) {
	e := DefaultSet().engine(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := e.Evaluate(ctx, Input{Env: &envelope.Envelope{}, Body: bytes.NewReader(crlf("Subject: x\n\nhello\n"))})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v", err)
	}
	// Garbage is a finding, not an error.
	d, err := e.Evaluate(context.Background(), Input{Body: bytes.NewReader([]byte("\x00\xff--\r\n\r\nContent-Type: multipart/mixed; boundary=\r\n"))})
	if err != nil || d == nil {
		t.Fatalf("garbage: %v", err)
	}
}

func TestEngineIsSafeForConcurrentUse(t *testing.T) {
	e := DefaultSet().engine(t)
	msg := message20KB()
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := e.Evaluate(context.Background(), Input{Env: EnvelopeFromHeaders(msg), Body: bytes.NewReader(msg)})
			if err != nil || d.Rule != "phi-identifiers" {
				t.Errorf("got %v %v", d, err)
			}
		}()
	}
	wg.Wait()
}

func TestWatcherReloadsAValidChangeAndReportsABrokenOne(t *testing.T) {
	dir := writePolicy(t, map[string]string{"p.yaml": "rules:" + defaultRule})
	type ev struct {
		set *Set
		err error
	}
	ch := make(chan ev, 10)
	w, err := Watch([]string{dir}, func(s *Set, err error) { ch <- ev{s, err} })
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	wait := func() ev {
		select {
		case e := <-ch:
			return e
		case <-time.After(15 * time.Second):
			t.Fatal("no reload within 15s")
		}
		return ev{}
	}
	write := func(body string) {
		// Write then rename, as editors do.
		tmp := filepath.Join(dir, ".p.yaml.tmp")
		if err := os.WriteFile(tmp, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(dir, "p.yaml")); err != nil {
			t.Fatal(err)
		}
	}
	write("rules:\n  - id: new\n    when: {unscannable: true}\n    action: quarantine\n" + defaultRule)
	if e := wait(); e.err != nil || e.set == nil || e.set.Rules[0].ID != "new" {
		t.Fatalf("valid change: %+v", e)
	}
	write("rules:\n  - id: broken\n    action: teleport\n")
	e := wait()
	var le *LintError
	if e.set != nil || !errors.As(e.err, &le) {
		t.Fatalf("broken change: %+v", e)
	}
}

// message20KB is a typical 20 KB multipart/alternative message with an
// HTML part: a clinical letter with identifiers.
func message20KB() []byte {
	var text, html strings.Builder
	para := "Dear colleague, thank you for seeing Mrs. Jones in clinic today. She reports improved sleep and " +
		"appetite; blood pressure was 128/82 and her weight is stable. We discussed the plan for follow up in " +
		"three months and she agreed to continue the current regimen. Please call the office with any questions. "
	text.WriteString("Patient: Jane Jones, MRN: 00482913, DOB 04/12/1958, SSN 536-22-1234.\n\n")
	html.WriteString("<html><body><p>Patient: <b>Jane Jones</b>, MRN: 00482913, DOB 04/12/1958, SSN 536-22-1234.</p>\n")
	for text.Len() < 9500 {
		text.WriteString(para + "\n")
		html.WriteString("<p>" + para + "</p>\n")
	}
	html.WriteString("</body></html>\n")
	return crlf("From: Dr Grey <grey@clinic.example>\nTo: specialist@partner-hospital.example\nSubject: Referral\n" +
		"Date: Mon, 02 Jun 2025 09:00:00 +0000\nMessage-ID: <bench@clinic.example>\nMIME-Version: 1.0\n" +
		"Content-Type: multipart/alternative; boundary=\"alt\"\n\n--alt\nContent-Type: text/plain; charset=utf-8\n" +
		"Content-Transfer-Encoding: quoted-printable\n\n" + text.String() + "\n--alt\nContent-Type: text/html; charset=utf-8\n\n" +
		html.String() + "\n--alt--\n")
}

func BenchmarkEvaluate20KB(b *testing.B) {
	e := DefaultSet().engine(b)
	msg := message20KB()
	env := EnvelopeFromHeaders(msg)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Evaluate(context.Background(), Input{Env: env, Body: bytes.NewReader(msg)}); err != nil {
			b.Fatal(err)
		}
	}
}

// Attachment rules see every attachment, also those that give no text: a
// picture, an executable, an encrypted file. They used to see only parts
// that produced text, so "block *.exe" never matched.
func TestAttachmentRulesSeeAttachmentsWithoutText(t *testing.T) {
	e := engineFor(t, `
rules:
  - id: no-exe
    when: {attachment: {name: "*.exe"}}
    action: block
  - id: big-pictures
    when: {attachment: {type: "image/*", min_size: 1000}}
    action: quarantine
  - id: default
    default: true
    action: require_tls
`)
	png, err := os.ReadFile("../testdata/extract/ocr/referral.png")
	if err != nil {
		t.Fatal(err)
	}
	mime := func(typ, name string, data []byte) []byte {
		return crlf("From: a@clinic.example\nTo: b@partner.example\nSubject: files\nMIME-Version: 1.0\n" +
			"Content-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: text/plain\n\nsee attached\n--B\n" +
			"Content-Type: " + typ + "; name=" + name + "\nContent-Disposition: attachment; filename=" + name +
			"\nContent-Transfer-Encoding: base64\n\n" + base64.StdEncoding.EncodeToString(data) + "\n--B--\n")
	}
	exe := []byte("MZ\x90\x00")
	for x := uint32(7); len(exe) < 4096; {
		x = x*1664525 + 1013904223 // machine code looks like noise
		exe = append(exe, byte(x>>24))
	}
	if d := eval(t, e, nil, mime("application/octet-stream", "setup.exe", exe)); d.Rule != "no-exe" {
		t.Errorf("executable: rule %s, want no-exe", d.Rule)
	}
	if d := eval(t, e, nil, mime("image/png", "form.png", png)); d.Rule != "big-pictures" {
		t.Errorf("picture: rule %s, want big-pictures (%v)", d.Rule, d.Trace)
	}
}
