package extract

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"io"
	"os"
	"strings"
	"testing"
	"testing/iotest"
)

// Before: UTF-16 without a declared charset was scanned as bytes with NULs
// between the digits (text/plain) or skipped as binary (octet-stream).
func TestUTF16WithoutCharsetIsDecoded(t *testing.T) {
	for _, name := range []string{"notepad-unicode.txt", "utf16le-nobom.txt", "utf16be-nobom.txt", "utf16le-crlf-mangled.txt"} {
		data := readFixture(t, "sniff", name)
		for _, ct := range []string{"text/plain", "text/plain; charset=utf-8", "application/octet-stream"} {
			o := walkString(t, mimeWithAttachment(ct, "notes.txt", data), Limits{})
			all := o.all()
			if !strings.Contains(all, "SSN: 512-48-3901") || !strings.Contains(all, "Jürgen") || strings.Contains(all, "\x00") {
				t.Errorf("%s as %s: %q", name, ct, all)
			}
			if len(o.res.Unscannable) != 0 {
				t.Errorf("%s as %s: unscannable %v", name, ct, o.res.Unscannable)
			}
		}
		// Inline, without a name or disposition, as a body.
		msg := "Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64(data) + "\r\n"
		if o := walkString(t, msg, Limits{}); !strings.Contains(o.all(), "MRN: 4471902") {
			t.Errorf("%s as a body: %q", name, o.all())
		}
		// As a zip member.
		z := buildZip(t, zipEntry{name: "notes.txt", data: data})
		if o := walkString(t, mimeWithAttachment("application/zip", "n.zip", z), Limits{}); !strings.Contains(o.all(), "SSN: 512-48-3901") {
			t.Errorf("%s in a zip: %q", name, o.all())
		}
	}
}

func TestWindows1252WithoutCharsetIsDecoded(t *testing.T) {
	o := walkString(t, mimeWithAttachment("application/octet-stream", "notes.txt", readFixture(t, "sniff", "cp1252.txt")), Limits{})
	if !strings.Contains(o.all(), "Jürgen called") {
		t.Errorf("got %q", o.all())
	}
}

// Before: an unknown binary was "no text" and the message counted as scanned.
func TestUnknownBinaryIsFormatUnscannable(t *testing.T) {
	elf, err := os.ReadFile("/bin/sh")
	if err != nil {
		t.Skip("no /bin/sh to use as a binary")
	}
	for _, tc := range []struct{ ct, name string }{
		{"application/octet-stream", "report.bin"},
		{"application/x-unknown", ""},
		{"application/vnd.acme-records", "records.dat"},
		{"image/png", "scan.png"}, // a label is not proof: these bytes are no image
	} {
		o := walkString(t, mimeWithAttachment(tc.ct, tc.name, elf[:4096]), Limits{})
		if !o.hasReason(ReasonFormat) {
			t.Errorf("%s %q: reasons = %v", tc.ct, tc.name, o.reasons())
		}
	}
}

func TestRealMediaAndSignaturesHaveNoText(t *testing.T) {
	for _, tc := range []struct {
		ct, name string
		data     []byte
	}{
		{"image/png", "blank.png", readFixture(t, "sniff", "blank.png")},
		{"image/jpeg", "blank.jpg", readFixture(t, "sniff", "blank.jpg")},
		{"application/octet-stream", "blank.png", readFixture(t, "sniff", "blank.png")}, // unlabelled, still an image
		{"application/pkcs7-signature", "smime.p7s", []byte("\x30\x82\x05\x00\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02\xa0")},
		{"audio/wav", "t.wav", append([]byte("RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00"), make([]byte, 40)...)},
		{"application/octet-stream", "empty.bin", nil},
	} {
		o := walkString(t, mimeWithAttachment(tc.ct, tc.name, tc.data), Limits{})
		if len(o.res.Unscannable) != 0 {
			t.Errorf("%s: unscannable %v", tc.name, o.res.Unscannable)
		}
	}
}

