package notice

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/sealgate/sealgate/internal/testtool"
)

// TestHTMLAccessibleInChromium renders the HTML part of each default notice
// in headless Chromium at phone and desktop widths, keeps a screenshot of
// each, and fails on a sideways scroll or a serious or critical axe-core
// violation. A mail client is not a browser, but the structure axe checks
// (language, alt text, contrast, headings, table roles) is the same.
func TestHTMLAccessibleInChromium(t *testing.T) {
	bin := testtool.Require(t, "chromium")
	axe, err := os.ReadFile("../../../testdata/portal/axe.min.js")
	if err != nil {
		t.Fatal(err)
	}
	art := t.TempDir()
	if d := os.Getenv("SEALGATE_ARTIFACTS"); d != "" {
		art = filepath.Join(d, "portal-notice")
		if err := os.MkdirAll(art, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("screenshots in %s", art)
	ctx := chromium(t, bin)
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
		run(t, ctx, chromedp.Navigate("file://"+file))
		for _, vp := range []struct {
			name   string
			w, h   int64
			mobile bool
		}{{"phone", 390, 844, true}, {"desktop", 1280, 900, false}} {
			emu := []chromedp.EmulateViewportOption{chromedp.EmulateScale(1)}
			if vp.mobile {
				emu = append(emu, chromedp.EmulateMobile)
			}
			run(t, ctx, chromedp.EmulateViewport(vp.w, vp.h, emu...), chromedp.Sleep(100*time.Millisecond))
			png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(art, fmt.Sprintf("%s-%s.png", name, vp.name)), png, 0o644); err != nil {
				t.Fatal(err)
			}
			if over, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`)); err != nil || over {
				t.Errorf("%s at %s width scrolls sideways (%v)", name, vp.name, err)
			}
			audit(t, ctx, string(axe), name+"@"+vp.name)
		}
	}
}

func chromium(t *testing.T, bin string) context.Context {
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true), chromedp.Flag("disable-extensions", true),
		chromedp.UserDataDir(t.TempDir()),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		testtool.Unavailable(t, "chromium does not start: %v", err)
	}
	return ctx
}

func run(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(c, steps...); err != nil {
		t.Fatal(err)
	}
}

type axeResult struct {
	Passes     int `json:"passes"`
	Violations []struct {
		ID     string `json:"id"`
		Impact string `json:"impact"`
		Help   string `json:"help"`
		Nodes  int    `json:"nodes"`
	} `json:"violations"`
}

// audit injects axe-core and runs every rule; a run that passed almost
// nothing did not run.
func audit(t *testing.T, ctx context.Context, axe, name string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](axe)); err != nil {
		t.Fatalf("inject axe-core: %v", err)
	}
	res, err := chromedp.Run(ctx, chromedp.Evaluate[axeResult](`axe.run(document).then(r => ({passes: r.passes.length,
		violations: r.violations.map(v => ({id: v.id, impact: v.impact || '', help: v.help, nodes: v.nodes.length}))}))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("axe.run: %v", err)
	}
	if res.Passes < 5 {
		t.Fatalf("%s: axe passed only %d rules", name, res.Passes)
	}
	for _, v := range res.Violations {
		if v.Impact == "serious" || v.Impact == "critical" {
			t.Errorf("%s: axe %s (%s, %d nodes): %s", name, v.ID, v.Impact, v.Nodes, v.Help)
		} else {
			t.Logf("%s: axe %s (%s): %s", name, v.ID, v.Impact, v.Help)
		}
	}
}
