package web

import (
	"io"
	"mime"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestFlowLandingCodeViewDownload(t *testing.T) {
	e := newEnv(t, nil)
	raw, att := testMessage(t, "résultats 2026.pdf", 300<<10)
	e.addMessage("tokA-0123456789abcdefghij", "msgA", "bob@patient.example", raw)
	c := e.client()

	land := e.get(c, "/m/tokA-0123456789abcdefghij")
	if land.StatusCode != 200 || !strings.Contains(land.body, "Dr. Alice Sender") || !strings.Contains(land.body, "2026") {
		t.Fatalf("landing: %d %s", land.StatusCode, land.body)
	}
	if strings.Contains(land.body, subjectMarker) || strings.Contains(land.body, bodyMarker) {
		t.Fatal("landing page shows the subject or body before verification")
	}
	page := e.login(c, "tokA-0123456789abcdefghij", "bob@patient.example")
	for _, want := range []string{subjectMarker, bodyMarker, "résultats 2026.pdf", "/v/att/2", "[https://clinic.example/info]"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("message page lacks %q", want)
		}
	}
	if e.store.count(EventOpened) != 2 || e.store.count(EventCodeSent) != 1 || e.store.count(EventVerified) != 1 {
		t.Errorf("events: %+v", e.store.events)
	}

	r, err := c.Get(e.ts.URL + "/v/att/2")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if string(got) != string(att) {
		t.Fatalf("attachment: got %d bytes, want %d identical", len(got), len(att))
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/pdf" {
		t.Errorf("Content-Type %q", ct)
	}
	_, params, err := mime.ParseMediaType(r.Header.Get("Content-Disposition"))
	if err != nil || params["filename"] != "résultats 2026.pdf" || !strings.HasPrefix(r.Header.Get("Content-Disposition"), "attachment;") {
		t.Errorf("Content-Disposition %q (%v)", r.Header.Get("Content-Disposition"), err)
	}
	if e.store.count(EventDownloaded) != 1 {
		t.Error("download not recorded")
	}
	if p := e.get(c, "/v/print"); p.StatusCode != 200 || !strings.Contains(p.body, bodyMarker) || strings.Contains(p.body, `action="/v/logout"`) {
		t.Errorf("print view: %d", p.StatusCode)
	}
	if n := e.get(c, "/v/att/0"); n.StatusCode != 404 {
		t.Errorf("body part served as attachment: %d", n.StatusCode)
	}
}

func TestUnknownExpiredRevokedLookAlike(t *testing.T) {
	e := newEnv(t, nil)
	raw, _ := testMessage(t, "a.pdf", 10)
	e.addMessage("tok-expired-000000000000", "exp", "bob@patient.example", raw)
	e.addMessage("tok-revoked-000000000000", "rev", "bob@patient.example", raw)
	e.store.revoke("rev")
	e.store.msgs["exp"].meta.Expires = e.clock.now().Add(-time.Second)
	c := e.client()
	var first string
	for _, tok := range []string{"tok-unknown-000000000000", "tok-expired-000000000000", "tok-revoked-000000000000", strings.Repeat("x", 500)} {
		r := e.get(c, "/m/"+tok)
		if r.StatusCode != 404 {
			t.Errorf("%s: status %d", tok[:12], r.StatusCode)
		}
		if first == "" {
			first = r.body
		} else if r.body != first {
			t.Errorf("%s: page differs from the unknown-token page", tok[:12])
		}
		if len(r.Cookies()) != 0 {
			t.Errorf("%s: sets a cookie", tok[:12])
		}
		if strings.Contains(r.body, "Alice") {
			t.Errorf("%s: reveals the sender", tok[:12])
		}
	}
}

func TestCodeSingleUse(t *testing.T) {
	e := newEnv(t, nil)
	raw, _ := testMessage(t, "a.pdf", 10)
	e.addMessage("tok-single-0000000000000", "m1", "bob@patient.example", raw)
	e.login(e.client(), "tok-single-0000000000000", "bob@patient.example")
	code := e.mailer.last("bob@patient.example")
	if len(code) != 8 || strings.Trim(code, "0123456789") != "" {
		t.Fatalf("code %q is not 8 digits", code)
	}
	c2 := e.client()
	land := e.get(c2, "/m/tok-single-0000000000000/verify")
	r := e.post(c2, "/m/tok-single-0000000000000/verify", url.Values{"csrf": {csrfOf(t, land.body)}, "code": {code}})
	if r.StatusCode != 422 || r.Request.URL.Path == "/v" {
		t.Fatalf("second use of a code: %d at %s", r.StatusCode, r.Request.URL.Path)
	}
}

func TestCodeExpires(t *testing.T) {
	e := newEnv(t, nil)
	raw, _ := testMessage(t, "a.pdf", 10)
	e.addMessage("tok-expire-0000000000000", "m1", "bob@patient.example", raw)
	c := e.client()
	csrf := e.requestCode(c, "tok-expire-0000000000000")
	e.clock.add(10*time.Minute + time.Second)
	r := e.post(c, "/m/tok-expire-0000000000000/verify", url.Values{"csrf": {csrf}, "code": {e.mailer.last("bob@patient.example")}})
	if r.StatusCode != 422 {
		t.Fatalf("expired code: %d", r.StatusCode)
	}
}

func TestSessionIdleTimeout(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.IdleTimeout = 5 * time.Minute })
	raw, _ := testMessage(t, "a.pdf", 10)
	e.addMessage("tok-idle-000000000000000", "m1", "bob@patient.example", raw)
	c := e.client()
	e.login(c, "tok-idle-000000000000000", "bob@patient.example")
	e.clock.add(4 * time.Minute)
	if r := e.get(c, "/v"); r.StatusCode != 200 {
		t.Fatalf("active session refused: %d", r.StatusCode)
	}
	e.clock.add(5*time.Minute + time.Second)
	if r := e.get(c, "/v"); r.StatusCode != 401 || strings.Contains(r.body, bodyMarker) {
		t.Fatalf("idle session still open: %d", r.StatusCode)
	}
}
