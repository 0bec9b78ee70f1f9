package smime

import (
	"bytes"
	"crypto/elliptic"
	"crypto/x509"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"

	"github.com/sealgate/sealgate/crypto/protect"
	"github.com/sealgate/sealgate/internal/testpki"
	"github.com/sealgate/sealgate/internal/testtool"
)

// TestRFC9788HeaderProtectionReadsBackFromOpenSSL decrypts with `openssl cms
// -decrypt` and parses what a recipient's client would: the outer Subject
// is obscured, the payload carries hp="cipher", the real Subject and the
// HP-Outer record, and (by default) the legacy display in the main text
// parts.
func TestRFC9788HeaderProtectionReadsBackFromOpenSSL(t *testing.T) {
	testtool.Require(t, "openssl")
	dir := tempDir(t)
	p := newPKI(t)
	r := newECRecipient(t, p, dir, "b@partner.test", elliptic.P256())
	msg := testMessage(t, randomBytes(t, 5000))
	for _, mode := range []string{"", protect.ModeRFC9788, protect.ModeLegacyV1} {
		t.Run("mode="+mode, func(t *testing.T) {
			var out bytes.Buffer
			if err := Encrypt(&out, bytes.NewReader(msg), []*x509.Certificate{r.cert}, Options{HeaderProtection: mode}); err != nil {
				t.Fatal(err)
			}
			outer, err := mail.CreateReader(bytes.NewReader(out.Bytes()))
			if err != nil && !message.IsUnknownCharset(err) {
				t.Fatal(err)
			}
			if s, _ := outer.Header.Subject(); s != "[...]" || bytes.Contains(out.Bytes(), []byte("Biopsy")) {
				t.Errorf("outer Subject %q", s)
			}
			f := path(dir, "hp.eml")
			if err := os.WriteFile(f, out.Bytes(), 0o600); err != nil {
				t.Fatal(err)
			}
			plain, err := openssl(t, dir, "cms", "-decrypt", "-in", f, "-recip", r.certFile, "-inkey", r.keyFile)
			if err != nil {
				t.Fatal(err)
			}
			e, err := message.Read(bytes.NewReader(plain))
			if err != nil {
				t.Fatal(err)
			}
			h := mail.Header{Header: e.Header}
			if s, _ := h.Subject(); s != "Biopsy results for J. Doe" {
				t.Errorf("inner Subject %q", s)
			}
			_, params, _ := h.ContentType()
			var hpOuter []string
			for f := h.FieldsByKey("HP-Outer"); f.Next(); {
				hpOuter = append(hpOuter, f.Value())
			}
			if mode == protect.ModeLegacyV1 {
				if params["hp"] != "" || len(hpOuter) != 0 || params["protected-headers"] != "v1" {
					t.Errorf("legacy-v1 payload: hp=%q, %d HP-Outer", params["hp"], len(hpOuter))
				}
				return
			}
			want := "From: Dr A <a@clinic.test>|To: b@partner.test, c@partner.test|Date: Sat, 28 Nov 2026 10:00:00 +0000|Message-ID: <m1@clinic.test>|Subject: [...]"
			if params["hp"] != "cipher" || strings.Join(hpOuter, "|") != want {
				t.Errorf("payload hp=%q, HP-Outer %q", params["hp"], hpOuter)
			}
			text := mainText(t, e)
			display := strings.HasPrefix(text, "Subject: Biopsy results for J. Doe\r\n\r\nResults attached.")
			if display != (mode == "") {
				t.Errorf("mode %q: text/plain part %q", mode, text)
			}
		})
	}
}

// mainText is the first text/plain part of e, decoded.
func mainText(t *testing.T, e *message.Entity) string {
	t.Helper()
	var text string
	err := e.Walk(func(_ []int, part *message.Entity, err error) error {
		if err != nil {
			return err
		}
		if mt, _, _ := part.Header.ContentType(); mt == "text/plain" && text == "" {
			b, err := io.ReadAll(part.Body)
			text = string(b)
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return text
}

// Reading with gpgsm too: the RSA form gpgsm 2.2 opens.
func TestRFC9788HeaderProtectionReadsBackFromGpgsm(t *testing.T) {
	testtool.RequireAll(t, "Debian packages openssl and gpgsm", "openssl", "gpgsm", "gpgconf")
	dir := tempDir(t)
	p := newPKI(t)
	r := newRecipient(t, p, dir, "b@partner.test", testpki.RSAKey(2048, 2))
	home := gpgsmHome(t, p, dir, r)
	var out bytes.Buffer
	if err := Encrypt(&out, bytes.NewReader(testMessage(t, randomBytes(t, 5000))), []*x509.Certificate{r.cert}, Options{}); err != nil {
		t.Fatal(err)
	}
	der := path(dir, "hp.p7m")
	if err := os.WriteFile(der, smimeBody(t, out.Bytes()), 0o600); err != nil {
		t.Fatal(err)
	}
	plain, err := runGpgsm(t, home, "--decrypt", der)
	if err != nil {
		t.Fatalf("gpgsm --decrypt: %v\n%s", err, plain)
	}
	e, err := message.Read(bytes.NewReader(plain))
	if err != nil {
		t.Fatal(err)
	}
	h := mail.Header{Header: e.Header}
	_, params, _ := h.ContentType()
	s, _ := h.Subject()
	if params["hp"] != "cipher" || s != "Biopsy results for J. Doe" || !h.Has("HP-Outer") ||
		!strings.HasPrefix(mainText(t, e), "Subject: Biopsy results for J. Doe\r\n") {
		t.Errorf("gpgsm's plaintext:\n%s", plain)
	}
}
