package portal

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/sealgate/sealgate/gateway/portal/store"
	"github.com/sealgate/sealgate/internal/testpki"
)

// Markers: PHI stand-ins that must appear only where the test expects.
const (
	subjectMarker = "SUBJ-PHI-5d1e"
	bodyMarker    = "BODY-PHI-2b7c"
	attName       = "ATTNAME-PHI-77.pdf"
	rcptA         = "ann@patient.example"
	rcptB         = "ben@family.example"
	sender        = "Dr. Alice Sender <alice@clinic.example>"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// codes is a Mailer that keeps the codes sent to each address.
type codes struct {
	mu   sync.Mutex
	sent map[string][]string
}

func (c *codes) SendCode(_ context.Context, to, code string, expires time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sent == nil {
		c.sent = map[string][]string{}
	}
	c.sent[to] = append(c.sent[to], code)
	return nil
}

func (c *codes) last(to string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.sent[to]
	if len(s) == 0 {
		return ""
	}
	return s[len(s)-1]
}

type submitted struct {
	from string
	to   []string
	raw  []byte
}

// replies is the pipeline's intake as a test sees it.
type replies struct {
	mu  sync.Mutex
	got []submitted
}

func (r *replies) Submit(_ context.Context, from string, to []string, msg io.Reader) error {
	b, err := io.ReadAll(msg)
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.got = append(r.got, submitted{from, to, b})
	r.mu.Unlock()
	return nil
}

// sink records every event; fail makes it refuse them.
type sink struct {
	mu   sync.Mutex
	evs  []Event
	fail bool
}

func (s *sink) PortalEvent(ev Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail {
		return fmt.Errorf("sink down")
	}
	s.evs = append(s.evs, ev)
	return nil
}

// count returns how many events of kind concern rcpt ("" for any).
func (s *sink) count(kind, rcpt string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, e := range s.evs {
		if e.Kind == kind && (rcpt == "" || e.Recipient == rcpt) {
			n++
		}
	}
	return n
}

type env struct {
	t       testing.TB
	dir     string
	svc     *Service
	ts      *httptest.Server
	pool    *x509.CertPool
	clock   *clock
	mailer  *codes
	replies *replies
	sink    *sink
}

// newEnv runs a Service on a fresh DirStore, its handler over TLS on
// 127.0.0.1.
func newEnv(t testing.TB, tweak func(*Config)) *env {
	t.Helper()
	kek := make([]byte, 32)
	rand.Read(kek)
	wrapper, err := store.NewLocalKEK(kek)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, dir: t.TempDir(), clock: &clock{t: time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)},
		mailer: &codes{}, replies: &replies{}, sink: &sink{}}
	cfg := Config{Dir: e.dir, KEK: wrapper, PublicURL: "https://portal.example.org/", OrgName: "Example Clinic",
		Now: e.clock.now, ReplyAll: true}
	if tweak != nil {
		tweak(&cfg)
	}
	if e.svc, err = New(cfg, e.mailer, e.replies, e.sink); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.svc.Close() })
	cert := testpki.SelfSignedTLS(t, "127.0.0.1")
	e.ts = httptest.NewUnstartedServer(e.svc.Handler())
	e.ts.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	e.ts.StartTLS()
	t.Cleanup(e.ts.Close)
	e.pool = x509.NewCertPool()
	e.pool.AddCert(cert.Leaf)
	return e
}

// browser is a fresh client with its own cookie jar.
func (e *env) browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: e.pool}}}
}

type resp struct {
	status int
	path   string
	body   string
	header http.Header
}

func (e *env) do(c *http.Client, method, path string, form url.Values) resp {
	e.t.Helper()
	var r *http.Response
	var err error
	if method == http.MethodPost {
		r, err = c.PostForm(e.ts.URL+path, form)
	} else {
		r, err = c.Get(e.ts.URL + path)
	}
	if err != nil {
		e.t.Fatal(err)
	}
	defer r.Body.Close()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp{r.StatusCode, r.Request.URL.Path, string(b), r.Header}
}

// path turns a grant's public link into a path on the test server.
func (e *env) path(link string) string {
	e.t.Helper()
	u, err := url.Parse(link)
	if err != nil || u.Scheme != "https" || u.Host != "portal.example.org" || !strings.HasPrefix(u.Path, "/m/") {
		e.t.Fatalf("link %q", link)
	}
	return u.Path
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t testing.TB, body string) string {
	t.Helper()
	m := csrfRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no csrf token in page:\n%s", body)
	}
	return m[1]
}

// askCode follows a link and asks for a code; it returns the verify
// form's csrf token.
func (e *env) askCode(c *http.Client, link string) string {
	e.t.Helper()
	land := e.do(c, "GET", e.path(link), nil)
	if land.status != 200 {
		e.t.Fatalf("landing: %d", land.status)
	}
	v := e.do(c, "POST", e.path(link)+"/code", url.Values{"csrf": {csrfOf(e.t, land.body)}})
	if v.status != 200 || !strings.Contains(v.body, "Enter your code") {
		e.t.Fatalf("after asking a code: %d %s", v.status, v.body)
	}
	return csrfOf(e.t, v.body)
}

func (e *env) verify(c *http.Client, link, csrf, code string) resp {
	e.t.Helper()
	return e.do(c, "POST", e.path(link)+"/verify", url.Values{"csrf": {csrf}, "code": {code}})
}

// deposit stores a message with the markers and an attachment of random
// bytes for rcpts; it returns the receipt and the attachment.
func (e *env) deposit(expires time.Time, rcpts ...string) (Receipt, []byte) {
	e.t.Helper()
	raw, att := testMessage(e.t, 200<<10)
	rc, err := e.svc.Deposit(context.Background(), sender, rcpts, expires, bytes.NewReader(raw))
	if err != nil {
		e.t.Fatal(err)
	}
	e.svc.Notified(context.Background(), rc) // as the gateway does once it has linked rc
	return rc, att
}

func testMessage(t testing.TB, attSize int) ([]byte, []byte) {
	t.Helper()
	att := make([]byte, attSize)
	rand.Read(att)
	var buf bytes.Buffer
	var h mail.Header
	h.SetAddressList("From", []*mail.Address{{Name: "Dr. Alice Sender", Address: "alice@clinic.example"}})
	h.SetAddressList("To", []*mail.Address{{Address: rcptA}, {Address: rcptB}})
	h.SetSubject("Results " + subjectMarker)
	h.SetDate(time.Date(2026, 3, 31, 14, 0, 0, 0, time.UTC))
	h.SetMessageID("orig-7@clinic.example")
	w, err := mail.CreateWriter(&buf, h)
	if err != nil {
		t.Fatal(err)
	}
	var ih mail.InlineHeader
	ih.Set("Content-Type", "text/plain; charset=utf-8")
	tw, err := w.CreateSingleInline(ih)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(tw, "Dear patient, "+bodyMarker+"\r\n")
	tw.Close()
	var ah mail.AttachmentHeader
	ah.Set("Content-Type", "application/pdf")
	ah.SetFilename(attName)
	aw, err := w.CreateAttachment(ah)
	if err != nil {
		t.Fatal(err)
	}
	aw.Write(att)
	aw.Close()
	w.Close()
	return buf.Bytes(), att
}

var attRe = regexp.MustCompile(`href="(/v/att/\d+)"`)
