package smime

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"os"
	"strings"
	"testing"

	"github.com/emersion/go-message"
	"github.com/smallstep/pkcs7"

	"github.com/sealgate/sealgate/crypto/protect"
	"github.com/sealgate/sealgate/internal/testpki"
	"github.com/sealgate/sealgate/internal/testtool"
)

// recipient is a certificate with its key files on disk for openssl.
type recipient struct {
	cert              *x509.Certificate
	key               crypto.Signer
	certFile, keyFile string
}

func newRecipient(t *testing.T, p *pki, dir, addr string, key *rsa.PrivateKey) recipient {
	t.Helper()
	c := p.issue(t, leafTemplate(addr), &key.PublicKey)
	r := recipient{cert: c, key: key, certFile: path(dir, addr+".crt"), keyFile: path(dir, addr+".key")}
	testpki.WritePEM(t, r.certFile, "CERTIFICATE", c.Raw)
	testpki.WriteKey(t, r.keyFile, key)
	return r
}

// testMessage is a multipart/mixed message with text, HTML and a binary
// attachment, plus a Bcc and a PHI Subject.
func testMessage(t *testing.T, attachment []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	b.WriteString("Received: from upstream.clinic.test\r\n" +
		"From: Dr A <a@clinic.test>\r\nTo: b@partner.test, c@partner.test\r\nBcc: hidden@clinic.test\r\n" +
		"Subject: Biopsy results for J. Doe\r\nDate: Sat, 28 Nov 2026 10:00:00 +0000\r\nMessage-ID: <m1@clinic.test>\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n" +
		"--outer\r\nContent-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n" +
		"--alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nResults attached.\r\n" +
		"--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Results <b>attached</b>.</p>\r\n--alt--\r\n" +
		"--outer\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n" +
		"Content-Disposition: attachment; filename=\"scan.bin\"\r\n\r\n")
	enc := base64.StdEncoding.EncodeToString(attachment)
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n--outer--\r\n")
	return b.Bytes()
}

