package testpki

import (
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sealgate/sealgate/internal/pemkey"
)

func TestChainUnderSubCAVerifiesToTheRootOnly(t *testing.T) {
	root := NewCA(t, "root", nil)
	inter := root.SubCA(t, "inter", RSAKey(2048, 0), 2)
	key := ECKey(t)
	leaf := inter.Issue(t, &x509.Certificate{
		SerialNumber: Serial(), Subject: pkix.Name{CommonName: "a@b.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection}, EmailAddresses: []string{"a@b.test"},
	}, &key.PublicKey)
	inters := x509.NewCertPool()
	inters.AddCert(inter.Cert)
	opts := x509.VerifyOptions{Roots: root.Pool(), Intermediates: inters, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection}}
	if _, err := leaf.Verify(opts); err != nil {
		t.Fatalf("leaf does not verify: %v", err)
	}
	opts.Roots = NewCA(t, "other", nil).Pool()
	if _, err := leaf.Verify(opts); err == nil {
		t.Error("leaf verifies under an unrelated root")
	}
}

func TestSelfSignedTLSServesItsNamesAndAddresses(t *testing.T) {
	c := SelfSignedTLS(t, "mx.example.test", "127.0.0.1")
	if err := c.Leaf.VerifyHostname("mx.example.test"); err != nil {
		t.Error(err)
	}
	if len(c.Leaf.IPAddresses) != 1 || !c.Leaf.IPAddresses[0].Equal(net.ParseIP("127.0.0.1")) {
		t.Errorf("IP SANs %v", c.Leaf.IPAddresses)
	}
	pool := x509.NewCertPool()
	pool.AddCert(c.Leaf)
	if _, err := c.Leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: "mx.example.test"}); err != nil {
		t.Errorf("not its own anchor: %v", err)
	}
	if _, err := tls.X509KeyPair(PEM("CERTIFICATE", c.Certificate...), KeyPEM(t, c.PrivateKey.(*ecdsa.PrivateKey))); err != nil {
		t.Errorf("certificate and key do not pair: %v", err)
	}
}

func TestRSAKeyIsCachedPerSizeAndIndex(t *testing.T) {
	a, b := RSAKey(1024, 0), RSAKey(1024, 0)
	if a != b {
		t.Error("same (bits, i) gave two keys")
	}
	if RSAKey(1024, 0).Equal(RSAKey(1024, 1)) {
		t.Error("different i gave the same key")
	}
}

func TestWrittenKeyReadsBackWithMode0600(t *testing.T) {
	p := filepath.Join(t.TempDir(), "k.pem")
	k := ECKey(t)
	WriteKey(t, p, k)
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode())
	}
	data, _ := os.ReadFile(p)
	got, err := pemkey.Parse(data)
	if err != nil || !k.Equal(got) {
		t.Errorf("read back %v, %v", got, err)
	}
}
