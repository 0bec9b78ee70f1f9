package web

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestWrongCodesLockOut(t *testing.T) {
	e := newEnv(t, nil)
	raw, _ := testMessage(t, "a.pdf", 10)
	e.addMessage("tok-lock-000000000000000", "m1", "bob@patient.example", raw)
	c := e.client()
	csrf := e.requestCode(c, "tok-lock-000000000000000")
	good := e.mailer.last("bob@patient.example")
	wrong := fmt.Sprintf("%08d", (atoi(good)+1)%100_000_000)
	for i := 1; i <= 5; i++ {
		r := e.post(c, "/m/tok-lock-000000000000000/verify", url.Values{"csrf": {csrf}, "code": {wrong}})
		want := 422
		if i == 5 {
			want = 429
		}
		if r.StatusCode != want {
			t.Fatalf("attempt %d: %d, want %d", i, r.StatusCode, want)
		}
	}
	r := e.post(c, "/m/tok-lock-000000000000000/verify", url.Values{"csrf": {csrf}, "code": {good}})
	if r.StatusCode != 429 || r.Request.URL.Path == "/v" {
		t.Fatalf("right code after lockout: %d", r.StatusCode)
	}
	sent := e.mailer.sent()
	if r := e.post(c, "/m/tok-lock-000000000000000/code", url.Values{"csrf": {csrf}}); r.StatusCode != 429 || e.mailer.sent() != sent {
		t.Fatalf("new code during lockout: %d, mails %d -> %d", r.StatusCode, sent, e.mailer.sent())
	}
	if e.store.count(EventFailed) != 5 || e.store.count(EventLocked) != 1 {
		t.Errorf("failed %d locked %d", e.store.count(EventFailed), e.store.count(EventLocked))
	}
	e.clock.add(16 * time.Minute)
	e.login(e.client(), "tok-lock-000000000000000", "bob@patient.example")
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

func TestIPRateLimit(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.IPFailures = 6; c.IPCodeSends = 50 })
	raw, _ := testMessage(t, "a.pdf", 10)
	for i := range 4 {
		e.addMessage(fmt.Sprintf("tok-ip-%d-00000000000000", i), fmt.Sprintf("m%d", i), "bob@patient.example", raw)
	}
	c := e.client()
	fails := 0
	for i := range 4 {
		tok := fmt.Sprintf("tok-ip-%d-00000000000000", i)
		csrf := e.requestCode(c, tok)
		for range 2 {
			r := e.post(c, "/m/"+tok+"/verify", url.Values{"csrf": {csrf}, "code": {"000000x"}})
			fails++
			if fails <= 6 && r.StatusCode != 422 {
				t.Fatalf("failure %d: %d", fails, r.StatusCode)
			}
			if fails > 6 && r.StatusCode != 429 {
				t.Fatalf("failure %d from one IP not limited: %d", fails, r.StatusCode)
			}
		}
	}
}

func TestCSRFRefused(t *testing.T) {
	e := newEnv(t, nil)
	raw, _ := testMessage(t, "a.pdf", 10)
	e.addMessage("tok-csrf-000000000000000", "m1", "bob@patient.example", raw)
	c := e.client()
	land := e.get(c, "/m/tok-csrf-000000000000000")
	other := e.client()
	otherTok := csrfOf(t, e.get(other, "/m/tok-csrf-000000000000000").body)
	for name, form := range map[string]url.Values{
		"none": {}, "empty": {"csrf": {""}}, "other browser's": {"csrf": {otherTok}}, "forged": {"csrf": {"AAAA"}},
	} {
		if r := e.post(c, "/m/tok-csrf-000000000000000/code", form); r.StatusCode != 403 {
			t.Errorf("code request with %s token: %d", name, r.StatusCode)
		}
		if r := e.post(c, "/m/tok-csrf-000000000000000/verify", form); r.StatusCode != 403 {
			t.Errorf("verify with %s token: %d", name, r.StatusCode)
		}
	}
	if e.mailer.sent() != 0 {
		t.Fatal("a code was mailed without a valid CSRF token")
	}
	_ = land
	e.login(c, "tok-csrf-000000000000000", "bob@patient.example")
	if r := e.post(c, "/v/reply", url.Values{"body": {"hi"}}); r.StatusCode != 403 || len(e.replies.got) != 0 {
		t.Errorf("reply without token: %d, %d sent", r.StatusCode, len(e.replies.got))
	}
	if r := e.post(c, "/v/logout", url.Values{"csrf": {otherTok}}); r.StatusCode != 403 {
		t.Errorf("logout with another browser's token: %d", r.StatusCode)
	}
	if r := e.get(c, "/v"); r.StatusCode != 200 {
		t.Errorf("session ended by a forged logout: %d", r.StatusCode)
	}
}

