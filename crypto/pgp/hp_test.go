package pgp

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/emersion/go-message"
	gomail "github.com/emersion/go-message/mail"

	"github.com/sealgate/sealgate/crypto/protect"
)

// TestRFC9788HeaderProtectionReadsBackFromGPG decrypts with gpg and parses
// the payload as a recipient's client would: obscured outer Subject,
// hp="cipher", the HP-Outer record, the real Subject, and the legacy
// display leading the text unless the mode leaves it out.
func TestRFC9788HeaderProtectionReadsBackFromGPG(t *testing.T) {
	fx := needGPG(t)
	for _, mode := range []string{"", protect.ModeRFC9788, protect.ModeLegacyV1} {
		t.Run("mode="+mode, func(t *testing.T) {
			h, arm := pgpMIME(t, encryptTo(t, plainMsg, Options{HeaderProtection: mode}, fx.keys["bob"]))
			if h.Get("Subject") != "[...]" {
				t.Errorf("outer Subject %q", h.Get("Subject"))
			}
			plain, _ := gpgDecrypt(t, fx.home, arm)
			e, err := message.Read(bytes.NewReader(plain))
			if err != nil {
				t.Fatal(err)
			}
			ih := gomail.Header{Header: e.Header}
			if s, _ := ih.Subject(); s != "Biopsy results for J. Doe" {
				t.Errorf("inner Subject %q", s)
			}
			_, params, _ := ih.ContentType()
			var hpOuter []string
			for f := ih.FieldsByKey("HP-Outer"); f.Next(); {
				hpOuter = append(hpOuter, f.Value())
			}
			body, err := io.ReadAll(e.Body)
			if err != nil {
				t.Fatal(err)
			}
			if mode == protect.ModeLegacyV1 {
				if params["hp"] != "" || len(hpOuter) != 0 || params["protected-headers"] != "v1" {
					t.Errorf("legacy-v1 payload: hp=%q, %d HP-Outer", params["hp"], len(hpOuter))
				}
				return
			}
			want := "From: Dr A <a@clinic.test>|To: Bob <bob@partner.test>|Date: Sat, 28 Nov 2026 10:00:00 +0000|Message-ID: <m1@clinic.test>|Subject: [...]"
			if params["hp"] != "cipher" || strings.Join(hpOuter, "|") != want {
				t.Errorf("payload hp=%q, HP-Outer %q", params["hp"], hpOuter)
			}
			display := string(body) == "Subject: Biopsy results for J. Doe\r\n\r\nResults attached. Patient MRN 12345.\r\n"
			if display != (mode == "") || (mode == "" && params["hp-legacy-display"] != "1") {
				t.Errorf("mode %q: body %q, Content-Type %q", mode, body, ih.Get("Content-Type"))
			}
		})
	}
}
