package extract

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sealgate/sealgate/internal/testtool"
)

const pdfCorpus = "../../testdata/extract/pdf"

// needTools skips a test when a helper is missing, unless
// SEALGATE_REQUIRE_INTEROP=1, where a missing helper fails it.
func needTools(t testing.TB, tools ...string) {
	t.Helper()
	testtool.RequireAll(t, "Debian poppler-utils, tesseract-ocr, util-linux", append(tools, "prlimit")...)
}

func readPDFFixture(t testing.TB, dir, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The observed defect: LibreOffice (and ghostscript) PDFs show one-byte
// codes mapped through ToUnicode; the old extractor read them as garbage
// and said "scanned". Each must give its identifiers back, unflagged.
func TestPDFCorpusTextIsRead(t *testing.T) {
	needTools(t, "pdftotext", "pdfimages")
	cases := []struct {
		file string
		want []string
	}{
		{"lo-writer-referral.pdf", []string{"Deborah Xiong", "MRN: 4471902", "SSN 512-48-3901", "09/17/1962"}},
		{"lo-writer-discharge.pdf", []string{"MRN: 5529048", "SSN: 342-71-2290"}},
		{"lo-writer-restricted.pdf", []string{"MRN: 5529048", "SSN: 342-71-2290"}}, // owner password only
		{"lo-writer-intake-cff.pdf", []string{"Zoë Papadopoulou", "Ζωή Παπαδοπούλου", "SSN: 631-27-4408", "MRN: 7730415"}},
		{"lo-writer-multipage.pdf", []string{"Slot 1", "Slot 300", "SSN 455-18-7623"}},
		{"lo-calc-labs.pdf", []string{"MRN 8830217", "Jane Q Testcase", "HbA1c"}},
		{"lo-calc-patients.pdf", []string{"512-48-3901", "342-71-2290", "4471902", "Lena Marsh"}},
		{"lo-impress-tumorboard.pdf", []string{"MRN: 6612094", "SSN: 455-18-7623", "metastatic melanoma"}},
		{"gs-claim.pdf", []string{"Member SSN: 219-45-6677", "MRN: 8830217"}},
		{"gs-type3.pdf", []string{"SSN 342-71-2290", "MRN 5529048"}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			pdf := readPDFFixture(t, pdfCorpus, c.file)
			o := walkString(t, mimeWithAttachment("application/pdf", c.file, pdf), Limits{})
			all := o.all()
			for _, w := range c.want {
				if !strings.Contains(all, w) {
					t.Errorf("missing %q", w)
				}
			}
			if len(o.res.Unscannable) != 0 {
				t.Errorf("unscannable = %v", o.res.Unscannable)
			}
		})
	}
}

func TestPDFFailuresAreUnscannable(t *testing.T) {
	needTools(t, "pdftotext", "pdfimages", "pdftoppm")
	cases := []struct{ file, reason string }{
		{"lo-writer-encrypted.pdf", ReasonEncrypted},
		{"broken-truncated.pdf", ReasonDecode},
		{"scan-referral.pdf", ReasonImageOnly}, // a scan, OCR off: never "scanned, no findings"
		{"gs-outlines.pdf", ReasonImageOnly},   // text as vector outlines: no text, no image, not blank
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			pdf := readPDFFixture(t, pdfCorpus, c.file)
			o := walkString(t, mimeWithAttachment("application/pdf", c.file, pdf), Limits{})
			if rs := o.reasons(); len(rs) != 1 || rs[0] != c.reason {
				t.Errorf("reasons = %v, want [%s]", rs, c.reason)
			}
			if strings.Contains(o.all(), "342-71-2290") || strings.Contains(o.all(), "512-48-3901") {
				t.Errorf("text from a PDF that is reported unreadable")
			}
		})
	}
}

// Cut at other points, the referral must still never pass as fully read.
func TestPDFTruncatedAnywhereIsNotClean(t *testing.T) {
	needTools(t, "pdftotext", "pdfimages")
	pdf := readPDFFixture(t, pdfCorpus, "lo-writer-referral.pdf")
	for _, frac := range []int{10, 50, 75, 90, 99} {
		cut := pdf[:len(pdf)*frac/100]
		o := walkString(t, mimeWithAttachment("application/pdf", "r.pdf", cut), Limits{})
		if len(o.res.Unscannable) == 0 {
			t.Errorf("cut at %d%%: no unscannable (text %q)", frac, o.all())
		}
	}
}

// A blank page is not a scan: nothing to read, nothing to flag.
func TestPDFBlankPageIsClean(t *testing.T) {
	needTools(t, "pdftotext", "pdfimages", "pdftoppm")
	o := walkString(t, mimeWithAttachment("application/pdf", "blank.pdf", buildPDF(t, "", false)), Limits{})
	if len(o.res.Unscannable) != 0 {
		t.Errorf("unscannable = %v", o.res.Unscannable)
	}
}

