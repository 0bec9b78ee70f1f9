package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	bolt "go.etcd.io/bbolt"

	"github.com/sealgate/sealgate/gateway/api/apikey"
	"github.com/sealgate/sealgate/gateway/api/idempotency"
)

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type env struct {
	t      testing.TB
	srv    *Server
	h      http.Handler
	fake   *fakeBackend
	keys   *apikey.Bolt
	idem   *idempotency.Bolt
	clock  *testClock
	reg    *prometheus.Registry
	logBuf *syncBuffer
	calls  chan Call
	send   string // tokens by scope
	read   string
	admin  string
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func newEnv(t testing.TB, tweak func(*Options)) *env {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "api.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e := &env{t: t, fake: newFake(), clock: &testClock{t: time.Now().UTC()}, reg: prometheus.NewRegistry(),
		logBuf: &syncBuffer{}, calls: make(chan Call, 10000)}
	if e.keys, err = apikey.NewBolt(db, e.clock.now); err != nil {
		t.Fatal(err)
	}
	if e.idem, err = idempotency.NewBolt(db, idempotency.Options{Now: e.clock.now}); err != nil {
		t.Fatal(err)
	}
	opts := Options{
		Backend: e.fake, Keys: e.keys, Idempotency: e.idem, Registerer: e.reg,
		Logger:   slog.New(slog.NewJSONHandler(e.logBuf, nil)),
		Hostname: "gw.test", MaxRecipients: 5, MaxMessageBytes: 1 << 20,
		RateLimit: RateLimit{PerSecond: -1},
		OnCall:    func(c Call) { e.calls <- c },
		Now:       e.clock.now,
	}
	if tweak != nil {
		tweak(&opts)
	}
	if e.srv, err = New(opts); err != nil {
		t.Fatal(err)
	}
	e.h = e.srv.Handler()
	e.send = e.token("ehr", "send")
	e.read = e.token("compliance", "read")
	e.admin = e.token("ops", "admin")
	return e
}

func (e *env) token(name string, scopes ...string) string {
	tok, _, err := e.keys.Create(name, scopes, time.Time{})
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

type req struct {
	method, path, token, ctype string
	body                       string
	header                     map[string]string
}

func (e *env) do(r req) *httptest.ResponseRecorder {
	e.t.Helper()
	hr := httptest.NewRequest(r.method, r.path, strings.NewReader(r.body))
	if r.token != "" {
		hr.Header.Set("Authorization", "Bearer "+r.token)
	}
	if r.ctype != "" {
		hr.Header.Set("Content-Type", r.ctype)
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, hr)
	return rec
}

func (e *env) sendJSON(token, body string, header map[string]string) *httptest.ResponseRecorder {
	return e.do(req{method: "POST", path: "/v1/messages", token: token, ctype: "application/json", body: body, header: header})
}

// wantProblem checks an answer is problem+json with status and type.
func wantProblem(t *testing.T, rec *httptest.ResponseRecorder, status int, typ string) Problem {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status = %d, want %d; body %s", rec.Code, status, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type = %q, want application/problem+json", ct)
	}
	var p Problem
	dec := json.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("problem body: %v: %s", err, rec.Body)
	}
	if p.Type != typ || p.Status != status || p.Title == "" {
		t.Fatalf("problem = %+v, want type %s status %d with a title", p, typ, status)
	}
	return p
}

const goodJSON = `{"from":"Clinic <noreply@clinic.example>","to":["pat@example.org"],"subject":"Appointment","text":"See you Monday."}`

func TestScopesAreEnforced(t *testing.T) {
	e := newEnv(t, nil)
	cases := []struct {
		name  string
		r     req
		want  int
		wantT string
	}{
		{"send key cannot read the audit log", req{method: "GET", path: "/v1/audit", token: e.send}, 403, ProbForbiddenScope},
		{"read key cannot send", req{method: "POST", path: "/v1/messages", token: e.read, ctype: "application/json", body: goodJSON}, 403, ProbForbiddenScope},
		{"admin key cannot send", req{method: "POST", path: "/v1/messages", token: e.admin, ctype: "application/json", body: goodJSON}, 403, ProbForbiddenScope},
		{"read key cannot administer", req{method: "GET", path: "/v1/queue", token: e.read}, 403, ProbForbiddenScope},
		{"send key cannot list API keys", req{method: "GET", path: "/v1/api-keys", token: e.send}, 403, ProbForbiddenScope},
		{"read key reads the audit log", req{method: "GET", path: "/v1/audit", token: e.read}, 200, ""},
		{"admin key reads the audit log", req{method: "GET", path: "/v1/audit", token: e.admin}, 200, ""},
		{"admin key administers", req{method: "GET", path: "/v1/queue", token: e.admin}, 200, ""},
		{"send key sends", req{method: "POST", path: "/v1/messages", token: e.send, ctype: "application/json", body: goodJSON}, 202, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := e.do(c.r)
			if c.wantT != "" {
				wantProblem(t, rec, c.want, c.wantT)
			} else if rec.Code != c.want {
				t.Fatalf("status = %d, want %d: %s", rec.Code, c.want, rec.Body)
			}
		})
	}
}

