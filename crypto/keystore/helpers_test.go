package keystore

import (
	"bytes"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"sync"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/sealgate/sealgate/internal/testpki"
)

// testNow is the fixed "now" of the tests' fake clock.
var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: testNow} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func openTestStore(t testing.TB, dir string, clock *fakeClock, opts ...func(*Options)) *Store {
	t.Helper()
	o := Options{Dir: dir, Now: clock.Now}
	for _, f := range opts {
		f(&o)
	}
	s, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

type certSpec struct {
	cn        string
	emails    []string // SAN rfc822Name
	subjEmail string   // subject emailAddress attribute
	notBefore time.Time
	notAfter  time.Time
	isCA      bool
	dns       []string
}

// makeCert returns a self-signed certificate's DER.
func makeCert(t testing.TB, spec certSpec) []byte {
	t.Helper()
	if spec.notBefore.IsZero() {
		spec.notBefore = testNow.Add(-24 * time.Hour)
	}
	if spec.notAfter.IsZero() {
		spec.notAfter = testNow.Add(365 * 24 * time.Hour)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          testpki.Serial(),
		Subject:               pkix.Name{CommonName: spec.cn},
		NotBefore:             spec.notBefore,
		NotAfter:              spec.notAfter,
		EmailAddresses:        spec.emails,
		DNSNames:              spec.dns,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection},
		BasicConstraintsValid: true,
		IsCA:                  spec.isCA,
	}
	if spec.isCA {
		tmpl.KeyUsage |= x509.KeyUsageCertSign
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	}
	if spec.subjEmail != "" {
		tmpl.Subject.ExtraNames = []pkix.AttributeTypeAndValue{{Type: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}, Value: spec.subjEmail}}
	}
	return testpki.SelfSigned(t, tmpl, testpki.ECKey(t)).Raw
}

func pemCert(der []byte) []byte { return testpki.PEM("CERTIFICATE", der) }

type keySpec struct {
	name, email string
	created     time.Time
	lifetime    uint32 // seconds; 0 = no expiry
}

// makeKey generates an Ed25519/Curve25519 OpenPGP key (fast).
func makeKey(t testing.TB, spec keySpec) *openpgp.Entity {
	t.Helper()
	created := spec.created
	if created.IsZero() {
		created = testNow.Add(-time.Hour)
	}
	cfg := &packet.Config{
		Algorithm:       packet.PubKeyAlgoEdDSA,
		Time:            func() time.Time { return created },
		KeyLifetimeSecs: spec.lifetime,
	}
	e, err := openpgp.NewEntity(spec.name, "", spec.email, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func binaryPublic(t testing.TB, es ...*openpgp.Entity) []byte {
	t.Helper()
	var buf bytes.Buffer
	for _, e := range es {
		if err := e.Serialize(&buf); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

func armoredPublic(t testing.TB, es ...*openpgp.Entity) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := armor.Encode(&buf, openpgp.PublicKeyType, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(binaryPublic(t, es...))
	w.Close()
	return buf.Bytes()
}

func armoredPrivate(t testing.TB, e *openpgp.Entity) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := armor.Encode(&buf, openpgp.PrivateKeyType, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.SerializePrivate(w, nil); err != nil {
		t.Fatal(err)
	}
	w.Close()
	return buf.Bytes()
}

func binaryPrivate(t testing.TB, e *openpgp.Entity) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := e.SerializePrivate(&buf, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
