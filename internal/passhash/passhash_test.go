package passhash

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"
)

func argon2idHash(password string) string {
	salt := []byte("0123456789abcdef")
	key := argon2.IDKey([]byte(password), salt, 1, 8*1024, 1, 32)
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", 8*1024, 1, 1,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

func TestBcryptAndArgon2idHashesVerifyTheirPasswordOnly(t *testing.T) {
	b, err := New([]byte("correct horse"), MinCost)
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]string{"bcrypt": b, "argon2id": argon2idHash("correct horse")} {
		h, err := Parse(s)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !h.Verify("correct horse") {
			t.Errorf("%s: right password refused", name)
		}
		if h.Verify("correct horsf") || h.Verify("") {
			t.Errorf("%s: wrong password accepted", name)
		}
	}
}

func TestParseRefusesPlainPasswordsAndMalformedHashes(t *testing.T) {
	b, _ := New([]byte("pw"), MinCost)
	good := argon2idHash("pw")
	parts := strings.Split(good, "$")
	with := func(i int, v string) string {
		p := append([]string(nil), parts...)
		p[i] = v
		return strings.Join(p, "$")
	}
	for name, s := range map[string]string{
		"empty":             "",
		"plain password":    "hunter2",
		"bcrypt too long":   b + "x",
		"bcrypt too short":  b[:59],
		"bcrypt bad cost":   "$2b$99" + b[6:],
		"unknown scheme":    "$1$abc$def",
		"argon2i":           strings.Replace(good, "argon2id", "argon2i", 1),
		"argon2id v=16":     with(2, "v=16"),
		"argon2id m=0":      with(3, "m=0,t=1,p=1"),
		"argon2id p=256":    with(3, "m=8192,t=1,p=256"),
		"argon2id no salt":  with(4, ""),
		"argon2id bad salt": with(4, "!!"),
		"argon2id short":    with(5, base64.RawStdEncoding.EncodeToString(make([]byte, 15))),
		"argon2id 5 fields": strings.Join(parts[:5], "$"),
	} {
		if _, err := Parse(s); err == nil {
			t.Errorf("%s: %q accepted", name, s)
		}
		if Valid(s) {
			t.Errorf("%s: Valid(%q)", name, s)
		}
	}
	if !Valid(b) || !Valid(good) {
		t.Error("good hashes not Valid")
	}
}

func TestZeroHashMatchesNothing(t *testing.T) {
	if (Hash{}).Verify("") {
		t.Error("zero Hash matched the empty password")
	}
}
