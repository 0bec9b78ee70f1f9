package web

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"testing"

	"github.com/sealgate/sealgate/internal/testpki"
)

func TestHTTPServerTLS(t *testing.T) {
	e := newEnv(t, nil)
	cert := testpki.SelfSignedTLS(t, "127.0.0.1")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := e.srv.HTTPServer(cert)
	done := make(chan error, 1)
	go func() { done <- hs.ServeTLS(ln, "", "") }()
	t.Cleanup(func() {
		hs.Close()
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Error(err)
		}
	})
	pool := x509.NewCertPool()
	pool.AddCert(cert.Leaf)
	get := func(max uint16) (*http.Response, error) {
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS10, MaxVersion: max}}}
		return c.Get("https://" + ln.Addr().String() + "/m/unknown")
	}
	r, err := get(tls.VersionTLS13)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != 404 || r.Header.Get("Strict-Transport-Security") == "" || r.TLS.Version != tls.VersionTLS13 {
		t.Fatalf("status %d, HSTS %q, TLS %x", r.StatusCode, r.Header.Get("Strict-Transport-Security"), r.TLS.Version)
	}
	if _, err := get(tls.VersionTLS11); err == nil {
		t.Fatal("TLS 1.1 accepted")
	}
}
