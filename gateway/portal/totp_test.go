package portal

import (
	"context"
	"image/png"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"github.com/sealgate/sealgate/gateway/portal/store"
)

var (
	secretRe = regexp.MustCompile(`<code class="secret">([A-Z2-7 ]+)</code>`)
	uriRe    = regexp.MustCompile(`href="(otpauth://totp/[^"]+)"`)
)

func totpEnv(t *testing.T, mode string) *env {
	return newEnv(t, func(c *Config) { c.TOTP = mode })
}

// appCode is what the recipient's authenticator app shows now.
func (e *env) appCode(secret string) string {
	e.t.Helper()
	c, err := totp.GenerateCode(secret, e.clock.now())
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// wrongCode is six digits that are not the app's code in the skew window.
func (e *env) wrongCode(secret string) string {
	e.t.Helper()
	for _, w := range []string{"000000", "111111", "222222", "333333"} {
		ok := true
		for d := -1; d <= 1; d++ {
			c, _ := totp.GenerateCode(secret, e.clock.now().Add(time.Duration(d)*30*time.Second))
			ok = ok && c != w
		}
		if ok {
			return w
		}
	}
	e.t.Fatal("no wrong code")
	return ""
}

// emailCode runs the landing and email code steps; it returns the page
// the correct code leads to.
func (e *env) emailCode(c *http.Client, link, rcpt string) resp {
	e.t.Helper()
	csrf := e.askCode(c, link)
	return e.verify(c, link, csrf, e.mailer.last(rcpt))
}

// enrolPage checks an enrolment page and returns its secret (base32).
func (e *env) enrolPage(c *http.Client, r resp, qrPath, rcpt string) string {
	e.t.Helper()
	m := secretRe.FindStringSubmatch(r.body)
	u := uriRe.FindStringSubmatch(r.body)
	if r.status != 200 || m == nil || u == nil || !strings.Contains(r.body, `src="`+qrPath+`"`) {
		e.t.Fatalf("enrolment page: %d at %s:\n%s", r.status, r.path, r.body)
	}
	secret := strings.ReplaceAll(m[1], " ", "")
	uri, err := url.Parse(strings.ReplaceAll(u[1], "&amp;", "&"))
	if err != nil {
		e.t.Fatal(err)
	}
	q := uri.Query()
	if q.Get("secret") != secret || q.Get("issuer") != "Example Clinic" || q.Get("digits") != "6" ||
		q.Get("period") != "30" || q.Get("algorithm") != "SHA1" || !strings.HasSuffix(uri.Path, ":"+rcpt) {
		e.t.Fatalf("otpauth URI %s for secret %s", uri, secret)
	}
	if len(secret) != 32 {
		e.t.Fatalf("secret %q is not 160 bits", secret)
	}
	qr, err := c.Get(e.ts.URL + qrPath)
	if err != nil {
		e.t.Fatal(err)
	}
	defer qr.Body.Close()
	img, err := png.Decode(qr.Body)
	if err != nil || qr.Header.Get("Content-Type") != "image/png" || qr.Header.Get("Cache-Control") != "no-store" ||
		img.Bounds().Dx() < 200 {
		e.t.Fatalf("QR image: %v %v", err, qr.Header)
	}
	return secret
}

// enrolRequired takes a fresh browser through the code and enrolment on
// link and returns the secret enrolled.
func (e *env) enrolRequired(link, rcpt string) string {
	e.t.Helper()
	c := e.browser()
	r := e.emailCode(c, link, rcpt)
	if r.path != e.path(link)+"/enrol" {
		e.t.Fatalf("after the email code: %d at %s", r.status, r.path)
	}
	secret := e.enrolPage(c, r, e.path(link)+"/enrol/qr", rcpt)
	page := e.do(c, "POST", e.path(link)+"/enrol", url.Values{"csrf": {csrfOf(e.t, r.body)}, "code": {e.appCode(secret)}})
	if page.path != "/v" || !strings.Contains(page.body, bodyMarker) {
		e.t.Fatalf("after enrolment: %d at %s", page.status, page.path)
	}
	return secret
}

func TestRequiredTOTPEnrolsOnceThenAsksOnEveryMessageToTheAddress(t *testing.T) {
	e := totpEnv(t, "required")
	first, _ := e.deposit(time.Time{}, rcptA)
	// A later message to the same address, spelled in another case.
	second, _ := e.deposit(time.Time{}, strings.ToUpper(rcptA[:1])+rcptA[1:], rcptB)
	secret := e.enrolRequired(first.Grants[0].Link, rcptA)
	if e.sink.count(KindTOTPEnrolled, rcptA) != 1 {
		t.Fatalf("totp_enrolled events: %d", e.sink.count(KindTOTPEnrolled, rcptA))
	}

	e.clock.add(time.Minute)
	link, rcpt := second.Grants[0].Link, second.Grants[0].Recipient
	c := e.browser()
	r := e.emailCode(c, link, rcpt)
	if r.path != e.path(link)+"/totp" || !strings.Contains(r.body, "authenticator") || strings.Contains(r.body, "secret") {
		t.Fatalf("second message asks %d at %s", r.status, r.path)
	}
	if v := e.do(c, "GET", "/v", nil); v.status != 401 {
		t.Fatalf("/v before the TOTP: %d", v.status)
	}
	code := e.appCode(secret)
	page := e.do(c, "POST", e.path(link)+"/totp", url.Values{"csrf": {csrfOf(t, r.body)}, "code": {code}})
	if page.path != "/v" || !strings.Contains(page.body, bodyMarker) {
		t.Fatalf("after the TOTP: %d at %s", page.status, page.path)
	}
	// The same code again, in its own step, from another browser: refused.
	c2 := e.browser()
	r = e.emailCode(c2, link, rcpt)
	replay := e.do(c2, "POST", e.path(link)+"/totp", url.Values{"csrf": {csrfOf(t, r.body)}, "code": {code}})
	if replay.status != 422 || replay.path == "/v" || strings.Contains(replay.body, bodyMarker) {
		t.Fatalf("replayed TOTP: %d at %s", replay.status, replay.path)
	}
	// Recipient B of the same message has no authenticator: B enrols.
	if r := e.emailCode(e.browser(), second.Grants[1].Link, rcptB); r.path != e.path(second.Grants[1].Link)+"/enrol" {
		t.Fatalf("B after the email code: %d at %s", r.status, r.path)
	}
	evs, err := e.svc.st.Events(context.Background(), second.ID)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[store.EventKind]int{}
	for _, ev := range evs {
		kinds[ev.Kind]++
	}
	if kinds[store.EventTOTPVerified] != 1 || kinds[store.EventFailed] != 1 {
		t.Fatalf("store events of the second message: %v", kinds)
	}
	if e.sink.count(KindTOTPVerified, rcpt) != 1 || e.sink.count(KindCodeFailed, rcpt) != 1 {
		t.Fatalf("sink: verified %d failed %d", e.sink.count(KindTOTPVerified, rcpt), e.sink.count(KindCodeFailed, rcpt))
	}
}

func TestWrongTOTPsLockTheTokenOut(t *testing.T) {
	e := totpEnv(t, "required")
	rc, _ := e.deposit(time.Time{}, rcptA)
	link := rc.Grants[0].Link
	secret := e.enrolRequired(link, rcptA)
	e.clock.add(time.Minute)
	c := e.browser()
	r := e.emailCode(c, link, rcptA)
	csrf := csrfOf(t, r.body)
	for i := 1; i <= store.DefaultMaxFailures; i++ {
		want := 422
		if i == store.DefaultMaxFailures {
			want = 429
		}
		if r := e.do(c, "POST", e.path(link)+"/totp", url.Values{"csrf": {csrf}, "code": {e.wrongCode(secret)}}); r.status != want {
			t.Fatalf("wrong TOTP %d: %d, want %d", i, r.status, want)
		}
	}
	if r := e.do(c, "POST", e.path(link)+"/totp", url.Values{"csrf": {csrf}, "code": {e.appCode(secret)}}); r.status != 429 || r.path == "/v" {
		t.Fatalf("right TOTP while locked: %d at %s", r.status, r.path)
	}
	// The lockout is the token's: the email code form is shut too.
	land := e.do(c, "GET", e.path(link), nil)
	if r := e.do(c, "POST", e.path(link)+"/code", url.Values{"csrf": {csrfOf(t, land.body)}}); r.status != 429 {
		t.Fatalf("code request while locked: %d", r.status)
	}
	if e.sink.count(KindCodeFailed, rcptA) != store.DefaultMaxFailures || e.sink.count(KindLocked, rcptA) != 1 {
		t.Fatalf("failed %d locked %d", e.sink.count(KindCodeFailed, rcptA), e.sink.count(KindLocked, rcptA))
	}
}

func TestTOTPStepsCannotBeReachedWithoutTheEmailCode(t *testing.T) {
	e := totpEnv(t, "required")
	rc, _ := e.deposit(time.Time{}, rcptA, rcptB)
	linkA, linkB := rc.Grants[0].Link, rc.Grants[1].Link
	secret := e.enrolRequired(linkA, rcptA)
	e.clock.add(time.Minute)
	c := e.browser()
	land := e.do(c, "GET", e.path(linkA), nil)
	csrf := csrfOf(t, land.body)
	for _, p := range []string{"/totp", "/enrol", "/enrol/qr"} {
		if r := e.do(c, "GET", e.path(linkA)+p, nil); r.status != 401 {
			t.Errorf("GET %s without the email code: %d", p, r.status)
		}
	}
	if r := e.do(c, "POST", e.path(linkA)+"/totp", url.Values{"csrf": {csrf}, "code": {e.appCode(secret)}}); r.status != 401 || r.path == "/v" {
		t.Fatalf("TOTP without the email code: %d at %s", r.status, r.path)
	}
	// B's pending enrolment does not open A's TOTP form, nor A's B's.
	rb := e.emailCode(c, linkB, rcptB)
	if rb.path != e.path(linkB)+"/enrol" {
		t.Fatalf("B: %s", rb.path)
	}
	if r := e.do(c, "GET", e.path(linkA)+"/totp", nil); r.status != 401 {
		t.Fatalf("A's TOTP form on B's pending step: %d", r.status)
	}
	// No CSRF token: refused before anything is counted.
	if r := e.do(c, "POST", e.path(linkB)+"/enrol", url.Values{"code": {"123456"}}); r.status != 403 {
		t.Fatalf("enrol without CSRF: %d", r.status)
	}
}

func TestOptionalTOTPLetsTheUnenrolledInAndOffersEnrolment(t *testing.T) {
	e := totpEnv(t, "optional")
	first, _ := e.deposit(time.Time{}, rcptA)
	second, _ := e.deposit(time.Time{}, rcptA)
	c := e.browser()
	page := e.emailCode(c, first.Grants[0].Link, rcptA)
	if page.path != "/v" || !strings.Contains(page.body, bodyMarker) || !strings.Contains(page.body, `href="/v/enrol"`) {
		t.Fatalf("optional, not enrolled: %d at %s", page.status, page.path)
	}
	r := e.do(c, "GET", "/v/enrol", nil)
	secret := e.enrolPage(c, r, "/v/enrol/qr", rcptA)
	if !strings.Contains(r.body, `href="/v"`) {
		t.Fatal("optional enrolment offers no way back")
	}
	if x := e.do(c, "POST", "/v/enrol", url.Values{"code": {e.appCode(secret)}}); x.status != 403 {
		t.Fatalf("enrol without CSRF: %d", x.status)
	}
	if x := e.do(c, "POST", "/v/enrol", url.Values{"csrf": {csrfOf(t, r.body)}, "code": {e.wrongCode(secret)}}); x.status != 422 {
		t.Fatalf("enrol with a wrong code: %d", x.status)
	}
	done := e.do(c, "POST", "/v/enrol", url.Values{"csrf": {csrfOf(t, r.body)}, "code": {e.appCode(secret)}})
	if done.status != 200 || !strings.Contains(done.body, "set up") {
		t.Fatalf("enrolled: %d %s", done.status, done.body)
	}
	if v := e.do(c, "GET", "/v", nil); strings.Contains(v.body, `href="/v/enrol"`) || e.do(c, "GET", "/v/enrol", nil).status != 404 {
		t.Fatal("enrolment still offered after enrolling")
	}
	e.clock.add(time.Minute)
	c2 := e.browser()
	if r := e.emailCode(c2, second.Grants[0].Link, rcptA); r.path != e.path(second.Grants[0].Link)+"/totp" {
		t.Fatalf("enrolled address, optional mode: %d at %s", r.status, r.path)
	}
}

func TestTOTPOffShowsNoneOfIt(t *testing.T) {
	e := totpEnv(t, "")
	rc, _ := e.deposit(time.Time{}, rcptA)
	link := rc.Grants[0].Link
	c := e.browser()
	page := e.emailCode(c, link, rcptA)
	if page.path != "/v" || strings.Contains(strings.ToLower(page.body), "authenticator") {
		t.Fatalf("off: %d at %s", page.status, page.path)
	}
	for _, p := range []string{"/v/enrol", "/v/enrol/qr", e.path(link) + "/totp", e.path(link) + "/enrol"} {
		if r := e.do(c, "GET", p, nil); r.status == 200 || strings.Contains(r.body, "otpauth") {
			t.Errorf("off: GET %s = %d", p, r.status)
		}
	}
	if on, err := e.svc.st.TOTPEnrolled(context.Background(), strings.TrimPrefix(e.path(link), "/m/")); on || err != nil {
		t.Fatalf("enrolled in off mode: %v %v", on, err)
	}
	if _, err := New(Config{Dir: t.TempDir(), KEK: e.svc.cfg.KEK, PublicURL: "https://p.example", TOTP: "sometimes"},
		e.mailer, nil, e.sink); err == nil || !strings.Contains(err.Error(), "sometimes") {
		t.Fatalf("bad TOTP mode: %v", err)
	}
}

func TestResetTOTPLetsTheAddressEnrolAgain(t *testing.T) {
	e := totpEnv(t, "required")
	first, _ := e.deposit(time.Time{}, rcptA)
	e.enrolRequired(first.Grants[0].Link, rcptA)
	if had, err := e.svc.ResetTOTP(context.Background(), strings.ToUpper(rcptA), "admin"); !had || err != nil {
		t.Fatalf("reset: %v %v", had, err)
	}
	if had, _ := e.svc.ResetTOTP(context.Background(), rcptA, "admin"); had {
		t.Fatal("second reset found an enrolment")
	}
	if e.sink.count(KindTOTPReset, strings.ToUpper(rcptA)) != 1 {
		t.Fatal("reset not recorded")
	}
	e.clock.add(time.Minute)
	if r := e.emailCode(e.browser(), first.Grants[0].Link, rcptA); r.path != e.path(first.Grants[0].Link)+"/enrol" {
		t.Fatalf("after reset: %d at %s", r.status, r.path)
	}
}
