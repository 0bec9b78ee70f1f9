package portal

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/sealgate/sealgate/gateway/portal/store"
)

func TestTwoRecipientsEndToEnd(t *testing.T) {
	e := newEnv(t, nil)
	rc, att := e.deposit(time.Time{}, rcptA, rcptB)
	if len(rc.Grants) != 2 || rc.Grants[0].Recipient != rcptA || rc.Grants[1].Recipient != rcptB ||
		rc.Grants[0].Link == rc.Grants[1].Link {
		t.Fatalf("grants %+v", rc.Grants)
	}
	if want := e.clock.now().Add(DefaultExpiry); !rc.Grants[0].Expires.Equal(want) {
		t.Errorf("expires %v, want %v", rc.Grants[0].Expires, want)
	}
	linkA, linkB := rc.Grants[0].Link, rc.Grants[1].Link
	a, b := e.browser(), e.browser()

	land := e.do(a, "GET", e.path(linkA), nil)
	if !strings.Contains(land.body, "Dr. Alice Sender") || strings.Contains(land.body, subjectMarker) || strings.Contains(land.body, bodyMarker) {
		t.Fatalf("landing page: %s", land.body)
	}
	csrfA := e.askCode(a, linkA)
	csrfB := e.askCode(b, linkB)
	codeA, codeB := e.mailer.last(rcptA), e.mailer.last(rcptB)
	if len(codeA) != store.CodeDigits || codeB == "" || codeA == codeB {
		t.Fatalf("codes %q %q", codeA, codeB)
	}
	// A's code is worth nothing on B's link, and B's link is not A's session.
	if r := e.verify(b, linkB, csrfB, codeA); r.status != 422 {
		t.Fatalf("A's code on B's link: %d", r.status)
	}
	page := e.verify(a, linkA, csrfA, codeA)
	if page.path != "/v" || !strings.Contains(page.body, bodyMarker) || !strings.Contains(page.body, subjectMarker) {
		t.Fatalf("A's message page: %d at %s", page.status, page.path)
	}
	if r := e.do(b, "GET", "/v", nil); r.status != 401 || strings.Contains(r.body, bodyMarker) {
		t.Fatalf("B's browser, unverified, at /v: %d", r.status)
	}

	m := attRe.FindStringSubmatch(page.body)
	if m == nil {
		t.Fatal("no attachment link on the message page")
	}
	dl := e.do(a, "GET", m[1], nil)
	if dl.status != 200 || dl.body != string(att) || dl.header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("download: %d, %d bytes (want %d), %q", dl.status, len(dl.body), len(att), dl.header.Get("Content-Type"))
	}

	replyTo(t, e, a)

	// B verifies with its own code; the events name B, not A.
	if r := e.verify(b, linkB, csrfB, codeB); r.path != "/v" || !strings.Contains(r.body, bodyMarker) {
		t.Fatalf("B's own code: %d at %s", r.status, r.path)
	}
	for kind, want := range map[string][2]int{
		KindNotified: {1, 1}, KindOpened: {2, 1}, KindCodeSent: {1, 1}, KindVerified: {1, 1},
		KindCodeFailed: {0, 1}, KindDownloaded: {1, 0}, KindReplied: {1, 0},
	} {
		if ga, gb := e.sink.count(kind, rcptA), e.sink.count(kind, rcptB); ga != want[0] || gb != want[1] {
			t.Errorf("%s: A %d B %d, want %v", kind, ga, gb, want)
		}
	}
	for _, ev := range e.sink.evs {
		if ev.MessageID != rc.ID || ev.Time.IsZero() {
			t.Errorf("event %+v", ev)
		}
	}
	// The store's own log has the same story, verified/failed included.
	_, evs, err := e.svc.Show(context.Background(), rc.ID)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[store.EventKind]int{}
	for _, ev := range evs {
		kinds[ev.Kind]++
	}
	if kinds[store.EventNotified] != 2 || kinds[store.EventVerified] != 2 || kinds[store.EventFailed] != 1 ||
		kinds[store.EventDownloaded] != 1 || kinds[store.EventReplied] != 1 || kinds[store.EventCodeSent] != 2 {
		t.Errorf("store events %v", kinds)
	}
}