// Before: the file name was matched by attachment rules but never scanned.
func TestAttachmentFileNameIsScannedAsText(t *testing.T) {
	for _, ct := range []string{"application/pdf", "image/png"} {
		data := readFixture(t, "sniff", "blank.png")
		o := walkString(t, mimeWithAttachment(ct, "Smith_John_SSN_512-48-3901.pdf", data), Limits{})
		var names []got
		for _, p := range o.parts {
			if p.Kind == KindHeader && p.Field == "filename" {
				names = append(names, p)
			}
		}
		if len(names) != 1 || names[0].text != "Smith John SSN 512-48-3901.pdf" || names[0].Index != 2 {
			t.Errorf("%s: filename parts = %+v", ct, names)
		}
	}
	// RFC 2231 encoded names are decoded first.
	msg := crlf("Content-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename*=UTF-8''J%C3%BCrgen_MRN_4471902.png\n\n\x89PNG\r\n\x1a\n\n--B--\n")
	if o := walkString(t, msg, Limits{}); !strings.Contains(o.all(), "Jürgen MRN 4471902.png") {
		t.Errorf("RFC 2231 name: %q", o.all())
	}
}

// Before: go-message dropped the preamble and the epilogue unread.
func TestPreambleAndEpilogueAreScanned(t *testing.T) {
	msg := crlf("Subject: x\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"B\"\n\n" +
		"SSN 512-48-3901 in the preamble\n--B\nContent-Type: text/plain\n\nbody text\n--B\nContent-Type: text/plain\n\n--Bnot a boundary\n--B--\n" +
		"MRN 4471902 in the epilogue\n")
	o := walkString(t, msg, Limits{})
	var pre []string
	for _, p := range o.parts {
		if p.Field == "preamble" {
			pre = append(pre, p.text)
			if p.Index != 0 || p.Kind != KindBody {
				t.Errorf("preamble part %+v", p.Part)
			}
		}
	}
	if len(pre) != 2 || pre[0] != "SSN 512-48-3901 in the preamble\r\n" || pre[1] != "MRN 4471902 in the epilogue\r\n" {
		t.Errorf("preamble/epilogue = %q", pre)
	}
	if !strings.Contains(o.all(), "--Bnot a boundary") || len(o.res.Unscannable) != 0 {
		t.Errorf("parts %q unscannable %v", o.all(), o.res.Unscannable)
	}
	// The usual "This is a multi-part message" preamble is read and harmless;
	// a message without preamble or epilogue yields no extra part.
	o = walkString(t, crlf("Content-Type: multipart/mixed; boundary=B\n\n--B\n\nx\n--B--\n"), Limits{})
	for _, p := range o.parts {
		if p.Field == "preamble" {
			t.Errorf("empty preamble emitted: %q", p.text)
		}
	}
}

func TestAlternativesAreMarked(t *testing.T) {
	msg := crlf("Content-Type: multipart/mixed; boundary=M\n\n--M\n" +
		"Content-Type: multipart/alternative; boundary=A\n\n" +
		"--A\nContent-Type: text/plain\n\nSSN 512-48-3901\n" +
		"--A\nContent-Type: multipart/related; boundary=R\n\n--R\nContent-Type: text/html\n\n<p>SSN <b>512-48-3901</b> html</p>\n" +
		"--R\nContent-Type: text/plain\nContent-Disposition: attachment; filename=a.txt\n\nMRN 4471902\n--R--\n" +
		"--A\nContent-Type: text/calendar\n\nDESCRIPTION:SSN 512-48-3901\n--A--\n" +
		"--M\nContent-Type: text/plain\n\noutside\n--M--\n")
	o := walkString(t, msg, Limits{})
	alt := map[string][]AltRef{}
	for _, p := range o.parts {
		if p.Kind != KindHeader {
			alt[strings.TrimSpace(p.text)] = p.Alt
		}
	}
	want := map[string][]AltRef{
		"SSN 512-48-3901":             {{Group: 1, Branch: 0}},
		"DESCRIPTION:SSN 512-48-3901": {{Group: 1, Branch: 2}},
		"MRN 4471902":                 nil, // attached inside an alternative: counts on its own
		"outside":                     nil,
	}
	for text, w := range want {
		g, ok := alt[text]
		if !ok || len(g) != len(w) || len(w) > 0 && g[0] != w[0] {
			t.Errorf("%q: Alt = %v, want %v (all %v)", text, g, w, alt)
		}
	}
	var html []AltRef
	for _, p := range o.parts {
		if p.ContentType == "text/html" {
			html = p.Alt
		}
	}
	if len(html) != 1 || html[0] != (AltRef{Group: 1, Branch: 1}) {
		t.Errorf("html Alt = %v", html)
	}
}

