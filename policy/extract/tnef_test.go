package extract

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
)

func tnefParts(o walkOut) (bodies []got, atts []got) {
	for _, p := range o.parts {
		switch {
		case p.Kind == KindHeader:
		case p.Filename == "winmail.dat":
			bodies = append(bodies, p)
		case p.Depth >= 2:
			atts = append(atts, p)
		}
	}
	return bodies, atts
}

// Before: winmail.dat was an unknown binary: its body and attachments were
// never read.
func TestTNEFRTFBodyAndAttachmentsAreRead(t *testing.T) {
	for _, ct := range []string{"application/ms-tnef", "application/octet-stream"} {
		o := walkString(t, mimeWithAttachment(ct, "winmail.dat", readFixture(t, "tnef", "rtf.dat")), Limits{})
		if len(o.res.Unscannable) != 0 {
			t.Errorf("%s: unscannable = %v", ct, o.res.Unscannable)
		}
		bodies, atts := tnefParts(o)
		var body string
		for _, b := range bodies {
			body += b.text
		}
		for _, want := range []string{"patient Jane Q Testcase, MRN 4471902, DOB 04/26/1946.", "the correct one is 512-48-3901.", "Jürgen Müller", "metastatic melanoma"} {
			if !strings.Contains(body, want) {
				t.Errorf("%s: RTF body lacks %q: %q", ct, want, body)
			}
		}
		if strings.Contains(body, "fonttbl") || strings.Contains(body, "Courier New") || strings.Contains(body, `\par`) {
			t.Errorf("RTF markup leaked into the text: %q", body)
		}
		names := map[string]string{}
		for _, a := range atts {
			names[a.Filename] += a.text
		}
		if !strings.Contains(names["referral.docx"], "Diagnosis: metastatic melanoma") {
			t.Errorf("docx inside TNEF not read: %q", names)
		}
		if !strings.Contains(names["Labs_Testcase_SSN_512-48-3901.csv"], "Patient: Jane Q Testcase\tMRN: 4471902") {
			t.Errorf("csv inside TNEF not read: %q", names)
		}
		// The attachment's file name is scanned as text too.
		found := false
		for _, p := range o.parts {
			if p.Kind == KindHeader && p.Field == "filename" && strings.Contains(p.text, "SSN 512-48-3901") {
				found = true
			}
		}
		if !found {
			t.Error("TNEF attachment name not scanned")
		}
	}
}

func TestTNEFHTMLAndUnicodeBodiesAreAlternatives(t *testing.T) {
	o := walkString(t, mimeWithAttachment("application/ms-tnef", "winmail.dat", readFixture(t, "tnef", "html.dat")), Limits{})
	if len(o.res.Unscannable) != 0 {
		t.Errorf("unscannable = %v", o.res.Unscannable)
	}
	bodies, atts := tnefParts(o)
	var renditions []got
	for _, b := range bodies {
		if strings.Contains(b.text, "Lab results for") {
			renditions = append(renditions, b)
		}
	}
	if len(renditions) != 2 {
		t.Fatalf("want the PR_BODY and PR_HTML renditions, got %d: %+v", len(renditions), bodies)
	}
	for _, r := range renditions {
		if !strings.Contains(r.text, "SSN 512-48-3901") {
			t.Errorf("rendition lacks the joined SSN: %q", r.text)
		}
		if len(r.Alt) != 1 || r.Alt[0].Group != r.Index {
			t.Errorf("rendition not marked as an alternative: %+v", r.Alt)
		}
	}
	if renditions[0].Alt[0].Branch == renditions[1].Alt[0].Branch {
		t.Error("renditions share a branch")
	}
	if len(atts) != 1 || atts[0].Filename != "notes.txt" || !strings.Contains(atts[0].text, "MRN 4471902") || atts[0].Alt != nil {
		t.Errorf("attachments = %+v", atts)
	}
}

func TestTNEFDecompressRTFMatchesSpecExample(t *testing.T) {
	// MS-OXRTFCP 3.1.1: compressed "{\rtf1\ansi\ansicpg1252\pard hello world}\r\n".
	comp := []byte{0x2d, 0x00, 0x00, 0x00, 0x2b, 0x00, 0x00, 0x00, 0x4c, 0x5a, 0x46, 0x75, 0xf1, 0xc5, 0xc7, 0xa7,
		0x03, 0x00, 0x0a, 0x00, 0x72, 0x63, 0x70, 0x67, 0x31, 0x32, 0x35, 0x42, 0x32, 0x0a, 0xf3, 0x20,
		0x68, 0x65, 0x6c, 0x09, 0x00, 0x20, 0x62, 0x77, 0x05, 0xb0, 0x6c, 0x64, 0x7d, 0x0a, 0x80, 0x0f, 0xa0}
	got, err := decompressRTF(comp, 1<<20)
	if err != nil || string(got) != "{\\rtf1\\ansi\\ansicpg1252\\pard hello world}\r\n" {
		t.Errorf("got %q, %v", got, err)
	}
	comp[30] ^= 1
	if _, err := decompressRTF(comp, 1<<20); err == nil {
		t.Error("a damaged stream passed the CRC")
	}
}