func TestOneTokenNeverOpensAnother(t *testing.T) {
	e := newEnv(t, nil)
	rawA, attA := testMessage(t, "a.pdf", 1000)
	rawB, _ := testMessage(t, "b.pdf", 1000)
	rawB = bytes.Replace(rawB, []byte(bodyMarker), []byte("BODY-OF-B-ONLY"), -1)
	e.addMessage("tok-A-000000000000000000", "mA", "bob@patient.example", rawA)
	e.addMessage("tok-B-000000000000000000", "mB", "bob@patient.example", rawB)
	c := e.client()
	// Codes for both messages go to the same address; A's code must not open B.
	csrfB := e.requestCode(c, "tok-B-000000000000000000")
	codeB := e.mailer.last("bob@patient.example")
	csrfA := e.requestCode(c, "tok-A-000000000000000000")
	codeA := e.mailer.last("bob@patient.example")
	if codeA == codeB {
		t.Skip("codes collided by chance")
	}
	if r := e.post(c, "/m/tok-B-000000000000000000/verify", url.Values{"csrf": {csrfB}, "code": {codeA}}); r.StatusCode != 422 {
		t.Fatalf("A's code on B's link: %d", r.StatusCode)
	}
	r := e.post(c, "/m/tok-A-000000000000000000/verify", url.Values{"csrf": {csrfA}, "code": {codeA}})
	if !strings.Contains(r.body, bodyMarker) || strings.Contains(r.body, "BODY-OF-B-ONLY") {
		t.Fatal("A's session does not show exactly A")
	}
	// A's session on every path shows A only.
	for _, p := range []string{"/v", "/v/print", "/v/reply", "/m/tok-B-000000000000000000/verify"} {
		if strings.Contains(e.get(c, p).body, "BODY-OF-B-ONLY") {
			t.Errorf("%s shows B's body in A's session", p)
		}
	}
	got := e.get(c, "/v/att/2").body
	if got != string(attA) {
		t.Error("A's session downloads something other than A's attachment")
	}
}

func TestSecurityHeadersEverywhere(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.TOTP = TOTPOptional })
	raw, _ := testMessage(t, "a.pdf", 100)
	e.addMessage("tok-hdr-0000000000000000", "m1", "bob@patient.example", raw)
	c := e.client()
	e.login(c, "tok-hdr-0000000000000000", "bob@patient.example")
	anon := e.client()
	check := func(name string, r *http.Response) { t.Helper(); checkHeaders(t, name, r) }
	for _, p := range []string{"/v", "/v/print", "/v/reply", "/v/att/2", "/v/att/99", "/v/att/x", "/v/enrol", "/v/enrol/qr", "/static/portal.css", "/m/tok-hdr-0000000000000000"} {
		check(p, e.get(c, p).Response)
	}
	for _, p := range []string{"/", "/nothing", "/m/unknown", "/v", "/v/att/2", "/v/enrol", "/v/enrol/qr",
		"/m/tok-hdr-0000000000000000/totp", "/m/tok-hdr-0000000000000000/enrol", "/m/tok-hdr-0000000000000000/enrol/qr",
		"/static/missing.css"} {
		check("anonymous "+p, e.get(anon, p).Response)
	}
	check("POST without csrf", e.post(anon, "/m/tok-hdr-0000000000000000/code", nil).Response)
	for _, p := range []string{"/m/tok-hdr-0000000000000000/totp", "/m/tok-hdr-0000000000000000/enrol", "/v/enrol"} {
		check("POST without csrf "+p, e.post(anon, p, nil).Response)
	}
	req, _ := http.NewRequest(http.MethodDelete, e.ts.URL+"/v", nil)
	r, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	check("DELETE", r)
}

