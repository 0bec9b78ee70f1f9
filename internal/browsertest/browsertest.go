// Package browsertest drives headless Chromium (Debian's chromium, through
// chromedp) for the portal's browser tests: pages are screenshot at phone
// and desktop widths into $SEALGATE_ARTIFACTS (or a temp dir), checked for
// sideways scrolling and audited with the vendored axe-core, which fails
// the test on any serious or critical violation. Without chromium the test
// is skipped, or fails under SEALGATE_REQUIRE_INTEROP=1 (internal/testtool).
//
// It is imported by tests only.
package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/sealgate/sealgate/internal/testtool"
)

// Viewports: a phone and a desktop; every page is shot and audited at both.
var Viewports = []struct {
	Name   string
	W, H   int64
	Mobile bool
}{{"phone", 390, 844, true}, {"desktop", 1280, 900, false}}

// Browser is one headless Chromium and where its pictures go.
type Browser struct {
	T         testing.TB
	Ctx       context.Context
	Artifacts string
	axe       string
}

// New starts Chromium for t; screenshots go to $SEALGATE_ARTIFACTS/<area>/<test>.
func New(t testing.TB, area string) *Browser {
	t.Helper()
	bin := testtool.Require(t, "chromium")
	axe, err := os.ReadFile(filepath.Join(repoRoot(), "testdata", "portal", "axe.min.js"))
	if err != nil {
		t.Fatal(err)
	}
	art := t.TempDir()
	if d := os.Getenv("SEALGATE_ARTIFACTS"); d != "" {
		art = filepath.Join(d, area, t.Name())
		if err := os.MkdirAll(art, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true), chromedp.Flag("disable-extensions", true),
		// Test servers use self-signed certificates.
		chromedp.Flag("ignore-certificate-errors", true),
		chromedp.UserDataDir(t.TempDir()),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 120*time.Second)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		testtool.Unavailable(t, "chromium does not start: %v", err)
	}
	t.Logf("screenshots in %s", art)
	return &Browser{T: t, Ctx: ctx, Artifacts: art, axe: string(axe)}
}

// repoRoot is the module root, found from this file's place in it.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Do runs steps, failing the test (with a screenshot) on an error.
func (b *Browser) Do(steps ...chromedp.Action[chromedp.Void]) {
	b.T.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		loc, _ := chromedp.Run(b.Ctx, chromedp.Location())
		if png, err := chromedp.Run(b.Ctx, chromedp.FullScreenshot(100)); err == nil {
			os.WriteFile(filepath.Join(b.Artifacts, "failure.png"), png, 0o644)
		}
		b.T.Fatalf("at %s: %v", loc, err)
	}
}

// WaitFor polls until sel matches in the current document: unlike
// WaitVisible it survives the navigation a form post causes.
func (b *Browser) WaitFor(sel string) {
	b.T.Helper()
	q, _ := json.Marshal(sel)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		ok, err := chromedp.Run(b.Ctx, chromedp.Evaluate[bool](`document.readyState === 'complete' && !!document.querySelector(`+string(q)+`)`))
		if err == nil && ok {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	loc, _ := chromedp.Run(b.Ctx, chromedp.Location())
	b.T.Fatalf("%s never appeared at %s", sel, loc)
}

// Text is the text content of the first element sel matches.
func (b *Browser) Text(sel string) string {
	b.T.Helper()
	s, err := chromedp.Run(b.Ctx, chromedp.Text(sel))
	if err != nil {
		b.T.Fatal(err)
	}
	return s
}

// Violation is what a test keeps of an axe-core result.
type Violation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  int    `json:"nodes"`
}

// axeRun returns the violations and how many rules passed: a run that
// checked nothing must not look clean.
const axeRun = `axe.run(document).then(r => ({passes: r.passes.length, violations: r.violations.map(v =>
	({id: v.id, impact: v.impact || '', help: v.help, nodes: v.nodes.length}))}))`

type axeResult struct {
	Passes     int         `json:"passes"`
	Violations []Violation `json:"violations"`
}

