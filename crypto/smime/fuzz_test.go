package smime

import (
	"bytes"
	"crypto/x509"
	"io"
	"testing"
	"time"

	"github.com/sealgate/sealgate/internal/testpki"
)

// FuzzCheckRecipient: any DER that parses as a certificate is judged
// without panicking, with and without a trust store.
func FuzzCheckRecipient(f *testing.F) {
	p := newPKI(f)
	key := testpki.RSAKey(2048, 2)
	good := p.issue(f, leafTemplate("b@partner.test"), &key.PublicKey)
	f.Add(good.Raw, "b@partner.test")
	f.Add(p.rootCert.Raw, "")
	f.Add(p.issue(f, leafTemplate("x@y"), &testpki.ECKey(f).PublicKey).Raw, "x@y")
	roots := x509.NewCertPool()
	roots.AddCert(p.rootCert)
	now := time.Now()
	f.Fuzz(func(t *testing.T, der []byte, addr string) {
		if len(der) > 64<<10 {
			return
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return
		}
		_ = CheckRecipient(c, addr, now, nil, nil)
		_ = CheckRecipient(c, addr, now, roots, nil)
	})
}

// FuzzEncryptAndSignArbitraryMessage: whatever bytes arrive as a message,
// Encrypt and Sign end in output or an error, never a panic or a hang.
func FuzzEncryptAndSignArbitraryMessage(f *testing.F) {
	p := newPKI(f)
	key := testpki.RSAKey(2048, 2)
	cert := p.issue(f, leafTemplate("b@partner.test"), &key.PublicKey)
	sk := testpki.RSAKey(2048, 3)
	s, err := NewSigner(p.issue(f, leafTemplate("a@clinic.test"), &sk.PublicKey), []*x509.Certificate{p.interCert}, sk)
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte("Subject: x\r\n\r\nbody\r\n"))
	f.Add([]byte("no header end"))
	f.Add([]byte("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\n\r--b--"))
	f.Add([]byte("\r\n\r\n"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		_ = Encrypt(io.Discard, bytes.NewReader(msg), []*x509.Certificate{cert}, Options{})
		_ = Encrypt(io.Discard, bytes.NewReader(msg), []*x509.Certificate{cert}, Options{Signer: s})
		_ = Sign(io.Discard, bytes.NewReader(msg), s)
	})
}

// FuzzCRLFCanonicalisation: the output has no bare CR or LF, and
// canonical input passes through unchanged, however the writes are split.
func FuzzCRLFCanonicalisation(f *testing.F) {
	f.Add([]byte("a\nb\r\nc\rd\r"), uint8(1))
	f.Add([]byte("\r\r\n\n"), uint8(3))
	f.Fuzz(func(t *testing.T, in []byte, split uint8) {
		var out bytes.Buffer
		cw := &crlfWriter{w: &out}
		k := int(split)%max(len(in), 1) + 1
		for rest := in; len(rest) > 0; {
			n := min(k, len(rest))
			cw.Write(rest[:n])
			rest = rest[n:]
		}
		cw.Close()
		o := out.Bytes()
		for i, b := range o {
			if b == '\r' && (i+1 >= len(o) || o[i+1] != '\n') {
				t.Fatalf("bare CR in %q", o)
			}
			if b == '\n' && (i == 0 || o[i-1] != '\r') {
				t.Fatalf("bare LF in %q", o)
			}
		}
		canonical := !bytes.ContainsAny(bytes.ReplaceAll(in, []byte("\r\n"), nil), "\r\n")
		if canonical && !bytes.Equal(o, in) {
			t.Fatalf("canonical input changed: %q -> %q", in, o)
		}
	})
}

// FuzzKeyTransportFor: harvested SMIMECapabilities from outside never
// panic and choose only one of the two transports.
func FuzzKeyTransportFor(f *testing.F) {
	f.Add(capsDER(f, oidRSAESOAEP))
	f.Add(capsDER(f, oidAES256CBC, oidRSAEncryption))
	f.Add([]byte{0x30, 0x80, 0x00, 0x00})
	f.Fuzz(func(t *testing.T, der []byte) {
		kt, _ := KeyTransportFor(nil, der, "")
		if kt != KeyTransportOAEP && kt != KeyTransportPKCS1v15 {
			t.Fatalf("transport %q", kt)
		}
	})
}
