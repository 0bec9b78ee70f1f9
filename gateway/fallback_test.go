package gateway

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"io"
	"log/slog"
	"math/big"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sealgate/sealgate/config"
	"github.com/sealgate/sealgate/gateway/audit"
	"github.com/sealgate/sealgate/internal/capture"
	"github.com/sealgate/sealgate/internal/dnstest"
	"github.com/sealgate/sealgate/internal/testpki"
)

// mxDNS serves MX domain -> mxHost and A mxHost -> 127.0.0.1, unsigned (no
// AD bit: no DANE), and returns its address.
func mxDNS(t *testing.T, domain, mxHost string) string {
	t.Helper()
	return dnstest.Start(t).Add(domain+". 60 IN MX 10 "+mxHost+".", mxHost+". 60 IN A 127.0.0.1").Addr
}

// stripAfterFirst is a proxy to target that passes its first connection
// untouched (the selector's probe sees verified TLS) and removes STARTTLS
// from the EHLO reply of every later one: the attacker arrives between
// selection and delivery.
func stripAfterFirst(t *testing.T, target string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int32
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			mu.Lock()
			conns = append(conns, c, s)
			mu.Unlock()
			strip := n.Add(1) > 1
			go func() { io.Copy(s, c); s.Close() }()
			go func() {
				if strip {
					stripEHLO(c, s)
				} else {
					io.Copy(c, s)
				}
				c.Close()
			}()
		}
	}()
	return l.Addr().String()
}

// stripEHLO copies src to dst without STARTTLS lines in multi-line replies.
func stripEHLO(dst io.Writer, src io.Reader) {
	br := bufio.NewReader(src)
	var pending []string
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		if len(line) < 4 {
			io.WriteString(dst, line)
			continue
		}
		if !strings.HasPrefix(strings.ToUpper(strings.TrimSpace(line[4:])), "STARTTLS") {
			pending = append(pending, line)
		}
		if line[3] == '-' {
			continue
		}
		for i, l := range pending {
			sep := "-"
			if i == len(pending)-1 {
				sep = " "
			}
			io.WriteString(dst, l[:3]+sep+l[4:])
		}
		pending = nil
	}
}

// strippedMX is partner.test's MX, offering STARTTLS with a certificate
// the relay trusts, behind stripAfterFirst, and a gateway config delivering
// by MX under one encrypt rule with methods (its YAML), min tls; relayExtra
// is more of the relay section.
func strippedMX(t *testing.T, methods, relayExtra string) (*capture.Sink, *testEnv, *x509.CertPool) {
	t.Helper()
	key := testpki.ECKey(t)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(41), Subject: pkix.Name{CommonName: "mx.partner.test"},
		DNSNames: []string{"mx.partner.test"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	cert := testpki.SelfSigned(t, tmpl, key)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	sink := capture.New("mx.partner.test", &tls.Config{Certificates: []tls.Certificate{testpki.TLSCert(cert, key)}})
	if _, err := sink.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })
	proxy := stripAfterFirst(t, sink.Addr())
	_, port, _ := net.SplitHostPort(proxy)
	env := writeConfig(t, "", "")
	appendConfig(t, env, "  resolver: "+mxDNS(t, "partner.test", "mx.partner.test")+"\n  mx_port: "+port+
		"\n  mta_sts: false\n  dane: false\n  downgrade_memory: false\n"+relayExtra)
	pol := writePolicy(t, env, "rules:\n  - id: phi\n    default: true\n    action: encrypt\n    "+methods+"\n    min: tls\n")
	appendConfig(t, env, "policy:\n  paths: [\""+pol+"\"]\n")
	return sink, env, pool
}

