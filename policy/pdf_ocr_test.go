package policy

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sealgate/sealgate/internal/testtool"
	"github.com/sealgate/sealgate/policy/extract"
)

// needHelpers skips without the PDF/OCR helpers unless SEALGATE_REQUIRE_INTEROP=1.
func needHelpers(t *testing.T, tools ...string) {
	t.Helper()
	testtool.RequireAll(t, "Debian poppler-utils, tesseract-ocr, util-linux", append(tools, "prlimit")...)
}

func mailWithFile(t *testing.T, ctype, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.Base(path)
	return crlf("From: a@clinic.example\nTo: b@x.example\nSubject: documents\nMIME-Version: 1.0\n" +
		"Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nPlease see the attached file.\n--b\n" +
		"Content-Type: " + ctype + "; name=" + name + "\nContent-Disposition: attachment; filename=" + name +
		"\nContent-Transfer-Encoding: base64\n\n" + base64.StdEncoding.EncodeToString(b) + "\n--b--\n")
}

const pdfDir = "../testdata/extract/pdf"

// The observed defect: 0 of 8 LibreOffice PDFs with SSNs/MRNs were flagged
// and all were reported "scanned". Through the whole engine and the shipped
// default policy each must now be flagged for what it holds.
func TestRealToolPDFsAreFlaggedByTheDefaultPolicy(t *testing.T) {
	needHelpers(t, "pdftotext", "pdfimages")
	e := DefaultSet().engine(t)
	for _, c := range []struct{ file, finding string }{
		{"lo-writer-referral.pdf", "ssn"},
		{"lo-writer-discharge.pdf", "ssn"},
		{"lo-writer-restricted.pdf", "ssn"},
		{"lo-writer-multipage.pdf", "ssn"},
		{"lo-writer-intake-cff.pdf", "ssn"},
		{"lo-calc-patients.pdf", "ssn"},
		{"lo-calc-labs.pdf", "mrn"},
		{"lo-impress-tumorboard.pdf", "ssn"},
		{"gs-claim.pdf", "ssn"},
		{"gs-type3.pdf", "ssn"},
	} {
		t.Run(c.file, func(t *testing.T) {
			d := eval(t, e, nil, mailWithFile(t, "application/pdf", filepath.Join(pdfDir, c.file)))
			if d.Rule == "default" || d.FindingCounts()[c.finding] == 0 || len(d.Unscannable) != 0 {
				t.Errorf("rule %s, findings %v, unscannable %v", d.Rule, d.FindingCounts(), d.Unscannable)
			}
		})
	}
}

func ocrSet(t *testing.T) *Set {
	set := DefaultSet()
	set.Settings.OCR.Enabled = true
	return set
}

// A scan is unscannable with OCR off (the default), and its SSN is found
// with OCR on.
func TestScannedPDFIsUnscannableUnlessOCRIsOn(t *testing.T) {
	needHelpers(t, "pdftotext", "pdfimages")
	msg := mailWithFile(t, "application/pdf", filepath.Join(pdfDir, "scan-referral.pdf"))
	d := eval(t, DefaultSet().engine(t), nil, msg)
	if d.Rule != "unscannable" || len(d.Unscannable) != 1 || d.Unscannable[0].Reason != extract.ReasonImageOnly {
		t.Fatalf("OCR off: rule %s, unscannable %v", d.Rule, d.Unscannable)
	}
	needHelpers(t, "pdftoppm", "tesseract")
	d = eval(t, ocrSet(t).engine(t), nil, msg)
	if d.Rule == "default" || d.FindingCounts()["ssn"] == 0 || len(d.Unscannable) != 0 {
		t.Fatalf("OCR on: rule %s, findings %v, unscannable %v", d.Rule, d.FindingCounts(), d.Unscannable)
	}
}

func TestImageAttachmentIsOCRdWhenOn(t *testing.T) {
	needHelpers(t, "tesseract")
	msg := mailWithFile(t, "image/png", "../testdata/extract/ocr/referral.png")
	if d := eval(t, DefaultSet().engine(t), nil, msg); d.FindingCounts()["ssn"] != 0 {
		t.Fatalf("OCR off read the image: %v", d.FindingCounts())
	}
	d := eval(t, ocrSet(t).engine(t), nil, msg)
	if d.Rule == "default" || d.FindingCounts()["ssn"] == 0 {
		t.Fatalf("OCR on: rule %s, findings %v, unscannable %v", d.Rule, d.FindingCounts(), d.Unscannable)
	}
}

func TestOCRSettingsAreParsedAndPassedOn(t *testing.T) {
	e := engineFor(t, `settings:
  limits: {helper_memory: 512MiB, helper_timeout: 5s}
  ocr: {enabled: true, languages: [eng, deu], timeout: 10s, max_pixels: 20000000, max_pages: 5, dpi: 200}
rules:`+defaultRule)
	o := e.limits.OCR
	if !o.Enabled || strings.Join(o.Languages, "+") != "eng+deu" || o.Timeout.String() != "10s" ||
		o.MaxPixels != 20e6 || o.MaxPages != 5 || o.DPI != 200 {
		t.Errorf("ocr limits %+v", o)
	}
	if e.limits.ToolMemory != 512<<20 || e.limits.ToolTimeout.String() != "5s" {
		t.Errorf("helper limits %d %v", e.limits.ToolMemory, e.limits.ToolTimeout)
	}
	if d := DefaultSet().engine(t).limits.OCR; d.Enabled {
		t.Errorf("OCR on by default")
	}
}

func TestOCRSettingErrorsNameTheKey(t *testing.T) {
	probs := lintDir(t, map[string]string{"p.yaml": `settings:
  limits: {helper_memory: 1MiB, helper_timeout: soon}
  ocr:
    enabled: yes please
    languages: [eng, "-c tessedit_write_images=1"]
    timeout: -1s
    max_pixels: 10
    dpi: 5000
    colour: true
rules:` + defaultRule})
	want := []string{
		"settings.limits.helper_memory", "settings.limits.helper_timeout",
		"settings.ocr.enabled", "settings.ocr.languages[1]", "settings.ocr.timeout",
		"settings.ocr.max_pixels", "settings.ocr.dpi", "settings.ocr.colour",
	}
	got := map[string]bool{}
	for _, p := range probs {
		got[p.Path] = true
	}
	for _, w := range want {
		if !got[w] {
			t.Errorf("no problem at %s; got %v", w, probs)
		}
	}
}
