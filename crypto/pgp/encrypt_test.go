package pgp

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sealgate/sealgate/crypto/protect"
)

const plainMsg = "Received: from upstream.clinic.test\r\n" +
	"From: Dr A <a@clinic.test>\r\n" +
	"To: Bob <bob@partner.test>\r\n" +
	"Bcc: hidden@clinic.test\r\n" +
	"Subject: Biopsy results for J. Doe\r\n" +
	"Date: Sat, 28 Nov 2026 10:00:00 +0000\r\n" +
	"Message-ID: <m1@clinic.test>\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n" +
	"\r\n" +
	"Results attached. Patient MRN 12345.\r\n"

// encryptTo runs Encrypt and returns the whole output.
func encryptTo(t *testing.T, msg string, opts Options, keys ...*Key) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := Encrypt(&out, strings.NewReader(msg), keys, opts); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// pgpMIME checks the RFC 3156 structure and returns the outer header and
// the armored OpenPGP message.
func pgpMIME(t *testing.T, out []byte) (mail.Header, []byte) {
	t.Helper()
	if bytes.Contains(bytes.ReplaceAll(out, []byte("\r\n"), nil), []byte("\n")) {
		t.Fatal("output has bare LF line ends")
	}
	m, err := mail.ReadMessage(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/encrypted" || params["protocol"] != "application/pgp-encrypted" {
		t.Fatalf("outer Content-Type %q", m.Header.Get("Content-Type"))
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	p1, err := mr.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	b1, _ := io.ReadAll(p1)
	if p1.Header.Get("Content-Type") != "application/pgp-encrypted" || !strings.Contains(string(b1), "Version: 1") {
		t.Fatalf("control part %q: %q", p1.Header.Get("Content-Type"), b1)
	}
	p2, err := mr.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	ct, cp, _ := mime.ParseMediaType(p2.Header.Get("Content-Type"))
	cd, dp, _ := mime.ParseMediaType(p2.Header.Get("Content-Disposition"))
	if ct != "application/octet-stream" || cp["name"] != "encrypted.asc" || cd != "inline" || dp["filename"] != "encrypted.asc" {
		t.Fatalf("data part header %v", p2.Header)
	}
	arm, _ := io.ReadAll(p2)
	if !bytes.HasPrefix(arm, []byte("-----BEGIN PGP MESSAGE-----")) || !bytes.Contains(arm, []byte("-----END PGP MESSAGE-----")) {
		t.Fatalf("data part is not an armored message:\n%s", arm)
	}
	if _, err := mr.NextPart(); err != io.EOF {
		t.Fatalf("more than two parts: %v", err)
	}
	return m.Header, arm
}

// gpgDecrypt decrypts with gpg in home; it returns the plaintext and gpg's
// status lines.
func gpgDecrypt(t *testing.T, home string, arm []byte) (plain []byte, status string) {
	t.Helper()
	outFile := filepath.Join(t.TempDir(), "plain")
	st, err := runGPG(home, arm, "--status-fd", "1", "--output", outFile, "--decrypt")
	if err != nil {
		t.Fatalf("%v\nstatus:\n%s", err, st)
	}
	plain, err = os.ReadFile(outFile)
	if err != nil {
		t.Fatal(err)
	}
	return plain, string(st)
}

// innerEntity is what must come out of decryption: protect.Split's inner part.
func innerEntity(t *testing.T, msg string) []byte {
	t.Helper()
	_, in, err := protect.Split(strings.NewReader(msg), protect.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(in)
	in.Close()
	return b
}

func TestGPGDecryptsToTheInnerEntityRSAAndCurve25519(t *testing.T) {
	fx := needGPG(t)
	for _, who := range []string{"bob", "carol"} {
		t.Run(who, func(t *testing.T) {
			out := encryptTo(t, plainMsg, Options{}, fx.keys[who])
			_, arm := pgpMIME(t, out)
			plain, st := gpgDecrypt(t, fx.home, arm)
			if want := innerEntity(t, plainMsg); !bytes.Equal(plain, want) {
				t.Fatalf("decrypted:\n%q\nwant:\n%q", plain, want)
			}
			// gpg 2.2 reports the cipher: 9 = AES-256; no AEAD, MDC present.
			if !strings.Contains(st, "DECRYPTION_INFO 2 9") {
				t.Errorf("not AES-256 with MDC:\n%s", st)
			}
			if !strings.Contains(st, "DECRYPTION_OKAY") || !strings.Contains(st, "GOODMDC") {
				t.Errorf("status:\n%s", st)
			}
		})
	}
}

func TestProtectedHeadersNeutralOuterSubjectRealSubjectInsideNoBcc(t *testing.T) {
	fx := needGPG(t)
	out := encryptTo(t, plainMsg, Options{Subject: "Encrypted message from Clinic"}, fx.keys["bob"])
	h, arm := pgpMIME(t, out)
	if h.Get("Subject") != "Encrypted message from Clinic" {
		t.Errorf("outer Subject %q", h.Get("Subject"))
	}
	for _, k := range []string{"From", "To", "Date", "Message-Id", "Mime-Version"} {
		if h.Get(k) == "" {
			t.Errorf("outer header lacks %s", k)
		}
	}
	if bytes.Contains(out, []byte("Biopsy")) || bytes.Contains(out, []byte("12345")) || bytes.Contains(out, []byte("hidden@clinic.test")) {
		t.Fatal("plaintext Subject, body or Bcc visible in the output")
	}
	plain, _ := gpgDecrypt(t, fx.home, arm)
	p := string(plain)
	if !strings.Contains(p, "Subject: Biopsy results for J. Doe\r\n") || !strings.Contains(p, "protected-headers=v1") {
		t.Errorf("inner lacks real Subject or marker:\n%s", p)
	}
	if strings.Contains(p, "hidden@clinic.test") || strings.Contains(p, "Bcc") {
		t.Errorf("Bcc inside:\n%s", p)
	}
	// Default subject.
	h, _ = pgpMIME(t, encryptTo(t, plainMsg, Options{}, fx.keys["bob"]))
	if h.Get("Subject") != protect.DefaultSubject {
		t.Errorf("default outer Subject %q", h.Get("Subject"))
	}
}

func TestMultipartWithHTMLAndBinaryAttachmentIsByteIdenticalAfterDecryption(t *testing.T) {
	fx := needGPG(t)
	bin := make([]byte, 300<<10)
	rand.Read(bin)
	enc := base64.StdEncoding.EncodeToString(bin)
	var b64 strings.Builder
	for len(enc) > 76 {
		b64.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b64.WriteString(enc + "\r\n")
	msg := "From: a@clinic.test\r\nTo: bob@partner.test\r\nSubject: Scan\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n" +
		"--outer\r\nContent-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n" +
		"--alt\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nSee scan =E2=80=94 caf=C3=A9\r\n" +
		"--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>See <b>scan</b></p></body></html>\r\n--alt--\r\n" +
		"--outer\r\nContent-Type: application/octet-stream; name=\"scan.dcm\"\r\nContent-Disposition: attachment; filename=\"scan.dcm\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n" + b64.String() + "--outer--\r\n"
	_, arm := pgpMIME(t, encryptTo(t, msg, Options{}, fx.keys["carol"]))
	plain, _ := gpgDecrypt(t, fx.home, arm)
	if want := innerEntity(t, msg); !bytes.Equal(plain, want) {
		t.Fatalf("decrypted entity differs (%d vs %d bytes)", len(plain), len(want))
	}
	// And the attachment inside decodes to the original bytes.
	m, err := mail.ReadMessage(bytes.NewReader(plain))
	if err != nil {
		t.Fatal(err)
	}
	_, params, _ := mime.ParseMediaType(m.Header.Get("Content-Type"))
	mr := multipart.NewReader(m.Body, params["boundary"])
	mr.NextPart()
	att, err := mr.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(base64.NewDecoder(base64.StdEncoding, att))
	if !bytes.Equal(got, bin) {
		t.Fatal("attachment bytes differ after decryption")
	}
}

// pkeskKeyIDs lists the key IDs of the public-key encrypted session key
// packets, as gpg --list-packets prints them.
func pkeskKeyIDs(t *testing.T, home string, arm []byte) []string {
	t.Helper()
	out, _ := runGPG(home, arm, "--list-packets")
	re := regexp.MustCompile(`:pubkey enc packet: version \d+, algo \d+, keyid ([0-9A-F]{16})`)
	var ids []string
	for _, m := range re.FindAllStringSubmatch(string(out), -1) {
		ids = append(ids, m[1])
	}
	return ids
}

func keyIDOf(fpr string) string { return fpr[len(fpr)-16:] }

func TestTwoRecipientsEachDecrypt(t *testing.T) {
	fx := needGPG(t)
	_, arm := pgpMIME(t, encryptTo(t, plainMsg, Options{}, fx.keys["bob"], fx.keys["carol"]))
	ids := pkeskKeyIDs(t, fx.home, arm)
	// Bob's RSA primary encrypts (no subkey); Carol's cv25519 subkey.
	want := map[string]bool{keyIDOf(fx.fpr["bob"]): true, keyIDOf(fx.subs["carol"][0]): true}
	if len(ids) != 2 || !want[ids[0]] || !want[ids[1]] {
		t.Fatalf("PKESK key IDs %v, want %v", ids, want)
	}
	// Each recipient alone: a home with only that recipient's secret key.
	for _, who := range []string{"bob", "carol"} {
		home := filepath.Join(t.TempDir(), "g")
		os.Mkdir(home, 0o700)
		t.Cleanup(func() { killAgent(home) })
		sec, err := runGPG(fx.home, nil, "--export-secret-keys", fx.fpr[who])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := runGPG(home, sec, "--import"); err != nil {
			t.Fatal(err)
		}
		plain, _ := gpgDecrypt(t, home, arm)
		if !bytes.Equal(plain, innerEntity(t, plainMsg)) {
			t.Errorf("%s alone: wrong plaintext", who)
		}
	}
}

func TestNewestValidSubkeyIsUsedAsGPGWould(t *testing.T) {
	fx := needGPG(t)
	cases := map[string]string{
		// twosub: subs[0] valid (2020-02, never expires), subs[1] newer but expired.
		"twosub": fx.subs["twosub"][0],
		// newest: both valid, subs[1] made now.
		"newest": fx.subs["newest"][1],
	}
	for who, wantSub := range cases {
		_, arm := pgpMIME(t, encryptTo(t, plainMsg, Options{}, fx.keys[who]))
		ids := pkeskKeyIDs(t, fx.home, arm)
		if len(ids) != 1 || ids[0] != keyIDOf(wantSub) {
			t.Errorf("%s: PKESK %v, want %s", who, ids, keyIDOf(wantSub))
		}
		// gpg itself, encrypting to the same key, picks the same subkey.
		gout, err := runGPG(fx.home, []byte("x"), "--armor", "--trust-model", "always", "--recipient", fx.fpr[who], "--encrypt")
		if err != nil {
			t.Fatal(err)
		}
		if g := pkeskKeyIDs(t, fx.home, gout); len(g) != 1 || g[0] != ids[0] {
			t.Errorf("%s: gpg chose %v, we chose %v", who, g, ids)
		}
		if _, st := gpgDecrypt(t, fx.home, arm); !strings.Contains(st, "DECRYPTION_OKAY") {
			t.Errorf("%s: %s", who, st)
		}
	}
}

func TestEncryptRefusesUnusableKeys(t *testing.T) {
	fx := needGPG(t)
	for _, who := range []string{"expired", "revoked", "subexp", "subrev", "signonly"} {
		var out bytes.Buffer
		err := Encrypt(&out, strings.NewReader(plainMsg), []*Key{fx.keys["bob"], fx.keys[who]}, Options{})
		if err == nil {
			t.Errorf("%s: encrypted", who)
		}
		if out.Len() != 0 {
			t.Errorf("%s: wrote %d bytes before refusing", who, out.Len())
		}
	}
	if err := Encrypt(io.Discard, strings.NewReader(plainMsg), nil, Options{}); err == nil {
		t.Error("no recipients: encrypted")
	}
}

func TestSignThenEncryptGPGReportsGoodSignatureFromOurKey(t *testing.T) {
	fx := needGPG(t)
	s, err := LoadSigner(fx.signerFile, writeSecret(t, fx.signerPass+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, arm := pgpMIME(t, encryptTo(t, plainMsg, Options{Signer: s}, fx.keys["carol"]))
	plain, st := gpgDecrypt(t, fx.home, arm)
	if !bytes.Equal(plain, innerEntity(t, plainMsg)) {
		t.Fatal("wrong plaintext")
	}
	if !strings.Contains(st, "[GNUPG:] GOODSIG ") || !strings.Contains(st, "[GNUPG:] VALIDSIG ") {
		t.Fatalf("no good signature:\n%s", st)
	}
	// VALIDSIG names the primary key fingerprint last-but-N; it must be ours.
	if !strings.Contains(st, s.Fingerprint()) {
		t.Fatalf("signature not from %s:\n%s", s.Fingerprint(), st)
	}
	// Signed inside the encryption (RFC 3156 §6.2): nothing but the
	// encrypted packets outside.
	pk, _ := runGPG(fx.home, arm, "--list-packets")
	if !strings.Contains(string(pk), ":onepass_sig packet:") || !strings.Contains(string(pk), ":encrypted data packet:") {
		t.Errorf("packets:\n%s", pk)
	}
}

func TestUnprotectedSignerLoadsWithoutPassphrase(t *testing.T) {
	fx := needGPG(t)
	s, err := LoadSigner(fx.plainSigner, "")
	if err != nil {
		t.Fatal(err)
	}
	pub, err := s.PublicKey()
	if err != nil || pub.Fingerprint() != s.Fingerprint() || pub.Addresses()[0] != "pgp2@clinic.test" {
		t.Fatalf("public key %v %v", pub, err)
	}
}

func TestSignerFilesReadableByOthersAreRefused(t *testing.T) {
	fx := needGPG(t)
	data, _ := os.ReadFile(fx.signerFile)
	dir := t.TempDir()
	loose := filepath.Join(dir, "loose.asc")
	os.WriteFile(loose, data, 0o600)
	os.Chmod(loose, 0o640)
	if _, err := LoadSigner(loose, writeSecret(t, fx.signerPass)); err == nil || !strings.Contains(err.Error(), "group or others") {
		t.Errorf("group-readable key: %v", err)
	}
	pass := writeSecret(t, fx.signerPass)
	os.Chmod(pass, 0o604)
	if _, err := LoadSigner(fx.signerFile, pass); err == nil || !strings.Contains(err.Error(), "group or others") {
		t.Errorf("world-readable passphrase: %v", err)
	}
	if _, err := LoadSigner(fx.signerFile, writeSecret(t, "wrong")); err == nil {
		t.Error("wrong passphrase accepted")
	}
	if _, err := LoadSigner(fx.signerFile, ""); err == nil {
		t.Error("protected key loaded without passphrase")
	}
}

func writeSecret(t *testing.T, s string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "pass")
	if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func killAgent(home string) {
	c := exec.Command("gpgconf", "--kill", "gpg-agent")
	c.Env = append(os.Environ(), "GNUPGHOME="+home)
	_ = c.Run()
}
