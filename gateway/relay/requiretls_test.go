package relay

import (
	"bytes"
	"crypto/tls"
	"io"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/sealgate/sealgate/envelope"
	"github.com/sealgate/sealgate/gateway/smtpd"
	"github.com/sealgate/sealgate/internal/tlslevel"
)

// ingressStore adapts memStore to smtpd.Store (no DSN bookkeeping).
type ingressStore struct {
	st *memStore
	n  int
}

type ingressWriter struct {
	st  *memStore
	id  string
	buf bytes.Buffer
}

func (s *ingressStore) NewMessage() (smtpd.MessageWriter, error) {
	s.st.mu.Lock()
	s.n++
	id := "in-" + string(rune('a'+s.n))
	s.st.mu.Unlock()
	return &ingressWriter{st: s.st, id: id}, nil
}
func (w *ingressWriter) Write(p []byte) (int, error) { return w.buf.Write(p) }
func (w *ingressWriter) ID() string                  { return w.id }
func (w *ingressWriter) Abort() error                { return nil }
func (w *ingressWriter) Commit(env *envelope.Envelope) error {
	env.ID = w.id
	w.st.put(env, w.buf.String())
	return nil
}

// ingress runs our smtpd with STARTTLS; every accepted message is submitted
// to r (set later through *r).
func ingress(t *testing.T, st *memStore, r **Relay) string {
	t.Helper()
	cfg, _, _ := validCert(t, "relay.test")
	srv, err := smtpd.New(smtpd.Options{Name: "test", Hostname: "relay.test", TLSConfig: cfg,
		AllowNets: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}},
		&ingressStore{st: st}, func(env *envelope.Envelope) error {
			return (*r).Submit(env.ID, []Copy{{Recipients: env.Addrs()}})
		})
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return l.Addr().String()
}

// sendVia submits one message to addr over STARTTLS.
func sendVia(t *testing.T, addr string, requireTLS bool, rcpt, body string) {
	t.Helper()
	c, err := smtp.DialStartTLS(addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Mail("a@src.test", &smtp.MailOptions{RequireTLS: requireTLS}); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt(rcpt, nil); err != nil {
		t.Fatal(err)
	}
	wc, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(wc, body)
	if err := wc.Close(); err != nil {
		t.Fatal(err)
	}
	c.Quit()
}

func TestREQUIRETLSEndToEndDeliversOnlyToREQUIRETLSHopElseBounces5710(t *testing.T) {
	names := []string{"mx.rt.test", "mx.nort.test"}
	cfg, _, pool := validCert(t, names...)
	enable := func(s *smtp.Server) { s.EnableREQUIRETLS = true }
	la, lb := listenPair(t)
	a := sinkOn(t, la, cfg, enable)
	_, port, _ := splitHostPort(a.addr)
	b := sinkOn(t, lb, cfg)
	z := zoneFor(map[string]string{"rt.test": "mx.rt.test", "nort.test": "mx.nort.test"})
	z.a["mx.nort.test."] = "127.0.0.2"
	res := newDNS(t, z)
	st := newMemStore()
	var r *Relay
	addr := ingress(t, st, &r)
	r = startRelay(t, Options{Resolver: res, MXPort: port, RootCAs: pool, RetryMin: time.Hour}, st)

	sendVia(t, addr, true, "x@rt.test", testBody)
	waitFor(t, "REQUIRETLS delivery", func() bool { return len(a.received()) == 1 })
	if got := a.received()[0]; !got.mailOpts.RequireTLS || !got.tls {
		t.Errorf("delivered without REQUIRETLS (%v) or TLS (%v)", got.mailOpts.RequireTLS, got.tls)
	}

	sendVia(t, addr, true, "x@nort.test", testBody)
	waitFor(t, "bounce DSN", func() bool { _, b := st.dsns(); return len(b) == 1 })
	if b.mailCount() != 0 {
		t.Errorf("the hop without REQUIRETLS saw %d MAIL commands", b.mailCount())
	}
	_, bodies := st.dsns()
	_, status := parseDSN(t, bodies[0])
	if !strings.Contains(status, "Status: 5.7.10") {
		t.Errorf("DSN status:\n%s", status)
	}
	// RFC 8689 §5: the DSN does not carry the message body.
	if strings.Contains(string(bodies[0]), "leading dot") {
		t.Errorf("DSN about a REQUIRETLS message includes its body")
	}
}

func TestTLSRequiredNoRelaxesDomainPolicyOnlyWithoutOurFloor(t *testing.T) {
	w := newWorld(t, nil, map[string]string{"v.test": "mx.v.test"}) // no STARTTLS
	for _, tc := range []struct {
		name   string
		honor  bool
		minTLS tlslevel.Level
		want   string
	}{
		{"honoured", true, "", "delivered"},
		{"our floor", true, "verify", "deferred"},
		{"not allowed by config", false, "", "deferred"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := startRelay(t, w.options(Options{HonorTLSRequiredNo: tc.honor, TLSPolicy: map[string]tlslevel.Level{"v.test": "verify"}}), w.st)
			id := "m-" + strings.ReplaceAll(tc.name, " ", "-")
			env := testEnvelope(id, "a@src.test", "x@v.test")
			env.TLSRequiredNo = true
			w.st.put(env, testBody)
			r.Submit(id, []Copy{{Recipients: []string{"x@v.test"}, MinTLS: tc.minTLS}})
			if a := w.attempt(t, id, "x@v.test"); a.Outcome != tc.want {
				t.Errorf("outcome %s (%s), want %s", a.Outcome, a.Reply, tc.want)
			}
		})
	}
	if n := len(w.sk.received()); n != 1 {
		t.Errorf("sink got %d messages, want 1", n)
	}
}

func TestSignHookWrapsEveryCopyAndDSN(t *testing.T) {
	sk := newSink(t, "127.0.0.1:0", nil)
	sk.reject("bad@dst.test", &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"})
	st := newMemStore()
	env := testEnvelope("m1", "a@src.test", "ok@dst.test", "bad@dst.test")
	st.put(env, testBody)
	st.mu.Lock()
	st.copies["m1/pgp"] = []byte("Subject: x\r\n\r\nENCRYPTED\r\n")
	st.mu.Unlock()
	sign := func(w io.Writer, open func() (io.ReadCloser, error)) error {
		// Like the DKIM signer: read once to hash, then again to write.
		rc, err := open()
		if err != nil {
			return err
		}
		n, _ := io.Copy(io.Discard, rc)
		rc.Close()
		rc, err = open()
		if err != nil {
			return err
		}
		defer rc.Close()
		io.WriteString(w, "X-Test-Signed: "+strings.Repeat("x", int(n%7))+"\r\n")
		_, err = io.Copy(w, rc)
		return err
	}
	r := startRelay(t, Options{Smarthost: sk.addr, SmarthostTLS: "none", Sign: sign, MaxConcurrency: 1}, st)
	r.Submit("m1", []Copy{{Recipients: []string{"ok@dst.test", "bad@dst.test"}}, {Name: "pgp", Recipients: []string{"ok@dst.test"}}})
	// Two copies and the DSN about bad@ reach the sink.
	waitFor(t, "copies and DSN", func() bool { return len(sk.received()) == 3 })
	for _, m := range sk.received() {
		if !bytes.HasPrefix(m.data, []byte("X-Test-Signed: ")) {
			t.Errorf("unsigned message to %v:\n%.80s", m.rcpts, m.data)
		}
		if m.mailOpts.Size != 0 {
			t.Errorf("SIZE=%d declared for a signed message", m.mailOpts.Size)
		}
	}
}
