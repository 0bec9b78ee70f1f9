package relay

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math/big"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/miekg/dns"
	"github.com/sealgate/sealgate/envelope"
	"github.com/sealgate/sealgate/internal/testpki"
)

// memStore is an in-memory Store.
type memStore struct {
	mu      sync.Mutex
	envs    map[string]*envelope.Envelope
	bodies  map[string][]byte
	copies  map[string][]byte // id+"/"+name
	states  map[string][]byte
	removed map[string]bool
	saves   map[string]int // SaveState calls per ID
	seq     int
	// committed DSNs, kept after the relay removes them
	dsnEnvs   []*envelope.Envelope
	dsnBodies [][]byte
}

func newMemStore() *memStore {
	return &memStore{envs: map[string]*envelope.Envelope{}, bodies: map[string][]byte{}, copies: map[string][]byte{},
		states: map[string][]byte{}, removed: map[string]bool{}, saves: map[string]int{}}
}

func (s *memStore) put(env *envelope.Envelope, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if env.Size == 0 {
		env.Size = int64(len(body))
	}
	s.envs[env.ID] = env
	s.bodies[env.ID] = []byte(body)
}

func (s *memStore) Envelope(id string) (*envelope.Envelope, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.envs[id]
	if !ok {
		return nil, fmt.Errorf("memstore: %s: not found", id)
	}
	cp := *e
	return &cp, nil
}

