package smime

import (
	"bytes"
	"crypto/aes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/sealgate/sealgate/internal/testpki"
	"github.com/sealgate/sealgate/internal/testtool"
)

// ecTemplate is leafTemplate for an EC key: keyAgreement, not
// keyEncipherment (RFC 5480 §3).
func ecTemplate(addr string) *x509.Certificate {
	tmpl := leafTemplate(addr)
	tmpl.KeyUsage = x509.KeyUsageKeyAgreement | x509.KeyUsageDigitalSignature
	return tmpl
}

func newECRecipient(t *testing.T, p *pki, dir, addr string, curve elliptic.Curve) recipient {
	t.Helper()
	key, err := ecdsa.GenerateKey(curve, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	c := p.issue(t, ecTemplate(addr), &key.PublicKey)
	r := recipient{cert: c, key: key, certFile: path(dir, addr+".crt"), keyFile: path(dir, addr+".key")}
	testpki.WritePEM(t, r.certFile, "CERTIFICATE", c.Raw)
	testpki.WriteKey(t, r.keyFile, key)
	return r
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// aesKeyUnwrap is RFC 3394 §2.2.2, here only to prove aesKeyWrap's
// output round-trips; nothing in the package decrypts.
func aesKeyUnwrap(t *testing.T, kek, wrapped []byte) []byte {
	t.Helper()
	block, err := aes.NewCipher(kek)
	if err != nil {
		t.Fatal(err)
	}
	n := len(wrapped)/8 - 1
	a := binary.BigEndian.Uint64(wrapped[:8])
	r := append([]byte(nil), wrapped[8:]...)
	var b [16]byte
	for j := 5; j >= 0; j-- {
		for i := n; i >= 1; i-- {
			binary.BigEndian.PutUint64(b[:8], a^uint64(n*j+i))
			copy(b[8:], r[8*(i-1):8*i])
			block.Decrypt(b[:], b[:])
			a = binary.BigEndian.Uint64(b[:8])
			copy(r[8*(i-1):], b[8:])
		}
	}
	if a != binary.BigEndian.Uint64(keyWrapIV[:]) {
		t.Fatal("key unwrap: integrity check failed")
	}
	return r
}

func TestAESKeyWrapMatchesRFC3394Vectors(t *testing.T) {
	const kek128 = "000102030405060708090A0B0C0D0E0F"
	const kek256 = kek128 + "101112131415161718191A1B1C1D1E1F"
	for _, v := range []struct{ name, kek, key, want string }{
		{"4.1 128-bit key, 128-bit KEK", kek128, "00112233445566778899AABBCCDDEEFF", "1FA68B0A8112B447 AEF34BD8FB5A7B82 9D3E862371D2CFE5"},
		{"4.3 128-bit key, 256-bit KEK", kek256, "00112233445566778899AABBCCDDEEFF", "64E8C3F9CE0F5BA2 63E9777905818A2A 93C8191E7D6E8AE7"},
		{"4.6 256-bit key, 256-bit KEK", kek256, "00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F",
			"28C9F404C4B810F4 CBCCB35CFB87F826 3F5786E2D80ED326 CBC7F0E71A99F43B FB988B9B7A02DD21"},
	} {
		got, err := aesKeyWrap(unhex(t, v.kek), unhex(t, v.key))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, unhex(t, v.want)) {
			t.Errorf("%s: got %X", v.name, got)
		}
		if back := aesKeyUnwrap(t, unhex(t, v.kek), got); !bytes.Equal(back, unhex(t, v.key)) {
			t.Errorf("%s: unwrap gives %X", v.name, back)
		}
	}
	if _, err := aesKeyWrap(unhex(t, kek256), make([]byte, 12)); err == nil {
		t.Error("a 12-byte key was wrapped")
	}
}

// The X9.63 KDF, over the ECC-CMS-SharedInfo RFC 5753 §7.2 defines (written
// out here byte by byte), agrees with OpenSSL's X963KDF.
func TestX963KDFMatchesOpenSSL(t *testing.T) {
	testtool.Require(t, "openssl")
	z := unhex(t, "96c05619d56c328ab95fe84b18264b08725b85e33fd34f08")
	kek, err := ecdhKEK(sha256.New, z, algorithmIdentifier{Algorithm: oidAES256Wrap}, 32)
	if err != nil {
		t.Fatal(err)
	}
	// SEQUENCE { SEQUENCE { id-aes256-wrap }, [2] { OCTET STRING 256 } }
	const sharedInfo = "3015" + "300b060960864801650304012d" + "a206040400000100"
	out, err := openssl(t, t.TempDir(), "kdf", "-keylen", "32", "-kdfopt", "digest:SHA256",
		"-kdfopt", "hexsecret:"+hex.EncodeToString(z), "-kdfopt", "hexinfo:"+sharedInfo, "X963KDF")
	if err != nil {
		t.Fatal(err)
	}
	want := strings.ReplaceAll(strings.TrimSpace(string(out)), ":", "")
	if !strings.EqualFold(hex.EncodeToString(kek), want) {
		t.Fatalf("KEK %x, openssl %s", kek, want)
	}
}

// TestECDHAndRSARecipientsInOneMessageDecryptWithOpenSSL: one message to an
// RSA, a P-256 and a P-384 recipient, in both content forms; each recipient
// decrypts it with `openssl cms -decrypt`, and openssl reads the
// KeyAgreeRecipientInfo as RFC 5753 writes it.
func TestECDHAndRSARecipientsInOneMessageDecryptWithOpenSSL(t *testing.T) {
	testtool.Require(t, "openssl")
	dir := tempDir(t)
	p := newPKI(t)
	rs := []recipient{
		newRecipient(t, p, dir, "rsa@partner.test", testpki.RSAKey(2048, 2)),
		newECRecipient(t, p, dir, "p256@partner.test", elliptic.P256()),
		newECRecipient(t, p, dir, "p384@partner.test", elliptic.P384()),
	}
	certs := []*x509.Certificate{rs[0].cert, rs[1].cert, rs[2].cert}
	msg := testMessage(t, randomBytes(t, 100_000)) // two cipher segments
	want := innerOf(t, msg)
	for _, cc := range []struct{ cipher, version, content string }{
		{ContentCipherAES256CBC, "version: 2", "aes-256-cbc"},
		{ContentCipherAES256GCM, "version: 0", "aes-256-gcm"},
	} {
		t.Run(cc.cipher, func(t *testing.T) {
			var out bytes.Buffer
			if err := Encrypt(&out, bytes.NewReader(msg), certs, Options{ContentCipher: cc.cipher}); err != nil {
				t.Fatal(err)
			}
			f := path(dir, cc.cipher+".eml")
			if err := os.WriteFile(f, out.Bytes(), 0o600); err != nil {
				t.Fatal(err)
			}
			printed, err := openssl(t, dir, "cms", "-cmsout", "-print", "-in", f)
			if err != nil {
				t.Fatal(err)
			}
			pr := string(printed)
			for _, s := range []string{"d.ktri:", "d.kari:", "d.originatorKey:", "id-ecPublicKey",
				"dhSinglePass-stdDH-sha256kdf-scheme", "dhSinglePass-stdDH-sha384kdf-scheme", "id-aes256-wrap", cc.content} {
				if !strings.Contains(pr, s) {
					t.Errorf("openssl does not see %q", s)
				}
			}
			// The first "version:" is the EnvelopedData's (RFC 5652 §6.1: 2
			// with a kari) or the AuthEnvelopedData's (always 0).
			if i := strings.Index(pr, "version: "); i < 0 || !strings.HasPrefix(pr[i:], cc.version) {
				t.Errorf("outer %s, want %q", pr[i:min(len(pr), i+12)], cc.version)
			}
			for _, r := range rs {
				got, err := openssl(t, dir, "cms", "-decrypt", "-in", f, "-recip", r.certFile, "-inkey", r.keyFile)
				if err != nil || !bytes.Equal(got, want) {
					t.Fatalf("%s: openssl cms -decrypt: %v (%d bytes, want %d)", r.cert.EmailAddresses[0], err, len(got), len(want))
				}
			}
		})
	}
}

// gpgsmECHome is a temporary GNUPGHOME holding r's EC certificate, its
// chain, and its private key. gpgsm 2.2.40 crashes importing an EC PKCS#12
// (measured: SIGSEGV in --import), so the key goes straight into
// gpg-agent's store as the unprotected canonical S-expression it keeps
// (private-keys-v1.d/KEYGRIP.key), under the keygrip gpgsm computes.
func gpgsmECHome(t *testing.T, p *pki, dir string, r recipient) string {
	t.Helper()
	home, err := os.MkdirTemp("", "gs")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		kill := exec.Command("gpgconf", "--kill", "gpg-agent")
		kill.Env = append(os.Environ(), "GNUPGHOME="+home)
		_ = kill.Run()
		os.RemoveAll(home)
	})
	if err := os.Chmod(home, 0o700); err != nil {
		t.Fatal(err)
	}
	// The test root is trusted, so gpgsm also signs with the key (the proof
	// that the key store holds it: TestECDHClientMatrix).
	fpr := sha1.Sum(p.rootCert.Raw)
	if err := os.WriteFile(path(home, "trustlist.txt"), []byte(fmt.Sprintf("%X S relax\n", fpr)), 0o600); err != nil {
		t.Fatal(err)
	}
	chain := path(dir, "ecchain.pem")
	if err := os.WriteFile(chain, testpki.PEM("CERTIFICATE", r.cert.Raw, p.interCert.Raw, p.rootCert.Raw), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := runGpgsm(t, home, "--import", chain); err != nil {
		t.Fatalf("gpgsm --import: %v\n%s", err, out)
	}
	out, err := runGpgsm(t, home, "--with-colons", "--with-keygrip", "--list-keys", r.cert.EmailAddresses[0])
	if err != nil {
		t.Fatalf("gpgsm --list-keys: %v\n%s", err, out)
	}
	var grip string
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Split(line, ":"); f[0] == "grp" && len(f) > 9 {
			grip = f[9]
			break
		}
	}
	if grip == "" {
		t.Fatalf("no keygrip in\n%s", out)
	}
	k := r.key.(*ecdsa.PrivateKey)
	ek, err := k.ECDH()
	if err != nil {
		t.Fatal(err)
	}
	atom := func(b []byte) string { return fmt.Sprintf("%d:%s", len(b), b) }
	curve := "NIST " + k.Curve.Params().Name
	sexp := "(" + atom([]byte("private-key")) + "(" + atom([]byte("ecc")) +
		"(" + atom([]byte("curve")) + atom([]byte(curve)) + ")" +
		"(" + atom([]byte("q")) + atom(ek.PublicKey().Bytes()) + ")" +
		"(" + atom([]byte("d")) + atom(ek.Bytes()) + ")))"
	keys := path(home, "private-keys-v1.d")
	if err := os.MkdirAll(keys, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path(keys, grip+".key"), []byte(sexp), 0o600); err != nil {
		t.Fatal(err)
	}
	return home
}

