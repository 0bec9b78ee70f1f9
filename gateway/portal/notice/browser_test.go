package notice

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/sealgate/sealgate/internal/browsertest"
)

// TestHTMLAccessibleInChromium renders the HTML part of each default notice
// in headless Chromium at phone and desktop widths, keeps a screenshot of
// each, and fails on a sideways scroll or a serious or critical axe-core
// violation. A mail client is not a browser, but the structure axe checks
// (language, alt text, contrast, headings, table roles) is the same.
func TestHTMLAccessibleInChromium(t *testing.T) {
	br := browsertest.New(t, "portal-notice")
	b := Branding{OrgName: "Clinic Example", SupportContact: "the help desk, +1 555 0100", Footer: "Clinic Example\n1 Main Street"}
	logo := b
	logo.LogoURL = "https://portal.clinic.example/static/logo.png" // not served: the alt text shows
	pages := map[string][]byte{
		"notification":      mustNotify(t, mustLoad(t, "", b)),
		"notification-logo": mustNotify(t, mustLoad(t, "", logo)),
		"code":              mustCode(t, mustLoad(t, "", b)),
		"notification-bare": mustNotify(t, mustLoad(t, "", Branding{})),
	}
	dir := t.TempDir()
	for name, msg := range pages {
		file := filepath.Join(dir, name+".html")
		if err := os.WriteFile(file, []byte(readBack(t, msg).html), 0o600); err != nil {
			t.Fatal(err)
		}
		br.Do(chromedp.Navigate("file://" + file))
		br.Shoot(name)
	}
}
