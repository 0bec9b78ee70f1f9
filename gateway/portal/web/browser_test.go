package web

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/sealgate/sealgate/internal/browsertest"
)

// browserEnv is the portal under test and one headless Chromium.
type browserEnv struct {
	*env
	*browsertest.Browser
}

func newBrowser(t *testing.T, e *env) *browserEnv {
	t.Helper()
	return &browserEnv{env: e, Browser: browsertest.New(t, "portal-web")}
}

func TestBrowserFlow(t *testing.T) {
	e := newEnv(t, nil)
	b := newBrowser(t, e)
	raw, att := testMessage(t, "Lab results März.pdf", 512<<10)
	e.addMessage("tok-browser-0123456789abcdef", "mB", "bob@patient.example", raw)
	base := e.ts.URL

	// The harness itself: a page with an unlabelled field and faint text
	// must fail, or a clean result below would prove nothing.
	b.Do(chromedp.Navigate(`data:text/html,<!doctype html><html><body><input type=text>` +
		`<p style="color:%23bbb">faint</p></body></html>`))
	serious := 0
	for _, v := range b.Axe("control") {
		if v.Impact == "serious" || v.Impact == "critical" {
			serious++
		}
	}
	if serious < 2 {
		t.Fatalf("axe found %d serious violations on a page built to have two", serious)
	}

	b.Do(chromedp.Navigate(base+"/m/no-such-token"), chromedp.WaitVisible("h1"))
	b.Shoot("01-link-not-available")

	b.Do(chromedp.Navigate(base+"/m/tok-browser-0123456789abcdef"), chromedp.WaitVisible("button"))
	if h := b.Text("main"); !strings.Contains(h, "Dr. Alice Sender") || strings.Contains(h, subjectMarker) {
		t.Fatalf("landing shows %q", h)
	}
	b.Shoot("02-landing")
	// Keyboard only: from the skip link, Tab reaches the button, Enter presses it.
	b.Do(chromedp.Focus(".skip"), chromedp.KeyEvent("\t"))
	if f, _ := chromedp.Run(b.Ctx, chromedp.Evaluate[string](`document.activeElement.textContent`)); f != "Email me a code" {
		t.Fatalf("Tab from the skip link focuses %q", f)
	}
	b.Do(chromedp.KeyEvent("\r"))
	b.WaitFor("#code")
	code := e.mailer.last("bob@patient.example")
	if code == "" {
		t.Fatal("no code mailed")
	}
	b.Shoot("03-enter-code")
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	b.Do(chromedp.SendKeys("#code", wrong+"\r"))
	b.WaitFor("#code-error")
	b.Shoot("04-wrong-code")
	b.Do(chromedp.SendKeys("#code", code+"\r"))
	b.WaitFor(".body")
	if body := b.Text(".body"); !strings.Contains(body, bodyMarker) {
		t.Fatalf("message body %q", body)
	}
	b.Shoot("05-message")

	if got := b.Download(`a[href="/v/att/2"]`); string(got) != string(att) {
		t.Fatalf("downloaded %d bytes, want the %d attached", len(got), len(att))
	}

	b.Do(chromedp.Navigate(base+"/v/print"), chromedp.WaitVisible(".body"))
	b.Shoot("06-print")
	b.PrintMedia("06-print-media")

	b.Do(chromedp.Navigate(base+"/v"), chromedp.WaitVisible(".actions"), chromedp.Click(`a[href="/v/reply"]`))
	b.WaitFor("#body")
	b.Shoot("07-reply")
	b.Do(chromedp.SendKeys("#body", "Thank you. BROWSER-REPLY"), chromedp.Click(`form button[type=submit]`))
	b.WaitFor(`[role=status]`)
	b.Shoot("08-reply-sent")
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
	if _, err := chromedp.Call(b.Ctx, cdppage.SetBypassCSP, cdppage.SetBypassCSPParams{Enabled: true}); err != nil {
		t.Fatal(err)
	}
	b.Do(chromedp.Navigate(e.ts.URL+"/m/tok-xss-0123456789abcdef00"), chromedp.WaitVisible("button"), chromedp.Click("button"))
	b.WaitFor("#code")
	b.Do(chromedp.SendKeys("#code", e.mailer.last("bob@patient.example")+"\r"))
	b.WaitFor("#probe")
	b.Do(chromedp.Click("#jslink"), chromedp.Sleep(300*time.Millisecond))
	b.Shoot("xss-message")
	state, err := chromedp.Run(b.Ctx, chromedp.Evaluate[json.RawMessage](`({
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