func (s *memStore) OpenBody(id string) (io.ReadCloser, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.bodies[id]
	if !ok {
		return nil, fmt.Errorf("memstore: %s: not found", id)
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

func (s *memStore) OpenCopy(id, name string) (io.ReadCloser, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.copies[id+"/"+name]
	if !ok {
		return nil, fmt.Errorf("memstore: %s/%s: not found", id, name)
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

func (s *memStore) SaveState(id string, st []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.envs[id]; !ok {
		return fmt.Errorf("memstore: save state of unknown %s", id)
	}
	s.states[id] = append([]byte(nil), st...)
	s.saves[id]++
	return nil
}

func (s *memStore) LoadState(id string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.states[id], nil
}

func (s *memStore) Remove(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.envs, id)
	delete(s.bodies, id)
	delete(s.states, id)
	s.removed[id] = true
	return nil
}

func (s *memStore) saveCount(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.saves[id]
}

func (s *memStore) isRemoved(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.removed[id]
}

// dsns returns the envelopes and bodies of DSN messages ever committed.
func (s *memStore) dsns() (envs []*envelope.Envelope, bodies [][]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append(envs, s.dsnEnvs...), append(bodies, s.dsnBodies...)
}

func (s *memStore) NewMessage() (MessageWriter, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	return &memWriter{s: s, id: fmt.Sprintf("dsn-%d", s.seq)}, nil
}

type memWriter struct {
	s   *memStore
	id  string
	buf bytes.Buffer
}

func (w *memWriter) Write(p []byte) (int, error) { return w.buf.Write(p) }
func (w *memWriter) ID() string                  { return w.id }
func (w *memWriter) Abort() error                { return nil }
func (w *memWriter) Commit(env *envelope.Envelope) error {
	env.ID = w.id
	w.s.put(env, w.buf.String())
	w.s.mu.Lock()
	cp := *env
	w.s.dsnEnvs = append(w.s.dsnEnvs, &cp)
	w.s.dsnBodies = append(w.s.dsnBodies, w.buf.Bytes())
	w.s.mu.Unlock()
	return nil
}

// sink is a go-smtp server recording what it receives.
type sink struct {
	addr string
	srv  *smtp.Server
	down atomic.Bool

	mu       sync.Mutex
	msgs     []sinkMsg
	mails    int
	rcptErr  map[string]*smtp.SMTPError
	sessions int
	conns    []net.Conn // every accepted connection, for dropConnections
}

// sessionCount is the number of SMTP connections the sink has served.
func (s *sink) sessionCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions
}

// dropConnections closes every connection, as a server that times out
// idle clients does.
func (s *sink) dropConnections() {
	s.mu.Lock()
	conns := s.conns
	s.conns = nil
	s.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}

type sinkMsg struct {
	from     string
	mailOpts smtp.MailOptions
	rcpts    []string
	rcptOpts []smtp.RcptOptions
	data     []byte
	tls      bool
}

type gateListener struct {
	net.Listener
	s *sink
}

func (g gateListener) Accept() (net.Conn, error) {
	for {
		c, err := g.Listener.Accept()
		if err != nil || !g.s.down.Load() {
			if err == nil {
				g.s.mu.Lock()
				g.s.conns = append(g.s.conns, c)
				g.s.mu.Unlock()
			}
			return c, err
		}
		c.Close() // "down": the connection dies before the greeting
	}
}

func newSink(t testing.TB, listenAddr string, tlsCfg *tls.Config, configure ...func(*smtp.Server)) *sink {
	t.Helper()
	l, err := net.Listen("tcp", listenAddr)
	if err != nil {
		t.Fatalf("listen %s: %v", listenAddr, err)
	}
	return sinkOn(t, l, tlsCfg, configure...)
}

// listenPair listens on 127.0.0.1:P and 127.0.0.2:P for one port P. A port
// the kernel picked free on 127.0.0.1 may be taken on 127.0.0.2 (by another
// test package's client or listener), so it tries again on a fresh port.
func listenPair(t testing.TB) (a, b net.Listener) {
	t.Helper()
	var err error
	for range 50 {
		a, err = net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("listen 127.0.0.1:0: %v", err)
		}
		_, p, _ := net.SplitHostPort(a.Addr().String())
		b, err = net.Listen("tcp", net.JoinHostPort("127.0.0.2", p))
		if err == nil {
			return a, b
		}
		a.Close()
	}
	t.Fatalf("no port free on both 127.0.0.1 and 127.0.0.2: %v", err)
	return nil, nil
}

// sinkOn serves a sink on a listener the caller opened.
func sinkOn(t testing.TB, l net.Listener, tlsCfg *tls.Config, configure ...func(*smtp.Server)) *sink {
	t.Helper()
	s := &sink{addr: l.Addr().String(), rcptErr: map[string]*smtp.SMTPError{}}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		_, isTLS := c.TLSConnectionState()
		s.mu.Lock()
		s.sessions++
		s.mu.Unlock()
		return &sinkSession{s: s, c: c, tls: isTLS}, nil
	}))
	srv.Domain = "sink.test"
	srv.ErrorLog = log.New(io.Discard, "", 0)
	srv.EnableDSN = true
	srv.EnableSMTPUTF8 = true
	srv.AllowInsecureAuth = true
	srv.TLSConfig = tlsCfg
	srv.ReadTimeout = 30 * time.Second
	srv.WriteTimeout = 30 * time.Second
	for _, f := range configure {
		f(srv)
	}
	s.srv = srv
	go srv.Serve(gateListener{l, s})
	// Only the listener: go-smtp's Server.Close races with a connection in
	// its EHLO handler (it clears the session without the handler's lock).
	// Open connections end when the relay closes them.
	t.Cleanup(func() { l.Close() })
	return s
}

func (s *sink) received() []sinkMsg {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sinkMsg(nil), s.msgs...)
}

func (s *sink) mailCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mails
}

func (s *sink) reject(addr string, e *smtp.SMTPError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e == nil {
		delete(s.rcptErr, addr)
	} else {
		s.rcptErr[addr] = e
	}
}

type sinkSession struct {
	s   *sink
	c   *smtp.Conn
	tls bool
	cur sinkMsg
}

func (ss *sinkSession) Reset()        { ss.cur = sinkMsg{} }
func (ss *sinkSession) Logout() error { return nil }
func (ss *sinkSession) Mail(from string, o *smtp.MailOptions) error {
	_, isTLS := ss.c.TLSConnectionState()
	ss.cur = sinkMsg{from: from, tls: isTLS}
	if o != nil {
		ss.cur.mailOpts = *o
	}
	ss.s.mu.Lock()
	ss.s.mails++
	ss.s.mu.Unlock()
	return nil
}
func (ss *sinkSession) Rcpt(to string, o *smtp.RcptOptions) error {
	ss.s.mu.Lock()
	e := ss.s.rcptErr[to]
	ss.s.mu.Unlock()
	if e != nil {
		return e
	}
	ss.cur.rcpts = append(ss.cur.rcpts, to)
	if o != nil {
		ss.cur.rcptOpts = append(ss.cur.rcptOpts, *o)
	} else {
		ss.cur.rcptOpts = append(ss.cur.rcptOpts, smtp.RcptOptions{})
	}
	return nil
}
func (ss *sinkSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.cur.data = b
	ss.s.mu.Lock()
	ss.s.msgs = append(ss.s.msgs, ss.cur)
	ss.s.mu.Unlock()
	return nil
}