// TestStrippedSTARTTLSAtDeliveryFallsBackToSMIME: rule [tls, smime]; the
// selector proves verified TLS to partner.test's MX, then STARTTLS is
// stripped at delivery. The recipient gets an S/MIME copy that openssl
// opens, the plaintext never crosses the stripped link, and the audit log
// holds the fallback decision with its reason.
func TestStrippedSTARTTLSAtDeliveryFallsBackToSMIME(t *testing.T) {
	openssl := requireTool(t, "openssl")
	sink, env, roots := strippedMX(t, "methods: [tls, smime]", "")
	bob := newSMIMEIdentity(t, env.Dir, "bob@partner.test", 43)
	importKey(t, env, "bob.der", bob.der)
	startGatewayRoots(t, env, roots)

	if err := send(env.Listen, "dr@clinic.test", []string{"bob@partner.test"}, phiMessage("bob@partner.test", "Results")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "the S/MIME fallback copy", func() bool { return sink.Count() == 1 })
	m := sink.Messages()[0]
	if len(m.Recipients) != 1 || m.Recipients[0] != "bob@partner.test" || bytes.Contains(m.Data, []byte("078-05-1121")) {
		t.Fatalf("delivery to %v carried the plaintext or went elsewhere", m.Recipients)
	}
	if plain, err := smimeDecrypt(t, openssl, m.Data, bob); err != nil || !bytes.Contains(plain, []byte("078-05-1121")) {
		t.Fatalf("bob cannot open the fallback copy: %v %s", err, plain)
	}
	var first, fallback audit.RecipientMethod
	stripped := false
	for _, r := range auditRecords(t, env) {
		switch r.Type {
		case audit.TypeDecision:
			var d audit.Decision
			json.Unmarshal(r.Data, &d)
			if len(d.Recipients) == 1 && first.Method == "" {
				first = d.Recipients[0]
			} else if len(d.Recipients) == 1 {
				fallback = d.Recipients[0]
			}
		case audit.TypeDelivery:
			var dl audit.Delivery
			json.Unmarshal(r.Data, &dl)
			stripped = stripped || (dl.Outcome == "deferred" && dl.TLSFailure == "starttls-not-supported")
		}
	}
	if first.Method != "tls-verified" {
		t.Errorf("first decision %+v: want tls-verified", first)
	}
	if fallback.Method != "smime" || !strings.HasPrefix(fallback.Reason, "fallback after tls failed: starttls-not-supported") {
		t.Errorf("fallback decision %+v", fallback)
	}
	if !stripped {
		t.Error("no delivery record of the stripped STARTTLS")
	}
}

// TestAHeldRecipientBouncesSecurelyAfterTheHoldLifetime: PHI to a recipient
// with no method is held; once the hold lifetime (the queue lifetime here)
// passes, the sender gets a 5.7.10 DSN that says it could not be delivered
// securely, with the original's header only.
func TestAHeldRecipientBouncesSecurelyAfterTheHoldLifetime(t *testing.T) {
	sink := startSink(t, "127.0.0.1:0")
	env := writeConfig(t, sink.Addr(), "")
	appendConfig(t, env, "  max_lifetime: 3s\n")
	g := startGateway(t, env)
	if err := send(env.Listen, "dr@clinic.test", []string{"lab@partner.test"}, phiMessage("lab@partner.test", "Results")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "the bounce", func() bool { return sink.Count() == 1 })
	m := sink.Messages()[0]
	if len(m.Recipients) != 1 || m.Recipients[0] != "dr@clinic.test" || m.From != "" {
		t.Fatalf("first message from %q to %v: want the DSN to the sender", m.From, m.Recipients)
	}
	for _, want := range []string{"Status: 5.7.10", "could not be delivered securely", "Final-Recipient: rfc822; lab@partner.test", "text/rfc822-headers"} {
		if !bytes.Contains(m.Data, []byte(want)) {
			t.Errorf("DSN lacks %q:\n%s", want, m.Data)
		}
	}
	if bytes.Contains(m.Data, []byte("078-05-1121")) || bytes.Contains(m.Data, []byte("Quackenbush")) {
		t.Fatal("the DSN carries the message body")
	}
	waitFor(t, 10*time.Second, "the queue to empty", func() bool { return len(g.Relay().List()) == 0 })
	bounced := false
	for _, r := range auditRecords(t, env) {
		var dl audit.Delivery
		if r.Type == audit.TypeDelivery && json.Unmarshal(r.Data, &dl) == nil && dl.Recipient == "lab@partner.test" && dl.Outcome == "bounced" {
			bounced = true
		}
	}
	if !bounced {
		t.Error("no bounced delivery record for the held recipient")
	}
}

// startGatewayRoots is startGateway with roots for the relay's verified TLS.
func startGatewayRoots(t *testing.T, env *testEnv, roots *x509.CertPool) *Gateway {
	t.Helper()
	cfg, err := config.Load(env.CfgPath)
	if err != nil {
		t.Fatal(err)
	}
	var w io.Writer = io.Discard
	if testing.Verbose() {
		w = os.Stderr
	}
	g, err := New(cfg, Options{Logger: slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug})), RelayRootCAs: roots})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Stop(t.Context()) })
	return g
}

