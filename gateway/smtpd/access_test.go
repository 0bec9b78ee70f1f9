package smtpd

import (
	"bufio"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"syscall"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"

	"github.com/sealgate/sealgate/gateway/spool"
)

func argon2idHash(password string) string {
	salt := []byte("0123456789abcdef")
	key := argon2.IDKey([]byte(password), salt, 1, 8*1024, 1, 32)
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", 8*1024, 1, 1,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

func bcryptHash(t *testing.T, password string) string {
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

func plainIR(user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + pass))
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func tlsOptions(t *testing.T, pki *testPKI) Options {
	opts := baseOptions(t)
	opts.AllowNets = nil
	opts.TLSConfig = pki.serverTLS()
	opts.Users = map[string]string{"argon": argon2idHash("s3cret"), "bc": bcryptHash(t, "pw")}
	return opts
}

func TestAuthIsOfferedOnlyAfterTLSAndAllowsRelay(t *testing.T) {
	pki := newPKI(t)
	store := &fakeStore{}
	_, addr := startServer(t, tlsOptions(t, pki), store)
	c := dialFrom(t, addr, "127.0.0.2")
	c.expect(220)
	if text := c.cmd("EHLO client.example").expect(250); strings.Contains(text, "AUTH") || !strings.Contains(text, "STARTTLS") {
		t.Fatalf("plaintext EHLO: %q", text)
	}
	c.cmd("AUTH PLAIN "+plainIR("argon", "s3cret")).expectCode(523, "5.7.10")
	c.startTLS(pki.clientTLS())
	if text := c.cmd("EHLO client.example").expect(250); !strings.Contains(text, "AUTH PLAIN LOGIN") || !strings.Contains(text, "REQUIRETLS") {
		t.Fatalf("TLS EHLO: %q", text)
	}
	c.cmd("MAIL FROM:<a@example.org>").expect(250)
	c.cmd("RCPT TO:<b@example.net>").expectCode(554, "5.7.1")
	c.cmd("RSET").expect(250)
	c.cmd("AUTH PLAIN "+plainIR("argon", "s3cret")).expectCode(235, "2.0.0")
	c.cmd("MAIL FROM:<a@example.org> REQUIRETLS").expect(250)
	c.cmd("RCPT TO:<b@example.net>").expect(250)
	c.cmd("DATA").expect(354)
	c.send(testMessage + ".\r\n").expect(250)
	env := store.messages()[0].env
	if env.AuthUser != "argon" || env.TLSVersion == "" || env.TLSCipher == "" || !env.RequireTLS {
		t.Fatalf("envelope = %+v", env)
	}
	recv, _ := store.messages()[0].body(t)
	if !strings.Contains(recv, "with ESMTPSA id MSG0001") || !strings.Contains(recv, "(version=TLS1.3 cipher=") {
		t.Fatalf("Received = %q", recv)
	}
}

func TestAuthLoginWithBcryptHash(t *testing.T) {
	pki := newPKI(t)
	_, addr := startServer(t, tlsOptions(t, pki), &fakeStore{})
	c := dialFrom(t, addr, "127.0.0.2")
	c.expect(220)
	c.cmd("EHLO client.example").expect(250)
	c.startTLS(pki.clientTLS())
	c.cmd("EHLO client.example").expect(250)
	c.cmd("AUTH LOGIN").expect(334)
	c.cmd(b64("bc")).expect(334)
	c.cmd(b64("pw")).expectCode(235, "2.0.0")
	c.cmd("MAIL FROM:<a@example.org>").expect(250)
	c.cmd("RCPT TO:<b@example.net>").expect(250)
}

func TestAuthFailuresAreRateLimitedPerIP(t *testing.T) {
	pki := newPKI(t)
	opts := tlsOptions(t, pki)
	opts.AuthFailLimit = 3
	_, addr := startServer(t, opts, &fakeStore{})
	c := dialFrom(t, addr, "127.0.0.2")
	c.expect(220)
	c.cmd("EHLO client.example").expect(250)
	c.startTLS(pki.clientTLS())
	c.cmd("EHLO client.example").expect(250)
	for i := 0; i < 3; i++ {
		c.cmd("AUTH PLAIN "+plainIR("argon", "wrong")).expectCode(535, "5.7.8")
	}
	// Even the right password is refused now.
	c.cmd("AUTH PLAIN "+plainIR("argon", "s3cret")).expectCode(454, "4.7.0")
	// A new connection from that IP is turned away.
	d := dialFrom(t, addr, "127.0.0.2")
	d.expectCode(421, "4.7.0")
	// Other IPs are unaffected.
	e := dialFrom(t, addr, "127.0.0.3")
	e.expect(220)
}

func TestClientCertFingerprintAllowsRelay(t *testing.T) {
	pki := newPKI(t)
	cert := pki.issue(t, "connector.example", nil, 2 /* ExtKeyUsageClientAuth */, true)
	sum := sha256.Sum256(cert.Certificate[0])
	fp := strings.ToUpper(hex.EncodeToString(sum[:]))
	var colon []string
	for i := 0; i < len(fp); i += 2 {
		colon = append(colon, fp[i:i+2])
	}
	opts := baseOptions(t)
	opts.AllowNets = nil
	opts.TLSConfig = pki.serverTLS()
	opts.ClientCertSHA256 = []string{strings.Join(colon, ":")}
	store := &fakeStore{}
	_, addr := startServer(t, opts, store)

	c := dialFrom(t, addr, "127.0.0.2")
	c.expect(220)
	c.cmd("EHLO client.example").expect(250)
	c.startTLS(pki.clientTLS(cert))
	c.cmd("EHLO client.example").expect(250)
	if code, text := c.sendMessage("a@example.org", "b@example.net", testMessage); code != 250 {
		t.Fatalf("DATA: %d %s", code, text)
	}
	if got := store.messages()[0].env.AuthUser; got != "cert:"+strings.ToLower(fp) {
		t.Fatalf("AuthUser = %q", got)
	}

	// Another certificate is not enough.
	other := pki.issue(t, "connector.example", nil, 2, true)
	d := dialFrom(t, addr, "127.0.0.2")
	d.expect(220)
	d.cmd("EHLO client.example").expect(250)
	d.startTLS(pki.clientTLS(other))
	d.cmd("EHLO client.example").expect(250)
	d.cmd("MAIL FROM:<a@example.org>").expect(250)
	d.cmd("RCPT TO:<b@example.net>").expectCode(554, "5.7.1")
}

func TestClientCertNameMustChainToClientCAs(t *testing.T) {
	pki := newPKI(t)
	opts := baseOptions(t)
	opts.AllowNets = nil
	opts.TLSConfig = pki.serverTLS()
	opts.TLSConfig.ClientCAs = pki.pool
	opts.ClientCertNames = []string{"Connector.Example"}
	_, addr := startServer(t, opts, &fakeStore{})

	try := func(cert tls.Certificate) (int, bool) {
		c := dialFrom(t, addr, "127.0.0.2")
		c.expect(220)
		c.cmd("EHLO client.example").expect(250)
		c.cmd("STARTTLS").expect(220)
		tc := tls.Client(c.conn, pki.clientTLS(cert))
		if err := tc.Handshake(); err != nil {
			return 0, false
		}
		c.conn = tc
		c.r.Reset(tc)
		if code, _ := c.cmd("EHLO client.example").reply(); code != 250 {
			return 0, false // TLS 1.3 reports a refused certificate on first read
		}
		c.cmd("MAIL FROM:<a@example.org>").expect(250)
		code, _ := c.cmd("RCPT TO:<b@example.net>").reply()
		return code, true
	}
	if code, ok := try(pki.issue(t, "connector.example", nil, 2, false)); !ok || code != 250 {
		t.Fatalf("CA-signed cert with allowed name: %d %v", code, ok)
	}
	if code, ok := try(pki.issue(t, "other.example", []string{"connector.example"}, 2, false)); !ok || code != 250 {
		t.Fatalf("CA-signed cert with allowed DNS SAN: %d %v", code, ok)
	}
	if code, ok := try(pki.issue(t, "other.example", nil, 2, false)); !ok || code != 554 {
		t.Fatalf("CA-signed cert with other name: %d %v", code, ok)
	}
	if code, ok := try(pki.issue(t, "connector.example", nil, 2, true)); ok && code == 250 {
		t.Fatal("self-signed cert with allowed name was allowed to relay")
	}
}

func TestSpoolFailuresAreTemporary(t *testing.T) {
	for _, tc := range []struct {
		name     string
		set      func(*fakeStore)
		code     int
		enhanced string
	}{
		{"commit error", func(s *fakeStore) { s.commitErr = errors.New("disk on fire") }, 451, "4.3.0"},
		{"commit no space", func(s *fakeStore) { s.commitErr = fmt.Errorf("spool: commit: %w", spool.ErrNoSpace) }, 452, "4.3.1"},
		{"write ENOSPC", func(s *fakeStore) { s.writeErr = fmt.Errorf("write: %w", syscall.ENOSPC) }, 452, "4.3.1"},
		{"new message error", func(s *fakeStore) { s.newErr = errors.New("spool closed") }, 451, "4.3.0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := &fakeStore{}
			tc.set(store)
			_, addr := startServer(t, baseOptions(t), store)
			c := dial(t, addr)
			c.cmd("EHLO client.example").expect(250)
			c.cmd("MAIL FROM:<a@example.org>").expect(250)
			c.cmd("RCPT TO:<b@example.net>").expect(250)
			c.cmd("DATA").expect(354)
			c.send(testMessage+".\r\n").expectCode(tc.code, tc.enhanced)
			if n := len(store.messages()); n != 0 {
				t.Fatalf("committed %d", n)
			}
		})
	}
}

