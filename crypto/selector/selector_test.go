package selector

import (
	"bytes"
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"

	"github.com/sealgate/sealgate/crypto/keystore"
	"github.com/sealgate/sealgate/internal/testpki"
)

type fakeKeys map[string][]keystore.Entry

func (f fakeKeys) Lookup(_ context.Context, addr string) ([]keystore.Entry, error) {
	if addr == "broken@x.test" {
		return nil, errors.New("keystore: busy")
	}
	return f[addr], nil
}

func pgpEntry(t *testing.T, addr string) keystore.Entry {
	t.Helper()
	e, err := openpgp.NewEntity("R", "", addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := e.Serialize(&b); err != nil {
		t.Fatal(err)
	}
	return keystore.Entry{Kind: keystore.PGP, Data: b.Bytes(), Source: "local:r.asc"}
}

func certEntry(t *testing.T, addr string, notAfter time.Time) keystore.Entry {
	t.Helper()
	k := testpki.RSAKey(2048, 0)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: addr},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: notAfter, EmailAddresses: []string{addr},
		KeyUsage: x509.KeyUsageKeyEncipherment | x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection}}
	return keystore.Entry{Kind: keystore.SMIME, Data: testpki.SelfSigned(t, tmpl, k).Raw, Source: "local:r.crt"}
}

func TestPolicyOrderDecidesBetweenUsableMethods(t *testing.T) {
	keys := fakeKeys{"both@x.test": {pgpEntry(t, "both@x.test"), certEntry(t, "both@x.test", time.Now().Add(time.Hour))}}
	s := &Selector{Keys: keys}
	if c := s.Choose(context.Background(), "both@x.test", []string{PGP, SMIME}, true); c.Method != PGP || c.PGPKey == nil || c.Source != "local:r.asc" {
		t.Errorf("pgp first: %+v", c)
	}
	if c := s.Choose(context.Background(), "both@x.test", []string{SMIME, PGP}, true); c.Method != SMIME || c.Cert == nil {
		t.Errorf("smime first: %+v", c)
	}
}

func TestExpiredCertificateIsSkippedWithItsReason(t *testing.T) {
	keys := fakeKeys{"old@x.test": {certEntry(t, "old@x.test", time.Now().Add(-time.Minute))}}
	s := &Selector{Keys: keys}
	c := s.Choose(context.Background(), "old@x.test", []string{SMIME, TLS}, false)
	if c.Method != TLS || !strings.Contains(c.Reason, "smime:") {
		t.Errorf("%+v", c)
	}
}

func TestEndToEndMinimumNeverFallsBackToTLSAndHoldsInstead(t *testing.T) {
	s := &Selector{Keys: fakeKeys{}}
	c := s.Choose(context.Background(), "nokey@x.test", []string{PGP, SMIME, TLS, Portal}, true)
	if c.Method != "" {
		t.Fatalf("got %q for a recipient without keys under end-to-end", c.Method)
	}
	for _, want := range []string{"pgp: no key", "smime: no certificate", "tls: policy requires end-to-end", "portal: not available"} {
		if !strings.Contains(c.Reason, want) {
			t.Errorf("reason lacks %q: %s", want, c.Reason)
		}
	}
}

func TestKeyForAnotherAddressIsNotUsed(t *testing.T) {
	keys := fakeKeys{"a@x.test": {pgpEntry(t, "someone-else@x.test")}}
	c := (&Selector{Keys: keys}).Choose(context.Background(), "a@x.test", []string{PGP}, true)
	if c.Method != "" {
		t.Fatalf("used a key for another address: %+v", c)
	}
}

func TestLookupFailureIsReported(t *testing.T) {
	c := (&Selector{Keys: fakeKeys{}}).Choose(context.Background(), "broken@x.test", []string{PGP}, true)
	if c.Method != "" || !strings.Contains(c.Reason, "keystore: busy") {
		t.Fatalf("%+v", c)
	}
}

type fakeTLS map[string]bool

func (f fakeTLS) CanVerifyTLS(_ context.Context, domain string) (bool, string, error) {
	return f[domain], "probe", nil
}

func TestTLSIsChosenOnlyWhenVerifiedTLSCanBeGuaranteed(t *testing.T) {
	s := &Selector{Keys: fakeKeys{}, TLS: fakeTLS{"good.test": true}}
	if c := s.Choose(context.Background(), "a@good.test", []string{TLS, Portal}, false); c.Method != TLS || !strings.Contains(c.Reason, "probe") {
		t.Errorf("good domain: %+v", c)
	}
	c := s.Choose(context.Background(), "a@bad.test", []string{TLS, Portal}, false)
	if c.Method != "" || !strings.Contains(c.Reason, "cannot guarantee verified TLS to bad.test") {
		t.Errorf("bad domain: %+v", c)
	}
}
