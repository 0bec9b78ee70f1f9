package pgp

import (
	"bytes"
	"compress/zlib"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// goKey makes a key with the library itself, for tests that need no gpg.
func goKey(t testing.TB, name, addr string) (pub []byte, e *openpgp.Entity) {
	t.Helper()
	e, err := openpgp.NewEntity(name, "", addr, &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := e.Serialize(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), e
}

func armored(t testing.TB, typ string, bin []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := armor.Encode(&b, typ, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(bin)
	w.Close()
	b.WriteString("\n")
	return b.Bytes()
}

func TestParseKeysReadsBinaryArmoredAndConcatenatedBlocks(t *testing.T) {
	b1, e1 := goKey(t, "One", "One@Example.test")
	b2, _ := goKey(t, "Two", "two@example.test")
	ring := append(append([]byte{}, b1...), b2...)
	inputs := map[string][]byte{
		"binary keyring":   ring,
		"armored keyring":  armored(t, "PGP PUBLIC KEY BLOCK", ring),
		"two armor blocks": append(append([]byte("junk before\n"), armored(t, "PGP PUBLIC KEY BLOCK", b1)...), armored(t, "PGP PUBLIC KEY BLOCK", b2)...),
	}
	for name, in := range inputs {
		keys, err := ParseKeys(bytes.NewReader(in))
		if err != nil || len(keys) != 2 {
			t.Fatalf("%s: %d keys, %v", name, len(keys), err)
		}
		if keys[0].Fingerprint() != strings.ToUpper(fmtHex(e1.PrimaryKey.Fingerprint)) {
			t.Errorf("%s: fingerprint %s", name, keys[0].Fingerprint())
		}
		if a := keys[0].Addresses(); len(a) != 1 || a[0] != "one@example.test" {
			t.Errorf("%s: addresses %v", name, a)
		}
		if err := CheckRecipient(keys[0], "ONE@example.test", time.Now()); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func fmtHex(b []byte) string {
	const h = "0123456789abcdef"
	var s strings.Builder
	for _, c := range b {
		s.WriteByte(h[c>>4])
		s.WriteByte(h[c&15])
	}
	return s.String()
}

func TestArmoredKeyRoundTripsAndGPGImportsIt(t *testing.T) {
	bin, _ := goKey(t, "Round", "round@example.test")
	keys, err := ParseKeys(bytes.NewReader(bin))
	if err != nil {
		t.Fatal(err)
	}
	arm, err := keys[0].Armored()
	if err != nil {
		t.Fatal(err)
	}
	again, err := ParseKeys(strings.NewReader(arm))
	if err != nil || again[0].Fingerprint() != keys[0].Fingerprint() {
		t.Fatalf("round trip: %v", err)
	}
	fx := needGPG(t)
	out, err := runGPG(fx.home, []byte(fx.mustArmor(t, "bob")), "--import-options", "show-only", "--with-colons", "--import")
	if err != nil || !strings.Contains(string(out), fx.fpr["bob"]) {
		t.Fatalf("gpg does not read our armor of bob's key: %v\n%s", err, out)
	}
}

func (fx *gpgFixture) mustArmor(t *testing.T, who string) string {
	a, err := fx.keys[who].Armored()
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestSecretKeysAreRefused(t *testing.T) {
	_, e := goKey(t, "Sec", "sec@example.test")
	var b bytes.Buffer
	if err := e.SerializePrivate(&b, nil); err != nil {
		t.Fatal(err)
	}
	for name, in := range map[string][]byte{
		"binary":  b.Bytes(),
		"armored": armored(t, "PGP PRIVATE KEY BLOCK", b.Bytes()),
	} {
		keys, err := ParseKeys(bytes.NewReader(in))
		if err == nil || len(keys) != 0 || !strings.Contains(err.Error(), "secret key") {
			t.Errorf("%s: %d keys, %v", name, len(keys), err)
		}
	}
}

func TestOneBadKeyDoesNotHideTheOthers(t *testing.T) {
	good, _ := goKey(t, "Good", "good@example.test")
	// A primary key packet with a garbage body, then a good key.
	bad := []byte{0xc0 | tagPublicKey, 3, 4, 0, 0}
	keys, err := ParseKeys(bytes.NewReader(append(bad, good...)))
	if len(keys) != 1 || keys[0].Addresses()[0] != "good@example.test" {
		t.Fatalf("keys %d", len(keys))
	}
	if err == nil || !strings.Contains(err.Error(), "pgp: key 1:") {
		t.Fatalf("error %v", err)
	}
}

// newPacket frames body as a new-format packet with a 4-byte length.
func newPacket(tag byte, body []byte) []byte {
	n := len(body)
	return append([]byte{0xc0 | tag, 255, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}, body...)
}

func TestHostileKeyInputsEndInErrorsWithinLimits(t *testing.T) {
	good, _ := goKey(t, "Good", "good@example.test")
	// A zlib bomb: 16 MiB of zeros in about 16 KiB, as a compressed packet.
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(make([]byte, 16<<20))
	zw.Close()
	bomb := newPacket(tagCompressed, append([]byte{2}, z.Bytes()...))
	// Compressed packets nested 10,000 deep (each wraps the next, stored),
	// built outside-in without copying the inner levels again and again.
	const depth = 10000
	var nested []byte
	for i := 0; i < depth; i++ {
		n := len(good) + (depth-i)*1 + (depth-i-1)*6
		nested = append(nested, 0xc0|tagCompressed, 255, byte(n>>24), byte(n>>16), byte(n>>8), byte(n), 0)
	}
	nested = append(nested, good...)
	// Certification flooding: one key with 5,000 signature packets.
	flood := append([]byte{}, good...)
	for i := 0; i < 5000; i++ {
		flood = append(flood, newPacket(tagSignature, []byte{4, 0x10, 1, 8, 0, 0, 0, 0})...)
	}
	// One key over 1 MiB: a 600 KiB user attribute, twice.
	big := append([]byte{}, good...)
	big = append(big, newPacket(tagUserAttribute, make([]byte, 600<<10))...)
	big = append(big, newPacket(tagUserAttribute, make([]byte, 600<<10))...)
	// A DSA primary key with a 65,535-bit p and q: each self-signature check
	// would be a modular exponentiation of that size.
	mpi := func(bits int) []byte {
		return append([]byte{byte(bits >> 8), byte(bits)}, bytes.Repeat([]byte{0xff}, (bits+7)/8)...)
	}
	dsaBody := []byte{4, 0, 0, 0, 1, 17}
	for _, b := range []int{65535, 65535, 2048, 2048} {
		dsaBody = append(dsaBody, mpi(b)...)
	}
	hugeDSA := append(newPacket(tagPublicKey, dsaBody), good[len(good)-200:]...)
	cases := map[string][]byte{
		"huge DSA key":            hugeDSA,
		"zlib bomb alone":         bomb,
		"zlib bomb after a key":   append(append([]byte{}, good...), bomb...),
		"zlib bomb in armor":      armored(t, "PGP PUBLIC KEY BLOCK", bomb),
		"deeply nested packets":   nested,
		"signature flooding":      flood,
		"key over 1 MiB":          big,
		"input over 10 MiB":       bytes.Repeat(good, MaxKeyringBytes/len(good)+1),
		"partial body length":     append(append([]byte{}, good...), 0xc0|tagSignature, 0xe5, 1, 2),
		"indeterminate length":    append(append([]byte{}, good...), 0x80|tagSignature<<2|3, 1, 2),
		"length beyond input":     append(append([]byte{}, good...), newPacket(tagSignature, []byte{1})[:4]...),
		"huge declared length":    append([]byte{0xc0 | tagPublicKey, 255, 0x7f, 0xff, 0xff, 0xff}, good...),
		"literal data packet":     append(append([]byte{}, good...), newPacket(11, []byte("b\x00\x00\x00\x00\x00hello"))...),
		"message armor":           armored(t, "PGP MESSAGE", good),
		"not openpgp":             []byte("hello, world\n"),
		"empty":                   nil,
		"signature before a key":  newPacket(tagSignature, []byte{4}),
		"armor with bad checksum": bytes.Replace(armored(t, "PGP PUBLIC KEY BLOCK", good), []byte("\n="), []byte("\n=AAAA"), 1),
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() {
				keys, err := ParseKeys(bytes.NewReader(in))
				if len(keys) > 0 && err == nil {
					err = errors.New("accepted")
				}
				done <- err
			}()
			select {
			case err := <-done:
				t.Log(err)
				if err == nil || err.Error() == "accepted" {
					t.Fatalf("hostile input accepted: %v", err)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("ParseKeys hangs")
			}
		})
	}
}

func FuzzParseKeys(f *testing.F) {
	good, e := goKey(f, "Fuzz", "fuzz@example.test")
	f.Add(good)
	f.Add(armored(f, "PGP PUBLIC KEY BLOCK", good))
	var sec bytes.Buffer
	e.SerializePrivate(&sec, nil)
	f.Add(sec.Bytes())
	f.Add([]byte("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nxsBN\n-----END PGP PUBLIC KEY BLOCK-----\n"))
	f.Add(newPacket(tagCompressed, []byte{1, 0, 0}))
	f.Add([]byte{0x99, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		keys, _ := ParseKeys(bytes.NewReader(data))
		for _, k := range keys {
			k.Fingerprint()
			k.Addresses()
			if _, err := k.Armored(); err != nil {
				t.Fatal(err)
			}
			for _, a := range k.Addresses() {
				CheckRecipient(k, a, time.Now())
			}
			recipientEntity(k, time.Now())
		}
	})
}
