package smime

import (
	"bytes"
	"crypto/x509"
	"os"
	"strings"
	"testing"

	"github.com/sealgate/sealgate/internal/testpki"
	"github.com/sealgate/sealgate/internal/testtool"
)

func TestAESGCMAuthEnvelopedDataDecryptsWithOpenSSLForBothKeyTransports(t *testing.T) {
	testtool.Require(t, "openssl")
	dir := tempDir(t)
	p := newPKI(t)
	r := newRecipient(t, p, dir, "b@partner.test", testpki.RSAKey(2048, 2))
	msg := testMessage(t, randomBytes(t, 100_000))
	want := innerOf(t, msg)
	for _, transport := range []string{KeyTransportPKCS1v15, KeyTransportOAEP} {
		var out bytes.Buffer
		if err := Encrypt(&out, bytes.NewReader(msg), []*x509.Certificate{r.cert}, Options{ContentCipher: ContentCipherAES256GCM, KeyTransport: transport}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "smime-type=authEnveloped-data") {
			t.Fatalf("%s: Content-Type is not authEnveloped-data", transport)
		}
		f := path(dir, transport+"-gcm.eml")
		if err := os.WriteFile(f, out.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		printed, err := openssl(t, dir, "cms", "-cmsout", "-print", "-in", f)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(printed), "id-smime-ct-authEnvelopedData") || !strings.Contains(string(printed), "aes-256-gcm") {
			t.Fatalf("%s: openssl sees\n%.600s", transport, printed)
		}
		got, err := openssl(t, dir, "cms", "-decrypt", "-in", f, "-recip", r.certFile, "-inkey", r.keyFile)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%s: openssl cms -decrypt: %v (%d bytes, want %d)", transport, err, len(got), len(want))
		}
		// A flipped ciphertext byte must fail authentication, not decrypt.
		der := smimeBody(t, out.Bytes())
		der[len(der)-40] ^= 1
		if err := os.WriteFile(f+".der", der, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := openssl(t, dir, "cms", "-decrypt", "-inform", "DER", "-in", f+".der", "-recip", r.certFile, "-inkey", r.keyFile); err == nil {
			t.Fatalf("%s: a tampered AuthEnvelopedData decrypted", transport)
		}
	}
}

func TestUnknownContentCipherIsRefusedBeforeWriting(t *testing.T) {
	p := newPKI(t)
	key := testpki.RSAKey(2048, 2)
	cert := p.issue(t, leafTemplate("b@partner.test"), &key.PublicKey)
	var out bytes.Buffer
	err := Encrypt(&out, bytes.NewReader(testMessage(t, []byte("x"))), []*x509.Certificate{cert}, Options{ContentCipher: "des"})
	if err == nil || !strings.HasPrefix(err.Error(), "smime: unknown content cipher") || out.Len() != 0 {
		t.Fatalf("err = %v, %d bytes written", err, out.Len())
	}
}
