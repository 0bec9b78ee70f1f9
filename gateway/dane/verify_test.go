package dane

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/sealgate/sealgate/internal/testpki"
)

type keyCert struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

// mkCert creates a certificate; parent nil means self-signed.
func mkCert(t *testing.T, cn string, isCA bool, names []string, notAfter time.Time, parent *keyCert) *keyCert {
	t.Helper()
	key := testpki.ECKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: testpki.Serial(),
		Subject:      pkix.Name{CommonName: cn},
		DNSNames:     names,
		NotBefore:    notAfter.Add(-48 * time.Hour),
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if isCA {
		tmpl.IsCA = true
		tmpl.BasicConstraintsValid = true
		tmpl.KeyUsage = x509.KeyUsageCertSign
		tmpl.ExtKeyUsage = nil
	}
	var cert *x509.Certificate
	if parent != nil {
		cert = testpki.Create(t, tmpl, parent.cert, key.Public(), parent.key)
	} else {
		cert = testpki.SelfSigned(t, tmpl, key)
	}
	return &keyCert{cert, key}
}

func tlsa(usage, selector, matching uint8, c *x509.Certificate) TLSA {
	b := c.Raw
	if selector == SelectorSPKI {
		b = c.RawSubjectPublicKeyInfo
	}
	switch matching {
	case MatchSHA256:
		s := sha256.Sum256(b)
		b = s[:]
	case MatchSHA512:
		s := sha512.Sum512(b)
		b = s[:]
	}
	return TLSA{Usage: usage, Selector: selector, MatchingType: matching, Data: b}
}

func stateOf(certs ...*keyCert) tls.ConnectionState {
	var cs tls.ConnectionState
	for _, c := range certs {
		cs.PeerCertificates = append(cs.PeerCertificates, c.cert)
	}
	return cs
}

const mx = "mx.example.test"

var later = time.Now().Add(24 * time.Hour)

func TestDANEEEMatchesLeafBySelectorAndMatchingType(t *testing.T) {
	leaf := mkCert(t, mx, false, []string{mx}, later, nil)
	other := mkCert(t, mx, false, []string{mx}, later, nil)
	for _, sel := range []uint8{SelectorCert, SelectorSPKI} {
		for _, mt := range []uint8{MatchFull, MatchSHA256, MatchSHA512} {
			r := tlsa(UsageDANEEE, sel, mt, leaf.cert)
			if err := Verify([]TLSA{r}, stateOf(leaf), mx); err != nil {
				t.Errorf("3 %d %d: %v", sel, mt, err)
			}
			if err := Verify([]TLSA{r}, stateOf(other), mx); !errors.Is(err, ErrNoMatch) {
				t.Errorf("3 %d %d with another cert: %v, want ErrNoMatch", sel, mt, err)
			}
		}
	}
}

func TestDANEEEIgnoresNameExpiryAndIssuer(t *testing.T) {
	// RFC 7672 §3.1.1: with DANE-EE only the key matters.
	expired := mkCert(t, "whatever", false, []string{"other.example"}, time.Now().Add(-time.Hour), nil)
	for _, r := range []TLSA{tlsa(3, 0, 1, expired.cert), tlsa(3, 1, 1, expired.cert)} {
		if err := Verify([]TLSA{r}, stateOf(expired), mx); err != nil {
			t.Errorf("%s: %v", r, err)
		}
	}
}

func TestDANEEEMatchesOnlyTheLeaf(t *testing.T) {
	ca := mkCert(t, "CA", true, nil, later, nil)
	leaf := mkCert(t, mx, false, []string{mx}, later, ca)
	if err := Verify([]TLSA{tlsa(3, 1, 1, ca.cert)}, stateOf(leaf, ca), mx); !errors.Is(err, ErrNoMatch) {
		t.Fatalf("EE record of the CA accepted: %v", err)
	}
}

func TestDANETAChainsLeafToMatchedCAAndChecksName(t *testing.T) {
	ca := mkCert(t, "Test CA", true, nil, later, nil)
	leaf := mkCert(t, mx, false, []string{mx}, later, ca)
	for _, r := range []TLSA{tlsa(2, 0, 1, ca.cert), tlsa(2, 1, 1, ca.cert), tlsa(2, 0, 0, ca.cert), tlsa(2, 1, 2, ca.cert)} {
		if err := Verify([]TLSA{r}, stateOf(leaf, ca), mx); err != nil {
			t.Errorf("%d %d %d: %v", r.Usage, r.Selector, r.MatchingType, err)
		}
		if err := Verify([]TLSA{r}, stateOf(leaf, ca), "MX.Example.TEST."); err != nil {
			t.Errorf("%d %d %d with case and dot: %v", r.Usage, r.Selector, r.MatchingType, err)
		}
		if err := Verify([]TLSA{r}, stateOf(leaf, ca), "other.example.test"); !errors.Is(err, ErrNoMatch) {
			t.Errorf("%d %d %d wrong name: %v, want ErrNoMatch", r.Usage, r.Selector, r.MatchingType, err)
		}
	}
}

func TestDANETAWithIntermediate(t *testing.T) {
	root := mkCert(t, "Root", true, nil, later, nil)
	inter := mkCert(t, "Intermediate", true, nil, later, root)
	leaf := mkCert(t, mx, false, []string{mx}, later, inter)
	for _, ta := range []*keyCert{root, inter} {
		if err := Verify([]TLSA{tlsa(2, 1, 1, ta.cert)}, stateOf(leaf, inter, root), mx); err != nil {
			t.Errorf("TA %s: %v", ta.cert.Subject.CommonName, err)
		}
	}
}

