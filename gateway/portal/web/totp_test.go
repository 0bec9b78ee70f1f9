package web

import (
	"encoding/base32"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

var secretRe = regexp.MustCompile(`<code class="secret">([A-Z2-7 ]+)</code>`)

// secretOf reads the setup key off an enrolment page.
func secretOf(t testing.TB, body string) []byte {
	t.Helper()
	m := secretRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no setup key on the page:\n%s", body)
	}
	b, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ReplaceAll(m[1], " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTOTPPagesCarrySecurityHeadersAndBindTheQRToTheBrowser(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.TOTP = TOTPRequired })
	raw, _ := testMessage(t, "a.pdf", 100)
	e.addMessage("tok-totp-1-000000000000000", "m1", "bob@patient.example", raw)
	e.addMessage("tok-totp-2-000000000000000", "m2", "Bob@Patient.example", raw)
	c := e.client()
	csrf := e.requestCode(c, "tok-totp-1-000000000000000")
	enrol := e.post(c, "/m/tok-totp-1-000000000000000/verify", url.Values{"csrf": {csrf}, "code": {e.mailer.last("bob@patient.example")}})
	if enrol.Request.URL.Path != "/m/tok-totp-1-000000000000000/enrol" || enrol.StatusCode != 200 {
		t.Fatalf("after the code: %d at %s", enrol.StatusCode, enrol.Request.URL.Path)
	}
	checkHeaders(t, "enrol", enrol.Response)
	if !strings.Contains(enrol.body, `href="otpauth://totp/Example%20Clinic:bob@patient.example?`) {
		t.Fatalf("otpauth link missing or blanked:\n%s", enrol.body)
	}
	qr := e.get(c, "/m/tok-totp-1-000000000000000/enrol/qr")
	checkHeaders(t, "qr", qr.Response)
	if qr.Header.Get("Content-Type") != "image/png" || !strings.HasPrefix(qr.body, "\x89PNG") {
		t.Fatalf("QR: %d %s", qr.StatusCode, qr.Header.Get("Content-Type"))
	}
	if other := e.get(e.client(), "/m/tok-totp-1-000000000000000/enrol/qr"); other.StatusCode != 401 || strings.HasPrefix(other.body, "\x89PNG") {
		t.Fatalf("QR from another browser: %d", other.StatusCode)
	}
	secret := secretOf(t, enrol.body)
	if len(secret) != totpSecretBytes {
		t.Fatalf("%d-byte secret", len(secret))
	}
	// The page reloads with the same pending secret: one enrolment on offer.
	if again := e.get(c, "/m/tok-totp-1-000000000000000/enrol"); string(secretOf(t, again.body)) != string(secret) {
		t.Fatal("reload changed the pending secret")
	}
	v := e.post(c, "/m/tok-totp-1-000000000000000/enrol", url.Values{"csrf": {csrf}, "code": {totpNow(t, secret, e.clock.now())}})
	if v.Request.URL.Path != "/v" || !strings.Contains(v.body, bodyMarker) {
		t.Fatalf("after enrolment: %d at %s", v.StatusCode, v.Request.URL.Path)
	}

	e.clock.add(30 * time.Second)
	c2 := e.client()
	csrf = e.requestCode(c2, "tok-totp-2-000000000000000")
	form := e.post(c2, "/m/tok-totp-2-000000000000000/verify", url.Values{"csrf": {csrf}, "code": {e.mailer.last("Bob@Patient.example")}})
	if form.Request.URL.Path != "/m/tok-totp-2-000000000000000/totp" {
		t.Fatalf("enrolled address: at %s", form.Request.URL.Path)
	}
	checkHeaders(t, "totp", form.Response)
	bad := e.post(c2, "/m/tok-totp-2-000000000000000/totp", url.Values{"csrf": {csrf}, "code": {"12345"}})
	checkHeaders(t, "totp wrong", bad.Response)
	if bad.StatusCode != 422 || !strings.Contains(bad.body, `aria-invalid="true"`) {
		t.Fatalf("wrong TOTP: %d", bad.StatusCode)
	}
	ok := e.post(c2, "/m/tok-totp-2-000000000000000/totp", url.Values{"csrf": {csrf}, "code": {totpNow(t, secret, e.clock.now())}})
	if ok.Request.URL.Path != "/v" || e.store.count(EventTOTPVerified) != 1 || e.store.count(EventTOTPEnrolled) != 1 || e.store.count(EventFailed) != 1 {
		t.Fatalf("after the TOTP: at %s, events %+v", ok.Request.URL.Path, e.store.events)
	}
}

func TestParseTOTPMode(t *testing.T) {
	for in, want := range map[string]TOTPMode{"": TOTPOff, "off": TOTPOff, "optional": TOTPOptional, "required": TOTPRequired} {
		if got, err := ParseTOTPMode(in); got != want || err != nil {
			t.Errorf("%q: %q %v", in, got, err)
		}
	}
	for _, in := range []string{"on", "Required", " off"} {
		if _, err := ParseTOTPMode(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
	if _, err := New(Config{Messages: newFakeStore(time.Now), Mailer: &fakeMailer{}, TOTP: "yes"}); err == nil {
		t.Fatal("New accepted TOTP mode yes")
	}
}

// TestBrowserTOTPEnrolAndCode enrols in Chromium (the QR must load under
// the CSP) and then opens a second message with the app's code; every page
// is shot at phone and desktop widths and audited with axe.
func TestBrowserTOTPEnrolAndCode(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.TOTP = TOTPRequired })
	b := newBrowser(t, e)
	raw, _ := testMessage(t, "a.pdf", 1000)
	e.addMessage("tok-btotp-1-00000000000000", "m1", "bob@patient.example", raw)
	e.addMessage("tok-btotp-2-00000000000000", "m2", "bob@patient.example", raw)
	base := e.ts.URL

	emailCode := func(tok string) {
		b.Do(chromedp.Navigate(base+"/m/"+tok), chromedp.WaitVisible("button"), chromedp.Click("button"))
		b.WaitFor("#code")
		b.Do(chromedp.SendKeys("#code", e.mailer.last("bob@patient.example")+"\r"))
	}
	emailCode("tok-btotp-1-00000000000000")
	b.WaitFor(".qr img")
	loaded, err := chromedp.Run(b.Ctx, chromedp.Evaluate[bool](`(() => { const i = document.querySelector('.qr img'); return i.complete && i.naturalWidth >= 200 })()`))
	if err != nil || !loaded {
		t.Fatalf("QR image did not load under the CSP: %v", err)
	}
	b.Shoot("totp-01-enrol")
	secret := secretOf(t, "<code class=\"secret\">"+b.Text(".secret")+"</code>")
	b.Do(chromedp.SendKeys("#code", "000000\r"))
	b.WaitFor("#code-error")
	b.Shoot("totp-02-enrol-wrong")
	b.Do(chromedp.SendKeys("#code", totpNow(t, secret, e.clock.now())+"\r"))
	b.WaitFor(".body")
	if body := b.Text(".body"); !strings.Contains(body, bodyMarker) {
		t.Fatalf("after enrolment: %q", body)
	}

	e.clock.add(30 * time.Second)
	emailCode("tok-btotp-2-00000000000000")
	// The email code form has a #code too: wait for the TOTP form itself.
	b.WaitFor(`form[action="/m/tok-btotp-2-00000000000000/totp"] #code`)
	if h := b.Text("h1"); h != "Enter your authenticator code" {
		t.Fatalf("second message asks %q", h)
	}
	b.Shoot("totp-03-code")
	b.Do(chromedp.SendKeys("#code", totpNow(t, secret, e.clock.now())+"\r"))
	b.WaitFor(".body")
	if body := b.Text(".body"); !strings.Contains(body, bodyMarker) {
		t.Fatalf("after the TOTP: %q", body)
	}
}

// TestBrowserOptionalEnrolment shoots the message page's offer and the
// in-session enrolment.
func TestBrowserOptionalEnrolment(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.TOTP = TOTPOptional })
	b := newBrowser(t, e)
	raw, _ := testMessage(t, "a.pdf", 1000)
	e.addMessage("tok-bopt-1-000000000000000", "m1", "bob@patient.example", raw)
	b.Do(chromedp.Navigate(e.ts.URL+"/m/tok-bopt-1-000000000000000"), chromedp.WaitVisible("button"), chromedp.Click("button"))
	b.WaitFor("#code")
	b.Do(chromedp.SendKeys("#code", e.mailer.last("bob@patient.example")+"\r"))
	b.WaitFor(`a[href="/v/enrol"]`)
	b.Do(chromedp.Click(`a[href="/v/enrol"]`))
	b.WaitFor(".qr img")
	b.Shoot("totp-04-optional-enrol")
	secret := secretOf(t, "<code class=\"secret\">"+b.Text(".secret")+"</code>")
	b.Do(chromedp.SendKeys("#code", totpNow(t, secret, e.clock.now())+"\r"))
	b.WaitFor(`[role=status]`)
	b.Shoot("totp-05-enrolled")
	if e.store.count(EventTOTPEnrolled) != 1 {
		t.Fatal("no enrolment recorded")
	}
}