// TestNothingLeftAfterAStrippedSTARTTLSHoldsThenBounces: rule [tls, smime],
// no certificate: after the stripped STARTTLS the recipient stays held
// (recorded), nothing reaches the MX, and after the hold lifetime it
// bounces with 5.7.10 and a DSN to the sender is queued.
func TestNothingLeftAfterAStrippedSTARTTLSHoldsThenBounces(t *testing.T) {
	sink, env, roots := strippedMX(t, "methods: [tls, smime]", "  max_lifetime: 4s\n")
	g := startGatewayRoots(t, env, roots)
	if err := send(env.Listen, "dr@clinic.test", []string{"lab@partner.test"}, phiMessage("lab@partner.test", "Results")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "the recipient kept held", func() bool {
		l := g.Relay().List()
		return len(l) == 1 && l[0].Recipients[0].Held && strings.HasPrefix(l[0].Recipients[0].HoldReason, "no secure method left after tls failed")
	})
	var fallback audit.RecipientMethod
	bounced, dsn := false, false
	waitFor(t, 20*time.Second, "the bounce and its DSN", func() bool {
		for _, r := range auditRecords(t, env) {
			switch r.Type {
			case audit.TypeDecision:
				var d audit.Decision
				json.Unmarshal(r.Data, &d)
				if len(d.Recipients) == 1 {
					fallback = d.Recipients[0]
				}
			case audit.TypeDelivery:
				var dl audit.Delivery
				json.Unmarshal(r.Data, &dl)
				bounced = bounced || (dl.Recipient == "lab@partner.test" && dl.Outcome == "bounced" && strings.Contains(dl.Reply, "could not be delivered securely"))
			case audit.TypeDSNSent:
				var ds audit.DSNSent
				json.Unmarshal(r.Data, &ds)
				dsn = dsn || (ds.To == "dr@clinic.test" && len(ds.Recipients) == 1 && ds.Recipients[0] == "lab@partner.test")
			}
		}
		return bounced && dsn
	})
	if fallback.Method != "none" || !strings.HasPrefix(fallback.Reason, "fallback after tls failed: starttls-not-supported") {
		t.Errorf("last decision %+v", fallback)
	}
	for _, m := range sink.Messages() {
		for _, r := range m.Recipients {
			if r == "lab@partner.test" {
				t.Fatal("the held recipient got a copy")
			}
		}
	}
}

// TestStrippedSTARTTLSAtDeliveryGoesToThePortal is the case: the
// default policy (pgp > smime > tls > portal) chose verified TLS for
// dana@verified.test, STARTTLS is stripped at delivery, and dana gets a
// portal notification instead, recorded as such; the body never crosses the
// stripped link and the notice's link opens the portal.
func TestStrippedSTARTTLSAtDeliveryGoesToThePortal(t *testing.T) {
	w := newPortalWorld(t, "")
	_, sinkPort, _ := net.SplitHostPort(w.sink.Addr())
	_, proxyPort, _ := net.SplitHostPort(stripAfterFirst(t, w.sink.Addr()))
	cfg, _ := os.ReadFile(w.env.CfgPath)
	text := strings.Replace(string(cfg), "  mx_port: "+sinkPort+"\n", "  mx_port: "+proxyPort+"\n", 1)
	if text == string(cfg) {
		t.Fatal("no mx_port in the portal world's config")
	}
	os.WriteFile(w.env.CfgPath, []byte(text), 0o600)
	w.start(t)
	if err := send(w.env.Listen, "dr@clinic.test", []string{"dana@verified.test"}, fourWayMessage()); err != nil {
		t.Fatal(err)
	}
	if !w.sink.WaitFor(30*time.Second, func(ms []capture.Message) bool { return len(ms) >= 1 }) {
		t.Fatalf("nothing arrived; queue %+v", w.g.Relay().List())
	}
	for _, m := range w.sink.Messages() {
		if bytes.Contains(m.Data, []byte(bodyMarker)) || bytes.Contains(m.Data, []byte("078-05-1121")) {
			t.Fatalf("PHI crossed the stripped link to %v", m.Recipients)
		}
	}
	notice := capture.Describe(w.sink.Messages()[0])
	if notice.Recipients[0] != "dana@verified.test" || len(notice.Links) != 1 || !strings.HasPrefix(notice.Links[0], w.portalURL+"/m/") {
		t.Fatalf("first message to %v with links %v: want dana's portal notice", notice.Recipients, notice.Links)
	}
	var decided []audit.RecipientMethod
	for _, r := range auditRecords(t, w.env) {
		if r.Type == audit.TypeDecision {
			var d audit.Decision
			json.Unmarshal(r.Data, &d)
			decided = append(decided, d.Recipients...)
		}
	}
	if len(decided) != 2 || decided[0].Method != "tls-verified" || decided[1].Method != "portal" ||
		!strings.HasPrefix(decided[1].Reason, "fallback after tls failed: starttls-not-supported") {
		t.Fatalf("decisions %+v: want tls-verified, then portal after the fallback", decided)
	}
	resp, err := w.browser().Get(notice.Links[0])
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || bytes.Contains(page, []byte(bodyMarker)) {
		t.Fatalf("portal landing %s (shows the body before verification: %v)", resp.Status, bytes.Contains(page, []byte(bodyMarker)))
	}
}
