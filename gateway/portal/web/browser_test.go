package web

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/sealgate/sealgate/internal/testtool"
)

// browserEnv is one headless Chromium and where its pictures go.
type browserEnv struct {
	*env
	ctx       context.Context
	artifacts string
	axe       string
}

// viewports: a phone and a desktop, each shot and audited on every page.
var viewports = []struct {
	name   string
	w, h   int64
	mobile bool
}{{"phone", 390, 844, true}, {"desktop", 1280, 900, false}}

func newBrowser(t *testing.T, e *env) *browserEnv {
	t.Helper()
	bin := testtool.Require(t, "chromium")
	axe, err := os.ReadFile("../../../testdata/portal/axe.min.js")
	if err != nil {
		t.Fatal(err)
	}
	art := t.TempDir()
	if d := os.Getenv("SEALGATE_ARTIFACTS"); d != "" {
		art = filepath.Join(d, "portal-web", t.Name())
		if err := os.MkdirAll(art, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true), chromedp.Flag("disable-extensions", true),
		// The test server's certificate is self-signed for 127.0.0.1.
		chromedp.Flag("ignore-certificate-errors", true),
		chromedp.UserDataDir(t.TempDir()),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		testtool.Unavailable(t, "chromium does not start: %v", err)
	}
	t.Logf("screenshots in %s", art)
	return &browserEnv{env: e, ctx: ctx, artifacts: art, axe: string(axe)}
}

func (b *browserEnv) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		loc, _ := chromedp.Run(b.ctx, chromedp.Location())
		if png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100)); err == nil {
			os.WriteFile(filepath.Join(b.artifacts, "failure.png"), png, 0o644)
		}
		b.t.Fatalf("at %s: %v", loc, err)
	}
}

