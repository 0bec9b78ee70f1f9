package relay

import (
	"bufio"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/miekg/dns"

	"github.com/sealgate/sealgate/gateway/dane"
	"github.com/sealgate/sealgate/gateway/mtasts"
	"github.com/sealgate/sealgate/internal/testpki"
	"github.com/sealgate/sealgate/internal/tlslevel"
)

// makeCert is a self-signed certificate for names, valid from notBefore to
// notAfter, and a pool trusting it.
func makeCert(t testing.TB, notBefore, notAfter time.Time, names ...string) (*tls.Config, *x509.Certificate, *x509.CertPool) {
	t.Helper()
	key := testpki.ECKey(t)
	tmpl := &x509.Certificate{
		SerialNumber:          testpki.Serial(),
		Subject:               pkix.Name{CommonName: names[0]},
		DNSNames:              names,
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	cert := testpki.SelfSigned(t, tmpl, key)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{testpki.TLSCert(cert, key)}}, cert, pool
}

func validCert(t testing.TB, names ...string) (*tls.Config, *x509.Certificate, *x509.CertPool) {
	return makeCert(t, time.Now().Add(-time.Hour), time.Now().Add(time.Hour), names...)
}

// tlsaFor is a DANE-EE SPKI SHA-256 (3 1 1) record for cert.
func tlsaFor(cert *x509.Certificate) dane.TLSA {
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return dane.TLSA{Usage: 3, Selector: 1, MatchingType: 1, Data: sum[:]}
}

// fakeDANE is a dane.Resolver answering from maps; every answer is secure
// unless insecure is set.
type fakeDANE struct {
	mu       sync.Mutex
	recs     map[string][]dane.TLSA // host -> records
	servfail map[string]bool
	insecure bool
}

func (f *fakeDANE) LookupTLSA(_ context.Context, host string, _ int) ([]dane.TLSA, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if f.servfail[host] {
		return nil, false, &net.DNSError{Err: "SERVFAIL", Name: host, IsTemporary: true}
	}
	return f.recs[host], !f.insecure, nil
}

// fakeTXT is an mtasts.Resolver.
type fakeTXT map[string][]string

func (f fakeTXT) LookupTXT(_ context.Context, name string) ([]string, error) {
	if v, ok := f[strings.TrimSuffix(strings.ToLower(name), ".")]; ok {
		return v, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

// stsClient serves policies (domain -> body) at https://mta-sts.DOMAIN on
// 127.0.0.1 and returns an mtasts.Client that finds them.
func stsClient(t *testing.T, policies map[string]string) *mtasts.Client {
	t.Helper()
	var names []string
	txt := fakeTXT{}
	for d := range policies {
		names = append(names, "mta-sts."+d)
		txt["_mta-sts."+d] = []string{"v=STSv1; id=1;"}
	}
	cfg, _, pool := validCert(t, names...)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{TLSConfig: cfg, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, _ := net.SplitHostPort(r.Host)
		if host == "" {
			host = r.Host
		}
		body, ok := policies[strings.TrimPrefix(host, "mta-sts.")]
		if !ok || r.URL.Path != "/.well-known/mta-sts.txt" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, body)
	}), ReadHeaderTimeout: 10 * time.Second}
	go srv.ServeTLS(l, "", "")
	t.Cleanup(func() { srv.Close() })
	addr := l.Addr().String()
	var d net.Dialer
	hc := &http.Client{Transport: &http.Transport{
		DialContext:     func(ctx context.Context, _, _ string) (net.Conn, error) { return d.DialContext(ctx, "tcp", addr) },
		TLSClientConfig: &tls.Config{RootCAs: pool},
	}}
	return mtasts.New(mtasts.Options{Resolver: txt, Client: hc, Timeout: 10 * time.Second})
}

func stsPolicy(mode string, mx ...string) string {
	s := "version: STSv1\r\nmode: " + mode + "\r\n"
	for _, m := range mx {
		s += "mx: " + m + "\r\n"
	}
	return s + "max_age: 86400\r\n"
}

// world is a DNS zone where each domain has one MX host at 127.0.0.1, a
// sink on 127.0.0.1:port, and the attempts a relay reported.
type world struct {
	sk   *sink
	res  string
	port int
	st   *memStore

	mu   sync.Mutex
	atts []Attempt
}

// newWorld serves MX records domain -> mx host (A 127.0.0.1).
func newWorld(t testing.TB, tlsCfg *tls.Config, mxOf map[string]string, configure ...func(*smtp.Server)) *world {
	t.Helper()
	w := &world{st: newMemStore()}
	w.sk = newSink(t, "127.0.0.1:0", tlsCfg, configure...)
	_, p, _ := net.SplitHostPort(w.sk.addr)
	w.port, _ = strconv.Atoi(p)
	w.res = newDNS(t, zoneFor(mxOf))
	return w
}

func zoneFor(mxOf map[string]string) *dnsZone {
	z := &dnsZone{mx: map[string][]*dns.MX{}, a: map[string]string{}}
	for d, h := range mxOf {
		z.mx[dns.Fqdn(d)] = []*dns.MX{mx(10, dns.Fqdn(h))}
		z.a[dns.Fqdn(h)] = "127.0.0.1"
	}
	return z
}

// options fills in what every test relay needs in this world.
func (w *world) options(o Options) Options {
	o.Resolver, o.MXPort = w.res, w.port
	if o.RetryMin == 0 {
		o.RetryMin = time.Hour
	}
	o.OnAttempt = func(a Attempt) error { w.mu.Lock(); w.atts = append(w.atts, a); w.mu.Unlock(); return nil }
	return o
}

// attempt is the latest attempt reported for id and rcpt.
func (w *world) attempt(t *testing.T, id, rcpt string) Attempt {
	t.Helper()
	var got Attempt
	waitFor(t, "attempt of "+rcpt, func() bool {
		w.mu.Lock()
		defer w.mu.Unlock()
		for _, a := range w.atts {
			if a.MsgID == id && a.Recipient == rcpt {
				got = a
				return true
			}
		}
		return false
	})
	return got
}

// send puts a message to rcpt into the store and submits it.
func (w *world) send(t *testing.T, r *Relay, id, rcpt string, minTLS tlslevel.Level) {
	t.Helper()
	w.st.put(testEnvelope(id, "a@src.test", rcpt), testBody)
	if err := r.Submit(id, []Copy{{Recipients: []string{rcpt}, MinTLS: minTLS}}); err != nil {
		t.Fatal(err)
	}
}

// expectDeferred checks that id was deferred with 4.7.5 and failure, and
// that no MAIL reached the sink.
func (w *world) expectDeferred(t *testing.T, id, rcpt, failure string) Attempt {
	t.Helper()
	a := w.attempt(t, id, rcpt)
	if a.Outcome != "deferred" || a.Enhanced != "4.7.5" || a.TLSFailure != failure {
		t.Errorf("%s: outcome %s %s tls_failure=%q (%s), want deferred 4.7.5 %q", rcpt, a.Outcome, a.Enhanced, a.TLSFailure, a.Reply, failure)
	}
	if n := w.sk.mailCount(); n != 0 {
		t.Errorf("%s: the sink saw %d MAIL commands", rcpt, n)
	}
	return a
}

// stripProxy is a man in the middle between the relay and target that
// removes STARTTLS from every EHLO reply.
func stripProxy(t *testing.T, target string) (addr string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
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
			go func() { io.Copy(s, c); s.Close() }()
			go func() { stripSTARTTLS(c, s); c.Close() }()
		}
	}()
	return l.Addr().String()
}

func stripSTARTTLS(dst io.Writer, src io.Reader) {
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
