package smtpd

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sealgate/sealgate/envelope"
	"github.com/sealgate/sealgate/internal/testpki"
)

// fakeStore is an in-memory Store. Failure knobs make the next operation fail.
type fakeStore struct {
	mu        sync.Mutex
	n         int
	committed []*fakeWriter
	aborted   int
	newErr    error
	writeErr  error
	commitErr error
}

type fakeWriter struct {
	s       *fakeStore
	id      string
	buf     bytes.Buffer
	env     *envelope.Envelope
	aborted bool
}

func (s *fakeStore) NewMessage() (MessageWriter, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.newErr != nil {
		return nil, s.newErr
	}
	s.n++
	return &fakeWriter{s: s, id: fmt.Sprintf("MSG%04d", s.n)}, nil
}

func (w *fakeWriter) ID() string { return w.id }

func (w *fakeWriter) Write(p []byte) (int, error) {
	w.s.mu.Lock()
	err := w.s.writeErr
	w.s.mu.Unlock()
	if err != nil {
		return 0, err
	}
	return w.buf.Write(p)
}

func (w *fakeWriter) Commit(env *envelope.Envelope) error {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	if w.s.commitErr != nil {
		return w.s.commitErr
	}
	cp := *env
	w.env = &cp
	w.s.committed = append(w.s.committed, w)
	return nil
}

func (w *fakeWriter) Abort() error {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	if !w.aborted {
		w.aborted = true
		w.s.aborted++
	}
	return nil
}

func (s *fakeStore) messages() []*fakeWriter {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*fakeWriter(nil), s.committed...)
}

// body returns the stored bytes after our Received header.
func (w *fakeWriter) body(t *testing.T) (received, rest string) {
	t.Helper()
	b := w.buf.String()
	// Our header ends at the first line that is not a continuation.
	i := 0
	for {
		j := strings.Index(b[i:], "\r\n")
		if j < 0 {
			t.Fatalf("no Received header end in %q", b)
		}
		i += j + 2
		if i >= len(b) || (b[i] != '\t' && b[i] != ' ') {
			return b[:i], b[i:]
		}
	}
}

func testLogger(t *testing.T) *slog.Logger {
	if os.Getenv("SEALGATE_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return nil
}

func baseOptions(t *testing.T) Options {
	return Options{
		Name:      "test",
		Hostname:  "relay.test",
		AllowNets: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
		Logger:    testLogger(t),
	}
}

// startServer serves opts on 127.0.0.1:0 and returns the address.
func startServer(t *testing.T, opts Options, store Store) (*Server, string) {
	t.Helper()
	srv, err := New(opts, store, nil)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		srv.Close()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve returned %v after Close", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Serve did not return after Close")
		}
	})
	return srv, l.Addr().String()
}

// client is a raw line-level SMTP client for exact byte control.
type client struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

func dialFrom(t *testing.T, addr, from string) *client {
	t.Helper()
	d := net.Dialer{Timeout: 10 * time.Second}
	if from != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(from)}
	}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(30 * time.Second))
	t.Cleanup(func() { c.Close() })
	return &client{t: t, conn: c, r: bufio.NewReader(c)}
}

// dial connects from 127.0.0.1 and reads the greeting.
func dial(t *testing.T, addr string) *client {
	c := dialFrom(t, addr, "")
	c.expect(220)
	return c
}

func (c *client) startTLS(cfg *tls.Config) {
	c.t.Helper()
	c.cmd("STARTTLS").expect(220)
	tc := tls.Client(c.conn, cfg)
	if err := tc.Handshake(); err != nil {
		c.t.Fatalf("TLS handshake: %v", err)
	}
	c.conn = tc
	c.r = bufio.NewReader(tc)
}

func (c *client) send(s string) *client {
	c.t.Helper()
	if _, err := c.conn.Write([]byte(s)); err != nil {
		c.t.Fatalf("write: %v", err)
	}
	return c
}

func (c *client) cmd(line string) *client { return c.send(line + "\r\n") }

// reply reads one (possibly multi-line) reply.
func (c *client) reply() (int, string) {
	c.t.Helper()
	var text []string
	for {
		line, err := c.r.ReadString('\n')
		if err != nil {
			c.t.Fatalf("read reply: %v (so far %q)", err, text)
		}
		line = strings.TrimRight(line, "\r\n")
		if len(line) < 4 {
			c.t.Fatalf("short reply line %q", line)
		}
		text = append(text, line[4:])
		if line[3] == ' ' {
			var code int
			fmt.Sscanf(line[:3], "%d", &code)
			return code, strings.Join(text, "\n")
		}
	}
}

func (c *client) expect(code int) string {
	c.t.Helper()
	got, text := c.reply()
	if got != code {
		c.t.Fatalf("want %d, got %d %s", code, got, text)
	}
	return text
}

// expectCode checks the code and the enhanced status code prefix.
func (c *client) expectCode(code int, enhanced string) string {
	c.t.Helper()
	text := c.expect(code)
	if !strings.HasPrefix(text, enhanced+" ") {
		c.t.Fatalf("want %d %s, got %d %s", code, enhanced, code, text)
	}
	return text
}

// closed reports whether the server closed the connection (EOF) within 10s.
func (c *client) closed() bool {
	c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		_, err := c.r.ReadByte()
		if err != nil {
			var ne net.Error
			return !(errors.As(err, &ne) && ne.Timeout())
		}
	}
}

// testPKI is a throwaway CA with a server certificate for 127.0.0.1.
type testPKI struct {
	ca     *testpki.CA
	pool   *x509.CertPool
	server tls.Certificate
}

func newPKI(t *testing.T) *testPKI {
	t.Helper()
	ca := testpki.NewCA(t, "sealgate test CA", nil)
	p := &testPKI{ca: ca, pool: ca.Pool()}
	p.server = p.issue(t, "relay.test", []string{"relay.test"}, x509.ExtKeyUsageServerAuth, false)
	return p
}

// issue makes a leaf; selfSigned ignores the CA (an impostor's certificate).
func (p *testPKI) issue(t *testing.T, cn string, dns []string, eku x509.ExtKeyUsage, selfSigned bool) tls.Certificate {
	t.Helper()
	key := testpki.ECKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: testpki.Serial(),
		Subject:      pkix.Name{CommonName: cn},
		DNSNames:     dns,
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{eku},
	}
	if selfSigned {
		return testpki.TLSCert(testpki.SelfSigned(t, tmpl, key), key)
	}
	return testpki.TLSCert(p.ca.Issue(t, tmpl, &key.PublicKey), key)
}

func (p *testPKI) serverTLS() *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{p.server}}
}

func (p *testPKI) clientTLS(certs ...tls.Certificate) *tls.Config {
	return &tls.Config{RootCAs: p.pool, ServerName: "relay.test", Certificates: certs}
}

// mailHeader is a typical message head used across tests.
const testMessage = "From: a@example.org\r\nTo: b@example.net\r\nSubject: hi\r\nMessage-ID: <abc123@example.org>\r\n\r\nHello.\r\n"

// sendMessage runs one clean transaction and returns the DATA reply code.
func (c *client) sendMessage(from, to, data string) (int, string) {
	c.t.Helper()
	c.cmd("MAIL FROM:<" + from + ">").expect(250)
	c.cmd("RCPT TO:<" + to + ">").expect(250)
	c.cmd("DATA").expect(354)
	c.send(dotStuff(data) + ".\r\n")
	return c.reply()
}

func dotStuff(s string) string {
	if strings.HasPrefix(s, ".") {
		s = "." + s
	}
	return strings.ReplaceAll(s, "\r\n.", "\r\n..")
}