func TestRevokedAndExpiredKeysAreRefusedWithTheirOwnTypes(t *testing.T) {
	e := newEnv(t, nil)
	revoked, k, _ := e.keys.Create("old", []string{"read"}, time.Time{})
	if err := e.keys.Revoke(k.ID); err != nil {
		t.Fatal(err)
	}
	expiring, _, _ := e.keys.Create("temp", []string{"read"}, e.clock.now().Add(time.Hour))
	if rec := e.do(req{method: "GET", path: "/v1/audit", token: expiring}); rec.Code != 200 {
		t.Fatalf("before expiry: %d", rec.Code)
	}
	e.clock.add(2 * time.Hour)

	for _, c := range []struct {
		name, auth, typ string
	}{
		{"revoked", "Bearer " + revoked, ProbKeyRevoked},
		{"expired", "Bearer " + expiring, ProbKeyExpired},
		{"unknown", "Bearer sg_aaaaaaaaaaaaaaaa_" + strings.Repeat("b", 52), ProbUnauthorized},
		{"garbage", "Bearer nonsense", ProbUnauthorized},
		{"basic scheme", "Basic dXNlcjpwYXNz", ProbUnauthorized},
		{"missing", "", ProbUnauthorized},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := req{method: "GET", path: "/v1/audit"}
			if c.auth != "" {
				r.header = map[string]string{"Authorization": c.auth}
			}
			rec := e.do(r)
			wantProblem(t, rec, 401, c.typ)
			if !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Bearer") {
				t.Fatalf("WWW-Authenticate = %q", rec.Header().Get("WWW-Authenticate"))
			}
		})
	}
}

func TestBadBodiesAreProblems(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.MaxMessageBytes = 3000 })
	big := `{"from":"a@b.example","to":["c@d.example"],"text":"` + strings.Repeat("x", 5000) + `"}`
	for _, c := range []struct {
		name, ctype, body string
		status            int
		typ               string
	}{
		{"syntax error", "application/json", `{"from": `, 400, ProbInvalidJSON},
		{"not an object", "application/json", `[1,2]`, 400, ProbInvalidRequest},
		{"two values", "application/json", goodJSON + goodJSON, 400, ProbInvalidJSON},
		{"unknown field", "application/json", `{"from":"a@b.example","to":["c@d.example"],"text":"x","priority":1}`, 400, ProbUnknownField},
		{"wrong type", "application/json", `{"from":"a@b.example","to":"c@d.example","text":"x"}`, 400, ProbInvalidRequest},
		{"oversized", "application/json", big, 413, ProbBodyTooLarge},
		{"wrong content type", "text/plain", goodJSON, 415, ProbUnsupportedMediaType},
		{"no content type", "", goodJSON, 415, ProbUnsupportedMediaType},
		{"no recipient", "application/json", `{"from":"a@b.example","text":"x"}`, 400, ProbInvalidRequest},
		{"too many recipients", "application/json", `{"from":"a@b.example","to":["1@x.example","2@x.example","3@x.example"],"cc":["4@x.example","5@x.example"],"bcc":["6@x.example"],"text":"x"}`, 400, ProbInvalidRequest},
		{"structural header", "application/json", `{"from":"a@b.example","to":["c@d.example"],"text":"x","headers":{"Bcc":"e@f.example"}}`, 400, ProbInvalidRequest},
		{"bad tag", "application/json", `{"from":"a@b.example","to":["c@d.example"],"text":"x","tags":["has space"]}`, 400, ProbInvalidRequest},
		{"bad base64", "application/json", `{"from":"a@b.example","to":["c@d.example"],"attachments":[{"filename":"a.pdf","content":"!!!"}]}`, 400, ProbInvalidRequest},
	} {
		t.Run(c.name, func(t *testing.T) {
			wantProblem(t, e.sendJSON(e.send, c.body, map[string]string{"Content-Type": c.ctype}), c.status, c.typ)
		})
	}
	if e.fake.submits != 0 {
		t.Fatalf("%d bad requests reached Submit", e.fake.submits)
	}
}