func TestCookieAttributes(t *testing.T) {
	e := newEnv(t, nil)
	raw, _ := testMessage(t, "a.pdf", 10)
	e.addMessage("tok-cookie-0000000000000", "m1", "bob@patient.example", raw)
	c := e.client()
	var set []*http.Cookie
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		set = append(set, req.Response.Cookies()...)
		return nil
	}
	land := e.get(c, "/m/tok-cookie-0000000000000")
	set = append(set, land.Cookies()...)
	e.login(c, "tok-cookie-0000000000000", "bob@patient.example")
	names := map[string]bool{}
	for _, ck := range set {
		names[ck.Name] = true
		if !ck.Secure || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/" || ck.Domain != "" || !strings.HasPrefix(ck.Name, "__Host-") {
			t.Errorf("cookie %s: %+v", ck.Name, ck)
		}
		if len(ck.Value) > 0 && len(ck.Value) < 22 {
			t.Errorf("cookie %s holds under 128 bits", ck.Name)
		}
	}
	if !names[preCookie] || !names[sessionCookie] {
		t.Errorf("cookies seen: %v", names)
	}
}

func TestNoPHIInLogs(t *testing.T) {
	var logs bytes.Buffer
	e := newEnv(t, func(c *Config) { c.Log = slog.New(slog.NewJSONHandler(&logs, nil)) })
	raw, _ := testMessage(t, "secret-name.pdf", 10)
	e.addMessage("tok-log-0000000000000000", "m1", "bob@patient.example", raw)
	c := e.client()
	e.login(c, "tok-log-0000000000000000", "bob@patient.example")
	// Corrupt the stored message so every view fails and logs.
	e.store.msgs["m1"].raw = append([]byte("Subject: "+subjectMarker+"\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n"+bodyMarker), bytes.Repeat([]byte{0xff}, 10)...)
	for _, p := range []string{"/v", "/v/att/2", "/v/print"} {
		e.get(c, p)
	}
	out := logs.String()
	for _, bad := range []string{subjectMarker, bodyMarker, "bob@patient.example", "secret-name", "tok-log"} {
		if strings.Contains(out, bad) {
			t.Errorf("log holds %q:\n%s", bad, out)
		}
	}
}

func TestRevokeEndsOpenSession(t *testing.T) {
	e := newEnv(t, nil)
	raw, _ := testMessage(t, "a.pdf", 100)
	e.addMessage("tok-revoke-0000000000000", "m1", "bob@patient.example", raw)
	c := e.client()
	e.login(c, "tok-revoke-0000000000000", "bob@patient.example")
	e.store.revoke("m1")
	// The first request finds the message gone (the neutral page) and ends
	// the session; the rest find no session.
	for i, p := range []string{"/v", "/v/att/2", "/v/print", "/v/reply"} {
		r := e.get(c, p)
		want := http.StatusUnauthorized
		if i == 0 {
			want = http.StatusNotFound
		}
		if r.StatusCode != want || strings.Contains(r.body, bodyMarker) || strings.Contains(r.body, subjectMarker) {
			t.Errorf("%s after revoke: %d, want %d", p, r.StatusCode, want)
		}
	}
}

func TestRecipientsOfOneMessageHaveOwnCodes(t *testing.T) {
	e := newEnv(t, nil)
	raw, _ := testMessage(t, "a.pdf", 10)
	e.addMessage("tok-bob-00000000000000000", "m1", "bob@patient.example", raw)
	e.store.add("tok-carol-000000000000000", Message{ID: "m1", Recipient: "carol@other.example"}, nil)
	cb, cc := e.client(), e.client()
	e.requestCode(cb, "tok-bob-00000000000000000")
	csrfC := e.requestCode(cc, "tok-carol-000000000000000")
	bobs, carols := e.mailer.last("bob@patient.example"), e.mailer.last("carol@other.example")
	if bobs == "" || carols == "" || bobs == carols {
		t.Fatalf("codes bob %q carol %q", bobs, carols)
	}
	if r := e.post(cc, "/m/tok-carol-000000000000000/verify", url.Values{"csrf": {csrfC}, "code": {bobs}}); r.StatusCode != 422 {
		t.Fatalf("bob's code on carol's link: %d", r.StatusCode)
	}
	r := e.post(cc, "/m/tok-carol-000000000000000/verify", url.Values{"csrf": {csrfC}, "code": {carols}})
	if r.Request.URL.Path != "/v" || !strings.Contains(r.body, bodyMarker) {
		t.Fatalf("carol's own code: %d at %s", r.StatusCode, r.Request.URL.Path)
	}
	for _, ev := range e.store.events {
		if ev.Type == EventVerified && ev.Recipient != "carol@other.example" {
			t.Errorf("verified event names %q", ev.Recipient)
		}
	}
}

