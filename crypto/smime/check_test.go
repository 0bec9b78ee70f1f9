package smime

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sealgate/sealgate/internal/testpki"
)

func TestUnusableRecipientCertificatesAreRefusedWithReason(t *testing.T) {
	p := newPKI(t)
	key := testpki.RSAKey(2048, 2)
	roots := x509.NewCertPool()
	roots.AddCert(p.rootCert)
	inters := x509.NewCertPool()
	inters.AddCert(p.interCert)
	const addr = "b@partner.test"
	now := time.Now()

	cases := []struct {
		name   string
		edit   func(*x509.Certificate)
		pub    any
		issuer *pki
		addr   string
		reason string
	}{
		{name: "expired", edit: func(c *x509.Certificate) { c.NotBefore, c.NotAfter = now.Add(-48*time.Hour), now.Add(-time.Hour) }, reason: "expired"},
		{name: "not yet valid", edit: func(c *x509.Certificate) { c.NotBefore = now.Add(time.Hour) }, reason: "not yet valid"},
		{name: "no keyEncipherment", edit: func(c *x509.Certificate) { c.KeyUsage = x509.KeyUsageDigitalSignature }, reason: "key encipherment"},
		{name: "EKU serverAuth only", edit: func(c *x509.Certificate) { c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth} }, reason: "emailProtection"},
		{name: "wrong address", addr: "someone@partner.test", reason: "address not in certificate"},
		{name: "untrusted chain", issuer: selfIssuer(t), reason: "chain does not verify"},
		{name: "EC key without keyAgreement", pub: &testpki.ECKey(t).PublicKey, reason: "does not allow key agreement"},
		{name: "EC key on P-521", pub: p521(t), edit: func(c *x509.Certificate) { c.KeyUsage = x509.KeyUsageKeyAgreement }, reason: "unsupported EC curve (want P-256 or P-384) (P-521)"},
		{name: "Ed25519 key", pub: ed25519Pub(t), reason: "unsupported key type"},
		{name: "small RSA key", pub: smallRSA(t), reason: "shorter than 2048"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tmpl := leafTemplate(addr)
			if tc.edit != nil {
				tc.edit(tmpl)
			}
			var pub any = &key.PublicKey
			if tc.pub != nil {
				pub = tc.pub
			}
			issuer := p
			if tc.issuer != nil {
				issuer = tc.issuer
			}
			cert := issuer.issue(t, tmpl, pub)
			a := addr
			if tc.addr != "" {
				a = tc.addr
			}
			err := CheckRecipient(cert, a, now, roots, inters)
			var ue *UnusableError
			if !errors.As(err, &ue) || !strings.Contains(ue.Reason, tc.reason) {
				t.Fatalf("err = %v, want reason containing %q", err, tc.reason)
			}
		})
	}
}

// selfIssuer is a CA hierarchy the trust store does not know.
func selfIssuer(t *testing.T) *pki {
	p := newPKI(t)
	k := testpki.RSAKey(2048, 5)
	p.interKey = k
	p.interCert = testpki.Create(t, leafCA("Rogue CA"), leafCA("Rogue CA"), &k.PublicKey, k)
	return p
}

func leafCA(cn string) *x509.Certificate {
	c := leafTemplate("ca@rogue.test")
	c.Subject.CommonName = cn
	c.EmailAddresses = nil
	c.IsCA, c.BasicConstraintsValid = true, true
	c.KeyUsage = x509.KeyUsageCertSign
	c.ExtKeyUsage = nil
	return c
}

func p521(t *testing.T) *ecdsa.PublicKey {
	k, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &k.PublicKey
}

func ed25519Pub(t *testing.T) ed25519.PublicKey {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

func smallRSA(t *testing.T) *rsa.PublicKey {
	k, err := rsa.GenerateKey(randReader{}, 1024)
	if err != nil {
		t.Fatal(err)
	}
	return &k.PublicKey
}

func TestUsableRecipientCertificatesPass(t *testing.T) {
	p := newPKI(t)
	key := testpki.RSAKey(2048, 2)
	roots := x509.NewCertPool()
	roots.AddCert(p.rootCert)
	inters := x509.NewCertPool()
	inters.AddCert(p.interCert)
	now := time.Now()

	good := p.issue(t, leafTemplate("b@partner.test"), &key.PublicKey)
	if err := CheckRecipient(good, "B@Partner.TEST", now, roots, inters); err != nil {
		t.Errorf("case-insensitive address: %v", err)
	}
	if err := CheckRecipient(good, "b@partner.test", now, nil, nil); err != nil {
		t.Errorf("no trust store configured: %v", err)
	}
	// No KeyUsage, no EKU, address only in the subject emailAddress.
	bare := leafTemplate("x@partner.test")
	bare.KeyUsage, bare.ExtKeyUsage, bare.EmailAddresses = 0, nil, nil
	bare.Subject.ExtraNames = append(bare.Subject.ExtraNames, attrEmail("d@partner.test"))
	c := p.issue(t, bare, &key.PublicKey)
	if err := CheckRecipient(c, "d@partner.test", now, roots, inters); err != nil {
		t.Errorf("absent extensions, subject email: %v", err)
	}
	for _, curve := range []elliptic.Curve{elliptic.P256(), elliptic.P384()} {
		k, err := ecdsa.GenerateKey(curve, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if err := CheckRecipient(p.issue(t, ecTemplate("f@partner.test"), &k.PublicKey), "f@partner.test", now, roots, inters); err != nil {
			t.Errorf("EC %s with keyAgreement: %v", curve.Params().Name, err)
		}
	}
	anyEKU := leafTemplate("e@partner.test")
	anyEKU.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageAny}
	if err := CheckRecipient(p.issue(t, anyEKU, &key.PublicKey), "e@partner.test", now, nil, nil); err != nil {
		t.Errorf("anyExtendedKeyUsage: %v", err)
	}
}