func TestConnectionLimitsAnswer421(t *testing.T) {
	opts := baseOptions(t)
	opts.MaxConnsPerIP = 2
	opts.MaxConns = 3
	_, addr := startServer(t, opts, &fakeStore{})
	a := dialFrom(t, addr, "127.0.0.1")
	a.expect(220)
	b := dialFrom(t, addr, "127.0.0.1")
	b.expect(220)
	third := dialFrom(t, addr, "127.0.0.1")
	third.expectCode(421, "4.7.0")
	if !third.closed() {
		t.Fatal("over-limit connection left open")
	}
	d := dialFrom(t, addr, "127.0.0.2")
	d.expect(220)
	e := dialFrom(t, addr, "127.0.0.3")
	e.expectCode(421, "4.7.0")
	// Slots free up when a client leaves.
	a.cmd("QUIT").expect(221)
	if !a.closed() {
		t.Fatal("QUIT did not close")
	}
	var ok bool
	for i := 0; i < 100 && !ok; i++ {
		f := dialFrom(t, addr, "127.0.0.3")
		code, _ := f.reply()
		ok = code == 220
		f.conn.Close()
	}
	if !ok {
		t.Fatal("slot never freed after QUIT")
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	pki := newPKI(t)
	for name, mod := range map[string]func(*Options){
		"bad hash":       func(o *Options) { o.Users = map[string]string{"u": "plaintext"} },
		"bad argon2":     func(o *Options) { o.Users = map[string]string{"u": "$argon2id$v=19$m=x$a$b"} },
		"bad bcrypt":     func(o *Options) { o.Users = map[string]string{"u": "$2b$10$short"} },
		"users no TLS":   func(o *Options) { o.TLSConfig = nil },
		"bad cert fp":    func(o *Options) { o.ClientCertSHA256 = []string{"abcd"} },
		"names no CAs":   func(o *Options) { o.ClientCertNames = []string{"x.example"} },
		"no hostname":    func(o *Options) { o.Hostname = "" },
		"short line":     func(o *Options) { o.MaxLineLength = 200 },
		"implicit noTLS": func(o *Options) { o.TLSConfig = nil; o.Users = nil; o.ImplicitTLS = true },
		"bad prefix":     func(o *Options) { o.AllowNets = []netip.Prefix{{}} },
	} {
		o := tlsOptions(t, pki)
		mod(&o)
		if _, err := New(o, &fakeStore{}, nil); err == nil || !strings.HasPrefix(err.Error(), "smtpd: ") {
			t.Errorf("%s: New error = %v", name, err)
		}
	}
	if _, err := New(tlsOptions(t, pki), &fakeStore{}, nil); err != nil {
		t.Fatalf("good options: %v", err)
	}
}

func TestUpdateSwapsAllowlistForNewConnections(t *testing.T) {
	store := &fakeStore{}
	opts := baseOptions(t)
	srv, addr := startServer(t, opts, store)
	old := dial(t, addr)
	old.cmd("EHLO client.example").expect(250)

	opts.AllowNets = []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")}
	if err := srv.Update(opts); err != nil {
		t.Fatal(err)
	}
	c := dial(t, addr) // 127.0.0.1, no longer allowed
	c.cmd("EHLO client.example").expect(250)
	c.cmd("MAIL FROM:<a@example.org>").expect(250)
	c.cmd("RCPT TO:<b@example.net>").expectCode(554, "5.7.1")
	d := dialFrom(t, addr, "127.0.0.2")
	d.expect(220)
	d.cmd("EHLO client.example").expect(250)
	d.cmd("MAIL FROM:<a@example.org>").expect(250)
	d.cmd("RCPT TO:<b@example.net>").expect(250)
	// The open connection keeps the options it started with.
	old.cmd("MAIL FROM:<a@example.org>").expect(250)
	old.cmd("RCPT TO:<b@example.net>").expect(250)

	opts.ImplicitTLS = true
	if err := srv.Update(opts); err == nil {
		t.Fatal("Update accepted an ImplicitTLS change")
	}
}

func TestImplicitTLSListenerAcceptsMail(t *testing.T) {
	pki := newPKI(t)
	opts := baseOptions(t)
	opts.TLSConfig = pki.serverTLS()
	opts.ImplicitTLS = true
	store := &fakeStore{}
	_, addr := startServer(t, opts, store)
	conn, err := tls.Dial("tcp", addr, pki.clientTLS())
	if err != nil {
		t.Fatal(err)
	}
	c := &client{t: t, conn: conn}
	c.r = bufio.NewReader(conn)
	t.Cleanup(func() { conn.Close() })
	c.expect(220)
	if text := c.cmd("EHLO client.example").expect(250); strings.Contains(text, "STARTTLS") {
		t.Fatalf("STARTTLS offered inside implicit TLS: %q", text)
	}
	if code, text := c.sendMessage("a@example.org", "b@example.net", testMessage); code != 250 {
		t.Fatalf("DATA: %d %s", code, text)
	}
	if v := store.messages()[0].env.TLSVersion; v != "TLS 1.3" {
		t.Fatalf("TLSVersion = %q", v)
	}
}

func TestMetricsCountAcceptedAndRejected(t *testing.T) {
	reg := prometheus.NewRegistry()
	opts := baseOptions(t)
	opts.Registerer = reg
	_, addr := startServer(t, opts, &fakeStore{})
	// A second listener on the same registry must not fail.
	o2 := opts
	o2.Name = "second"
	if _, err := New(o2, &fakeStore{}, nil); err != nil {
		t.Fatal(err)
	}
	c := dial(t, addr)
	c.cmd("EHLO client.example").expect(250)
	c.sendMessage("a@example.org", "b@example.net", testMessage)
	c.cmd("MAIL FROM:<a@example.org>").expect(250)
	c.cmd("RCPT TO:<a%b@example.net>").expectCode(554, "5.7.1")
	if n := metricSum(t, reg, "sealgate_smtpd_messages_accepted_total"); n != 1 {
		t.Fatalf("accepted = %v", n)
	}
	if n := metricSum(t, reg, "sealgate_smtpd_rejected_total"); n != 1 {
		t.Fatalf("rejected = %v", n)
	}
	if n := metricSum(t, reg, "sealgate_smtpd_connections_total"); n != 1 {
		t.Fatalf("connections = %v", n)
	}
	if n := metricSum(t, reg, "sealgate_smtpd_accept_latency_seconds"); n != 1 {
		t.Fatalf("latency samples = %v", n)
	}
}

func metricSum(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				sum += m.GetCounter().GetValue() + float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return sum
}
