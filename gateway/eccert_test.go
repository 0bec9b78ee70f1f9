package gateway

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"net"
	"net/smtp"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sealgate/sealgate/internal/testpki"
)

// A listener with tls.ec_cert_file next to cert_file gives clients that
// offer ECDSA the ECDSA certificate and RSA-only clients the RSA one, and
// a reconnecting client with a session cache resumes its TLS session.
func TestListenerServesECDSAOrRSAByWhatTheClientOffers(t *testing.T) {
	env := writeConfig(t, "127.0.0.1:1", "")
	write := func(name string, key crypto.Signer) {
		cert := testpki.SelfSigned(t, &x509.Certificate{Subject: pkix.Name{CommonName: "sealgate.test"}, DNSNames: []string{"sealgate.test"},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}, key)
		testpki.WritePEM(t, filepath.Join(env.Dir, name+".crt"), "CERTIFICATE", cert.Raw)
		testpki.WriteKey(t, filepath.Join(env.Dir, name+".key"), key)
	}
	write("relay", testpki.RSAKey(2048, 0)) // the test config's own certificate is ECDSA
	write("relay-ec", testpki.ECKey(t))
	cfg, _ := os.ReadFile(env.CfgPath)
	cfg = bytes.Replace(cfg, []byte("      key_file: relay.key\n"), []byte("      key_file: relay.key\n      ec_cert_file: relay-ec.crt\n      ec_key_file: relay-ec.key\n"), 1)
	os.WriteFile(env.CfgPath, cfg, 0o600)
	startGateway(t, env)

	state := func(tc *tls.Config) tls.ConnectionState {
		t.Helper()
		conn, err := net.Dial("tcp", env.Listen)
		if err != nil {
			t.Fatal(err)
		}
		c, err := smtp.NewClient(conn, "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.StartTLS(tc); err != nil {
			t.Fatalf("STARTTLS: %v", err)
		}
		if err := c.Noop(); err != nil { // reads the session ticket, sent after the handshake
			t.Fatal(err)
		}
		st, _ := c.TLSConnectionState()
		c.Quit()
		return st
	}
	leafKey := func(tc *tls.Config) any { return state(tc).PeerCertificates[0].PublicKey }
	if k := leafKey(&tls.Config{InsecureSkipVerify: true}); !isType[*ecdsa.PublicKey](k) {
		t.Errorf("a client offering ECDSA got a %T certificate", k)
	}
	rsaOnly := &tls.Config{InsecureSkipVerify: true, MaxVersion: tls.VersionTLS12,
		CipherSuites: []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}}
	if k := leafKey(rsaOnly); !isType[*rsa.PublicKey](k) {
		t.Errorf("an RSA-only client got a %T certificate", k)
	}
	// An upstream that keeps a session cache resumes: no signature at all.
	cache := &tls.Config{InsecureSkipVerify: true, ServerName: "sealgate.test", ClientSessionCache: tls.NewLRUClientSessionCache(4)}
	state(cache)
	if !state(cache).DidResume {
		t.Error("a reconnecting client with a session cache did not resume")
	}
}

func isType[T any](v any) bool { _, ok := v.(T); return ok }