func TestCodeEmailsLimitedPerToken(t *testing.T) {
	e := newEnv(t, nil)
	raw, _ := testMessage(t, "a.pdf", 10)
	e.addMessage("tok-flood-000000000000000", "m1", "bob@patient.example", raw)
	for i := 1; i <= fakeMaxCodes+1; i++ {
		// A fresh browser each time: the limit is the token's, not the client's.
		c := e.client()
		land := e.get(c, "/m/tok-flood-000000000000000")
		r := e.post(c, "/m/tok-flood-000000000000000/code", url.Values{"csrf": {csrfOf(t, land.body)}})
		want := 200
		if i > fakeMaxCodes {
			want = 429
		}
		if r.StatusCode != want {
			t.Fatalf("code request %d: %d, want %d", i, r.StatusCode, want)
		}
	}
	if e.mailer.sent() != fakeMaxCodes || e.store.count(EventCodeSent) != fakeMaxCodes {
		t.Errorf("%d codes mailed, %d recorded, want %d", e.mailer.sent(), e.store.count(EventCodeSent), fakeMaxCodes)
	}
}

// TestSourceLockoutSharedByNodes: two portal nodes share one store; the
// failures one client makes on the first lock it out on the second,
// whatever token it uses. The in-memory per-IP limit is set out of reach.
func TestSourceLockoutSharedByNodes(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.IPFailures = 1000 })
	raw, _ := testMessage(t, "a.pdf", 10)
	for i := range 6 {
		e.addMessage(fmt.Sprintf("tok-src-%d-00000000000000", i), fmt.Sprintf("m%d", i), "bob@patient.example", raw)
	}
	c := e.client()
	for i := range 5 { // 4 failures on each of 5 tokens: no token locks, the source does
		tok := fmt.Sprintf("tok-src-%d-00000000000000", i)
		csrf := e.requestCode(c, tok)
		for range 4 {
			e.post(c, "/m/"+tok+"/verify", url.Values{"csrf": {csrf}, "code": {"00000000x"}})
		}
	}
	srv, err := New(Config{Messages: e.store, Mailer: e.mailer, Now: e.clock.now, IPFailures: 1000})
	if err != nil {
		t.Fatal(err)
	}
	node2 := &env{t: t, srv: srv, store: e.store, mailer: e.mailer, clock: e.clock, pool: e.pool}
	node2.ts = httptest.NewUnstartedServer(srv)
	node2.ts.TLS = e.ts.TLS
	node2.ts.StartTLS()
	t.Cleanup(node2.ts.Close)
	c2 := node2.client()
	land := node2.get(c2, "/m/tok-src-5-00000000000000")
	sent := e.mailer.sent()
	if r := node2.post(c2, "/m/tok-src-5-00000000000000/code", url.Values{"csrf": {csrfOf(t, land.body)}}); r.StatusCode != 429 || e.mailer.sent() != sent {
		t.Fatalf("locked source asks node 2 for a code: %d", r.StatusCode)
	}
	e.clock.add(fakeLockout + time.Second)
	if r := node2.post(c2, "/m/tok-src-5-00000000000000/code", url.Values{"csrf": {csrfOf(t, land.body)}}); r.StatusCode != 200 {
		t.Fatalf("after the source lockout: %d", r.StatusCode)
	}
}

// checkHeaders asserts the security headers every response carries.
func checkHeaders(t *testing.T, name string, r *http.Response) {
	t.Helper()
	want := map[string]string{
		"Strict-Transport-Security": "max-age=63072000; includeSubDomains",
		"X-Frame-Options":           "DENY",
		"Cache-Control":             "no-store",
		"X-Content-Type-Options":    "nosniff",
		"Referrer-Policy":           "no-referrer",
	}
	for k, v := range want {
		if got := r.Header.Get(k); got != v {
			t.Errorf("%s: %s = %q, want %q", name, k, got, v)
		}
	}
	csp := r.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe") || strings.Contains(csp, "script-src") {
		t.Errorf("%s: CSP %q", name, csp)
	}
}