func TestValidationNamesEveryBadFieldAndEchoesNoValue(t *testing.T) {
	e := newEnv(t, nil)
	phi := "John Q Patient SSN 123-45-6789"
	body, _ := json.Marshal(map[string]any{
		"from":     phi + " <not an address",
		"to":       []string{"pat@example.org", phi},
		"subject":  phi + "\r\nBcc: spy@evil.example",
		"text":     "x",
		"headers":  map[string]string{"X-Note": phi + "\nInjected: 1", phi: "v"},
		"metadata": map[string]string{"mrn": strings.Repeat("9", 501)},
		"tags":     []string{phi},
	})
	rec := e.sendJSON(e.send, string(body), nil)
	p := wantProblem(t, rec, 400, ProbInvalidRequest)
	fields := map[string]bool{}
	for _, fe := range p.Errors {
		fields[fe.Field] = true
	}
	for _, f := range []string{"from", "to[1]", "subject", "headers.X-Note", "headers", "metadata.mrn", "tags[0]"} {
		if !fields[f] {
			t.Errorf("no error for field %s in %+v", f, p.Errors)
		}
	}
	for _, leak := range []string{"123-45-6789", "Patient", "spy@evil", "Injected", "999999"} {
		if strings.Contains(rec.Body.String(), leak) {
			t.Errorf("the error body echoes a request value (%q): %s", leak, rec.Body)
		}
	}
	// An unknown field named like PHI is not quoted back either.
	rec = e.sendJSON(e.send, `{"from":"a@b.example","to":["c@d.example"],"text":"x","`+phi+`":1}`, nil)
	wantProblem(t, rec, 400, ProbUnknownField)
	if strings.Contains(rec.Body.String(), "123-45-6789") {
		t.Errorf("unknown field name echoed: %s", rec.Body)
	}
	if strings.Contains(e.logBuf.String(), "123-45-6789") {
		t.Errorf("request value in the log: %s", e.logBuf)
	}
}

func TestJSONMessageIsComposedAndSubmitted(t *testing.T) {
	e := newEnv(t, nil)
	body := `{"from":"Clinic <noreply@clinic.example>","to":["Pat <pat@example.org>"],"cc":["nurse@clinic.example"],
		"bcc":["records@clinic.example","PAT@example.org"],"subject":"Lab results","text":"Hello","html":"<p>Hello</p>",
		"attachments":[{"filename":"r.pdf","content_type":"application/pdf","content":"JVBERi0xLjQ="}],
		"headers":{"X-Campaign":"lab"},"tags":["lab:results"],"metadata":{"mrn":"12345"},"policy_hints":{"force_encrypt":true}}`
	rec := e.sendJSON(e.send, body, nil)
	if rec.Code != 202 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	var res SubmitResult
	json.Unmarshal(rec.Body.Bytes(), &res)
	if rec.Header().Get("Location") != "/v1/messages/"+res.ID || res.ID == "" {
		t.Fatalf("Location %q for ID %q", rec.Header().Get("Location"), res.ID)
	}
	sub := e.fake.subs[res.ID]
	if sub.From != "noreply@clinic.example" || strings.Join(sub.Recipients, ",") != "pat@example.org,nurse@clinic.example,records@clinic.example" {
		t.Fatalf("envelope %q → %v (want each recipient once)", sub.From, sub.Recipients)
	}
	if !sub.ForceEncrypt || sub.Tags[0] != "lab:results" || sub.Metadata["mrn"] != "12345" {
		t.Fatalf("hints/tags/metadata lost: %+v", sub)
	}
	msg := string(e.fake.bodies[res.ID])
	for _, want := range []string{"Subject: Lab results", "X-Campaign: lab", "multipart/mixed", "@gw.test>", "filename=r.pdf"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(strings.ToLower(msg), "records@clinic") {
		t.Error("a Bcc recipient is visible in the message")
	}
}

func TestRawMessageTakesEnvelopeFromHeadersAndLosesBcc(t *testing.T) {
	e := newEnv(t, nil)
	raw := "From: Clinic <noreply@clinic.example>\nTo: pat@example.org\nCc: nurse@clinic.example\nBcc: records@clinic.example\n" +
		"Subject: hi\n\nline one\nline two\r\nbare\rcr\n"
	rec := e.do(req{method: "POST", path: "/v1/messages", token: e.send, ctype: "message/rfc822", body: raw})
	if rec.Code != 202 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	var res SubmitResult
	json.Unmarshal(rec.Body.Bytes(), &res)
	sub := e.fake.subs[res.ID]
	if sub.From != "noreply@clinic.example" || strings.Join(sub.Recipients, ",") != "pat@example.org,nurse@clinic.example,records@clinic.example" {
		t.Fatalf("envelope %q → %v", sub.From, sub.Recipients)
	}
	got := string(e.fake.bodies[res.ID])
	want := "From: Clinic <noreply@clinic.example>\r\nTo: pat@example.org\r\nCc: nurse@clinic.example\r\n" +
		"Subject: hi\r\n\r\nline one\r\nline two\r\nbare\r\ncr\r\n"
	if got != want {
		t.Fatalf("submitted message:\n%q\nwant\n%q", got, want)
	}

	// ?from= and ?to= replace the header's envelope.
	rec = e.do(req{method: "POST", path: "/v1/messages?from=bounce@clinic.example&to=a@x.example&to=b@x.example&tag=t1&force_encrypt=true",
		token: e.send, ctype: "message/rfc822", body: raw})
	json.Unmarshal(rec.Body.Bytes(), &res)
	sub = e.fake.subs[res.ID]
	if sub.From != "bounce@clinic.example" || strings.Join(sub.Recipients, ",") != "a@x.example,b@x.example" || !sub.ForceEncrypt || sub.Tags[0] != "t1" {
		t.Fatalf("query envelope ignored: %+v", sub)
	}

	rec = e.do(req{method: "POST", path: "/v1/messages", token: e.send, ctype: "message/rfc822", body: "Subject: x\r\n\r\nbody"})
	p := wantProblem(t, rec, 400, ProbInvalidRequest)
	if len(p.Errors) != 2 {
		t.Fatalf("want from and to errors, got %+v", p.Errors)
	}
}

func TestRawBodyOverLimitIs413(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.MaxMessageBytes = 1000 })
	raw := "From: a@b.example\r\nTo: c@d.example\r\n\r\n" + strings.Repeat("x", 2000)
	for _, key := range []string{"", "k1"} {
		rec := e.do(req{method: "POST", path: "/v1/messages", token: e.send, ctype: "message/rfc822", body: raw,
			header: map[string]string{"Idempotency-Key": key}})
		wantProblem(t, rec, 413, ProbBodyTooLarge)
	}
}