func TestPDFDisguisedAsImageIsStillRead(t *testing.T) {
	needTools(t, "pdftotext", "pdfimages")
	pdf := readPDFFixture(t, pdfCorpus, "lo-writer-discharge.pdf")
	o := walkString(t, mimeWithAttachment("image/png", "scan.png", pdf), Limits{})
	if !strings.Contains(o.all(), "342-71-2290") {
		t.Errorf("got %q", o.all())
	}
}

// Without pdftotext (or prlimit) a PDF is unreadable: fail closed, and say why.
func TestPDFToolMissingIsUnscannable(t *testing.T) {
	for _, missing := range []string{"pdftotext", "prlimit"} {
		t.Run(missing, func(t *testing.T) {
			old := lookTool
			lookTool = func(name string) (string, error) {
				if name == missing {
					return "", exec.ErrNotFound
				}
				return old(name)
			}
			defer func() { lookTool = old }()
			pdf := readPDFFixture(t, pdfCorpus, "lo-writer-discharge.pdf")
			o := walkString(t, mimeWithAttachment("application/pdf", "d.pdf", pdf), Limits{})
			if rs := o.reasons(); len(rs) != 1 || rs[0] != ReasonNoTool {
				t.Errorf("reasons = %v, want [%s]", rs, ReasonNoTool)
			}
		})
	}
}

// textBombPDF has pages pages that all show one 60-line content stream:
// small on the wire, large as text.
func textBombPDF(t testing.TB, pages int) []byte {
	t.Helper()
	var content strings.Builder
	content.WriteString("BT /F1 10 Tf 12 TL 72 780 Td ")
	for i := 0; i < 60; i++ {
		content.WriteString("(Patient record line with SSN 342-71-2290 repeated) ' ")
	}
	content.WriteString("ET")
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write([]byte(content.String()))
	zw.Close()
	var b bytes.Buffer
	var offs []int
	obj := func(format string, args ...any) {
		offs = append(offs, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n", len(offs))
		fmt.Fprintf(&b, format, args...)
		b.WriteString("\nendobj\n")
	}
	b.WriteString("%PDF-1.4\n")
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	var kids strings.Builder
	for i := 0; i < pages; i++ {
		fmt.Fprintf(&kids, "%d 0 R ", 5+i)
	}
	obj("<< /Type /Pages /Kids [%s] /Count %d >>", kids.String(), pages)
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	obj("<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream", z.Len(), z.Bytes())
	for i := 0; i < pages; i++ {
		obj("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents 4 0 R >>")
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offs)+1, xref)
	return b.Bytes()
}

func TestPDFHostileIsBounded(t *testing.T) {
	needTools(t, "pdftotext", "pdfimages")
	bomb := textBombPDF(t, 2000) // ~6 MB of text from ~200 KB
	t.Run("output over MaxPartBytes", func(t *testing.T) {
		start := time.Now()
		o := walkString(t, mimeWithAttachment("application/pdf", "b.pdf", bomb), Limits{MaxPartBytes: 1 << 20})
		if !o.hasReason(ReasonSize) {
			t.Errorf("reasons = %v, want size", o.reasons())
		}
		if n := len(o.all()); n > 1<<20+4096 {
			t.Errorf("%d bytes handed on, limit 1 MiB", n)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("took %v", d)
		}
	})
	t.Run("tool timeout", func(t *testing.T) {
		o := walkString(t, mimeWithAttachment("application/pdf", "b.pdf", textBombPDF(t, 20000)), Limits{ToolTimeout: 30 * time.Millisecond})
		if !o.hasReason(ReasonTimeout) {
			t.Errorf("reasons = %v, want timeout", o.reasons())
		}
	})
	t.Run("memory limit", func(t *testing.T) {
		o := walkString(t, mimeWithAttachment("application/pdf", "b.pdf", bomb), Limits{ToolMemory: 16 << 20})
		if len(o.res.Unscannable) == 0 {
			t.Errorf("no unscannable under a 16 MiB address space")
		}
	})
	t.Run("file over MaxPartBytes", func(t *testing.T) {
		o := walkString(t, mimeWithAttachment("application/pdf", "b.pdf", bomb), Limits{MaxPartBytes: 4096})
		if rs := o.reasons(); len(rs) != 1 || rs[0] != ReasonSize {
			t.Errorf("reasons = %v, want [size]", rs)
		}
	})
	t.Run("deep nesting", func(t *testing.T) {
		deep := buildPDF(t, "BT /F1 10 Tf "+strings.Repeat("[", 200000)+" TJ ET", false)
		start := time.Now()
		walkString(t, mimeWithAttachment("application/pdf", "d.pdf", deep), Limits{})
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("took %v", d)
		}
	})
}

func TestPDFHelperLeavesNoFiles(t *testing.T) {
	needTools(t, "pdftotext", "pdfimages")
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	pdf := readPDFFixture(t, pdfCorpus, "scan-referral.pdf")
	walkString(t, mimeWithAttachment("application/pdf", "s.pdf", pdf), Limits{})
	left, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 {
		t.Errorf("left behind in TMPDIR: %d entries", len(left))
	}
}

