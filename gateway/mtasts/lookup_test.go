package mtasts

import (
	"context"
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sealgate/sealgate/internal/testpki"
)

const testDomain = "example.test"

// fakeResolver is a TXT resolver made of maps, in the manner of mox's dns.MockResolver.
type fakeResolver struct {
	mu   sync.Mutex
	txt  map[string][]string
	fail map[string]error
}

func (r *fakeResolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.fail[name]; err != nil {
		return nil, err
	}
	return r.txt[name], nil
}

func (r *fakeResolver) set(name string, txt ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.txt[name] = txt
}

func (r *fakeResolver) setFail(name string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fail[name] = err
}

// testCA issues certificates for the test HTTPS servers.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key := testpki.ECKey(t)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "mtasts test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	cert := testpki.SelfSigned(t, tmpl, key)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert: cert, key: key, pool: pool}
}

func (ca *testCA) issue(t *testing.T, names ...string) tls.Certificate {
	t.Helper()
	key := testpki.ECKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: names[0]},
		DNSNames:     names,
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	leaf := testpki.Create(t, tmpl, ca.cert, key.Public(), ca.key)
	return tls.Certificate{Certificate: [][]byte{leaf.Raw}, PrivateKey: key}
}

// harness is one policy host (mta-sts.example.test) reached through an HTTP
// client whose dialer maps every name to the local test server.
type harness struct {
	res     *fakeResolver
	handler atomic.Pointer[http.HandlerFunc]
	fetches atomic.Int32
	now     atomic.Pointer[time.Time]
	client  *Client
}

func newHarness(t *testing.T, serverCert func(ca *testCA) tls.Certificate, timeout time.Duration) *harness {
	t.Helper()
	ca := newTestCA(t)
	h := &harness{res: &fakeResolver{txt: map[string][]string{}, fail: map[string]error{}}}
	h.servePolicy(rfcPolicy)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.fetches.Add(1)
		(*h.handler.Load())(w, r)
	}))
	cert := ca.issue(t, "mta-sts."+testDomain)
	if serverCert != nil {
		cert = serverCert(ca)
	}
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	addr := srv.Listener.Addr().String()
	dialer := &net.Dialer{Timeout: 10 * time.Second}
	hc := &http.Client{Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: ca.pool},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return dialer.DialContext(ctx, network, addr)
		},
	}}
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	h.now.Store(&t0)
	h.res.set("_mta-sts."+testDomain+".", "v=STSv1; id=one;")
	h.client = New(Options{
		Resolver: h.res,
		Client:   hc,
		Timeout:  timeout,
		Now:      func() time.Time { return *h.now.Load() },
	})
	return h
}

func (h *harness) serve(f http.HandlerFunc) { h.handler.Store(&f) }

func (h *harness) servePolicy(body string) {
	h.serve(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/mta-sts.txt" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte(body))
	})
}

func (h *harness) advance(d time.Duration) {
	t := h.now.Load().Add(d)
	h.now.Store(&t)
}

func (h *harness) lookup(t *testing.T) (*Policy, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return h.client.Lookup(ctx, testDomain)
}

func (h *harness) mustLookup(t *testing.T) *Policy {
	t.Helper()
	p, err := h.lookup(t)
	if err != nil {
		t.Fatalf("lookup: %v", err)
	}
	if p == nil {
		t.Fatal("lookup: no policy")
	}
	return p
}

func TestPolicyIsFetchedAndCachedWhileTXTIdIsUnchanged(t *testing.T) {
	h := newHarness(t, nil, 10*time.Second)
	p := h.mustLookup(t)
	if p.Mode != ModeEnforce || p.ID != "one" || !p.MatchMX("mx7.example.net") {
		t.Fatalf("got %+v", p)
	}
	h.servePolicy("version: STSv1\nmode: none\nmax_age: 100\n")
	h.advance(time.Hour)
	p = h.mustLookup(t)
	if p.Mode != ModeEnforce {
		t.Fatalf("cached policy not used: %+v", p)
	}
	if n := h.fetches.Load(); n != 1 {
		t.Fatalf("%d fetches, want 1", n)
	}
}

