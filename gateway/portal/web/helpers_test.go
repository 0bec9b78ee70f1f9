package web

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/sealgate/sealgate/internal/testpki"
)

// Markers: PHI stand-ins that must appear only where the test expects.
const (
	subjectMarker = "SUBJ-PHI-7f3a"
	bodyMarker    = "BODY-PHI-91c2"
)

type env struct {
	t       testing.TB
	srv     *Server
	ts      *httptest.Server
	store   *fakeStore
	mailer  *fakeMailer
	replies *fakeReplies
	clock   *clock
	pool    *x509.CertPool
}

// newEnv serves a portal over real TLS on 127.0.0.1 with fakes behind it;
// cfg tweaks the config before New.
func newEnv(t testing.TB, cfg func(*Config)) *env {
	t.Helper()
	e := &env{t: t, mailer: &fakeMailer{}, replies: &fakeReplies{},
		clock: &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}}
	e.store = newFakeStore(e.clock.now)
	c := Config{Messages: e.store, Mailer: e.mailer, Replies: e.replies, Now: e.clock.now, OrgName: "Example Clinic"}
	if cfg != nil {
		cfg(&c)
	}
	srv, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	e.srv = srv
	cert := testpki.SelfSignedTLS(t, "127.0.0.1")
	e.ts = httptest.NewUnstartedServer(srv)
	e.ts.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	e.ts.StartTLS()
	t.Cleanup(e.ts.Close)
	e.pool = x509.NewCertPool()
	e.pool.AddCert(cert.Leaf)
	return e
}

// client is a fresh browser: its own cookie jar, trusting the test cert.
func (e *env) client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: e.pool}}}
}

// addMessage stores a message for token with recipient rcpt.
func (e *env) addMessage(token, id, rcpt string, raw []byte) {
	e.store.add(token, Message{
		ID: id, SenderName: "Dr. Alice Sender", SenderAddr: "alice@clinic.example", Recipient: rcpt,
		Others: []string{"carol@other.example", rcpt}, ReplyAll: true, Expires: e.clock.now().Add(30 * 24 * time.Hour),
	}, raw)
}

type resp struct {
	*http.Response
	body string
}

func (e *env) get(c *http.Client, path string) resp {
	e.t.Helper()
	r, err := c.Get(e.ts.URL + path)
	if err != nil {
		e.t.Fatal(err)
	}
	return read(e.t, r)
}

func (e *env) post(c *http.Client, path string, form url.Values) resp {
	e.t.Helper()
	r, err := c.PostForm(e.ts.URL+path, form)
	if err != nil {
		e.t.Fatal(err)
	}
	return read(e.t, r)
}

func read(t testing.TB, r *http.Response) resp {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	r.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	return resp{r, string(b)}
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

// requestCode opens the landing page and asks for a code; it returns the
// csrf token of the verify page.
func (e *env) requestCode(c *http.Client, token string) string {
	e.t.Helper()
	land := e.get(c, "/m/"+token)
	if land.StatusCode != 200 {
		e.t.Fatalf("landing: %d", land.StatusCode)
	}
	v := e.post(c, "/m/"+token+"/code", url.Values{"csrf": {csrfOf(e.t, land.body)}})
	if v.StatusCode != 200 || !strings.Contains(v.body, "Enter your code") {
		e.t.Fatalf("after code request: %d %s", v.StatusCode, v.body)
	}
	return csrfOf(e.t, v.body)
}

// login runs the whole flow for token and returns the message page.
func (e *env) login(c *http.Client, token, rcpt string) resp {
	e.t.Helper()
	csrf := e.requestCode(c, token)
	r := e.post(c, "/m/"+token+"/verify", url.Values{"csrf": {csrf}, "code": {e.mailer.last(rcpt)}})
	if r.StatusCode != 200 || r.Request.URL.Path != "/v" {
		e.t.Fatalf("verify: %d at %s: %s", r.StatusCode, r.Request.URL.Path, r.body)
	}
	return r
}

// testMessage builds a multipart message: text and HTML alternatives with
// the markers, and one attachment of random bytes, which it returns.
func testMessage(t testing.TB, filename string, attSize int) ([]byte, []byte) {
	t.Helper()
	att := make([]byte, attSize)
	if _, err := rand.Read(att); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	var h mail.Header
	h.SetAddressList("From", []*mail.Address{{Name: "Dr. Alice Sender", Address: "alice@clinic.example"}})
	h.SetAddressList("To", []*mail.Address{{Address: "bob@patient.example"}})
	h.SetSubject("Results " + subjectMarker)
	h.SetDate(time.Date(2026, 2, 28, 14, 0, 0, 0, time.UTC))
	h.SetMessageID("orig-1@clinic.example")
	w, err := mail.CreateWriter(&buf, h)
	if err != nil {
		t.Fatal(err)
	}
	iw, err := w.CreateInline()
	if err != nil {
		t.Fatal(err)
	}
	write := func(ct, body string) {
		var ih mail.InlineHeader
		ih.Set("Content-Type", ct)
		pw, err := iw.CreatePart(ih)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(pw, body)
		pw.Close()
	}
	write("text/plain; charset=utf-8", "Hello Bob, "+bodyMarker+" <b>not bold</b>")
	write("text/html; charset=utf-8", `<p>Hello Bob, <strong>`+bodyMarker+`</strong>. <a href="https://clinic.example/info">our page</a></p>`)
	iw.Close()
	var ah mail.AttachmentHeader
	ah.Set("Content-Type", "application/pdf")
	ah.SetFilename(filename)
	aw, err := w.CreateAttachment(ah)
	if err != nil {
		t.Fatal(err)
	}
	aw.Write(att)
	aw.Close()
	w.Close()
	return buf.Bytes(), att
}