// FuzzPDF feeds mutated real-tool PDFs through the sandboxed engine: Walk
// must return without error, within its limits, whatever the bytes.
func FuzzPDF(f *testing.F) {
	needTools(f, "pdftotext", "pdfimages")
	for _, name := range []string{"lo-writer-referral.pdf", "lo-calc-labs.pdf", "gs-type3.pdf", "scan-referral.pdf", "broken-truncated.pdf"} {
		f.Add(readPDFFixture(f, pdfCorpus, name))
	}
	lim := Limits{MaxPartBytes: 1 << 20, ToolTimeout: 5 * time.Second}
	f.Fuzz(func(t *testing.T, pdf []byte) {
		o := walkString(t, mimeWithAttachment("application/pdf", "f.pdf", pdf), lim)
		if n := len(o.all()); n > 1<<20+4096 {
			t.Fatalf("%d bytes handed on, limit 1 MiB", n)
		}
	})
}

func BenchmarkWalkPDF(b *testing.B) {
	needTools(b, "pdftotext", "pdfimages")
	for _, name := range []string{"lo-writer-referral.pdf", "lo-writer-multipage.pdf", "scan-referral.pdf"} {
		msg := mimeWithAttachment("application/pdf", name, readPDFFixture(b, pdfCorpus, name))
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				walkString(b, msg, Limits{})
			}
		})
	}
}

func TestMissingHelpersNamesWhatIsNotInstalled(t *testing.T) {
	old := lookTool
	lookTool = func(name string) (string, error) {
		if name == "pdftotext" || name == "tesseract" {
			return "", exec.ErrNotFound
		}
		return "/usr/bin/" + name, nil
	}
	defer func() { lookTool = old }()
	if got := strings.Join(MissingHelpers(Limits{}), ","); got != "pdftotext" {
		t.Errorf("OCR off: %s", got)
	}
	if got := strings.Join(MissingHelpers(Limits{OCR: OCR{Enabled: true}}), ","); got != "pdftotext,tesseract" {
		t.Errorf("OCR on: %s", got)
	}
}

// The document information (Title, Subject, Keywords, Author) is read: Word and
// LibreOffice fill it from File > Properties, and scanners name files after the patient.
// It is scanned apart from the page text, so a scan with a title is still a scan.
func TestPDFMetadataIsRead(t *testing.T) {
	needTools(t, "pdftotext", "pdfimages")
	pdf := readPDFFixture(t, pdfCorpus, "lo-writer-title-only.pdf")
	o := walkString(t, mimeWithAttachment("application/pdf", "worksheet.pdf", pdf), Limits{})
	all := o.all()
	for _, w := range []string{"Result follow-up worksheet", "Kowalczyk Irena MRN 5530917", "DOB 03/14/1979"} {
		if !strings.Contains(all, w) {
			t.Errorf("missing %q in %q", w, all)
		}
	}
	if strings.Contains(all, "LibreOffice") || strings.Contains(all, "<pre>") {
		t.Errorf("producer or markup read as text: %q", all)
	}
	scan := readPDFFixture(t, pdfCorpus, "scan-with-title.pdf")
	o = walkString(t, mimeWithAttachment("application/pdf", "scan.pdf", scan), Limits{})
	if !strings.Contains(o.all(), "Xiong Deborah") {
		t.Errorf("scan title not read: %q", o.all())
	}
	if len(o.res.Unscannable) != 1 || o.res.Unscannable[0].Reason != ReasonImageOnly {
		t.Errorf("scan with a title: unscannable %v, want image_only", o.res.Unscannable)
	}
}

func TestHTMLMetaUnescapesAcrossReads(t *testing.T) {
	body := strings.Repeat("a", 40<<10) + "&amp;b &lt;c&gt; \"d\"\n"
	in := "<html>\n<head>\n<title>T &amp; U</title>\n<meta name=\"Author\" content=\"Ann &quot;Lee&quot;\"/>\n</head>\n<body>\n<pre>\n" + body + "</pre>\n</body>\n</html>\n"
	h := newHTMLMeta(strings.NewReader(in))
	got, err := io.ReadAll(h)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != strings.ReplaceAll(strings.ReplaceAll(strings.ReplaceAll(body, "&amp;", "&"), "&lt;", "<"), "&gt;", ">") {
		t.Errorf("body: ...%q", got[len(got)-40:])
	}
	if string(h.meta) != "T & U\nAnn \"Lee\"\n" {
		t.Errorf("meta %q", h.meta)
	}
}

func FuzzHTMLMeta(f *testing.F) {
	f.Add([]byte("<html>\n<head>\n<title>T &amp; U</title>\n</head>\n<body>\n<pre>\nx &lt; y\f</pre>\n"))
	f.Add([]byte("<pre>\n&am"))
	f.Fuzz(func(t *testing.T, data []byte) {
		h := newHTMLMeta(bytes.NewReader(data))
		out, err := io.ReadAll(h)
		if err != nil {
			t.Fatal(err)
		}
		if len(out) > len(data) || len(h.meta) > maxPDFMeta {
			t.Fatalf("output %d meta %d from %d bytes", len(out), len(h.meta), len(data))
		}
	})
}
