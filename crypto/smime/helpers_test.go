package smime

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sealgate/sealgate/internal/testpki"
	"github.com/sealgate/sealgate/internal/testtool"
)

type pki struct {
	rootCert, interCert *x509.Certificate
	rootKey, interKey   *rsa.PrivateKey
}

// newPKI is a root (serial 1) and an intermediate (serial 2) that issues the
// leaves.
func newPKI(t testing.TB) *pki {
	t.Helper()
	p := &pki{rootKey: testpki.RSAKey(2048, 0), interKey: testpki.RSAKey(2048, 1)}
	root := testpki.NewCA(t, "Test Root CA", p.rootKey)
	p.rootCert = root.Cert
	p.interCert = root.SubCA(t, "Test Intermediate CA", p.interKey, 2).Cert
	return p
}

// leafTemplate is a good S/MIME end-entity certificate for addr; tests
// break one property at a time.
func leafTemplate(addr string) *x509.Certificate {
	now := time.Now()
	return &x509.Certificate{
		SerialNumber: testpki.Serial(), Subject: pkix.Name{CommonName: addr},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(12 * time.Hour),
		KeyUsage:       x509.KeyUsageKeyEncipherment | x509.KeyUsageDigitalSignature,
		ExtKeyUsage:    []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection},
		EmailAddresses: []string{addr},
	}
}

// issue signs tmpl with the intermediate.
func (p *pki) issue(t testing.TB, tmpl *x509.Certificate, pub crypto.PublicKey) *x509.Certificate {
	return testpki.Create(t, tmpl, p.interCert, pub, p.interKey)
}

// openssl runs openssl with args in dir and returns stdout.
func openssl(t testing.TB, dir string, args ...string) ([]byte, error) {
	t.Helper()
	cmd := exec.Command(testtool.Require(t, "openssl"), args...)
	cmd.Dir = dir
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	err := cmd.Run()
	if err != nil {
		return out.Bytes(), &opensslError{err: err, stderr: stderr.String()}
	}
	return out.Bytes(), nil
}

type opensslError struct {
	err    error
	stderr string
}

func (e *opensslError) Error() string { return e.err.Error() + ": " + e.stderr }

// smimeBody returns the decoded base64 body of an application/pkcs7-mime
// message.
func smimeBody(t testing.TB, msg []byte) []byte {
	t.Helper()
	i := bytes.Index(msg, []byte("\r\n\r\n"))
	if i < 0 {
		t.Fatal("no header end")
	}
	der, err := base64.StdEncoding.DecodeString(strings.NewReplacer("\r", "", "\n", "").Replace(string(msg[i+4:])))
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// berElem is one BER TLV; children are parsed for constructed encodings,
// indefinite lengths included.
type berElem struct {
	class, tag  int
	constructed bool
	content     []byte // primitive only
	children    []berElem
}

func parseBER(t testing.TB, b []byte) (berElem, []byte) {
	t.Helper()
	if len(b) < 2 {
		t.Fatalf("BER truncated")
	}
	e := berElem{class: int(b[0] >> 6), constructed: b[0]&0x20 != 0, tag: int(b[0] & 0x1f)}
	l := int(b[1])
	b = b[2:]
	if l == 0x80 {
		for !(len(b) >= 2 && b[0] == 0 && b[1] == 0) {
			var c berElem
			c, b = parseBER(t, b)
			e.children = append(e.children, c)
		}
		return e, b[2:]
	}
	if l > 0x80 {
		n := l & 0x7f
		l = 0
		for i := 0; i < n; i++ {
			l = l<<8 | int(b[i])
		}
		b = b[n:]
	}
	body, rest := b[:l], b[l:]
	if e.constructed {
		for len(body) > 0 {
			var c berElem
			c, body = parseBER(t, body)
			e.children = append(e.children, c)
		}
	} else {
		e.content = body
	}
	return e, rest
}

func (e berElem) oid(t testing.TB) asn1.ObjectIdentifier {
	t.Helper()
	full := append([]byte{0x06, byte(len(e.content))}, e.content...)
	var o asn1.ObjectIdentifier
	if _, err := asn1.Unmarshal(full, &o); err != nil {
		t.Fatal(err)
	}
	return o
}

func tempDir(t testing.TB) string {
	d := t.TempDir()
	return d
}

func path(dir, name string) string { return filepath.Join(dir, name) }

type randReader struct{}

func (randReader) Read(p []byte) (int, error) { return rand.Read(p) }

func attrEmail(addr string) pkix.AttributeTypeAndValue {
	return pkix.AttributeTypeAndValue{Type: oidEmailAddress, Value: addr}
}
