package smime

import (
	"bytes"
	"crypto/x509"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/emersion/go-message"
	"github.com/sealgate/sealgate/internal/testpki"
	"github.com/sealgate/sealgate/internal/testtool"
	"github.com/smallstep/pkcs7"
)

// signerFixture writes the root CA (trust anchor for openssl) and returns a
// Signer whose certificate is issued by the intermediate, so verification
// only succeeds if the chain travels in the signature.
func signerFixture(t *testing.T, dir string) (*pki, *Signer, string) {
	t.Helper()
	p := newPKI(t)
	key := testpki.RSAKey(2048, 3)
	tmpl := leafTemplate("a@clinic.test")
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment
	cert := p.issue(t, tmpl, &key.PublicKey)
	testpki.WritePEM(t, path(dir, "signer.crt"), "CERTIFICATE", cert.Raw, p.interCert.Raw)
	testpki.WriteKey(t, path(dir, "signer.key"), key)
	s, err := LoadSigner(path(dir, "signer.crt"), path(dir, "signer.key"))
	if err != nil {
		t.Fatal(err)
	}
	caFile := path(dir, "ca.pem")
	testpki.WritePEM(t, caFile, "CERTIFICATE", p.rootCert.Raw)
	return p, s, caFile
}

// signedPart returns the canonical content entity Sign should have signed.
func signedPart(msg []byte) []byte {
	i := bytes.Index(msg, []byte("\r\n\r\n"))
	var hdr []string
	for _, l := range strings.Split(string(msg[:i]), "\r\n") {
		if strings.HasPrefix(strings.ToLower(l), "content-") {
			hdr = append(hdr, l)
		}
	}
	return []byte(strings.Join(hdr, "\r\n") + "\r\n\r\n" + string(msg[i+4:]))
}

func TestSignedMessageVerifiesWithOpenSSLAndChainIsIncluded(t *testing.T) {
	testtool.Require(t, "openssl")
	dir := tempDir(t)
	_, s, caFile := signerFixture(t, dir)
	msg := testMessage(t, randomBytes(t, 5000))
	var out bytes.Buffer
	if err := Sign(&out, bytes.NewReader(msg), s); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path(dir, "signed.eml"), out.Bytes(), 0o600)
	got, err := openssl(t, dir, "cms", "-verify", "-in", "signed.eml", "-CAfile", caFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, signedPart(msg)) {
		t.Fatalf("verified content differs:\n%q\nwant\n%q", got[:200], signedPart(msg)[:200])
	}
	hdr := string(out.Bytes()[:bytes.Index(out.Bytes(), []byte("\r\n\r\n"))])
	for _, w := range []string{"multipart/signed", `protocol="application/pkcs7-signature"`, "micalg=sha-256", "Subject: Biopsy", "From: Dr A"} {
		if !strings.Contains(hdr, w) {
			t.Errorf("outer header lacks %q:\n%s", w, hdr)
		}
	}
	if bytes.Contains(out.Bytes(), []byte("hidden@clinic.test")) {
		t.Error("Bcc in signed output")
	}
}

func TestSignedPartWithBareLFIsCanonicalisedAndStillVerifies(t *testing.T) {
	testtool.Require(t, "openssl")
	dir := tempDir(t)
	_, s, caFile := signerFixture(t, dir)
	msg := []byte("From: a@clinic.test\nTo: b@partner.test\nSubject: x\n\nline one\nline two\r\nthree\rfour\n")
	var out bytes.Buffer
	if err := Sign(&out, bytes.NewReader(msg), s); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path(dir, "signed.eml"), out.Bytes(), 0o600)
	got, err := openssl(t, dir, "cms", "-verify", "-in", "signed.eml", "-CAfile", caFile)
	if err != nil {
		t.Fatal(err)
	}
	if want := "Content-Type: text/plain; charset=us-ascii\r\n\r\nline one\r\nline two\r\nthree\r\nfour\r\n"; string(got) != want {
		t.Fatalf("content %q", got)
	}
}

func TestTamperedSignedPartFailsVerification(t *testing.T) {
	testtool.Require(t, "openssl")
	dir := tempDir(t)
	_, s, caFile := signerFixture(t, dir)
	var out bytes.Buffer
	if err := Sign(&out, bytes.NewReader(testMessage(t, []byte("attachment"))), s); err != nil {
		t.Fatal(err)
	}
	tampered := bytes.Replace(out.Bytes(), []byte("Results attached."), []byte("Results attacked."), 1)
	if bytes.Equal(tampered, out.Bytes()) {
		t.Fatal("nothing tampered")
	}
	os.WriteFile(path(dir, "t.eml"), tampered, 0o600)
	if _, err := openssl(t, dir, "cms", "-verify", "-in", "t.eml", "-CAfile", caFile); err == nil {
		t.Fatal("tampered message verified")
	}
}

