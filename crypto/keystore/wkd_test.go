package keystore

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
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

func TestWKDURLsMatchTheDraftExample(t *testing.T) {
	adv, dir, err := WKDURLs("Joe.Doe@Example.ORG")
	if err != nil {
		t.Fatal(err)
	}
	wantAdv := "https://openpgpkey.example.org/.well-known/openpgpkey/example.org/hu/iy9q119eutrkn8s1mk4r39qejnbu3n5q?l=Joe.Doe"
	wantDir := "https://example.org/.well-known/openpgpkey/hu/iy9q119eutrkn8s1mk4r39qejnbu3n5q?l=Joe.Doe"
	if adv != wantAdv || dir != wantDir {
		t.Fatalf("got\n%s\n%s", adv, dir)
	}
	for _, bad := range []string{"", "nobody", "@example.org", "a@", "a@ex/ample.org"} {
		if _, _, err := WKDURLs(bad); err == nil {
			t.Errorf("WKDURLs(%q) accepted", bad)
		}
	}
}

// wkdServer is a local HTTPS server answering for example.test and
// openpgpkey.example.test, with a client that reaches it.
type wkdServer struct {
	srv    *httptest.Server
	client *http.Client
	hits   atomic.Int32

	mu      sync.Mutex
	handler func(w http.ResponseWriter, r *http.Request)
}

func newWKDServer(t *testing.T, unresolvable ...string) *wkdServer {
	t.Helper()
	ws := &wkdServer{}
	tlsCert := testpki.SelfSignedTLS(t, "example.test", "openpgpkey.example.test")
	ws.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws.hits.Add(1)
		ws.mu.Lock()
		h := ws.handler
		ws.mu.Unlock()
		h(w, r)
	}))
	ws.srv.TLS = &tls.Config{Certificates: []tls.Certificate{tlsCert}}
	ws.srv.StartTLS()
	t.Cleanup(ws.srv.Close)

	roots := x509.NewCertPool()
	roots.AddCert(tlsCert.Leaf)
	target := ws.srv.Listener.Addr().String()
	var d net.Dialer
	ws.client = &http.Client{Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots},
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, _ := net.SplitHostPort(addr)
			for _, u := range unresolvable {
				if host == u {
					return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
				}
			}
			if host != "example.test" && host != "openpgpkey.example.test" {
				return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
			}
			return d.DialContext(ctx, "tcp", target)
		},
	}}
	return ws
}

func (ws *wkdServer) handle(h func(w http.ResponseWriter, r *http.Request)) {
	ws.mu.Lock()
	ws.handler = h
	ws.mu.Unlock()
}

func (ws *wkdServer) store(t *testing.T, clock *fakeClock, wkd WKDOptions, lookup ...string) *Store {
	t.Helper()
	wkd.Client = ws.client
	if len(lookup) == 0 {
		lookup = []string{"local", "wkd"}
	}
	return openTestStore(t, t.TempDir(), clock, func(o *Options) {
		o.Lookup = lookup
		o.WKD = wkd
	})
}

