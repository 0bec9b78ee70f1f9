package keystore

import (
	"encoding/base64"
	"strings"
	"testing"
)

func autocryptHeader(addr string, key []byte) string {
	return "addr=" + addr + "; prefer-encrypt=mutual; keydata=\r\n " + base64.StdEncoding.EncodeToString(key)
}

func TestAutocryptHeaderTeachesTheSendersKey(t *testing.T) {
	s := openTestStore(t, t.TempDir(), newClock())
	k := makeKey(t, keySpec{name: "H", email: "hana@example.org"})
	e, err := s.HarvestAutocrypt("Hana@Example.org", autocryptHeader("hana@example.org", binaryPublic(t, k)))
	if err != nil {
		t.Fatal(err)
	}
	if e.Source != "harvest" || e.Kind != PGP {
		t.Fatalf("entry = %+v", e)
	}
	if got := lookup(t, s, "hana@example.org"); len(got) != 1 || got[0].Source != "harvest" {
		t.Fatalf("lookup = %+v", got)
	}
}

func TestAutocryptHarvestRefusesMismatchesAndKeepsAdminKeys(t *testing.T) {
	s := openTestStore(t, t.TempDir(), newClock())
	k := makeKey(t, keySpec{name: "H", email: "hana@example.org"})
	other := makeKey(t, keySpec{name: "M", email: "mallory@example.org"})
	cases := map[string]struct{ from, header, want string }{
		"addr-not-sender":   {"eve@example.org", autocryptHeader("hana@example.org", binaryPublic(t, k)), "not the sender"},
		"key-for-other":     {"hana@example.org", autocryptHeader("hana@example.org", binaryPublic(t, other)), "no key with a user ID"},
		"critical-unknown":  {"hana@example.org", "addr=hana@example.org; future=1; keydata=AAAA", "critical"},
		"bad-base64":        {"hana@example.org", "addr=hana@example.org; keydata=!!!", "bad keydata"},
		"private-key":       {"hana@example.org", autocryptHeader("hana@example.org", binaryPrivate(t, k)), refusePrivate},
		"oversized-keydata": {"hana@example.org", "addr=hana@example.org; keydata=" + strings.Repeat("A", 100000), "too large"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := s.HarvestAutocrypt(c.from, c.header); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
	if all, _ := s.List(0); len(all) != 0 {
		t.Fatalf("stored %+v", all)
	}

	admin := makeKey(t, keySpec{name: "H", email: "hana@example.org"})
	mustImport(t, s, "hana.asc", armoredPublic(t, admin))
	e, err := s.HarvestAutocrypt("hana@example.org", autocryptHeader("hana@example.org", binaryPublic(t, k)))
	if err != nil || e.Source != "local:hana.asc" {
		t.Fatalf("harvest over admin key: %+v, %v", e, err)
	}
	if got := lookup(t, s, "hana@example.org"); len(got) != 1 || got[0].Source != "local:hana.asc" {
		t.Fatalf("lookup = %+v", got)
	}
}