// replyTo sends a reply-all from rcptA's session c and checks what the
// pipeline got: from rcptA, to the sender and the other recipient, threaded.
func replyTo(t *testing.T, e *env, c *http.Client) {
	t.Helper()
	form := e.do(c, "GET", "/v/reply?all=1", nil)
	if form.status != 200 || !strings.Contains(form.body, rcptB) {
		t.Fatalf("reply-all form: %d %s", form.status, form.body)
	}
	n := len(e.replies.got)
	r := e.do(c, "POST", "/v/reply", url.Values{"csrf": {csrfOf(t, form.body)}, "all": {"1"}, "body": {"Thank you. REPLY-MARK"}})
	if r.status != 200 || len(e.replies.got) != n+1 {
		t.Fatalf("reply: %d, %d submitted", r.status, len(e.replies.got)-n)
	}
	got := e.replies.got[n]
	if got.from != rcptA || strings.Join(got.to, ",") != "alice@clinic.example,"+rcptB {
		t.Errorf("reply envelope from %q to %v", got.from, got.to)
	}
	from, subj, irt, text := parseReply(t, got.raw)
	if from != rcptA || subj != "Re: Results "+subjectMarker || len(irt) != 1 || irt[0] != "orig-7@clinic.example" || text != "Thank you. REPLY-MARK" {
		t.Errorf("reply: from %q subject %q in-reply-to %v text %q", from, subj, irt, text)
	}
}