// serveKeys answers exactly the WKD path for addr via host with body, and
// 404 for everything else.
func serveKeys(t *testing.T, host, addr string, body []byte) func(http.ResponseWriter, *http.Request) {
	adv, dir, err := WKDURLs(addr)
	if err != nil {
		t.Fatal(err)
	}
	want := dir
	if strings.HasPrefix(host, "openpgpkey.") {
		want = adv
	}
	return func(w http.ResponseWriter, r *http.Request) {
		got := "https://" + r.Host + r.URL.RequestURI()
		if got != want {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(body)
	}
}

func TestWKDAdvancedMethodFindsKeyAndCachesIt(t *testing.T) {
	ws := newWKDServer(t)
	k := makeKey(t, keySpec{name: "W", email: "Wendy@example.test"})
	ws.handle(serveKeys(t, "openpgpkey.example.test", "wendy@example.test", binaryPublic(t, k)))
	s := ws.store(t, newClock(), WKDOptions{Timeout: 10 * time.Second})

	got := lookup(t, s, "Wendy@Example.TEST")
	if len(got) != 1 || got[0].Kind != PGP || got[0].Source != "wkd:advanced" {
		t.Fatalf("lookup = %+v", got)
	}
	if hits := ws.hits.Load(); hits != 1 {
		t.Fatalf("hits = %d", hits)
	}
	got = lookup(t, s, "wendy@example.test")
	if len(got) != 1 || ws.hits.Load() != 1 {
		t.Fatalf("second lookup not from cache: %d entries, %d hits", len(got), ws.hits.Load())
	}
	// WKD keys stay in the cache, not in the admin's store.
	if all, _ := s.List(0); len(all) != 0 {
		t.Errorf("WKD key listed as local: %+v", all)
	}
}

func TestWKDUsesDirectMethodWhenAdvancedHostDoesNotResolve(t *testing.T) {
	ws := newWKDServer(t, "openpgpkey.example.test")
	k := makeKey(t, keySpec{name: "D", email: "dora@example.test"})
	ws.handle(serveKeys(t, "example.test", "dora@example.test", binaryPublic(t, k)))
	s := ws.store(t, newClock(), WKDOptions{Timeout: 10 * time.Second})
	got := lookup(t, s, "dora@example.test")
	if len(got) != 1 || got[0].Source != "wkd:direct" {
		t.Fatalf("lookup = %+v", got)
	}
}

func TestWKDAdvancedNotFoundIsAuthoritativeAndCachedNegative(t *testing.T) {
	ws := newWKDServer(t)
	k := makeKey(t, keySpec{name: "N", email: "nick@example.test"})
	// Only the direct method has a key: the advanced host answered 404,
	// so the direct one must not be asked.
	ws.handle(serveKeys(t, "example.test", "nick@example.test", binaryPublic(t, k)))
	clock := newClock()
	s := ws.store(t, clock, WKDOptions{Timeout: 10 * time.Second, NegativeTTL: time.Hour})
	if got := lookup(t, s, "nick@example.test"); len(got) != 0 {
		t.Fatalf("found %+v", got)
	}
	if h := ws.hits.Load(); h != 1 {
		t.Fatalf("hits = %d, want 1 (advanced only)", h)
	}
	clock.Advance(59 * time.Minute)
	lookup(t, s, "nick@example.test")
	if h := ws.hits.Load(); h != 1 {
		t.Fatalf("negative answer not cached: hits = %d", h)
	}
	clock.Advance(2 * time.Minute)
	lookup(t, s, "nick@example.test")
	if h := ws.hits.Load(); h != 2 {
		t.Fatalf("negative cache did not expire: hits = %d", h)
	}
}

func TestWKDPositiveCacheExpires(t *testing.T) {
	ws := newWKDServer(t)
	k := makeKey(t, keySpec{name: "P", email: "pat@example.test"})
	ws.handle(serveKeys(t, "openpgpkey.example.test", "pat@example.test", binaryPublic(t, k)))
	clock := newClock()
	s := ws.store(t, clock, WKDOptions{Timeout: 10 * time.Second, PositiveTTL: 24 * time.Hour})
	lookup(t, s, "pat@example.test")
	clock.Advance(25 * time.Hour)
	if got := lookup(t, s, "pat@example.test"); len(got) != 1 || ws.hits.Load() != 2 {
		t.Fatalf("after TTL: %d entries, %d hits", len(got), ws.hits.Load())
	}
}

func TestWKDTimeoutBacksOffTheDomain(t *testing.T) {
	ws := newWKDServer(t)
	release := make(chan struct{})
	ws.handle(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
			// Abort: returning would send an empty 200, which Go's client
			// can still hand back after the deadline (a "no key" answer
			// that made this test flaky under -race).
			panic(http.ErrAbortHandler)
		case <-release:
		}
	})
	defer close(release) // before the server's Close waits for handlers
	clock := newClock()
	s := ws.store(t, clock, WKDOptions{Timeout: 200 * time.Millisecond, Backoff: 5 * time.Minute})

	_, err := s.Lookup(context.Background(), "tim@example.test")
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	if h := ws.hits.Load(); h != 1 {
		t.Fatalf("hits = %d (direct must not be tried after a timeout)", h)
	}
	// Another address at the same domain: backing off, no request.
	_, err = s.Lookup(context.Background(), "other@example.test")
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "backing off") {
		t.Fatalf("err = %v", err)
	}
	if h := ws.hits.Load(); h != 1 {
		t.Fatalf("hits = %d during backoff", h)
	}
	// After the backoff the domain is asked again; a second failure
	// doubles it.
	clock.Advance(6 * time.Minute)
	s.Lookup(context.Background(), "tim@example.test")
	if h := ws.hits.Load(); h != 2 {
		t.Fatalf("hits = %d after backoff", h)
	}
	clock.Advance(6 * time.Minute)
	if _, err := s.Lookup(context.Background(), "tim@example.test"); err == nil || !strings.Contains(err.Error(), "backing off") {
		t.Fatalf("backoff did not double: %v", err)
	}
}