func TestChangedTXTIdRefetchesPolicy(t *testing.T) {
	h := newHarness(t, nil, 10*time.Second)
	h.mustLookup(t)
	h.servePolicy("version: STSv1\nmode: testing\nmx: new.example.test\nmax_age: 86400\n")
	h.res.set("_mta-sts."+testDomain+".", "v=STSv1; id=two")
	p := h.mustLookup(t)
	if p.Mode != ModeTesting || p.ID != "two" || !p.MatchMX("new.example.test") || p.MatchMX("mail.example.com") {
		t.Fatalf("got %+v", p)
	}
	if n := h.fetches.Load(); n != 2 {
		t.Fatalf("%d fetches, want 2", n)
	}
}

func TestFetchFailureFallsBackToCachedPolicy(t *testing.T) {
	h := newHarness(t, nil, 10*time.Second)
	h.mustLookup(t)
	h.res.set("_mta-sts."+testDomain+".", "v=STSv1; id=two")
	h.serve(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", http.StatusServiceUnavailable) })
	p := h.mustLookup(t)
	if p.ID != "one" || p.Mode != ModeEnforce {
		t.Fatalf("got %+v, want the cached policy", p)
	}
}

func TestDNSFailureFallsBackToCachedPolicyElseIsTemporary(t *testing.T) {
	h := newHarness(t, nil, 10*time.Second)
	h.res.setFail("_mta-sts."+testDomain+".", errors.New("SERVFAIL"))
	p, err := h.lookup(t)
	if p != nil || !IsTemporary(err) {
		t.Fatalf("got %v, %v; want a temporary error", p, err)
	}
	h.res.setFail("_mta-sts."+testDomain+".", nil)
	h.mustLookup(t)
	h.res.setFail("_mta-sts."+testDomain+".", errors.New("timeout"))
	p = h.mustLookup(t)
	if p.Mode != ModeEnforce {
		t.Fatalf("got %+v", p)
	}
}

func TestNoValidTXTRecordMeansNoPolicy(t *testing.T) {
	for name, txts := range map[string][]string{
		"none":      nil,
		"other txt": {"v=spf1 -all"},
		"two":       {"v=STSv1; id=a", "v=STSv1; id=b"},
		"malformed": {"v=STSv1; id=bad-id"},
	} {
		h := newHarness(t, nil, 10*time.Second)
		h.res.set("_mta-sts."+testDomain+".", txts...)
		p, err := h.lookup(t)
		if p != nil || err != nil {
			t.Fatalf("%s: got %+v, %v; want no policy", name, p, err)
		}
		if n := h.fetches.Load(); n != 0 {
			t.Fatalf("%s: %d fetches, want 0", name, n)
		}
	}
	h := newHarness(t, nil, 10*time.Second)
	h.res.setFail("_mta-sts."+testDomain+".", &net.DNSError{Err: "no such host", IsNotFound: true})
	if p, err := h.lookup(t); p != nil || err != nil {
		t.Fatalf("NXDOMAIN: got %+v, %v", p, err)
	}
}

func TestCachedPolicyAppliesAfterTXTRecordDisappears(t *testing.T) {
	h := newHarness(t, nil, 10*time.Second)
	h.mustLookup(t)
	h.res.set("_mta-sts." + testDomain + ".")
	p := h.mustLookup(t)
	if p.Mode != ModeEnforce {
		t.Fatalf("got %+v", p)
	}
}

func TestExpiredPolicyIsNeitherReturnedNorAFallback(t *testing.T) {
	h := newHarness(t, nil, 10*time.Second)
	h.servePolicy("version: STSv1\nmode: enforce\nmx: mx.example.test\nmax_age: 3600\n")
	h.mustLookup(t)
	h.advance(3601 * time.Second)
	// Same id, but expired: refetched.
	h.mustLookup(t)
	if n := h.fetches.Load(); n != 2 {
		t.Fatalf("%d fetches, want 2", n)
	}
	// Expired and the fetch fails: no fallback.
	h.advance(3601 * time.Second)
	h.serve(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", http.StatusInternalServerError) })
	p, err := h.lookup(t)
	if p != nil || !errors.Is(err, ErrFetch) || IsTemporary(err) {
		t.Fatalf("got %+v, %v; want ErrFetch", p, err)
	}
	// Expired and the TXT record is gone: no policy.
	h.res.set("_mta-sts." + testDomain + ".")
	if p, err := h.lookup(t); p != nil || err != nil {
		t.Fatalf("got %+v, %v; want no policy", p, err)
	}
}

func TestPolicyFetchTimesOut(t *testing.T) {
	h := newHarness(t, nil, 200*time.Millisecond)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	h.serve(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	start := time.Now()
	p, err := h.lookup(t)
	if p != nil || !errors.Is(err, ErrFetch) || IsTemporary(err) {
		t.Fatalf("got %+v, %v; want ErrFetch", p, err)
	}
	if !strings.Contains(err.Error(), "deadline") && !strings.Contains(err.Error(), "timeout") {
		t.Fatalf("error %v does not say timeout", err)
	}
	if time.Since(start) > 20*time.Second {
		t.Fatal("fetch not bounded by the timeout")
	}
}

func TestOversizePolicyBodyIsRefused(t *testing.T) {
	h := newHarness(t, nil, 10*time.Second)
	h.servePolicy(rfcPolicy + "x: " + strings.Repeat("a", MaxPolicySize) + "\n")
	p, err := h.lookup(t)
	if p != nil || !errors.Is(err, ErrFetch) || !strings.Contains(err.Error(), "larger") {
		t.Fatalf("got %+v, %v", p, err)
	}
}

func TestPolicyWithWrongContentTypeIsRefused(t *testing.T) {
	h := newHarness(t, nil, 10*time.Second)
	h.serve(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte(rfcPolicy))
	})
	p, err := h.lookup(t)
	if p != nil || !errors.Is(err, ErrFetch) || !strings.Contains(err.Error(), "content type") {
		t.Fatalf("got %+v, %v", p, err)
	}
}

func TestPolicyRedirectIsNotFollowed(t *testing.T) {
	h := newHarness(t, nil, 10*time.Second)
	var target atomic.Int32
	h.serve(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/elsewhere.txt" {
			target.Add(1)
			w.Header().Set("Content-Type", "text/plain")
			w.Write([]byte(rfcPolicy))
			return
		}
		http.Redirect(w, r, "/elsewhere.txt", http.StatusMovedPermanently)
	})
	p, err := h.lookup(t)
	if p != nil || !errors.Is(err, ErrFetch) || !strings.Contains(err.Error(), "301") {
		t.Fatalf("got %+v, %v", p, err)
	}
	if target.Load() != 0 {
		t.Fatal("redirect was followed")
	}
}

