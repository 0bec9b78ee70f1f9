package extract

import (
	"os/exec"
	"strings"
	"testing"
	"time"
)

const ocrCorpus = "../../testdata/extract/ocr"

var ocrOn = Limits{OCR: OCR{Enabled: true}}

// A scanned PDF is read by OCR when the admin turns it on.
func TestOCRReadsImageOnlyPDF(t *testing.T) {
	needTools(t, "pdftotext", "pdfimages", "pdftoppm", "tesseract")
	pdf := readPDFFixture(t, pdfCorpus, "scan-referral.pdf")
	o := walkString(t, mimeWithAttachment("application/pdf", "scan.pdf", pdf), ocrOn)
	if !strings.Contains(o.all(), "512-48-3901") || !strings.Contains(o.all(), "4471902") {
		t.Errorf("OCR text lacks the SSN/MRN: %q", o.all())
	}
	if len(o.res.Unscannable) != 0 {
		t.Errorf("unscannable = %v", o.res.Unscannable)
	}
}

// Text drawn as outlines is rendered and read too.
func TestOCRReadsOutlinedTextPDF(t *testing.T) {
	needTools(t, "pdftotext", "pdfimages", "pdftoppm", "tesseract")
	pdf := readPDFFixture(t, pdfCorpus, "gs-outlines.pdf")
	o := walkString(t, mimeWithAttachment("application/pdf", "flat.pdf", pdf), ocrOn)
	if !strings.Contains(o.all(), "512-48-3901") || len(o.res.Unscannable) != 0 {
		t.Errorf("text %q, unscannable %v", o.all(), o.res.Unscannable)
	}
}

func TestOCRReadsImages(t *testing.T) {
	needTools(t, "tesseract")
	for _, c := range []struct{ file, ctype string }{
		{"referral.png", "image/png"},
		{"referral.jpg", "image/jpeg"},
		{"referral.png", "application/octet-stream"}, // sniffed, not labelled
	} {
		t.Run(c.file+" "+c.ctype, func(t *testing.T) {
			img := readPDFFixture(t, ocrCorpus, c.file)
			o := walkString(t, mimeWithAttachment(c.ctype, c.file, img), ocrOn)
			if !strings.Contains(o.all(), "512-48-3901") {
				t.Errorf("OCR text lacks the SSN: %q", o.all())
			}
			if len(o.res.Unscannable) != 0 {
				t.Errorf("unscannable = %v", o.res.Unscannable)
			}
		})
	}
}

// Off (the default), images stay unread as before: the policy's attachment
// rules cover them; no helper runs.
func TestOCROffLeavesImagesAlone(t *testing.T) {
	old := lookTool
	lookTool = func(name string) (string, error) {
		t.Errorf("helper %s started with OCR off", name)
		return "", exec.ErrNotFound
	}
	defer func() { lookTool = old }()
	img := readPDFFixture(t, ocrCorpus, "referral.png")
	o := walkString(t, mimeWithAttachment("image/png", "referral.png", img), Limits{})
	if strings.Contains(o.all(), "512-48-3901") || len(o.res.Unscannable) != 0 {
		t.Errorf("text %q, unscannable %v", o.all(), o.res.Unscannable)
	}
}

// OCR on but tesseract missing: images and scans are unscannable, never clean.
func TestOCRToolMissingIsUnscannable(t *testing.T) {
	needTools(t, "pdftotext", "pdfimages")
	old := lookTool
	lookTool = func(name string) (string, error) {
		if name == "tesseract" {
			return "", exec.ErrNotFound
		}
		return old(name)
	}
	defer func() { lookTool = old }()
	for _, c := range []struct {
		dir, file, ctype string
	}{
		{ocrCorpus, "referral.png", "image/png"},
		{pdfCorpus, "scan-referral.pdf", "application/pdf"},
	} {
		o := walkString(t, mimeWithAttachment(c.ctype, c.file, readPDFFixture(t, c.dir, c.file)), ocrOn)
		if rs := o.reasons(); len(rs) != 1 || rs[0] != ReasonNoTool {
			t.Errorf("%s: reasons = %v, want [%s]", c.file, rs, ReasonNoTool)
		}
	}
}

func TestOCRLimits(t *testing.T) {
	needTools(t, "tesseract", "pdftotext", "pdfimages", "pdftoppm")
	img := readPDFFixture(t, ocrCorpus, "referral.png") // 1241x1754
	t.Run("image over max pixels", func(t *testing.T) {
		o := walkString(t, mimeWithAttachment("image/png", "r.png", img), Limits{OCR: OCR{Enabled: true, MaxPixels: 1e6}})
		if rs := o.reasons(); len(rs) != 1 || rs[0] != ReasonSize {
			t.Errorf("reasons = %v, want [size]", rs)
		}
	})
	t.Run("rendered page over max pixels", func(t *testing.T) {
		pdf := readPDFFixture(t, pdfCorpus, "scan-referral.pdf")
		o := walkString(t, mimeWithAttachment("application/pdf", "s.pdf", pdf), Limits{OCR: OCR{Enabled: true, MaxPixels: 1e6}})
		if !o.hasReason(ReasonSize) {
			t.Errorf("reasons = %v, want size", o.reasons())
		}
	})
	t.Run("timeout", func(t *testing.T) {
		o := walkString(t, mimeWithAttachment("image/png", "r.png", img), Limits{OCR: OCR{Enabled: true, Timeout: 20 * time.Millisecond}})
		if !o.hasReason(ReasonTimeout) {
			t.Errorf("reasons = %v, want timeout", o.reasons())
		}
	})
	t.Run("unknown language", func(t *testing.T) {
		o := walkString(t, mimeWithAttachment("image/png", "r.png", img), Limits{OCR: OCR{Enabled: true, Languages: []string{"xx"}}})
		if rs := o.reasons(); len(rs) != 1 || rs[0] != ReasonNoTool {
			t.Errorf("reasons = %v, want [%s]", rs, ReasonNoTool)
		}
	})
	t.Run("broken image", func(t *testing.T) {
		o := walkString(t, mimeWithAttachment("image/png", "r.png", img[:len(img)/2]), ocrOn)
		if len(o.res.Unscannable) == 0 {
			t.Errorf("a cut image passed as read: %q", o.all())
		}
	})
}