// waitFor polls until sel matches in the current document: unlike
// WaitVisible it survives the navigation a form post causes.
func (b *browserEnv) waitFor(sel string) {
	b.t.Helper()
	q, _ := json.Marshal(sel)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.readyState === 'complete' && !!document.querySelector(`+string(q)+`)`))
		if err == nil && ok {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	loc, _ := chromedp.Run(b.ctx, chromedp.Location())
	b.t.Fatalf("%s never appeared at %s", sel, loc)
}

func (b *browserEnv) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(sel))
	if err != nil {
		b.t.Fatal(err)
	}
	return s
}

// violation is what the test keeps of an axe-core result.
type violation struct {
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
	Violations []violation `json:"violations"`
}

// shoot screenshots the current page at every viewport, checks the phone
// layout does not scroll sideways, and fails on serious or critical axe
// violations.
func (b *browserEnv) shoot(name string) {
	b.t.Helper()
	for _, vp := range viewports {
		emu := []chromedp.EmulateViewportOption{chromedp.EmulateScale(1)}
		if vp.mobile {
			emu = append(emu, chromedp.EmulateMobile)
		}
		b.do(chromedp.EmulateViewport(vp.w, vp.h, emu...), chromedp.Sleep(100*time.Millisecond))
		png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
		if err != nil {
			b.t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(b.artifacts, fmt.Sprintf("%s-%s.png", name, vp.name)), png, 0o644); err != nil {
			b.t.Fatal(err)
		}
		over, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
		if err != nil {
			b.t.Fatal(err)
		}
		if over {
			b.t.Errorf("%s at %s width scrolls sideways", name, vp.name)
		}
		b.audit(name + "@" + vp.name)
	}
}

func (b *browserEnv) audit(name string) {
	b.t.Helper()
	for _, v := range b.axeRun(name) {
		if v.Impact == "serious" || v.Impact == "critical" {
			b.t.Errorf("%s: axe %s (%s, %d nodes): %s", name, v.ID, v.Impact, v.Nodes, v.Help)
		} else {
			b.t.Logf("%s: axe %s (%s): %s", name, v.ID, v.Impact, v.Help)
		}
	}
}

// axeRun injects the vendored axe-core into the page and runs every rule.
func (b *browserEnv) axeRun(name string) []violation {
	b.t.Helper()
	if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[chromedp.Void](b.axe)); err != nil {
		b.t.Fatalf("inject axe-core: %v", err)
	}
	res, err := chromedp.Run(b.ctx, chromedp.Evaluate[axeResult](axeRun, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("axe.run: %v", err)
	}
	if res.Passes < 5 {
		b.t.Fatalf("%s: axe passed only %d rules: did it run?", name, res.Passes)
	}
	return res.Violations
}

// download clicks sel and returns the downloaded file's bytes.
func (b *browserEnv) download(sel string) []byte {
	b.t.Helper()
	dir := b.t.TempDir()
	on := true
	if _, err := chromedp.CallBrowser(b.ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: &on,
	}); err != nil {
		b.t.Fatal(err)
	}
	done := make(chan string, 1)
	var once sync.Once
	if err := chromedp.ListenBrowser(b.ctx, func(ev any) {
		if p, ok := ev.(*browser.EventDownloadProgress); ok && p.State == browser.DownloadProgressStateCompleted {
			once.Do(func() { done <- p.GUID })
		}
	}); err != nil {
		b.t.Fatal(err)
	}
	b.do(chromedp.Click(sel))
	select {
	case guid := <-done:
		data, err := os.ReadFile(filepath.Join(dir, guid))
		if err != nil {
			b.t.Fatal(err)
		}
		return data
	case <-time.After(30 * time.Second):
		b.t.Fatal("download did not complete")
		return nil
	}
}

// printMedia screenshots the page as printed and checks the chrome (header,
// footer, links back) is hidden there.
func (b *browserEnv) printMedia(name string) {
	b.t.Helper()
	media := func(m string) {
		if _, err := chromedp.Call(b.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: m}); err != nil {
			b.t.Fatal(err)
		}
	}
	media("print")
	defer media("")
	b.do(chromedp.EmulateViewport(800, 1100, chromedp.EmulateScale(1)))
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(b.artifacts, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	shown, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`['.top', '.foot', '.noprint']
		.filter(s => document.querySelector(s) && getComputedStyle(document.querySelector(s)).display !== 'none')`))
	if err != nil {
		b.t.Fatal(err)
	}
	if len(shown) != 0 {
		b.t.Errorf("printed page shows %v", shown)
	}
}

func TestBrowserFlow(t *testing.T) {
	e := newEnv(t, nil)
	b := newBrowser(t, e)
	raw, att := testMessage(t, "Lab results März.pdf", 512<<10)
	e.addMessage("tok-browser-0123456789abcdef", "mB", "bob@patient.example", raw)
	base := e.ts.URL

	// The harness itself: a page with an unlabelled field and faint text
	// must fail, or a clean result below would prove nothing.
	b.do(chromedp.Navigate(`data:text/html,<!doctype html><html><body><input type=text>` +
		`<p style="color:%23bbb">faint</p></body></html>`))
	serious := 0
	for _, v := range b.axeRun("control") {
		if v.Impact == "serious" || v.Impact == "critical" {
			serious++
		}
	}
	if serious < 2 {
		t.Fatalf("axe found %d serious violations on a page built to have two", serious)
	}

	b.do(chromedp.Navigate(base+"/m/no-such-token"), chromedp.WaitVisible("h1"))
	b.shoot("01-link-not-available")

	b.do(chromedp.Navigate(base+"/m/tok-browser-0123456789abcdef"), chromedp.WaitVisible("button"))
	if h := b.text("main"); !strings.Contains(h, "Dr. Alice Sender") || strings.Contains(h, subjectMarker) {
		t.Fatalf("landing shows %q", h)
	}
	b.shoot("02-landing")
	// Keyboard only: from the skip link, Tab reaches the button, Enter presses it.
	b.do(chromedp.Focus(".skip"), chromedp.KeyEvent("\t"))
	if f, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.activeElement.textContent`)); f != "Email me a code" {
		t.Fatalf("Tab from the skip link focuses %q", f)
	}
	b.do(chromedp.KeyEvent("\r"))
	b.waitFor("#code")
	code := e.mailer.last("bob@patient.example")
	if code == "" {
		t.Fatal("no code mailed")
	}
	b.shoot("03-enter-code")
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	b.do(chromedp.SendKeys("#code", wrong+"\r"))
	b.waitFor("#code-error")
	b.shoot("04-wrong-code")
	b.do(chromedp.SendKeys("#code", code+"\r"))
	b.waitFor(".body")
	if body := b.text(".body"); !strings.Contains(body, bodyMarker) {
		t.Fatalf("message body %q", body)
	}
	b.shoot("05-message")

	if got := b.download(`a[href="/v/att/2"]`); string(got) != string(att) {
		t.Fatalf("downloaded %d bytes, want the %d attached", len(got), len(att))
	}

	b.do(chromedp.Navigate(base+"/v/print"), chromedp.WaitVisible(".body"))
	b.shoot("06-print")
	b.printMedia("06-print-media")

	b.do(chromedp.Navigate(base+"/v"), chromedp.WaitVisible(".actions"), chromedp.Click(`a[href="/v/reply"]`))
	b.waitFor("#body")
	b.shoot("07-reply")
	b.do(chromedp.SendKeys("#body", "Thank you. BROWSER-REPLY"), chromedp.Click(`form button[type=submit]`))
	b.waitFor(`[role=status]`)
	b.shoot("08-reply-sent")
	if len(e.replies.got) != 1 || !strings.Contains(string(e.replies.got[0].raw), "BROWSER-REPLY") || e.replies.got[0].to[0] != "alice@clinic.example" {
		t.Fatalf("reply handed over: %+v", e.replies.got)
	}
}