func TestIdempotentRetrySubmitsOnceAndReplays(t *testing.T) {
	e := newEnv(t, nil)
	h := map[string]string{"Idempotency-Key": "order-42"}
	first := e.sendJSON(e.send, goodJSON, h)
	if first.Code != 202 || first.Header().Get("Idempotent-Replayed") != "" {
		t.Fatalf("first: %d %v", first.Code, first.Header())
	}
	again := e.sendJSON(e.send, goodJSON, h)
	if again.Code != 200 || again.Header().Get("Idempotent-Replayed") != "true" {
		t.Fatalf("retry: %d %v %s", again.Code, again.Header(), again.Body)
	}
	var a, b SubmitResult
	json.Unmarshal(first.Body.Bytes(), &a)
	json.Unmarshal(again.Body.Bytes(), &b)
	if a.ID == "" || a.ID != b.ID || len(b.Recipients) != 1 || b.Recipients[0].Method != "tls" {
		t.Fatalf("first %+v, replay %+v", a, b)
	}
	if e.fake.submits != 1 {
		t.Fatalf("Submit called %d times, want 1", e.fake.submits)
	}

	// Raw messages too.
	raw := "From: a@b.example\r\nTo: c@d.example\r\n\r\nbody\r\n"
	for range 2 {
		e.do(req{method: "POST", path: "/v1/messages", token: e.send, ctype: "message/rfc822", body: raw, header: map[string]string{"Idempotency-Key": "raw-1"}})
	}
	if e.fake.submits != 2 {
		t.Fatalf("Submit called %d times after a raw retry, want 2", e.fake.submits)
	}

	// The same key under another API key is another request.
	other := e.token("crm", "send")
	if rec := e.sendJSON(other, goodJSON, h); rec.Code != 202 {
		t.Fatalf("other API key: %d", rec.Code)
	}
}

func TestSameKeyDifferentBodyIsConflict(t *testing.T) {
	e := newEnv(t, nil)
	h := map[string]string{"Idempotency-Key": "k"}
	e.sendJSON(e.send, goodJSON, h)
	rec := e.sendJSON(e.send, strings.Replace(goodJSON, "Monday", "Tuesday", 1), h)
	wantProblem(t, rec, 409, ProbIdempotencyConflict)
	if e.fake.submits != 1 {
		t.Fatalf("Submit called %d times", e.fake.submits)
	}
	wantProblem(t, e.sendJSON(e.send, goodJSON, map[string]string{"Idempotency-Key": "bad\x01key"}), 400, ProbInvalidRequest)
}

func TestReserveIsDurableBeforeTheMessageCommits(t *testing.T) {
	e := newEnv(t, nil)
	var seen bool
	e.fake.afterReserve = func(id string) {
		r, ok, err := e.idem.Get(context.Background(), keyIDOf(t, e, e.send), "k")
		seen = ok && err == nil && r.MsgID == id
	}
	rec := e.sendJSON(e.send, goodJSON, map[string]string{"Idempotency-Key": "k"})
	if rec.Code != 202 {
		t.Fatal(rec.Code)
	}
	if !seen {
		t.Fatal("the idempotency record was not stored when reserve returned")
	}
	if strings.Join(e.fake.events, " ") != "reserve:msg0001 commit:msg0001" {
		t.Fatalf("events %v", e.fake.events)
	}
}

// TestRetryAfterCrashBeforeCommitSubmitsAgain: a record whose message
// never committed (the daemon died between reserve and commit) does not
// replay a message that does not exist.
func TestRetryAfterCrashBeforeCommitSubmitsAgain(t *testing.T) {
	e := newEnv(t, nil)
	scope := keyIDOf(t, e, e.send)
	hash := idempotency.RequestHash("POST", "/v1/messages", "application/json", []byte(goodJSON))
	e.idem.Put(context.Background(), scope, "k", idempotency.Record{RequestHash: hash, MsgID: "lost", Created: e.clock.now()})
	rec := e.sendJSON(e.send, goodJSON, map[string]string{"Idempotency-Key": "k"})
	if rec.Code != 202 || e.fake.submits != 1 {
		t.Fatalf("status %d, submits %d", rec.Code, e.fake.submits)
	}
	r, _, _ := e.idem.Get(context.Background(), scope, "k")
	if r.MsgID != "msg0001" {
		t.Fatalf("record now names %q", r.MsgID)
	}
}

