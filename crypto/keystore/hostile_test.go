package keystore

import (
	"bytes"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/smallstep/pkcs7"
)

// parseOnly runs the import parsers without a store.
func parseOnly(data []byte) *importer {
	p := &importer{now: testNow, base: "f", source: "local:f", seen: map[string]int{}}
	p.parse(data)
	return p
}

// signedDataPrefix is a ContentInfo header with the signedData OID, so
// the input goes to the PKCS#7 parser.
func signedDataPrefix(body []byte) []byte {
	oid := []byte{0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02}
	inner := append(append([]byte{}, oid...), body...)
	return append([]byte{0x30, 0x80}, append(inner, 0, 0)...)
}

func TestHostilePKCS7IsRefusedNotParsed(t *testing.T) {
	deep := bytes.Repeat([]byte{0x30, 0x80}, 400000) // ~800 KB of nested indefinite lengths
	// Many children of an indefinite-length element and no 00 00 anywhere:
	// pkcs7's ber2der would search the rest of the input after each one.
	wide := append([]byte{0xa0, 0x80}, bytes.Repeat([]byte{0x04, 0x01, 0x01}, 300000)...)
	overrun := []byte{0x30, 0x03, 0x30, 0x05, 0x04, 0x03, 0x01, 0x02, 0x03}
	cases := map[string]struct {
		data   []byte
		reason string
	}{
		"deep":     {signedDataPrefix(deep), "nested too deep"},
		"wide":     {signedDataPrefix(wide), "indefinite-length"},
		"overrun":  {signedDataPrefix(overrun), "overruns"},
		"too-big":  {signedDataPrefix(make([]byte, maxPKCS7Bytes)), "too large"},
		"pem-deep": {pem.EncodeToMemory(&pem.Block{Type: "PKCS7", Bytes: signedDataPrefix(deep)}), "nested too deep"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			p := parseOnly(c.data)
			if len(p.entries) != 0 || len(p.refused) != 1 || !strings.Contains(p.refused[0].Reason, c.reason) {
				t.Fatalf("refused = %+v, want reason containing %q", p.refused, c.reason)
			}
		})
	}
}

func TestBERCheckAcceptsRealBundles(t *testing.T) {
	var certs []byte
	for range 5 {
		certs = append(certs, makeCert(t, certSpec{cn: "c", emails: []string{"a@example.org"}})...)
	}
	bundle, err := pkcs7.DegenerateCertificate(certs)
	if err != nil {
		t.Fatal(err)
	}
	if err := berCheck(bundle); err != nil {
		t.Fatal(err)
	}
	// The same bundle with its outer SEQUENCE in indefinite-length form,
	// as some Windows exports have it.
	if bundle[1] != 0x82 {
		t.Skipf("outer length form %#x", bundle[1])
	}
	ber := append([]byte{0x30, 0x80}, bundle[4:]...)
	ber = append(ber, 0, 0)
	if err := berCheck(ber); err != nil {
		t.Fatal(err)
	}
	if p := parseOnly(ber); len(p.entries) != 5 {
		t.Fatalf("BER bundle: %d entries, refused %+v", len(p.entries), p.refused)
	}
}

func TestHostileOpenPGPInputEndsInRefusal(t *testing.T) {
	k := makeKey(t, keySpec{name: "H", email: "h@example.org"})
	good := binaryPublic(t, k)
	cases := map[string][]byte{
		"truncated":         good[:len(good)/2],
		"bad-armor":         []byte("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n!!!!\n-----END PGP PUBLIC KEY BLOCK-----\n"),
		"no-end":            []byte("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nabcd\n"),
		"huge-length":       {0xc6, 0xff, 0x7f, 0xff, 0xff, 0xff, 0x04},
		"partial-lengths":   append([]byte{0xc6, 0xe1}, bytes.Repeat([]byte{0xe1, 0x00, 0x00}, 1000)...),
		"compressed-bomb":   append([]byte{0xc8, 0x80}, bytes.Repeat([]byte{0}, 1000)...),
		"userid-no-sig":     append([]byte{0xcd, 0x03}, []byte("a@b")...),
		"many-junk-packets": bytes.Repeat([]byte{0xc2, 0x01, 0x00}, 100000),
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			done := make(chan *importer, 1)
			go func() { done <- parseOnly(data) }()
			select {
			case p := <-done:
				if len(p.entries) != 0 || len(p.refused) == 0 {
					t.Fatalf("entries %d refused %+v", len(p.entries), p.refused)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("parser did not return")
			}
		})
	}
}

// FuzzImport feeds arbitrary bytes to the import parsers: no panic (a
// recovered one would show as "parser failure"), no entry without an
// address, and bounded time (the fuzzer's own hang detection).
func FuzzImport(f *testing.F) {
	der := makeCert(f, certSpec{cn: "f", emails: []string{"f@example.org"}})
	bundle, _ := pkcs7.DegenerateCertificate(der)
	k := makeKey(f, keySpec{name: "F", email: "f@example.org"})
	f.Add(der)
	f.Add(pemCert(der))
	f.Add(bundle)
	f.Add(armoredPublic(f, k))
	f.Add(binaryPublic(f, k))
	f.Add(signedDataPrefix([]byte{0x30, 0x80, 0x30, 0x80, 0, 0, 0, 0}))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := parseOnly(data)
		for _, r := range p.refused {
			if strings.Contains(r.Reason, "parser failure") {
				t.Fatalf("parser panicked on input")
			}
		}
		for _, e := range p.entries {
			if len(e.Addresses) == 0 || e.Fingerprint == "" || len(e.Data) == 0 {
				t.Fatalf("bad entry %+v", e)
			}
		}
	})
}
