package dkim

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeKey(t *testing.T, pemBytes []byte, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "k.pem")
	if err := os.WriteFile(p, pemBytes, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil { // umask-proof
		t.Fatal(err)
	}
	return p
}

func TestGeneratedKeyRoundTripsThroughTXTRecord(t *testing.T) {
	d := newTestDNS(t)
	for _, alg := range []string{"rsa", "ed25519"} {
		signer, pemBytes, err := GenerateKey(alg)
		if err != nil {
			t.Fatal(err)
		}
		k, err := LoadKey("Example.com", "gen"+alg, writeKey(t, pemBytes, 0o600))
		if err != nil {
			t.Fatalf("%s: %v", alg, err)
		}
		if !k.Signer.(interface{ Equal(crypto.PrivateKey) bool }).Equal(signer) {
			t.Fatalf("%s: loaded key differs from generated", alg)
		}
		name, value := TXTRecord(k.Domain, k.Selector, k.Signer.Public())
		if name != "gen"+alg+"._domainkey.example.com" || !strings.HasPrefix(value, "v=DKIM1; k="+alg+"; p=") {
			t.Fatalf("%s: TXT %s = %s", alg, name, value)
		}
		d.set(name, value)
		out, _ := signBytes(t, NewSigner([]*Key{k}, nil), crlf(simpleMsg))
		if vs := d.verifyGo(t, out); vs[0].Err != nil {
			t.Fatalf("%s: %v", alg, vs[0].Err)
		}
	}
}

func TestEd25519TXTRecordIsRawKey(t *testing.T) {
	// RFC 8463 §4.2: p= is the bare 32-byte key, not a SubjectPublicKeyInfo.
	_, e := testKeys(t)
	_, v := TXTRecord("example.com", "s", e.Public())
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(v, "v=DKIM1; k=ed25519; p="))
	if err != nil || len(raw) != ed25519.PublicKeySize {
		t.Fatalf("p= decodes to %d bytes (%v)", len(raw), err)
	}
}

func TestLoadKeyReadsPKCS1AndPKCS8(t *testing.T) {
	r, e := testKeys(t)
	pkcs8r, _ := x509.MarshalPKCS8PrivateKey(r)
	pkcs8e, _ := x509.MarshalPKCS8PrivateKey(e)
	for name, b := range map[string]*pem.Block{
		"rsa pkcs1":     {Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(r)},
		"rsa pkcs8":     {Type: "PRIVATE KEY", Bytes: pkcs8r},
		"ed25519 pkcs8": {Type: "PRIVATE KEY", Bytes: pkcs8e},
	} {
		if _, err := LoadKey("example.com", "s", writeKey(t, pem.EncodeToMemory(b), 0o600)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestLoadKeyRefuses1024BitRSA(t *testing.T) {
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p := writeKey(t, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(small)}), 0o600)
	_, err = LoadKey("example.com", "s", p)
	if err == nil || !strings.Contains(err.Error(), "1024 bits") || !strings.HasPrefix(err.Error(), "dkim: ") {
		t.Fatalf("1024-bit key: err = %v", err)
	}
}

func TestLoadKeyRefusesGroupOrOtherReadableFile(t *testing.T) {
	_, pemBytes, err := GenerateKey("ed25519")
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []os.FileMode{0o640, 0o604, 0o644, 0o660} {
		_, err := LoadKey("example.com", "s", writeKey(t, pemBytes, mode))
		if err == nil || !strings.Contains(err.Error(), "readable by group or others") {
			t.Errorf("mode %04o: err = %v", mode, err)
		}
	}
	if _, err := LoadKey("example.com", "s", writeKey(t, pemBytes, 0o400)); err != nil {
		t.Errorf("mode 0400: %v", err)
	}
}

func TestLoadKeyRefusesGarbageAndOtherKeyTypes(t *testing.T) {
	for name, data := range map[string][]byte{
		"not pem":     []byte("hello"),
		"certificate": pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1}}),
		"bad der":     pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1, 2, 3}}),
	} {
		if _, err := LoadKey("example.com", "s", writeKey(t, data, 0o600)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := LoadKey("", "s", "/nonexistent"); err == nil {
		t.Error("empty domain accepted")
	}
	if _, err := LoadKey("example.com", "a;b", "/nonexistent"); err == nil {
		t.Error("selector with ; accepted")
	}
	if _, _, err := GenerateKey("dsa"); err == nil {
		t.Error("GenerateKey(dsa) succeeded")
	}
}

func TestZoneFileTXTSplitsLongValuesInto255ByteStrings(t *testing.T) {
	r, _ := testKeys(t)
	name, value := TXTRecord("example.com", "sel", r.Public())
	z := ZoneFileTXT(name, value)
	if !strings.HasPrefix(z, `sel._domainkey.example.com. IN TXT ( "v=DKIM1; k=rsa; " "p=`) || !strings.HasSuffix(z, `" )`) {
		t.Fatalf("zone line: %s", z)
	}
	inner := strings.TrimSuffix(strings.TrimPrefix(z, "sel._domainkey.example.com. IN TXT ( "), " )")
	var joined strings.Builder
	for _, s := range strings.Split(inner, `" "`) {
		s = strings.Trim(s, `"`)
		if len(s) > 255 {
			t.Errorf("string of %d bytes", len(s))
		}
		joined.WriteString(s)
	}
	if joined.String() != value {
		t.Errorf("strings do not join back to the value")
	}
	if n := strings.Count(inner, `" "`) + 1; n < 3 {
		t.Errorf("a 2048-bit key should need 3 strings, got %d", n)
	}
}