func keyIDOf(t *testing.T, e *env, token string) string {
	k, err := e.keys.Authenticate(token)
	if err != nil {
		t.Fatal(err)
	}
	return k.ID
}

func TestConcurrentSameKeySubmitsOnce(t *testing.T) {
	e := newEnv(t, nil)
	e.fake.submitStarted = make(chan struct{}, 10)
	e.fake.submitGate = make(chan struct{})
	const n = 8
	ids := make(chan string, n)
	codes := make(chan int, n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec := e.sendJSON(e.send, goodJSON, map[string]string{"Idempotency-Key": "same"})
			var res SubmitResult
			json.Unmarshal(rec.Body.Bytes(), &res)
			ids <- res.ID
			codes <- rec.Code
		}()
	}
	<-e.fake.submitStarted // one is in Submit; the others wait on the key
	time.Sleep(50 * time.Millisecond)
	close(e.fake.submitGate)
	wg.Wait()
	close(ids)
	close(codes)
	first := ""
	for id := range ids {
		if first == "" {
			first = id
		}
		if id != first || id == "" {
			t.Fatalf("answers name different messages: %q and %q", first, id)
		}
	}
	accepted := 0
	for c := range codes {
		if c == 202 {
			accepted++
		} else if c != 200 {
			t.Fatalf("status %d", c)
		}
	}
	if e.fake.submits != 1 || accepted != 1 {
		t.Fatalf("Submit called %d times, %d answers 202; want 1 and 1", e.fake.submits, accepted)
	}
}

func TestBatchDeliversGoodItemsAndReportsTheBadOne(t *testing.T) {
	e := newEnv(t, nil)
	var items []string
	for i := range 10 {
		items = append(items, fmt.Sprintf(`{"from":"a@b.example","to":["p%d@example.org"],"text":"reminder","idempotency_key":"r%d"}`, i, i))
	}
	items[3] = `{"from":"a@b.example","to":["not an address"],"text":"x"}`
	items[6] = `{"from":"a@b.example","to":["c@d.example"],"text":"x","bogus":true}`
	body := `{"messages":[` + strings.Join(items, ",") + `]}`
	rec := e.do(req{method: "POST", path: "/v1/messages/batch", token: e.send, ctype: "application/json", body: body})
	if rec.Code != 200 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	var resp BatchResponse
	json.Unmarshal(rec.Body.Bytes(), &resp)
	if len(resp.Results) != 10 {
		t.Fatalf("%d results", len(resp.Results))
	}
	for i, r := range resp.Results {
		switch {
		case r.Index != i:
			t.Errorf("result %d has index %d", i, r.Index)
		case i == 3:
			if r.Status != 400 || r.Problem == nil || r.Problem.Type != ProbInvalidRequest || r.Problem.Errors[0].Field != "to[0]" {
				t.Errorf("item 3: %+v", r)
			}
		case i == 6:
			if r.Status != 400 || r.Problem == nil || r.Problem.Type != ProbUnknownField {
				t.Errorf("item 6: %+v", r)
			}
		default:
			if r.Status != 202 || r.ID == "" || r.Result == nil || r.Result.ID != r.ID {
				t.Errorf("item %d: %+v", i, r)
			}
		}
	}
	if e.fake.submits != 8 {
		t.Fatalf("%d submitted, want 8", e.fake.submits)
	}
	// The batch again: every good item replays, nothing is sent twice.
	rec = e.do(req{method: "POST", path: "/v1/messages/batch", token: e.send, ctype: "application/json", body: body})
	json.Unmarshal(rec.Body.Bytes(), &resp)
	if e.fake.submits != 8 || resp.Results[0].Status != 200 {
		t.Fatalf("retry: submits %d, item 0 %+v", e.fake.submits, resp.Results[0])
	}
	call := lastCall(t, e)
	if call.Route != "POST /v1/messages/batch" || len(call.MsgIDs) != 8 {
		t.Fatalf("call %+v", call)
	}
	wantProblem(t, e.do(req{method: "POST", path: "/v1/messages/batch", token: e.send, ctype: "application/json", body: `{"messages":[]}`}), 400, ProbInvalidRequest)
}

func lastCall(t *testing.T, e *env) Call {
	t.Helper()
	var c Call
	for {
		select {
		case c = <-e.calls:
		default:
			return c
		}
	}
}