func TestWKDServerErrorIsNotCachedAsNoKey(t *testing.T) {
	ws := newWKDServer(t)
	ws.handle(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "oops", http.StatusServiceUnavailable) })
	clock := newClock()
	s := ws.store(t, clock, WKDOptions{Timeout: 10 * time.Second, Backoff: time.Minute})
	if _, err := s.Lookup(context.Background(), "e@example.test"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v", err)
	}
	k := makeKey(t, keySpec{name: "E", email: "e@example.test"})
	ws.handle(serveKeys(t, "openpgpkey.example.test", "e@example.test", binaryPublic(t, k)))
	clock.Advance(2 * time.Minute)
	if got := lookup(t, s, "e@example.test"); len(got) != 1 {
		t.Fatalf("after recovery: %+v", got)
	}
}

func TestWKDDropsKeysForOtherAddresses(t *testing.T) {
	ws := newWKDServer(t)
	mine := makeKey(t, keySpec{name: "A", email: "amy@example.test"})
	other := makeKey(t, keySpec{name: "M", email: "mallory@example.test"})
	ws.handle(serveKeys(t, "openpgpkey.example.test", "amy@example.test", binaryPublic(t, other, mine)))
	s := ws.store(t, newClock(), WKDOptions{Timeout: 10 * time.Second})
	got := lookup(t, s, "amy@example.test")
	if len(got) != 1 || !containsAddr(got[0].Addresses, "amy@example.test") {
		t.Fatalf("lookup = %+v", got)
	}

	// Only a stranger's key: no key at all.
	ws.handle(serveKeys(t, "openpgpkey.example.test", "bea@example.test", binaryPublic(t, other)))
	if got := lookup(t, s, "bea@example.test"); len(got) != 0 {
		t.Fatalf("stranger's key returned: %+v", got)
	}
}

func TestWKDOversizedResponseGivesNoKey(t *testing.T) {
	ws := newWKDServer(t)
	k := makeKey(t, keySpec{name: "B", email: "big@example.test"})
	body := append(binaryPublic(t, k), make([]byte, maxWKDBytes)...)
	ws.handle(serveKeys(t, "openpgpkey.example.test", "big@example.test", body))
	s := ws.store(t, newClock(), WKDOptions{Timeout: 10 * time.Second})
	if got := lookup(t, s, "big@example.test"); len(got) != 0 {
		t.Fatalf("oversized response used: %+v", got)
	}
}

func TestLocalPGPKeyMeansWKDIsNotAsked(t *testing.T) {
	ws := newWKDServer(t)
	ws.handle(func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
	s := ws.store(t, newClock(), WKDOptions{Timeout: 10 * time.Second})
	k := makeKey(t, keySpec{name: "L", email: "lou@example.test"})
	mustImport(t, s, "l.asc", armoredPublic(t, k))
	if got := lookup(t, s, "lou@example.test"); len(got) != 1 || got[0].Source != "local:l.asc" {
		t.Fatalf("lookup = %+v", got)
	}
	if h := ws.hits.Load(); h != 0 {
		t.Fatalf("WKD asked %d times despite a local key", h)
	}
	// A local S/MIME certificate only: WKD is still asked for PGP.
	mustImport(t, s, "c.pem", pemCert(makeCert(t, certSpec{cn: "c", emails: []string{"cat@example.test"}})))
	lookup(t, s, "cat@example.test")
	if h := ws.hits.Load(); h != 1 {
		t.Fatalf("hits = %d, want WKD asked for PGP", h)
	}
}

func TestWKDIsNotAskedWhenNotInLookupOrder(t *testing.T) {
	ws := newWKDServer(t)
	ws.handle(func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
	s := ws.store(t, newClock(), WKDOptions{}, "local")
	lookup(t, s, "x@example.test")
	if h := ws.hits.Load(); h != 0 {
		t.Fatalf("hits = %d", h)
	}
}