func TestWrongCodesLockOutAgainstTheStore(t *testing.T) {
	e := newEnv(t, nil)
	rc, _ := e.deposit(time.Time{}, rcptA)
	link := rc.Grants[0].Link
	c := e.browser()
	csrf := e.askCode(c, link)
	good := e.mailer.last(rcptA)
	wrong := fmt.Sprintf("%08d", (atoi(good)+1)%100_000_000)
	for i := 1; i <= store.DefaultMaxFailures; i++ {
		want := 422
		if i == store.DefaultMaxFailures {
			want = 429
		}
		if r := e.verify(c, link, csrf, wrong); r.status != want {
			t.Fatalf("attempt %d: %d, want %d", i, r.status, want)
		}
	}
	if r := e.verify(c, link, csrf, good); r.status != 429 || r.path == "/v" {
		t.Fatalf("right code after lockout: %d at %s", r.status, r.path)
	}
	if e.sink.count(KindCodeFailed, rcptA) != store.DefaultMaxFailures || e.sink.count(KindLocked, rcptA) != 1 {
		t.Errorf("failed %d locked %d", e.sink.count(KindCodeFailed, rcptA), e.sink.count(KindLocked, rcptA))
	}
	e.clock.add(store.DefaultLockout + time.Minute)
	c2 := e.browser()
	csrf = e.askCode(c2, link)
	if r := e.verify(c2, link, csrf, e.mailer.last(rcptA)); r.path != "/v" {
		t.Fatalf("after the lockout: %d at %s", r.status, r.path)
	}
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

func TestRevokeShredsAndEndsAccess(t *testing.T) {
	e := newEnv(t, nil)
	rc, _ := e.deposit(time.Time{}, rcptA, rcptB)
	c := e.browser()
	csrf := e.askCode(c, rc.Grants[0].Link)
	if r := e.verify(c, rc.Grants[0].Link, csrf, e.mailer.last(rcptA)); r.path != "/v" {
		t.Fatalf("verify: %d", r.status)
	}
	unknown := e.do(e.browser(), "GET", "/m/"+strings.Repeat("A", 43), nil)
	if err := e.svc.Revoke(context.Background(), rc.ID, "admin@clinic.example"); err != nil {
		t.Fatal(err)
	}
	for _, g := range rc.Grants {
		r := e.do(e.browser(), "GET", e.path(g.Link), nil)
		if r.status != 404 || r.body != unknown.body {
			t.Errorf("%s's link after revoke: %d, same page as unknown: %v", g.Recipient, r.status, r.body == unknown.body)
		}
	}
	if r := e.do(c, "GET", "/v", nil); r.status != 404 || strings.Contains(r.body, bodyMarker) {
		t.Errorf("open session after revoke: %d", r.status)
	}
	for _, sub := range []string{"msgs", "keys"} {
		if _, err := os.Stat(filepath.Join(e.dir, sub, rc.ID)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s/%s after revoke: %v", sub, rc.ID, err)
		}
	}
	meta, _, err := e.svc.Show(context.Background(), rc.ID)
	if err != nil || meta.State != store.Revoked || meta.RevokedBy != "admin@clinic.example" {
		t.Errorf("show after revoke: %+v %v", meta, err)
	}
	if e.sink.count(KindRevoked, rcptA) != 1 || e.sink.count(KindRevoked, rcptB) != 1 {
		t.Errorf("revoked events: %+v", e.sink.evs)
	}
	// Again: a no-op, no second event.
	if err := e.svc.Revoke(context.Background(), rc.ID, "x"); err != nil || e.sink.count(KindRevoked, "") != 2 {
		t.Errorf("second revoke: %v, %d events", err, e.sink.count(KindRevoked, ""))
	}
}

func TestSweepShredsExpired(t *testing.T) {
	e := newEnv(t, nil)
	short, _ := e.deposit(e.clock.now().Add(time.Hour), rcptA, rcptB)
	long, _ := e.deposit(time.Time{}, rcptA)
	if err := e.svc.Extend(context.Background(), long.ID, e.clock.now().Add(60*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if n, err := e.svc.Sweep(context.Background()); n != 0 || err != nil {
		t.Fatalf("sweep before expiry: %d %v", n, err)
	}
	e.clock.add(2 * time.Hour)
	if n, err := e.svc.Sweep(context.Background()); n != 1 || err != nil {
		t.Fatalf("sweep after expiry: %d %v", n, err)
	}
	if r := e.do(e.browser(), "GET", e.path(short.Grants[0].Link), nil); r.status != 404 {
		t.Errorf("expired link: %d", r.status)
	}
	if r := e.do(e.browser(), "GET", e.path(long.Grants[0].Link), nil); r.status != 200 {
		t.Errorf("live link after sweep: %d", r.status)
	}
	if _, err := os.Stat(filepath.Join(e.dir, "keys", short.ID)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("key of an expired message: %v", err)
	}
	list, err := e.svc.List(context.Background())
	if err != nil || len(list) != 2 {
		t.Fatalf("list: %d %v", len(list), err)
	}
	if e.sink.count(KindExpired, "") != 2 || e.sink.count(KindExtended, rcptA) != 1 {
		t.Errorf("expired %d extended %d", e.sink.count(KindExpired, ""), e.sink.count(KindExtended, rcptA))
	}
	if n, _ := e.svc.Sweep(context.Background()); n != 0 || e.sink.count(KindExpired, "") != 2 {
		t.Errorf("second sweep: %d, %d expired events", n, e.sink.count(KindExpired, ""))
	}
}

func TestRunSweepsUntilCancelled(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.SweepEvery = 10 * time.Millisecond })
	rc, _ := e.deposit(e.clock.now().Add(time.Minute), rcptA)
	e.clock.add(2 * time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.svc.Run(ctx); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		m, _, err := e.svc.Show(context.Background(), rc.ID)
		if err == nil && m.State == store.Expired {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Run did not sweep: %+v %v", m, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

func TestNoPlaintextOnDiskOrInEvents(t *testing.T) {
	var logs bytes.Buffer
	e := newEnv(t, func(c *Config) { c.Log = slog.New(slog.NewJSONHandler(&logs, nil)) })
	rc, att := e.deposit(time.Time{}, rcptA, rcptB)
	c := e.browser()
	csrf := e.askCode(c, rc.Grants[0].Link)
	page := e.verify(c, rc.Grants[0].Link, csrf, e.mailer.last(rcptA))
	e.do(c, "GET", attRe.FindStringSubmatch(page.body)[1], nil)
	replyTo(t, e, c)
	token := strings.TrimPrefix(e.path(rc.Grants[0].Link), "/m/")
	secrets := []string{subjectMarker, bodyMarker, attName, rcptA, rcptB, "alice@clinic.example", "Dr. Alice", token, string(att[:64])}
	files := 0
	err := filepath.Walk(e.dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		files++
		b, err := os.ReadFile(p)
		for _, s := range secrets {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("%s holds %q", p, s[:min(len(s), 20)])
			}
		}
		return err
	})
	if err != nil || files < 3 {
		t.Fatalf("scanned %d files: %v", files, err)
	}
	for _, ev := range e.sink.evs {
		s := fmt.Sprintf("%+v", ev)
		for _, bad := range []string{subjectMarker, bodyMarker, attName, token, "REPLY-MARK"} {
			if strings.Contains(s, bad) {
				t.Errorf("event %s holds %q", s, bad)
			}
		}
	}
	for _, bad := range []string{subjectMarker, bodyMarker, attName, token, rcptA, "REPLY-MARK"} {
		if strings.Contains(logs.String(), bad) {
			t.Errorf("log holds %q", bad)
		}
	}
}

func TestEventSinkFailureIsLoggedNotFatal(t *testing.T) {
	var logs bytes.Buffer
	e := newEnv(t, func(c *Config) { c.Log = slog.New(slog.NewJSONHandler(&logs, nil)) })
	e.sink.fail = true
	rc, _ := e.deposit(time.Time{}, rcptA)
	if r := e.do(e.browser(), "GET", e.path(rc.Grants[0].Link), nil); r.status != 200 {
		t.Fatalf("landing with the sink down: %d", r.status)
	}
	if !strings.Contains(logs.String(), rc.ID) || !strings.Contains(logs.String(), "portal: event sink") {
		t.Errorf("sink failure not logged by id:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), rcptA) {
		t.Error("log names the recipient")
	}
}

func TestSenderDisplayName(t *testing.T) {
	for in, want := range map[string][2]string{
		"Dr. Alice Sender <alice@clinic.example>":   {"Dr. Alice Sender", "alice@clinic.example"},
		"alice@clinic.example":                      {"alice@clinic.example", "alice@clinic.example"},
		"<alice@clinic.example>":                    {"alice@clinic.example", "alice@clinic.example"},
		"=?utf-8?q?Dr._M=C3=BCller?= <m@x.example>": {"Dr. Müller", "m@x.example"},
		"not an address":                            {"not an address", "not an address"},
	} {
		if n, a := senderParts(in); n != want[0] || a != want[1] {
			t.Errorf("%q: %q %q, want %v", in, n, a, want)
		}
	}
	e := newEnv(t, nil)
	rc, err := e.svc.Deposit(context.Background(), "=?utf-8?q?Dr._M=C3=BCller?= <m@x.example>", []string{rcptA}, time.Time{}, strings.NewReader("Subject: x\r\n\r\nhi\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if r := e.do(e.browser(), "GET", e.path(rc.Grants[0].Link), nil); !strings.Contains(r.body, "Dr. Müller") {
		t.Errorf("landing page: %s", r.body)
	}
}

func TestHTTPServerTLSFloor(t *testing.T) {
	e := newEnv(t, nil)
	for _, in := range []*tls.Config{nil, {MinVersion: tls.VersionTLS10}, {MinVersion: tls.VersionTLS13}} {
		srv := e.svc.HTTPServer(in)
		want := uint16(tls.VersionTLS12)
		if in != nil && in.MinVersion > want {
			want = in.MinVersion
		}
		if srv.TLSConfig.MinVersion != want || srv.Handler != e.svc.Handler() || srv.ReadHeaderTimeout == 0 {
			t.Errorf("%+v: min %x, want %x", in, srv.TLSConfig.MinVersion, want)
		}
	}
}

func TestConfigNamesEveryProblem(t *testing.T) {
	_, err := New(Config{PublicURL: "http://portal.example.org"}, nil, nil, nil)
	if err == nil {
		t.Fatal("empty config accepted")
	}
	for _, want := range []string{"Dir", "KEK", "Mailer", "PublicURL"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
}

// parseReply reads a submitted reply's headers and text.
func parseReply(t *testing.T, raw []byte) (from, subject string, inReplyTo []string, text string) {
	t.Helper()
	mr, err := mail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	f, _ := mr.Header.AddressList("From")
	subject, _ = mr.Header.Subject()
	inReplyTo, _ = mr.Header.MsgIDList("In-Reply-To")
	p, err := mr.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(p.Body)
	if len(f) == 1 {
		from = f[0].Address
	}
	return from, subject, inReplyTo, string(b)
}

func TestTenMegabytesStreamInAndOut(t *testing.T) {
	const n = 10 << 20
	e := newEnv(t, nil)
	path, _ := messageFile(t, n)
	stop := peakHeap()
	f := openFile(t, path)
	rc, err := e.svc.Deposit(context.Background(), sender, []string{rcptA}, time.Time{}, f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	c := e.browser()
	csrf := e.askCode(c, rc.Grants[0].Link)
	page := e.verify(c, rc.Grants[0].Link, csrf, e.mailer.last(rcptA))
	r, err := c.Get(e.ts.URL + attRe.FindStringSubmatch(page.body)[1])
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.Copy(io.Discard, r.Body)
	r.Body.Close()
	peak := stop()
	if err != nil || got != n {
		t.Fatalf("download: %d bytes, %v", got, err)
	}
	if peak > 8<<20 {
		t.Errorf("heap grew by %.1f MB for a 10 MB message: something holds it whole", float64(peak)/(1<<20))
	}
	t.Logf("heap peak +%.1f MB", float64(peak)/(1<<20))
}

func TestClientLockedAcrossTokensByTheStore(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.SourceFailures = 6; c.IPFailures = 1000 })
	var links []string
	for range 3 {
		rc, _ := e.deposit(time.Time{}, rcptA)
		links = append(links, rc.Grants[0].Link)
	}
	c := e.browser()
	for _, l := range links[:2] {
		csrf := e.askCode(c, l)
		for range 3 {
			e.verify(c, l, csrf, "00000000")
		}
	}
	land := e.do(c, "GET", e.path(links[2]), nil)
	if r := e.do(c, "POST", e.path(links[2])+"/code", url.Values{"csrf": {csrfOf(t, land.body)}}); r.status != 429 {
		t.Fatalf("code request from a locked client: %d", r.status)
	}
	// The lock is the store's, so every node sharing it refuses the client.
	locked, err := e.svc.st.SourceLocked(context.Background(), "127.0.0.1")
	if err != nil || !locked {
		t.Errorf("store source lock: %v %v", locked, err)
	}
}