func TestRateLimitAnswers429WithRetryAfter(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.RateLimit = RateLimit{PerSecond: 0.01, Burst: 2} })
	for i := range 2 {
		if rec := e.do(req{method: "GET", path: "/v1/audit", token: e.read}); rec.Code != 200 {
			t.Fatalf("request %d: %d", i, rec.Code)
		}
	}
	rec := e.do(req{method: "GET", path: "/v1/audit", token: e.read})
	wantProblem(t, rec, 429, ProbRateLimited)
	if s, err := strconv.Atoi(rec.Header().Get("Retry-After")); err != nil || s < 1 || s > 100 {
		t.Fatalf("Retry-After = %q", rec.Header().Get("Retry-After"))
	}
	// Another key has its own bucket.
	if rec := e.do(req{method: "GET", path: "/v1/audit", token: e.admin}); rec.Code != 200 {
		t.Fatalf("other key: %d", rec.Code)
	}
}

func TestPagingParameters(t *testing.T) {
	e := newEnv(t, nil)
	for range 3 {
		e.sendJSON(e.send, goodJSON, nil)
	}
	rec := e.do(req{method: "GET", path: "/v1/messages?limit=2&cursor=abc&status=queued&tag=x&recipient=pat@example.org&since=24h", token: e.read})
	if rec.Code != 200 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	var p MessagePage
	json.Unmarshal(rec.Body.Bytes(), &p)
	q := e.fake.lastMessages
	if q.Limit != 2 || q.Cursor != "abc" || q.Status != "queued" || q.Tag != "x" || q.Recipient != "pat@example.org" ||
		!q.Since.Equal(e.clock.now().Add(-24*time.Hour)) {
		t.Fatalf("query %+v", q)
	}
	if len(p.Messages) != 2 || p.Next != "cursor-2" {
		t.Fatalf("page %d messages, next %q", len(p.Messages), p.Next)
	}
	e.do(req{method: "GET", path: "/v1/messages", token: e.read})
	if e.fake.lastMessages.Limit != DefaultPageLimit {
		t.Fatalf("default limit %d", e.fake.lastMessages.Limit)
	}
	for _, bad := range []string{"limit=0", "limit=1001", "limit=x", "since=yesterday", "status=lost", "recipient=nope"} {
		rec := e.do(req{method: "GET", path: "/v1/messages?" + bad, token: e.read})
		p := wantProblem(t, rec, 400, ProbInvalidRequest)
		name, _, _ := strings.Cut(bad, "=")
		if len(p.Errors) != 1 || p.Errors[0].Field != name {
			t.Errorf("%s: errors %+v, want the parameter named", bad, p.Errors)
		}
	}
}