// FuzzTOTPForm posts hostile codes to the TOTP and enrolment forms of a
// browser that passed the email code: only the app's current code opens
// the message, and nothing panics.
func FuzzTOTPForm(f *testing.F) {
	for _, s := range []string{"", "000000", " 1 2 3 4 5 6 ", "１２３４５６", strings.Repeat("9", 100), "\x00\xff"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	e := newEnv(f, func(c *Config) { c.TOTP = TOTPRequired })
	raw, _ := testMessage(f, "a.pdf", 10)
	e.addMessage("tok-fuzz-1-000000000000000", "m1", "bob@patient.example", raw)
	e.addMessage("tok-fuzz-2-000000000000000", "m2", "carol@patient.example", raw)
	secret := make([]byte, totpSecretBytes)
	e.store.totp["bob@patient.example"] = &fakeTOTP{secret: secret, lastStep: -1}
	type browser struct {
		c    *http.Client
		csrf string
	}
	pending := map[bool]browser{}
	for tok, enrol := range map[string]bool{"tok-fuzz-1-000000000000000": false, "tok-fuzz-2-000000000000000": true} {
		c := e.client()
		csrf := e.requestCode(c, tok)
		rcpt := map[bool]string{false: "bob@patient.example", true: "carol@patient.example"}[enrol]
		e.post(c, "/m/"+tok+"/verify", url.Values{"csrf": {csrf}, "code": {e.mailer.last(rcpt)}})
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		pending[enrol] = browser{c, csrf}
	}
	f.Fuzz(func(t *testing.T, code string, enrol bool) {
		e.store.mu.Lock()
		for _, tk := range e.store.toks {
			tk.totpFails, tk.lockedUntil = 0, time.Time{}
		}
		e.store.srcs = map[string]*fakeSource{}
		e.store.mu.Unlock()
		e.srv.ipFail = newLimiter(20, time.Minute, e.clock.now)
		b := pending[enrol]
		tok, path := "tok-fuzz-1-000000000000000", "/totp"
		if enrol {
			tok, path = "tok-fuzz-2-000000000000000", "/enrol"
		}
		for d := -1; d <= 1 && !enrol; d++ {
			if normCode(code) == totpNow(t, secret, e.clock.now().Add(time.Duration(d)*30*time.Second)) {
				t.Skip("the right code: the flow tests cover it")
			}
		}
		hr, err := b.c.PostForm(e.ts.URL+"/m/"+tok+path, url.Values{"csrf": {b.csrf}, "code": {code}})
		if err != nil {
			t.Fatal(err)
		}
		r := read(t, hr)
		if r.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("code %q: %d %s", code, r.StatusCode, r.Header.Get("Location"))
		}
	})
}
