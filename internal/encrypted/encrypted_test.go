package encrypted

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestLabels(t *testing.T) {
	for v, want := range map[string]string{
		`multipart/encrypted; protocol="application/pgp-encrypted"; boundary=x`: PGP,
		`Multipart/Encrypted; PROTOCOL="Application/PGP-Encrypted"; boundary=x`: PGP,
		`multipart/encrypted; protocol="application/pkcs7-mime"; boundary=x`:    "",
		`multipart/encrypted; boundary=x`:                                       "",
		`application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m`:     SMIME,
		`application/x-pkcs7-mime; smime-type=enveloped-data`:                   SMIME,
		`application/pkcs7-mime; smime-type=authEnveloped-data`:                 SMIME,
		`application/pkcs7-mime; smime-type=AUTHENVELOPED-DATA`:                 SMIME,
		`application/pkcs7-mime; smime-type=signed-data; name=smime.p7m`:        "",
		`application/pkcs7-mime; smime-type=compressed-data; name=smime.p7z`:    "",
		`application/pkcs7-mime; name="smime.P7M"`:                              SMIME,
		`application/pkcs7-mime; name="smime.p7s"`:                              "",
		`application/octet-stream; name="smime.p7m"`:                            "",
		`multipart/signed; protocol="application/pgp-signature"; boundary=x`:    "",
		`text/plain`: "", ``: "", `garbage;;;`: "",
	} {
		if got, ok := Label(v); got != want || ok != (want != "") {
			t.Errorf("Label(%q) = %q, %v; want %q", v, got, ok, want)
		}
	}
}

// TestRealToolOutput runs gpg and openssl and checks what Verify makes of
// their output.
func TestRealToolOutput(t *testing.T) {
	msg := []byte(inner)
	t.Run("gpg", func(t *testing.T) {
		gpg := gpgHome(t)
		cases := map[string]struct {
			out  []byte
			want string
		}{
			"public-key encrypted": {gpg(msg, "--armor", "--encrypt", "-r", "t@example.org"), PGP},
			"encrypted and signed": {gpg(msg, "--passphrase", "", "--armor", "--sign", "--encrypt", "-r", "t@example.org"), PGP},
			"symmetric":            {gpg(msg, "--passphrase", "pw", "--armor", "--symmetric"), PGP},
			"signed only":          {gpg(msg, "--passphrase", "", "--armor", "--sign"), ""},
		}
		for name, c := range cases {
			check(t, name, pgpMIME(c.out), c.want)
		}
	})
	t.Run("openssl", func(t *testing.T) {
		cert, key := smimeFiles(t)
		cases := map[string]struct {
			out  []byte
			want string
		}{
			"smime enveloped":         {run(t, nil, msg, "openssl", "smime", "-encrypt", "-aes256", cert), SMIME},
			"cms enveloped":           {run(t, nil, msg, "openssl", "cms", "-encrypt", "-aes256", cert), SMIME},
			"cms enveloped streamed":  {run(t, nil, msg, "openssl", "cms", "-encrypt", "-stream", "-aes256", cert), SMIME},
			"cms authEnveloped (GCM)": {run(t, nil, msg, "openssl", "cms", "-encrypt", "-aes-256-gcm", cert), SMIME},
			"cms signed opaque":       {run(t, nil, msg, "openssl", "cms", "-sign", "-nodetach", "-signer", cert, "-inkey", key), ""},
			"smime signed detached":   {run(t, nil, msg, "openssl", "smime", "-sign", "-signer", cert, "-inkey", key), ""},
		}
		for name, c := range cases {
			check(t, name, withHeader(c.out), c.want)
		}
		// Signed-data relabelled as enveloped: the content gives it away.
		signed := string(cases["cms signed opaque"].out)
		if !strings.Contains(signed, "smime-type=signed-data") {
			t.Fatalf("openssl cms -sign label changed:\n%.300s", signed)
		}
		check(t, "signed-data labelled enveloped", withHeader([]byte(strings.Replace(signed, "smime-type=signed-data", "smime-type=enveloped-data", 1))), "")
	})
}

func check(t *testing.T, name string, msg []byte, want string) {
	t.Helper()
	got, err := Verify(bytes.NewReader(msg))
	t.Logf("%s: %q %v", name, got, err)
	if got != want {
		t.Errorf("%s: Verify = %q, %v; want %q\n%.600s", name, got, err, want, msg)
	}
	if want == "" && !errors.Is(err, ErrNotEncrypted) {
		t.Errorf("%s: error %v does not wrap ErrNotEncrypted", name, err)
	}
}

func TestForgedLabels(t *testing.T) {
	pgpHead := "Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"b\"\r\n\r\n"
	ctl := "--b\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n"
	armored := "--b\r\nContent-Type: application/octet-stream\r\n\r\n-----BEGIN PGP MESSAGE-----\r\n\r\nwV4D\r\n=AAAA\r\n-----END PGP MESSAGE-----\r\n"
	cases := map[string]string{
		"plain text under a PGP label": pgpHead + "--b\r\nContent-Type: text/plain\r\n\r\nPHI-MARKER\r\n--b--\r\n",
		"no version":                   pgpHead + "--b\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 2\r\n" + armored + "--b--\r\n",
		"text instead of armor":        pgpHead + ctl + "--b\r\nContent-Type: application/octet-stream\r\n\r\nPHI-MARKER\r\n--b--\r\n",
		"not multipart":                "Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"\r\n\r\nPHI-MARKER\r\n",
		"third part": pgpHead + ctl + strings.Replace(armored, "wV4D", "hQEM", 1) +
			"--b\r\nContent-Type: text/plain\r\n\r\nPHI-MARKER\r\n--b--\r\n",
		"S/MIME label on text": "Content-Type: application/pkcs7-mime; smime-type=enveloped-data\r\n\r\nPHI-MARKER\r\n",
		"S/MIME label on signed-data": "Content-Type: application/pkcs7-mime; smime-type=enveloped-data\r\n" +
			"Content-Transfer-Encoding: base64\r\n\r\nMIAGCSqGSIb3DQEHAqCAMIACAQEx\r\n",
		"S/MIME empty":       "Content-Type: application/pkcs7-mime; smime-type=enveloped-data\r\n\r\n",
		"unknown encoding":   "Content-Type: application/pkcs7-mime; smime-type=enveloped-data\r\nContent-Transfer-Encoding: x-rot13\r\n\r\nMIAGCSqGSIb3DQEHA6CAMIACAQIx\r\n",
		"header too large":   "X: " + strings.Repeat("a", maxHeader) + "\r\n" + pgpHead,
		"no header end":      "Content-Type: application/pkcs7-mime; smime-type=enveloped-data",
		"plain text message": "Content-Type: text/plain\r\n\r\nPHI-MARKER\r\n",
	}
	for name, msg := range cases {
		check(t, name, []byte(msg), "")
	}
	// The minimal sound forms pass: a PKESK packet (0xc1, new-format tag 1),
	// and a BER envelopedData ContentInfo.
	check(t, "minimal PGP", []byte(pgpHead+ctl+strings.Replace(armored, "wV4D", "wV4D", 1)+"--b--\r\n"), PGP)
	check(t, "minimal S/MIME", []byte("Content-Type: application/pkcs7-mime; smime-type=enveloped-data\r\n"+
		"Content-Transfer-Encoding: base64\r\n\r\nMIAGCSqGSIb3DQEHA6CAMIACAQIx\r\n"), SMIME)
}
