package encrypted

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzVerify: no input panics; every refusal wraps ErrNotEncrypted (a
// bytes.Reader never fails), and what passes is labelled as it says.
func FuzzVerify(f *testing.F) {
	f.Add([]byte("Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"b\"\r\n\r\n" +
		"--b\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n--b\r\nContent-Type: application/octet-stream\r\n\r\n" +
		"-----BEGIN PGP MESSAGE-----\r\n\r\nwV4D\r\n=AAAA\r\n-----END PGP MESSAGE-----\r\n--b--\r\n"))
	f.Add([]byte("Content-Type: application/pkcs7-mime; smime-type=enveloped-data\r\nContent-Transfer-Encoding: base64\r\n\r\nMIAGCSqGSIb3DQEHA6CAMIACAQIx\r\n"))
	f.Add([]byte("Content-Type: application/pkcs7-mime; name=a.p7m\r\n\r\n0\x84\xff\xff\xff\xff\x06\x09"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		kind, err := Verify(bytes.NewReader(msg))
		if err != nil {
			if kind != "" || !errors.Is(err, ErrNotEncrypted) {
				t.Fatalf("Verify = %q, %v", kind, err)
			}
			return
		}
		if kind != PGP && kind != SMIME {
			t.Fatalf("kind %q", kind)
		}
	})
}
