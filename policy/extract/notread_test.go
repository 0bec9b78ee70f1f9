package extract

import (
	"os"
	"testing"
)

// An image attachment is not read while OCR is off: it must be listed as
// not read, never silently taken as scanned, and it is not unscannable.
func TestImageWithOCROffIsListedAsNotRead(t *testing.T) {
	for _, name := range []string{"referral.png", "referral.jpg"} {
		img, err := os.ReadFile("../../testdata/extract/ocr/" + name)
		if err != nil {
			t.Fatal(err)
		}
		out := walkString(t, mimeWithAttachment("image/png", name, img), Limits{})
		if len(out.res.NotRead) != 1 || out.res.NotRead[0].Reason != NotReadImage {
			t.Errorf("%s: NotRead = %v, want one %q entry", name, out.res.NotRead, NotReadImage)
		}
		if len(out.res.Unscannable) != 0 {
			t.Errorf("%s: unscannable %v, want none with OCR off", name, out.res.Unscannable)
		}
	}
}