func b64(b []byte) string {
	s := base64.StdEncoding.EncodeToString(b)
	var out strings.Builder
	for len(s) > 76 {
		out.WriteString(s[:76] + "\r\n")
		s = s[76:]
	}
	out.WriteString(s)
	return out.String()
}

// Before: RTF was scanned as raw text, so "\'fc" stood for ü and a number
// split by formatting ("512-48-{\b 3901}") was two numbers.
func TestRTFIsReadAsText(t *testing.T) {
	o := walkString(t, mimeWithAttachment("application/rtf", "referral.rtf", readFixture(t, "sniff", "referral-rtf.rtf")), Limits{})
	all := o.all()
	for _, want := range []string{"Patient: Jürgen Testcase", "MRN: 4471902", "SSN: 512-48-3901", "metastatic melanoma"} {
		if !strings.Contains(all, want) {
			t.Errorf("missing %q in %q", want, all)
		}
	}
	if strings.Contains(all, "Liberation") || strings.Contains(all, `\par`) {
		t.Errorf("RTF markup in the text: %q", all)
	}
	word := `{\rtf1\ansi\ansicpg1252{\fonttbl{\f0 Arial;}}{\*\generator Word}\pard SSN 512-48-{\b 3901}\par{\*\annotation comment MRN 4471902}\par}`
	o = walkString(t, mimeWithAttachment("application/msword", "x.doc", []byte(word)), Limits{})
	if !strings.Contains(o.all(), "SSN 512-48-3901") || !strings.Contains(o.all(), "MRN 4471902") || strings.Contains(o.all(), "Word") {
		t.Errorf("got %q", o.all())
	}
}

func TestCRLFUndoAcrossReads(t *testing.T) {
	in := "a\r\nb\r\x00\r\r\n\r"
	for _, r := range []io.Reader{strings.NewReader(in), iotest.OneByteReader(strings.NewReader(in)), iotest.HalfReader(strings.NewReader(in))} {
		got, err := io.ReadAll(&crlfUndo{r: bufio.NewReaderSize(r, 16)})
		if err != nil || string(got) != "a\nb\r\x00\r\n\r" {
			t.Errorf("got %q, %v", got, err)
		}
	}
}

// FuzzWalkFormats runs whole walks over messages carrying the formats this
// file sniffs (TNEF, DICOM, UTF-16, RTF), with a preamble and an epilogue.
func FuzzWalkFormats(f *testing.F) {
	for _, fx := range [][2]string{{"tnef", "rtf.dat"}, {"tnef", "embedded.dat"}, {"dicom", "patient-implicit-undefined.dcm"},
		{"sniff", "utf16le-crlf-mangled.txt"}, {"sniff", "referral-rtf.rtf"}} {
		m := mimeWithAttachment("application/octet-stream", fx[1], readFixture(f, fx[0], fx[1]))
		m = strings.Replace(m, "\r\n\r\n--BOUND\r\n", "\r\n\r\npreamble 512-48-3901\r\n--BOUND\r\n", 1) + "epilogue\r\n"
		f.Add([]byte(m))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := Walk(t.Context(), bytes.NewReader(b), Limits{MaxPartBytes: 1 << 20, MaxDecodedBytes: 4 << 20, MaxParts: 200}, func(p *Part) error {
			_, err := io.Copy(io.Discard, p.Text)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