func innerOf(t *testing.T, msg []byte) []byte {
	t.Helper()
	_, inner, err := protect.Split(bytes.NewReader(msg), protect.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(inner)
	inner.Close()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func randomBytes(t testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// attachmentOf parses a decrypted entity and returns the scan.bin bytes.
func attachmentOf(t *testing.T, entity []byte) []byte {
	t.Helper()
	e, err := message.Read(bytes.NewReader(entity))
	if err != nil {
		t.Fatal(err)
	}
	var found []byte
	err = e.Walk(func(_ []int, part *message.Entity, err error) error {
		if err != nil {
			return err
		}
		if _, p, _ := part.Header.ContentDisposition(); p["filename"] == "scan.bin" {
			found, err = io.ReadAll(part.Body)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

func TestEncryptedMultipartDecryptsByteIdenticalForEachRecipientWithOpenSSL(t *testing.T) {
	testtool.Require(t, "openssl")
	dir := tempDir(t)
	p := newPKI(t)
	r1 := newRecipient(t, p, dir, "b@partner.test", testpki.RSAKey(2048, 2))
	r2 := newRecipient(t, p, dir, "c@partner.test", testpki.RSAKey(3072, 0))
	att := randomBytes(t, 150_000)
	msg := testMessage(t, att)
	want := innerOf(t, msg)

	for _, transport := range []string{"", KeyTransportOAEP, KeyTransportPKCS1v15} {
		t.Run("transport="+transport, func(t *testing.T) {
			var out bytes.Buffer
			err := Encrypt(&out, bytes.NewReader(msg), []*x509.Certificate{r1.cert, r2.cert}, Options{KeyTransport: transport})
			if err != nil {
				t.Fatal(err)
			}
			outFile := path(dir, "out-"+transport+".eml")
			os.WriteFile(outFile, out.Bytes(), 0o600)
			for _, r := range []recipient{r1, r2} {
				got, err := openssl(t, dir, "cms", "-decrypt", "-in", outFile, "-recip", r.certFile, "-inkey", r.keyFile)
				if err != nil {
					t.Fatalf("%s: %v", r.cert.EmailAddresses[0], err)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("%s: decrypted entity differs from the inner entity (%d vs %d bytes)", r.cert.EmailAddresses[0], len(got), len(want))
				}
				if !bytes.Equal(attachmentOf(t, got), att) {
					t.Fatalf("%s: attachment bytes differ", r.cert.EmailAddresses[0])
				}
			}
		})
	}
}

func TestEncryptedMessageDecryptsWithSecondImplementation(t *testing.T) {
	// smallstep/pkcs7's decoder is independent of our encoder (it converts
	// BER to DER itself and unwraps OAEP with the hash from the parameters).
	p := newPKI(t)
	key := testpki.RSAKey(2048, 2)
	cert := p.issue(t, leafTemplate("b@partner.test"), &key.PublicKey)
	msg := testMessage(t, randomBytes(t, 70_000)) // > one 64 KiB segment
	var out bytes.Buffer
	if err := Encrypt(&out, bytes.NewReader(msg), []*x509.Certificate{cert}, Options{}); err != nil {
		t.Fatal(err)
	}
	p7, err := pkcs7.Parse(smimeBody(t, out.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	got, err := p7.Decrypt(cert, key)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, innerOf(t, msg)) {
		t.Fatal("decrypted entity differs")
	}
}

func TestEncryptedOutputHasSMIMEHeadersAndWrappedBase64(t *testing.T) {
	p := newPKI(t)
	key := testpki.RSAKey(2048, 2)
	cert := p.issue(t, leafTemplate("b@partner.test"), &key.PublicKey)
	var out bytes.Buffer
	if err := Encrypt(&out, bytes.NewReader(testMessage(t, []byte("x"))), []*x509.Certificate{cert}, Options{}); err != nil {
		t.Fatal(err)
	}
	m, err := message.Read(bytes.NewReader(out.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	mt, params, _ := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if mt != "application/pkcs7-mime" || params["smime-type"] != "enveloped-data" || params["name"] != "smime.p7m" {
		t.Errorf("Content-Type %q", m.Header.Get("Content-Type"))
	}
	if d, dp, _ := m.Header.ContentDisposition(); d != "attachment" || dp["filename"] != "smime.p7m" {
		t.Errorf("Content-Disposition %q", m.Header.Get("Content-Disposition"))
	}
	if m.Header.Get("Content-Transfer-Encoding") != "base64" {
		t.Error("not base64")
	}
	body := out.Bytes()[bytes.Index(out.Bytes(), []byte("\r\n\r\n"))+4:]
	lines := strings.Split(string(body), "\r\n")
	for i, l := range lines[:len(lines)-2] {
		if len(l) != 76 {
			t.Fatalf("line %d has %d chars", i, len(l))
		}
	}
	if strings.Contains(string(body), "\n") && strings.Count(string(body), "\n") != strings.Count(string(body), "\r\n") {
		t.Error("bare LF in body")
	}
}

func TestContentCipherIsAES256CBCAndKeyTransportAsAsked(t *testing.T) {
	p := newPKI(t)
	key := testpki.RSAKey(2048, 2)
	cert := p.issue(t, leafTemplate("b@partner.test"), &key.PublicKey)
	for transport, wantKEA := range map[string]asn1.ObjectIdentifier{"": oidRSAEncryption, "pkcs1v15": oidRSAEncryption, "oaep": oidRSAESOAEP} {
		var out bytes.Buffer
		if err := Encrypt(&out, bytes.NewReader(testMessage(t, []byte("x"))), []*x509.Certificate{cert}, Options{KeyTransport: transport}); err != nil {
			t.Fatal(err)
		}
		ci, rest := parseBER(t, smimeBody(t, out.Bytes()))
		if len(rest) != 0 {
			t.Fatalf("%d trailing bytes", len(rest))
		}
		if !ci.children[0].oid(t).Equal(oidEnvelopedData) {
			t.Fatal("not EnvelopedData")
		}
		env := ci.children[1].children[0]
		ktri := env.children[1].children[0]
		if kea := ktri.children[2].children[0].oid(t); !kea.Equal(wantKEA) {
			t.Errorf("transport %q: key encryption %v", transport, kea)
		}
		eci := env.children[2]
		if alg := eci.children[1].children[0].oid(t); !alg.Equal(asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}) {
			t.Errorf("content encryption %v, want aes256-CBC", alg)
		}
		if iv := eci.children[1].children[1].content; len(iv) != 16 {
			t.Errorf("IV length %d", len(iv))
		}
	}
	// A subtest: without openssl only this independent check skips (and
	// under SEALGATE_REQUIRE_INTEROP=1 it fails), not the checks above.
	t.Run("openssl reads the same algorithms", func(t *testing.T) {
		dir := tempDir(t)
		var out bytes.Buffer
		if err := Encrypt(&out, bytes.NewReader(testMessage(t, []byte("x"))), []*x509.Certificate{cert}, Options{KeyTransport: KeyTransportOAEP}); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path(dir, "o.eml"), out.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		printed, err := openssl(t, dir, "cms", "-cmsout", "-print", "-in", "o.eml")
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range []string{"aes-256-cbc", "rsaesOaep", "sha256", "mgf1"} {
			if !strings.Contains(string(printed), w) {
				t.Errorf("openssl -print lacks %q", w)
			}
		}
	})
}

func TestOuterSubjectIsNeutralRealSubjectInsideAndBccNowhere(t *testing.T) {
	p := newPKI(t)
	key := testpki.RSAKey(2048, 2)
	cert := p.issue(t, leafTemplate("b@partner.test"), &key.PublicKey)
	msg := testMessage(t, []byte("x"))
	var out bytes.Buffer
	if err := Encrypt(&out, bytes.NewReader(msg), []*x509.Certificate{cert}, Options{Subject: "Encrypted mail"}); err != nil {
		t.Fatal(err)
	}
	m, _ := message.Read(bytes.NewReader(out.Bytes()))
	if s := m.Header.Get("Subject"); s != "Encrypted mail" {
		t.Errorf("outer Subject %q", s)
	}
	for _, h := range []string{"From", "To", "Date", "Message-Id"} {
		if m.Header.Get(h) == "" {
			t.Errorf("outer lacks %s", h)
		}
	}
	if bytes.Contains(out.Bytes(), []byte("hidden@clinic.test")) || bytes.Contains(out.Bytes(), []byte("Biopsy")) {
		t.Error("Bcc or real Subject visible outside")
	}
	p7, err := pkcs7.Parse(smimeBody(t, out.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	inner, err := p7.Decrypt(cert, key)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(inner, []byte("Subject: Biopsy results for J. Doe\r\n")) {
		t.Error("real Subject not inside")
	}
	if bytes.Contains(inner, []byte("hidden@clinic.test")) || bytes.Contains(inner, []byte("Bcc:")) {
		t.Error("Bcc inside")
	}
}

func TestEncryptRefusesECRecipientWithoutKeyAgreementAndWritesNothing(t *testing.T) {
	p := newPKI(t)
	ec := testpki.ECKey(t)
	// keyEncipherment and digitalSignature, but not keyAgreement.
	cert := p.issue(t, leafTemplate("b@partner.test"), &ec.PublicKey)
	rsaKey := testpki.RSAKey(2048, 2)
	good := p.issue(t, leafTemplate("c@partner.test"), &rsaKey.PublicKey)
	var out bytes.Buffer
	err := Encrypt(&out, bytes.NewReader(testMessage(t, []byte("x"))), []*x509.Certificate{good, cert}, Options{})
	var ue *UnusableError
	if !errors.As(err, &ue) || ue.Reason != reasonKeyAgreement {
		t.Fatalf("err = %v", err)
	}
	if err.Error() != "smime: certificate unusable: key usage does not allow key agreement (EC recipients need keyAgreement)" {
		t.Errorf("error text %q", err)
	}
	if out.Len() != 0 {
		t.Error("output written for a refused recipient")
	}
}

func TestUnknownKeyTransportIsRefused(t *testing.T) {
	p := newPKI(t)
	key := testpki.RSAKey(2048, 2)
	cert := p.issue(t, leafTemplate("b@partner.test"), &key.PublicKey)
	err := Encrypt(io.Discard, bytes.NewReader(testMessage(t, []byte("x"))), []*x509.Certificate{cert}, Options{KeyTransport: "des"})
	if err == nil || !strings.HasPrefix(err.Error(), "smime: ") {
		t.Fatalf("err = %v", err)
	}
}