func TestAuditAndSummaryParameters(t *testing.T) {
	e := newEnv(t, nil)
	rec := e.do(req{method: "GET", path: "/v1/audit?since=2026-01-01T00:00:00Z&until=7d&type=received,decision&type=delivered&msg_id=m1&recipient_domain=example.org", token: e.read})
	if rec.Code != 200 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	q := e.fake.lastAudit
	if !q.Since.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) || !q.Until.Equal(e.clock.now().Add(-7*24*time.Hour)) ||
		strings.Join(q.Types, ",") != "received,decision,delivered" || q.MsgID != "m1" || q.RecipientDomain != "example.org" || q.Limit != 100 {
		t.Fatalf("query %+v", q)
	}
	for _, bad := range []string{"until=soon", "since=-5h", "recipient_domain=a@b"} {
		p := wantProblem(t, e.do(req{method: "GET", path: "/v1/audit?" + bad, token: e.read}), 400, ProbInvalidRequest)
		if name, _, _ := strings.Cut(bad, "="); p.Errors[0].Field != name {
			t.Errorf("%s: %+v", bad, p.Errors)
		}
	}
	rec = e.do(req{method: "GET", path: "/v1/reports/summary?since=48h", token: e.read})
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"received":3`) {
		t.Fatalf("summary %d %s", rec.Code, rec.Body)
	}
	wantProblem(t, e.do(req{method: "GET", path: "/v1/reports/summary?since=1h&until=2h", token: e.read}), 400, ProbInvalidRequest)
}

func TestBackendErrorsMapToProblems(t *testing.T) {
	e := newEnv(t, nil)
	e.fake.submitErr = func(Submission) error { return &BlockedError{Rule: "no-ssn-external", Text: "SSNs may not leave"} }
	p := wantProblem(t, e.sendJSON(e.send, goodJSON, nil), 422, ProbMessageBlocked)
	if p.Rule != "no-ssn-external" {
		t.Fatalf("rule %q", p.Rule)
	}
	e.fake.submitErr = func(Submission) error { return fmt.Errorf("spool full: %w", ErrUnavailable) }
	rec := e.sendJSON(e.send, goodJSON, nil)
	wantProblem(t, rec, 503, ProbUnavailable)
	if rec.Header().Get("Retry-After") == "" {
		t.Fatal("503 without Retry-After")
	}
	wantProblem(t, e.do(req{method: "GET", path: "/v1/messages/nosuch", token: e.read}), 404, ProbNotFound)
	wantProblem(t, e.do(req{method: "GET", path: "/v1/queue/missing", token: e.admin}), 404, ProbNotFound)
	p = wantProblem(t, e.do(req{method: "POST", path: "/v1/queue/q1/release", token: e.admin}), 422, ProbInvalidRequest)
	if p.Errors[0].Field != "method" {
		t.Fatalf("%+v", p)
	}
}

func TestUnknownRouteAndWrongMethod(t *testing.T) {
	e := newEnv(t, nil)
	wantProblem(t, e.do(req{method: "GET", path: "/v1/nothing", token: e.admin}), 404, ProbNotFound)
	rec := e.do(req{method: "PUT", path: "/v1/messages", token: e.admin})
	wantProblem(t, rec, 405, ProbMethodNotAllowed)
	if allow := rec.Header().Get("Allow"); !strings.Contains(allow, "GET") || !strings.Contains(allow, "POST") {
		t.Fatalf("Allow = %q", allow)
	}
}

func TestPanicAnswers500AndLogsNoBody(t *testing.T) {
	e := newEnv(t, nil)
	e.fake.panicSummary = true
	rec := e.do(req{method: "GET", path: "/v1/reports/summary", token: e.read})
	wantProblem(t, rec, 500, ProbInternal)
	logs := e.logBuf.String()
	if !strings.Contains(logs, "handler panicked") || !strings.Contains(logs, "GET /v1/reports/summary") {
		t.Fatalf("log: %s", logs)
	}
}

func TestOnCallRecordsKeyRouteStatusAndMessages(t *testing.T) {
	e := newEnv(t, nil)
	rec := e.sendJSON(e.send, goodJSON, nil)
	var res SubmitResult
	json.Unmarshal(rec.Body.Bytes(), &res)
	c := lastCall(t, e)
	if c.KeyID != keyIDOf(t, e, e.send) || c.Method != "POST" || c.Route != "POST /v1/messages" || c.Status != 202 ||
		len(c.MsgIDs) != 1 || c.MsgIDs[0] != res.ID {
		t.Fatalf("call %+v", c)
	}
	e.do(req{method: "GET", path: "/v1/audit", token: e.send})
	if c := lastCall(t, e); c.Status != 403 || c.KeyID == "" || c.Route != "GET /v1/audit" {
		t.Fatalf("refused call %+v", c)
	}
	e.do(req{method: "GET", path: "/v1/health"})
	if c := lastCall(t, e); c.Route != "" {
		t.Fatalf("health was audited: %+v", c)
	}
}

func TestMetricsCountByRouteAndClass(t *testing.T) {
	e := newEnv(t, nil)
	e.sendJSON(e.send, goodJSON, nil)
	e.do(req{method: "GET", path: "/v1/nothing/at/all/12345"})
	mfs, err := e.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "sealgate_api_requests_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			var route, code string
			for _, l := range m.GetLabel() {
				switch l.GetName() {
				case "route":
					route = l.GetValue()
				case "code":
					code = l.GetValue()
				}
			}
			got[route+" "+code] = m.GetCounter().GetValue()
		}
	}
	if got["POST /v1/messages 2xx"] != 1 || got["unmatched 4xx"] != 1 || len(got) != 2 {
		t.Fatalf("counters %v", got)
	}
}

func TestAdminRoutes(t *testing.T) {
	e := newEnv(t, nil)
	for _, c := range []struct {
		r      req
		status int
		op     AdminOp
	}{
		{req{method: "POST", path: "/v1/queue/q1/hold"}, 200, AdminOp{Op: "hold", ID: "q1"}},
		{req{method: "POST", path: "/v1/queue/q1/release", ctype: "application/json", body: `{"method":"portal"}`}, 200, AdminOp{Op: "release", ID: "q1", Method: "portal"}},
		{req{method: "POST", path: "/v1/queue/q1/reprocess"}, 200, AdminOp{Op: "reprocess", ID: "q1"}},
		{req{method: "POST", path: "/v1/queue/q1/flush"}, 200, AdminOp{Op: "flush", ID: "q1"}},
		{req{method: "DELETE", path: "/v1/queue/q1"}, 200, AdminOp{Op: "delete", ID: "q1"}},
		{req{method: "GET", path: "/v1/portal"}, 200, AdminOp{Op: "portal-list"}},
		{req{method: "GET", path: "/v1/portal/p1"}, 200, AdminOp{Op: "portal-show", ID: "p1"}},
		{req{method: "POST", path: "/v1/portal/p1/revoke"}, 200, AdminOp{Op: "portal-revoke", ID: "p1"}},
	} {
		c.r.token = e.admin
		rec := e.do(c.r)
		if rec.Code != c.status || e.fake.lastAdmin != c.op {
			t.Errorf("%s %s: %d, op %+v; want %d %+v", c.r.method, c.r.path, rec.Code, e.fake.lastAdmin, c.status, c.op)
		}
	}
	until := e.clock.now().Add(48 * time.Hour).Truncate(time.Second)
	rec := e.do(req{method: "POST", path: "/v1/portal/p1/extend", token: e.admin, ctype: "application/json", body: `{"until":"` + until.Format(time.RFC3339) + `"}`})
	if rec.Code != 200 || !e.fake.lastAdmin.Until.Equal(until) {
		t.Fatalf("extend %d %+v", rec.Code, e.fake.lastAdmin)
	}
	wantProblem(t, e.do(req{method: "POST", path: "/v1/portal/p1/extend", token: e.admin, ctype: "application/json", body: `{"until":"2000-01-01T00:00:00Z"}`}), 400, ProbInvalidRequest)
	wantProblem(t, e.do(req{method: "POST", path: "/v1/queue/q1/release", token: e.admin, ctype: "application/json", body: `{"method":"carrier-pigeon"}`}), 400, ProbInvalidRequest)

	if rec := e.do(req{method: "POST", path: "/v1/keys", token: e.admin, ctype: "application/pgp-keys", body: "-----BEGIN PGP PUBLIC KEY BLOCK-----"}); rec.Code != 201 {
		t.Fatalf("import %d", rec.Code)
	}
	wantProblem(t, e.do(req{method: "POST", path: "/v1/keys", token: e.admin, ctype: "application/pgp-keys", body: "junk"}), 422, ProbInvalidRequest)
	if rec := e.do(req{method: "DELETE", path: "/v1/keys/ABCD", token: e.admin}); rec.Code != 204 {
		t.Fatalf("remove %d", rec.Code)
	}
	rec = e.do(req{method: "POST", path: "/v1/policy/validate", token: e.admin, ctype: "application/yaml", body: "rules: bad"})
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"valid":false`) {
		t.Fatalf("validate %d %s", rec.Code, rec.Body)
	}
	rec = e.do(req{method: "POST", path: "/v1/policy/test?from=a@b.example&to=c@d.example", token: e.admin, ctype: "message/rfc822", body: "Subject: x\r\n\r\nbody"})
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"c@d.example"`) || e.fake.submits != 0 {
		t.Fatalf("policy test %d %s", rec.Code, rec.Body)
	}
	rec = e.do(req{method: "POST", path: "/v1/webhooks", token: e.admin, ctype: "application/json", body: `{"url":"https://ehr.example/h","events":["message.delivered"]}`})
	if rec.Code != 201 || !strings.Contains(rec.Body.String(), "whsec_") {
		t.Fatalf("webhook create %d %s", rec.Code, rec.Body)
	}
	wantProblem(t, e.do(req{method: "POST", path: "/v1/webhooks", token: e.admin, ctype: "application/json", body: `{"url":"","events":[]}`}), 400, ProbInvalidRequest)
	wantProblem(t, e.do(req{method: "DELETE", path: "/v1/webhooks/missing", token: e.admin}), 404, ProbNotFound)
	if rec := e.do(req{method: "POST", path: "/v1/webhooks/wh1/test", token: e.admin}); rec.Code != 200 {
		t.Fatalf("webhook test %d", rec.Code)
	}
}

func TestAPIKeysOverTheAPI(t *testing.T) {
	e := newEnv(t, nil)
	rec := e.do(req{method: "POST", path: "/v1/api-keys", token: e.admin, ctype: "application/json", body: `{"name":"billing","scopes":["send"]}`})
	if rec.Code != 201 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	var created APIKeyCreated
	json.Unmarshal(rec.Body.Bytes(), &created)
	if rec := e.sendJSON(created.Token, goodJSON, nil); rec.Code != 202 {
		t.Fatalf("new key cannot send: %d", rec.Code)
	}
	rec = e.do(req{method: "GET", path: "/v1/api-keys", token: e.admin})
	if strings.Contains(rec.Body.String(), created.Token[len(created.Token)-20:]) || !strings.Contains(rec.Body.String(), created.Key.ID) {
		t.Fatalf("list shows the secret or misses the key: %s", rec.Body)
	}
	if rec := e.do(req{method: "DELETE", path: "/v1/api-keys/" + created.Key.ID, token: e.admin}); rec.Code != 204 {
		t.Fatalf("revoke %d", rec.Code)
	}
	wantProblem(t, e.sendJSON(created.Token, goodJSON, nil), 401, ProbKeyRevoked)
	wantProblem(t, e.do(req{method: "DELETE", path: "/v1/api-keys/nosuch", token: e.admin}), 404, ProbNotFound)
	wantProblem(t, e.do(req{method: "POST", path: "/v1/api-keys", token: e.admin, ctype: "application/json", body: `{"name":"x","scopes":["root"]}`}), 400, ProbInvalidRequest)
}

func TestHealthAndOpenAPINeedNoKey(t *testing.T) {
	e := newEnv(t, nil)
	rec := e.do(req{method: "GET", path: "/v1/health"})
	if rec.Code != 200 || strings.TrimSpace(rec.Body.String()) != `{"status":"ok"}` {
		t.Fatalf("health %d %s", rec.Code, rec.Body)
	}
	rec = e.do(req{method: "GET", path: "/v1/openapi.json"})
	if rec.Code != 200 || !bytes.Equal(rec.Body.Bytes(), openAPIDocument) {
		t.Fatalf("openapi %d", rec.Code)
	}
}