func TestTruncatedTNEFIsDecodeUnscannable(t *testing.T) {
	data := readFixture(t, "tnef", "rtf.dat")
	o := walkString(t, mimeWithAttachment("application/ms-tnef", "winmail.dat", data[:len(data)/2]), Limits{})
	if !o.hasReason(ReasonDecode) {
		t.Errorf("reasons = %v", o.reasons())
	}
	// What came before the cut is still read.
	if !strings.Contains(o.all(), "MRN 4471902") {
		t.Errorf("body before the cut not read: %q", o.all())
	}
}

func TestDeclaredTNEFWithoutSignatureIsFormatUnscannable(t *testing.T) {
	o := walkString(t, mimeWithAttachment("application/ms-tnef", "winmail.dat", []byte("\x01\x02\x03\x04garbage")), Limits{})
	if !o.hasReason(ReasonFormat) {
		t.Errorf("reasons = %v", o.reasons())
	}
}

func TestTNEFHugeAttributeLengthIsBounded(t *testing.T) {
	var b bytes.Buffer
	b.WriteString(magicTNEF + "\x01\x00")
	b.WriteByte(1)
	binary.Write(&b, binary.LittleEndian, uint32(attBody))
	binary.Write(&b, binary.LittleEndian, uint32(0xfffffff0))
	b.WriteString("SSN 512-48-3901")
	o := walkString(t, mimeWithAttachment("application/ms-tnef", "winmail.dat", b.Bytes()), Limits{})
	if !o.hasReason(ReasonDecode) {
		t.Errorf("reasons = %v", o.reasons())
	}
}

func FuzzTNEF(f *testing.F) {
	f.Add(readFixture(f, "tnef", "rtf.dat"))
	f.Add(readFixture(f, "tnef", "html.dat"))
	f.Fuzz(func(t *testing.T, b []byte) {
		w := &walker{ctx: t.Context(), parent: t.Context(), lim: Limits{MaxPartBytes: 1 << 20, MaxDecodedBytes: 4 << 20}.withDefaults(),
			fn: func(p *Part) error { _, err := p.Text.Read(make([]byte, 1<<16)); _ = err; return nil }}
		w.tnef(bytes.NewReader(b), &Part{Index: w.res.Parts, Kind: KindAttachment})
	})
}

func TestTNEFEmbeddedMessageIsWalked(t *testing.T) {
	o := walkString(t, mimeWithAttachment("application/ms-tnef", "winmail.dat", readFixture(t, "tnef", "embedded.dat")), Limits{})
	if len(o.res.Unscannable) != 0 {
		t.Errorf("unscannable = %v", o.res.Unscannable)
	}
	var inner, notes bool
	for _, p := range o.parts {
		if p.Filename == "Lab results" && strings.Contains(p.text, "SSN 512-48-3901") && p.Depth == 2 {
			inner = true
		}
		if p.Filename == "notes.txt" && strings.Contains(p.text, "MRN 4471902") && p.Depth == 3 {
			notes = true
		}
	}
	if !inner || !notes {
		t.Errorf("embedded message body %v, its attachment %v: %q", inner, notes, o.all())
	}
	// Depth is bounded like any nesting.
	o = walkString(t, mimeWithAttachment("application/ms-tnef", "winmail.dat", readFixture(t, "tnef", "embedded.dat")), Limits{MaxDepth: 2})
	if !o.hasReason(ReasonDepth) {
		t.Errorf("reasons = %v", o.reasons())
	}
}

func BenchmarkWalkTNEF(b *testing.B) {
	benchWalk(b, mimeWithAttachment("application/ms-tnef", "winmail.dat", readFixture(b, "tnef", "rtf.dat")))
}

func TestTNEFPropertiesAreScannedOnce(t *testing.T) {
	o := walkString(t, mimeWithAttachment("application/ms-tnef", "winmail.dat", readFixture(t, "tnef", "rtf.dat")), Limits{})
	n := 0
	for _, p := range o.parts {
		n += strings.Count(p.text, "Referral\n")
	}
	if n != 1 {
		t.Errorf("subject (attSubject and PR_SUBJECT) scanned %d times: %q", n, o.all())
	}
}