func TestSignThenEncryptDecryptsThenVerifies(t *testing.T) {
	testtool.Require(t, "openssl")
	dir := tempDir(t)
	p, s, caFile := signerFixture(t, dir)
	r := newRecipient(t, p, dir, "b@partner.test", testpki.RSAKey(2048, 2))
	att := randomBytes(t, 40_000)
	msg := testMessage(t, att)
	var out bytes.Buffer
	if err := Encrypt(&out, bytes.NewReader(msg), []*x509.Certificate{r.cert}, Options{Signer: s}); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path(dir, "se.eml"), out.Bytes(), 0o600)
	dec, err := openssl(t, dir, "cms", "-decrypt", "-in", "se.eml", "-recip", r.certFile, "-inkey", r.keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(dec, []byte("Content-Type: multipart/signed;")) {
		t.Fatalf("decrypted entity is not multipart/signed: %q", dec[:80])
	}
	os.WriteFile(path(dir, "dec.eml"), dec, 0o600)
	content, err := openssl(t, dir, "cms", "-verify", "-in", "dec.eml", "-CAfile", caFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(content, innerOf(t, msg)) {
		t.Fatal("signed content differs from the inner entity")
	}
	if !bytes.Equal(attachmentOf(t, content), att) {
		t.Fatal("attachment differs")
	}
}

func TestLoadSignerRefusesKeyReadableByGroupOrOthers(t *testing.T) {
	dir := tempDir(t)
	_, _, _ = signerFixture(t, dir)
	for _, mode := range []os.FileMode{0o640, 0o604, 0o644} {
		os.Chmod(path(dir, "signer.key"), mode)
		if _, err := LoadSigner(path(dir, "signer.crt"), path(dir, "signer.key")); err == nil || !strings.Contains(err.Error(), "group or others") {
			t.Errorf("mode %04o: err = %v", mode, err)
		}
	}
	os.Chmod(path(dir, "signer.key"), 0o600)
	if _, err := LoadSigner(path(dir, "signer.crt"), path(dir, "signer.key")); err != nil {
		t.Fatal(err)
	}
}

func TestLoadSignerRefusesKeyThatDoesNotMatchCertificate(t *testing.T) {
	dir := tempDir(t)
	_, _, _ = signerFixture(t, dir)
	testpki.WriteKey(t, path(dir, "signer.key"), testpki.RSAKey(2048, 4))
	if _, err := LoadSigner(path(dir, "signer.crt"), path(dir, "signer.key")); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Fatalf("err = %v", err)
	}
}

func TestSignatureVerifiesWithSecondImplementation(t *testing.T) {
	// smallstep/pkcs7 parses and verifies our hand-built SignedData,
	// chain included, independently of openssl.
	dir := tempDir(t)
	p, s, _ := signerFixture(t, dir)
	msg := testMessage(t, randomBytes(t, 3000))
	var out bytes.Buffer
	if err := Sign(&out, bytes.NewReader(msg), s); err != nil {
		t.Fatal(err)
	}
	m, err := message.Read(bytes.NewReader(out.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	mr := m.MultipartReader()
	first, err := mr.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, first.Body)
	sigPart, err := mr.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	sigDER, err := io.ReadAll(sigPart.Body)
	if err != nil {
		t.Fatal(err)
	}
	p7, err := pkcs7.Parse(sigDER)
	if err != nil {
		t.Fatal(err)
	}
	if len(p7.Certificates) != 2 {
		t.Errorf("%d certificates in the signature, want signer + intermediate", len(p7.Certificates))
	}
	p7.Content = signedPart(msg)
	roots := x509.NewCertPool()
	roots.AddCert(p.rootCert)
	if err := p7.VerifyWithChain(roots); err != nil {
		t.Fatal(err)
	}
	p7.Content = append(signedPart(msg), 'x')
	if err := p7.VerifyWithChain(roots); err == nil {
		t.Fatal("altered content verified")
	}
}

func TestECDSASignerVerifiesWithOpenSSL(t *testing.T) {
	testtool.Require(t, "openssl")
	dir := tempDir(t)
	p := newPKI(t)
	k := testpki.ECKey(t)
	tmpl := leafTemplate("a@clinic.test")
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	s, err := NewSigner(p.issue(t, tmpl, &k.PublicKey), []*x509.Certificate{p.interCert}, k)
	if err != nil {
		t.Fatal(err)
	}
	testpki.WritePEM(t, path(dir, "ca.pem"), "CERTIFICATE", p.rootCert.Raw)
	var out bytes.Buffer
	if err := Sign(&out, bytes.NewReader(testMessage(t, []byte("ec"))), s); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path(dir, "ec.eml"), out.Bytes(), 0o600)
	if _, err := openssl(t, dir, "cms", "-verify", "-in", "ec.eml", "-CAfile", "ca.pem"); err != nil {
		t.Fatal(err)
	}
}