// Shoot screenshots the current page at every viewport, checks the phone
// layout does not scroll sideways, and fails on serious or critical axe
// violations.
func (b *Browser) Shoot(name string) {
	b.T.Helper()
	for _, vp := range Viewports {
		emu := []chromedp.EmulateViewportOption{chromedp.EmulateScale(1)}
		if vp.Mobile {
			emu = append(emu, chromedp.EmulateMobile)
		}
		b.Do(chromedp.EmulateViewport(vp.W, vp.H, emu...), chromedp.Sleep(100*time.Millisecond))
		png, err := chromedp.Run(b.Ctx, chromedp.FullScreenshot(100))
		if err != nil {
			b.T.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(b.Artifacts, fmt.Sprintf("%s-%s.png", name, vp.Name)), png, 0o644); err != nil {
			b.T.Fatal(err)
		}
		over, err := chromedp.Run(b.Ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
		if err != nil {
			b.T.Fatal(err)
		}
		if over {
			b.T.Errorf("%s at %s width scrolls sideways", name, vp.Name)
		}
		b.Audit(name + "@" + vp.Name)
	}
}

// Audit fails the test on serious or critical axe violations of the page.
func (b *Browser) Audit(name string) {
	b.T.Helper()
	for _, v := range b.Axe(name) {
		if v.Impact == "serious" || v.Impact == "critical" {
			b.T.Errorf("%s: axe %s (%s, %d nodes): %s", name, v.ID, v.Impact, v.Nodes, v.Help)
		} else {
			b.T.Logf("%s: axe %s (%s): %s", name, v.ID, v.Impact, v.Help)
		}
	}
}

// Axe injects the vendored axe-core into the page and runs every rule.
func (b *Browser) Axe(name string) []Violation {
	b.T.Helper()
	if _, err := chromedp.Run(b.Ctx, chromedp.Evaluate[chromedp.Void](b.axe)); err != nil {
		b.T.Fatalf("inject axe-core: %v", err)
	}
	res, err := chromedp.Run(b.Ctx, chromedp.Evaluate[axeResult](axeRun, chromedp.EvalAwaitPromise))
	if err != nil {
		b.T.Fatalf("axe.run: %v", err)
	}
	if res.Passes < 5 {
		b.T.Fatalf("%s: axe passed only %d rules: did it run?", name, res.Passes)
	}
	return res.Violations
}

// Download clicks sel and returns the downloaded file's bytes.
func (b *Browser) Download(sel string) []byte {
	b.T.Helper()
	dir := b.T.TempDir()
	on := true
	if _, err := chromedp.CallBrowser(b.Ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: &on,
	}); err != nil {
		b.T.Fatal(err)
	}
	done := make(chan string, 1)
	var once sync.Once
	if err := chromedp.ListenBrowser(b.Ctx, func(ev any) {
		if p, ok := ev.(*browser.EventDownloadProgress); ok && p.State == browser.DownloadProgressStateCompleted {
			once.Do(func() { done <- p.GUID })
		}
	}); err != nil {
		b.T.Fatal(err)
	}
	b.Do(chromedp.Click(sel))
	select {
	case guid := <-done:
		data, err := os.ReadFile(filepath.Join(dir, guid))
		if err != nil {
			b.T.Fatal(err)
		}
		return data
	case <-time.After(30 * time.Second):
		b.T.Fatal("download did not complete")
		return nil
	}
}

// PrintMedia screenshots the page as printed and checks the chrome
// (header, footer, links back: .top, .foot, .noprint) is hidden there.
func (b *Browser) PrintMedia(name string) {
	b.T.Helper()
	media := func(m string) {
		if _, err := chromedp.Call(b.Ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: m}); err != nil {
			b.T.Fatal(err)
		}
	}
	media("print")
	defer media("")
	b.Do(chromedp.EmulateViewport(800, 1100, chromedp.EmulateScale(1)))
	png, err := chromedp.Run(b.Ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.T.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(b.Artifacts, name+".png"), png, 0o644); err != nil {
		b.T.Fatal(err)
	}
	shown, err := chromedp.Run(b.Ctx, chromedp.Evaluate[[]string](`['.top', '.foot', '.noprint']
		.filter(s => document.querySelector(s) && getComputedStyle(document.querySelector(s)).display !== 'none')`))
	if err != nil {
		b.T.Fatal(err)
	}
	if len(shown) != 0 {
		b.T.Errorf("printed page shows %v", shown)
	}
}