func TestStoredXSSDoesNotExecute(t *testing.T) {
	e := newEnv(t, nil)
	b := newBrowser(t, e)
	raw, err := os.ReadFile("../../../testdata/portal/xss.eml")
	if err != nil {
		t.Fatal(err)
	}
	e.addMessage("tok-xss-0123456789abcdef00", "mX", "bob@patient.example", raw)
	// Off with the CSP: the sanitiser alone must stop every payload; the CSP
	// is the second wall, not the first.
	if _, err := chromedp.Call(b.ctx, cdppage.SetBypassCSP, cdppage.SetBypassCSPParams{Enabled: true}); err != nil {
		t.Fatal(err)
	}
	b.do(chromedp.Navigate(e.ts.URL+"/m/tok-xss-0123456789abcdef00"), chromedp.WaitVisible("button"), chromedp.Click("button"))
	b.waitFor("#code")
	b.do(chromedp.SendKeys("#code", e.mailer.last("bob@patient.example")+"\r"))
	b.waitFor("#probe")
	b.do(chromedp.Click("#jslink"), chromedp.Sleep(300*time.Millisecond))
	b.shoot("xss-message")
	state, err := chromedp.Run(b.ctx, chromedp.Evaluate[json.RawMessage](`({
		xss: window.__xss === undefined ? null : window.__xss,
		active: document.querySelectorAll('.body script, .body img, .body iframe, .body svg, .body form, .body style, .body [style], .body [onerror], .body [onload]').length,
		location: location.pathname,
		hidden: document.getElementById('hidden').parentElement.textContent})`))
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		XSS      *string `json:"xss"`
		Active   int     `json:"active"`
		Location string  `json:"location"`
		Hidden   string  `json:"hidden"`
	}
	if err := json.Unmarshal(state, &got); err != nil {
		t.Fatal(err)
	}
	if got.XSS != nil || got.Active != 0 || got.Location != "/v" {
		t.Fatalf("payload ran or survived: %s", state)
	}
	if !strings.Contains(got.Hidden, "[https://evil.example/phish]") {
		t.Errorf("link's real target not shown: %q", got.Hidden)
	}
}
