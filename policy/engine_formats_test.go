package policy

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/sealgate/sealgate/policy/detect"
	"github.com/sealgate/sealgate/policy/extract"
)

type finding = detect.Finding

// altPath builds an Alt path from (group, branch) pairs.
func altPath(gb ...int) []extract.AltRef {
	var out []extract.AltRef
	for i := 0; i+1 < len(gb); i += 2 {
		out = append(out, extract.AltRef{Group: gb[i], Branch: gb[i+1]})
	}
	return out
}

// Before: the same SSN in text/plain, text/html and text/calendar
// alternatives counted 3 times.
func TestAlternativesCountAFindingOnce(t *testing.T) {
	alt := func(plain, html, cal, attached string) []byte {
		s := "From: a@clinic.example\nTo: b@x.example\nSubject: appointment\nMIME-Version: 1.0\n" +
			"Content-Type: multipart/mixed; boundary=M\n\n--M\n" +
			"Content-Type: multipart/alternative; boundary=A\n\n" +
			"--A\nContent-Type: text/plain\n\n" + plain + "\n" +
			"--A\nContent-Type: multipart/related; boundary=R\n\n--R\nContent-Type: text/html\n\n<p>" + html + "</p>\n"
		if attached != "" {
			s += "--R\nContent-Type: text/plain\nContent-Disposition: attachment; filename=a.txt\n\n" + attached + "\n"
		}
		s += "--R--\n--A\nContent-Type: text/calendar; method=REQUEST\n\nBEGIN:VCALENDAR\nDESCRIPTION:" + cal + "\nEND:VCALENDAR\n--A--\n--M--\n"
		return crlf(s)
	}
	e := DefaultSet().engine(t)
	for _, tc := range []struct {
		name                    string
		plain, html, cal, attch string
		want                    int
	}{
		{"same SSN thrice", "Patient SSN 536-22-1234.", "Patient SSN <b>536-22-1234</b>.", "Patient SSN 536-22-1234.", "", 1},
		{"richest branch wins", "Patient SSN 536-22-1234.", "Patient SSN 536-22-1234, spouse SSN 536-22-5678.", "none", "", 2},
		{"attachment in a branch adds", "Patient SSN 536-22-1234.", "Patient SSN 536-22-1234.", "Patient SSN 536-22-1234.", "Other SSN 536-22-9012.", 2},
	} {
		d := eval(t, e, nil, alt(tc.plain, tc.html, tc.cal, tc.attch))
		if got := d.FindingCounts()["ssn"]; got != tc.want {
			t.Errorf("%s: ssn count %d, want %d (findings %+v)", tc.name, got, tc.want, d.Findings)
		}
	}
	// Two separate bodies (no alternative) still add up.
	d := eval(t, e, nil, crlf("Subject: x\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=M\n\n--M\nContent-Type: text/plain\n\nSSN 536-22-1234\n--M\nContent-Type: text/plain\n\nSSN 536-22-1234\n--M--\n"))
	if got := d.FindingCounts()["ssn"]; got != 2 {
		t.Errorf("mixed: ssn count %d, want 2", got)
	}
}

func TestMergeAlternativesNested(t *testing.T) {
	// outer group 1: branch 0 = plain (1 ssn), branch 1 = inner group 5
	// (branch 0: 2 ssn, branch 1: 3 ssn) plus a direct part of branch 1.
	f := func(n int) []finding { return []finding{{Type: "ssn", Count: n}} }
	items := []scanned{
		{alt: altPath(1, 0), fs: f(1)},
		{alt: altPath(1, 1, 5, 0), fs: f(2)},
		{alt: altPath(1, 1, 5, 1), fs: f(3)},
		{alt: altPath(1, 1), fs: f(1)},
		{fs: f(10)},
	}
	got := mergeAlternatives(items, 0)
	if len(got) != 1 || got[0].Count != 14 {
		t.Errorf("got %+v, want ssn 14 (10 + max(1, 3+1))", got)
	}
}

func TestAttachmentFileNameAndPreambleAreScanned(t *testing.T) {
	e := DefaultSet().engine(t)
	msg := crlf("Subject: files\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=M\n\nSSN 536-22-1234\n--M\nContent-Type: text/plain\n\nsee attached\n" +
		"--M\nContent-Type: image/png\nContent-Disposition: attachment; filename=\"Smith_John_SSN_512-48-3901.png\"\nContent-Transfer-Encoding: base64\n\niVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgABSK+kcQAAAABJRU5ErkJggg==\n--M--\n")
	d := eval(t, e, nil, msg)
	if got := d.FindingCounts()["ssn"]; got != 2 || len(d.Unscannable) != 0 {
		t.Fatalf("ssn %d (want 2: preamble and file name), findings %+v, unscannable %v", got, d.Findings, d.Unscannable)
	}
	for _, f := range d.Findings {
		for _, w := range f.Where {
			if strings.Contains(w.Field, "Smith") || strings.Contains(w.Field, "512") {
				t.Errorf("file name leaked into a location: %+v", w)
			}
		}
	}
}

// A picture nobody read (OCR off) is not unscannable, but the shipped policy encrypts an
// attached photo of 16 KiB or more: a phone picture of a card or a form. A signature logo
// passes. Errors in not_read name the key.
func TestUnreadPictureRule(t *testing.T) {
	png := func(n int) string {
		b := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, n)...)
		return base64.StdEncoding.EncodeToString(b)
	}
	msg := func(size int, disp string) []byte {
		return crlf("From: desk@clinic.example\nTo: b@x.example\nSubject: card\nMIME-Version: 1.0\n" +
			"Content-Type: multipart/mixed; boundary=M\n\n--M\nContent-Type: text/plain\n\nhere it is\n" +
			"--M\nContent-Type: image/png\nContent-Disposition: " + disp + "; filename=IMG_4471.png\n" +
			"Content-Transfer-Encoding: base64\n\n" + png(size) + "\n--M--\n")
	}
	e := DefaultSet().engine(t)
	if d := eval(t, e, nil, msg(40<<10, "attachment")); d.Rule != "unread-picture" {
		t.Errorf("40 KiB photo: rule %s, want unread-picture", d.Rule)
	}
	if d := eval(t, e, nil, msg(3<<10, "inline")); d.Rule != "default" {
		t.Errorf("3 KiB logo: rule %s, want default", d.Rule)
	}
	_, err := Load(writePolicy(t, map[string]string{"p.yaml": "rules:\n  - id: r\n    when: {not_read: {min_size: lots}}\n    action: encrypt\n  - id: d\n    default: true\n    action: pass\n"}))
	if err == nil || !strings.Contains(err.Error(), "not_read.min_size") {
		t.Errorf("bad min_size: %v", err)
	}
}