// TestECDHClientMatrixGpgsm keeps doc.go's ECDH row honest. gpgsm 2.2
// (Debian 12) has no CMS ECDH: it hands the agent's shared point to its RSA
// session-key code ("Invalid session key"), for our messages and for
// openssl's alike. The same key signs, so the key store is not the cause.
// The test fails if a 2.2 ever decrypts (update the matrix) or if a later
// gpgsm does not.
func TestECDHClientMatrixGpgsm(t *testing.T) {
	testtool.RequireAll(t, "Debian packages openssl and gpgsm", "openssl", "gpgsm", "gpgconf")
	dir := tempDir(t)
	p := newPKI(t)
	r := newECRecipient(t, p, dir, "b@partner.test", elliptic.P256())
	home := gpgsmECHome(t, p, dir, r)
	version := gpgsmVersion(t)
	if out, err := runGpgsm(t, home, "--disable-crl-checks", "--sign", "-u", r.cert.EmailAddresses[0], path(dir, "ecchain.pem")); err != nil {
		t.Fatalf("gpgsm %s cannot sign with the EC key, so its decryption result would prove nothing: %v\n%s", version, err, out)
	}
	msg := testMessage(t, randomBytes(t, 1000))
	want := innerOf(t, msg)
	var out bytes.Buffer
	if err := Encrypt(&out, bytes.NewReader(msg), []*x509.Certificate{r.cert}, Options{}); err != nil {
		t.Fatal(err)
	}
	ours := path(dir, "ours.p7m")
	if err := os.WriteFile(ours, smimeBody(t, out.Bytes()), 0o600); err != nil {
		t.Fatal(err)
	}
	plain := path(dir, "plain.txt")
	if err := os.WriteFile(plain, want, 0o600); err != nil {
		t.Fatal(err)
	}
	theirs := path(dir, "openssl.p7m")
	if _, err := openssl(t, dir, "cms", "-encrypt", "-aes256", "-binary", "-in", plain, "-outform", "DER", "-out", theirs,
		"-recip", r.certFile, "-keyopt", "ecdh_kdf_md:sha256"); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{ours, theirs} {
		got, err := runGpgsm(t, home, "--decrypt", f)
		v22 := strings.HasPrefix(version, "2.2.")
		switch {
		case err == nil && bytes.Equal(got, want) && v22:
			t.Errorf("gpgsm %s decrypted ECDH (%s): update the client matrix in doc.go", version, f)
		case err == nil && !bytes.Equal(got, want):
			t.Errorf("gpgsm %s: %s decrypted to different bytes", version, f)
		case err != nil && v22:
			t.Logf("gpgsm %s refuses ECDH, as the matrix says (%s): %s", version, f, bytes.TrimSpace(got))
		case err != nil:
			t.Errorf("gpgsm %s --decrypt %s: %v\n%s", version, f, err, got)
		}
	}
}

func TestEncryptRefusesKeysItCannotAgreeOrWrapFor(t *testing.T) {
	p := newPKI(t)
	p521 := p.issue(t, ecTemplate("p521@partner.test"), p521(t))
	ed := p.issue(t, leafTemplate("ed@partner.test"), ed25519Pub(t))
	for _, c := range []struct {
		cert   *x509.Certificate
		reason string
	}{{p521, reasonCurve + " (P-521)"}, {ed, reasonKeyType}} {
		var out bytes.Buffer
		err := Encrypt(&out, bytes.NewReader(testMessage(t, []byte("x"))), []*x509.Certificate{c.cert}, Options{})
		var ue *UnusableError
		if !errors.As(err, &ue) || ue.Reason != c.reason || out.Len() != 0 {
			t.Errorf("%s: err %v, %d bytes written", c.cert.EmailAddresses[0], err, out.Len())
		}
	}
}