func TestPolicyServerWithBadCertificateIsRefused(t *testing.T) {
	cases := map[string]func(ca *testCA) tls.Certificate{
		"wrong name": func(ca *testCA) tls.Certificate { return ca.issue(t, "www."+testDomain) },
		"unknown CA": func(*testCA) tls.Certificate { return newTestCA(t).issue(t, "mta-sts."+testDomain) },
	}
	for name, cert := range cases {
		h := newHarness(t, cert, 10*time.Second)
		p, err := h.lookup(t)
		if p != nil || !errors.Is(err, ErrFetch) {
			t.Fatalf("%s: got %+v, %v", name, p, err)
		}
		if n := h.fetches.Load(); n != 0 {
			t.Fatalf("%s: request reached the handler", name)
		}
	}
}

func TestCacheStoresCopies(t *testing.T) {
	c := NewMemoryCache()
	p := &Policy{MX: []string{"a.example"}}
	c.Put("example", p)
	p.MX[0] = "evil.example"
	got, ok := c.Get("example")
	if !ok || got.MX[0] != "a.example" {
		t.Fatalf("got %+v", got)
	}
}

func TestFetchErrorsKeepTheirCauseForTLSRPT(t *testing.T) {
	h := newHarness(t, nil, 10*time.Second)
	h.servePolicy("version: STSv1\nmode: bogus\n")
	_, err := h.lookup(t)
	if !errors.Is(err, ErrFetch) || !errors.Is(err, ErrPolicySyntax) {
		t.Fatalf("invalid policy: %v does not wrap ErrFetch and ErrPolicySyntax", err)
	}

	h = newHarness(t, func(ca *testCA) tls.Certificate { return ca.issue(t, "www."+testDomain) }, 10*time.Second)
	_, err = h.lookup(t)
	var ve *tls.CertificateVerificationError
	if !errors.Is(err, ErrFetch) || !errors.As(err, &ve) || errors.Is(err, ErrPolicySyntax) {
		t.Fatalf("bad certificate: %v does not wrap a *tls.CertificateVerificationError", err)
	}
}