// dnsZone serves MX and A records on 127.0.0.1 over UDP.
type dnsZone struct {
	mx map[string][]*dns.MX // fqdn -> records
	a  map[string]string    // fqdn -> IPv4
	nx map[string]bool
	// insecure answers without the AD bit (an unsigned zone); by default
	// the test resolver claims DNSSEC validation, as a validating one would
	// for a signed zone.
	insecure bool
}

func newDNS(t testing.TB, z *dnsZone) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		resp := new(dns.Msg)
		resp.SetReply(q)
		resp.AuthenticatedData = !z.insecure
		name := strings.ToLower(q.Question[0].Name)
		switch {
		case z.nx[name]:
			resp.Rcode = dns.RcodeNameError
		case q.Question[0].Qtype == dns.TypeMX:
			for _, mx := range z.mx[name] {
				cp := *mx
				cp.Hdr = dns.RR_Header{Name: name, Rrtype: dns.TypeMX, Class: dns.ClassINET, Ttl: 60}
				resp.Answer = append(resp.Answer, &cp)
			}
		case q.Question[0].Qtype == dns.TypeA:
			if ip, ok := z.a[name]; ok {
				resp.Answer = append(resp.Answer, &dns.A{
					Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60},
					A:   net.ParseIP(ip)})
			}
		}
		w.WriteMsg(resp)
	})}
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	go srv.ActivateAndServe()
	<-started
	t.Cleanup(func() { srv.Shutdown() })
	return pc.LocalAddr().String()
}

// testCert makes a self-signed certificate for names (127.0.0.1 included)
// and a pool that trusts it.
func testCert(t *testing.T, names ...string) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key := testpki.ECKey(t)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: names[0]},
		DNSNames:              names,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	cert := testpki.SelfSigned(t, tmpl, key)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{testpki.TLSCert(cert, key)}}, pool
}

func testLogger() *slog.Logger {
	if os.Getenv("SEALGATE_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return slog.New(slog.DiscardHandler)
}

// startRelay builds and starts a Relay; it is stopped at cleanup.
func startRelay(t *testing.T, opts Options, st Store) *Relay {
	t.Helper()
	if opts.Hostname == "" {
		opts.Hostname = "relay.test"
	}
	if opts.Logger == nil {
		opts.Logger = testLogger()
	}
	if opts.ConnectTimeout == 0 {
		opts.ConnectTimeout = 10 * time.Second
	}
	if opts.CommandTimeout == 0 {
		opts.CommandTimeout = 10 * time.Second
	}
	r, err := New(opts, st)
	if err != nil {
		t.Fatal(err)
	}
	r.Start()
	t.Cleanup(func() { r.Stop(t.Context()) })
	return r
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func rcptState(t *testing.T, r *Relay, id, addr string) RecipientState {
	t.Helper()
	e, err := r.Show(id)
	if err != nil {
		t.Fatalf("show %s: %v", id, err)
	}
	for _, rs := range e.Recipients {
		if rs.Addr == addr {
			return rs
		}
	}
	t.Fatalf("%s has no recipient %s", id, addr)
	return RecipientState{}
}

func testEnvelope(id, from string, rcpts ...string) *envelope.Envelope {
	e := &envelope.Envelope{ID: id, From: from, Received: time.Now()}
	for _, a := range rcpts {
		e.Recipients = append(e.Recipients, envelope.Recipient{Addr: a})
	}
	return e
}

const testBody = "From: a@src.test\r\nTo: b@dst.test\r\nSubject: hello\r\n\r\nline one\r\n.leading dot\r\n\r\nlast line\r\n"
