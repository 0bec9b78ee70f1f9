package testpki

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"sync"
	"testing"
	"time"
)

// ECKey returns a new P-256 key: fast, for tests that do not care.
func ECKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

var rsaCache sync.Map // [2]int -> func() *rsa.PrivateKey

// RSAKey returns the process's i-th RSA key of the given size, made on first
// use (RSA generation dominates test time otherwise).
func RSAKey(bits, i int) *rsa.PrivateKey {
	f, _ := rsaCache.LoadOrStore([2]int{bits, i}, sync.OnceValue(func() *rsa.PrivateKey {
		k, err := rsa.GenerateKey(rand.Reader, bits)
		if err != nil {
			panic(err)
		}
		return k
	}))
	return f.(func() *rsa.PrivateKey)()
}

// Serial returns a random certificate serial number, never below 3 (so it
// cannot collide with a CA numbered 1 or 2 by hand).
func Serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	if err != nil {
		panic(err)
	}
	return n.Add(n, big.NewInt(3))
}

// Create signs tmpl for pub with signer under parent, or self-signed when
// parent is nil, and returns the parsed certificate.
func Create(t testing.TB, tmpl, parent *x509.Certificate, pub crypto.PublicKey, signer crypto.Signer) *x509.Certificate {
	t.Helper()
	if parent == nil {
		parent = tmpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// SelfSigned is Create with key as its own issuer.
func SelfSigned(t testing.TB, tmpl *x509.Certificate, key crypto.Signer) *x509.Certificate {
	t.Helper()
	return Create(t, tmpl, nil, key.Public(), key)
}

// TLSCert pairs a leaf with its key, chain included after the leaf.
func TLSCert(leaf *x509.Certificate, key crypto.Signer, chain ...*x509.Certificate) tls.Certificate {
	c := tls.Certificate{Certificate: [][]byte{leaf.Raw}, PrivateKey: key, Leaf: leaf}
	for _, ch := range chain {
		c.Certificate = append(c.Certificate, ch.Raw)
	}
	return c
}

// SelfSignedTLS is a server certificate for names (DNS names, or IP
// addresses written as such), valid for a day around now and its own trust
// anchor: put Leaf in a pool to trust it.
func SelfSignedTLS(t testing.TB, names ...string) tls.Certificate {
	t.Helper()
	key := ECKey(t)
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: names[0]},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	return TLSCert(SelfSigned(t, tmpl, key), key)
}

// CA is a certificate authority: a CA certificate and its key.
type CA struct {
	Cert *x509.Certificate
	Key  crypto.Signer
}

// caTemplate is a CA valid from an hour ago for a day.
func caTemplate(name string, serial *big.Int) *x509.Certificate {
	now := time.Now()
	return &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: name},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}
}

// NewCA makes a root CA named name with key (nil: a new P-256 key) and
// serial number 1.
func NewCA(t testing.TB, name string, key crypto.Signer) *CA {
	t.Helper()
	if key == nil {
		key = ECKey(t)
	}
	return &CA{Cert: SelfSigned(t, caTemplate(name, big.NewInt(1)), key), Key: key}
}

// SubCA makes an intermediate CA under ca with the given serial number.
func (ca *CA) SubCA(t testing.TB, name string, key crypto.Signer, serial int64) *CA {
	t.Helper()
	if key == nil {
		key = ECKey(t)
	}
	c := ca.Issue(t, caTemplate(name, big.NewInt(serial)), key.Public())
	return &CA{Cert: c, Key: key}
}

// Issue signs tmpl for pub.
func (ca *CA) Issue(t testing.TB, tmpl *x509.Certificate, pub crypto.PublicKey) *x509.Certificate {
	t.Helper()
	return Create(t, tmpl, ca.Cert, pub, ca.Key)
}

// Pool is a pool holding only this CA.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Cert)
	return p
}

// PEM encodes each DER as a block of type typ, concatenated.
func PEM(typ string, der ...[]byte) []byte {
	var b bytes.Buffer
	for _, d := range der {
		pem.Encode(&b, &pem.Block{Type: typ, Bytes: d})
	}
	return b.Bytes()
}

// KeyPEM encodes key as a PKCS#8 "PRIVATE KEY" block.
func KeyPEM(t testing.TB, key crypto.Signer) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return PEM("PRIVATE KEY", der)
}

// WritePEM writes PEM(typ, der...) to path with mode 0600.
func WritePEM(t testing.TB, path, typ string, der ...[]byte) {
	t.Helper()
	if err := os.WriteFile(path, PEM(typ, der...), 0o600); err != nil {
		t.Fatal(err)
	}
}

// WriteKey writes KeyPEM(key) to path with mode 0600.
func WriteKey(t testing.TB, path string, key crypto.Signer) {
	t.Helper()
	if err := os.WriteFile(path, KeyPEM(t, key), 0o600); err != nil {
		t.Fatal(err)
	}
}