func TestDANETARefusesLeafFromUnrelatedCA(t *testing.T) {
	ca := mkCert(t, "Test CA", true, nil, later, nil)
	evilCA := mkCert(t, "Evil CA", true, nil, later, nil)
	leaf := mkCert(t, mx, false, []string{mx}, later, evilCA)
	r := tlsa(2, 0, 1, ca.cert)
	// The attacker presents our CA in the chain, but its leaf is not issued by it.
	if err := Verify([]TLSA{r}, stateOf(leaf, ca), mx); !errors.Is(err, ErrNoMatch) {
		t.Fatalf("leaf of an unrelated CA accepted: %v", err)
	}
	if err := Verify([]TLSA{r}, stateOf(leaf, evilCA), mx); !errors.Is(err, ErrNoMatch) {
		t.Fatalf("unrelated chain accepted: %v", err)
	}
}

func TestDANETAChecksExpiry(t *testing.T) {
	ca := mkCert(t, "Test CA", true, nil, later, nil)
	leaf := mkCert(t, mx, false, []string{mx}, time.Now().Add(-time.Hour), ca)
	if err := Verify([]TLSA{tlsa(2, 1, 1, ca.cert)}, stateOf(leaf, ca), mx); !errors.Is(err, ErrNoMatch) {
		t.Fatalf("expired leaf accepted under DANE-TA: %v", err)
	}
}

func TestPKIXUsagesAndUnknownTypesAreIgnored(t *testing.T) {
	leaf := mkCert(t, mx, false, []string{mx}, later, nil)
	records := []TLSA{
		tlsa(UsagePKIXTA, 0, 1, leaf.cert),
		tlsa(UsagePKIXEE, 1, 1, leaf.cert),
		{Usage: 3, Selector: 2, MatchingType: 1, Data: make([]byte, 32)},
		{Usage: 3, Selector: 1, MatchingType: 3, Data: []byte{1}},
		{Usage: 3, Selector: 1, MatchingType: 1, Data: []byte{1, 2, 3}}, // truncated digest
		{Usage: 4, Selector: 1, MatchingType: 1, Data: make([]byte, 32)},
	}
	if u := Usable(records); len(u) != 0 {
		t.Fatalf("Usable kept %v", u)
	}
	if err := Verify(records, stateOf(leaf), mx); !errors.Is(err, ErrNoUsableRecords) {
		t.Fatalf("got %v, want ErrNoUsableRecords", err)
	}
	good := tlsa(3, 1, 1, leaf.cert)
	if u := Usable(append(records, good)); len(u) != 1 || u[0].String() != good.String() {
		t.Fatalf("Usable = %v", u)
	}
}

func TestAnyMatchingRecordSuffices(t *testing.T) {
	leaf := mkCert(t, mx, false, []string{mx}, later, nil)
	other := mkCert(t, "old", false, nil, later, nil)
	records := []TLSA{tlsa(3, 1, 1, other.cert), tlsa(2, 1, 1, other.cert), tlsa(3, 1, 1, leaf.cert)}
	if err := Verify(records, stateOf(leaf), mx); err != nil {
		t.Fatal(err)
	}
}

func TestNoPeerCertificateFails(t *testing.T) {
	leaf := mkCert(t, mx, false, []string{mx}, later, nil)
	if err := Verify([]TLSA{tlsa(3, 1, 1, leaf.cert)}, tls.ConnectionState{}, mx); !errors.Is(err, ErrNoMatch) {
		t.Fatalf("got %v", err)
	}
}

// handshake runs a TLS handshake against a local server presenting chain
// and returns the client's error.
func handshake(t *testing.T, chain []*keyCert, records []TLSA, host string) error {
	t.Helper()
	cert := tls.Certificate{PrivateKey: chain[0].key}
	for _, c := range chain {
		cert.Certificate = append(cert.Certificate, c.cert.Raw)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))
		c.(*tls.Conn).Handshake()
		c.Close()
	}()
	dialer := &net.Dialer{Timeout: 10 * time.Second}
	conn, err := tls.DialWithDialer(dialer, "tcp", ln.Addr().String(), &tls.Config{
		ServerName:         host,
		InsecureSkipVerify: true, // DANE replaces PKIX
		VerifyConnection:   VerifyConnection(records, host),
	})
	if err == nil {
		conn.Close()
	}
	<-done
	return err
}

func TestTLSHandshakeWithVerifyConnection(t *testing.T) {
	ca := mkCert(t, "Test CA", true, nil, later, nil)
	leaf := mkCert(t, mx, false, []string{mx}, later, ca)
	other := mkCert(t, "other", false, nil, later, nil)
	if err := handshake(t, []*keyCert{leaf, ca}, []TLSA{tlsa(3, 1, 1, leaf.cert)}, mx); err != nil {
		t.Errorf("DANE-EE match refused: %v", err)
	}
	if err := handshake(t, []*keyCert{leaf, ca}, []TLSA{tlsa(2, 0, 1, ca.cert)}, mx); err != nil {
		t.Errorf("DANE-TA match refused: %v", err)
	}
	if err := handshake(t, []*keyCert{leaf, ca}, []TLSA{tlsa(3, 1, 1, other.cert)}, mx); !errors.Is(err, ErrNoMatch) {
		t.Errorf("TLSA mismatch: got %v, want ErrNoMatch", err)
	}
	if err := handshake(t, []*keyCert{leaf, ca}, []TLSA{tlsa(2, 0, 1, ca.cert)}, "wrong.example.test"); !errors.Is(err, ErrNoMatch) {
		t.Errorf("DANE-TA wrong name: got %v, want ErrNoMatch", err)
	}
}
