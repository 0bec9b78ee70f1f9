package keystore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/smallstep/pkcs7"
)

func mustImport(t *testing.T, s *Store, name string, data []byte) ImportResult {
	t.Helper()
	res, err := s.Import(name, data)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func lookup(t testing.TB, s *Store, addr string) []Entry {
	t.Helper()
	es, err := s.Lookup(context.Background(), addr)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func fingerprints(es []Entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Fingerprint)
	}
	return out
}

func derFingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

func TestPEMCertificatesAreIndexedUnderEveryAddress(t *testing.T) {
	s := openTestStore(t, t.TempDir(), newClock())
	a := makeCert(t, certSpec{cn: "Dr A", emails: []string{"Alice@Clinic.Example", "a2@clinic.example"}})
	b := makeCert(t, certSpec{cn: "Dr B", subjEmail: "bob@clinic.example"})
	data := append(append([]byte("some text before\n"), pemCert(a)...), pemCert(b)...)
	res := mustImport(t, s, "/tmp/dir/certs.pem", data)
	if len(res.Imported) != 2 || len(res.Refused) != 0 {
		t.Fatalf("imported %d refused %v", len(res.Imported), res.Refused)
	}
	e := res.Imported[0]
	if e.Kind != SMIME || e.Fingerprint != derFingerprint(a) || e.Source != "local:certs.pem" || !bytes.Equal(e.Data, a) {
		t.Errorf("entry = %+v", e)
	}
	if !slices.Equal(e.Addresses, []string{"alice@clinic.example", "a2@clinic.example"}) {
		t.Errorf("addresses = %v", e.Addresses)
	}
	if got := fingerprints(lookup(t, s, "a2@clinic.example")); !slices.Equal(got, []string{derFingerprint(a)}) {
		t.Errorf("lookup a2 = %v", got)
	}
	if got := fingerprints(lookup(t, s, "bob@clinic.example")); !slices.Equal(got, []string{derFingerprint(b)}) {
		t.Errorf("subject emailAddress not indexed: %v", got)
	}
}

func TestLookupFoldsCaseOfLocalPartAndDomain(t *testing.T) {
	s := openTestStore(t, t.TempDir(), newClock())
	der := makeCert(t, certSpec{cn: "x", emails: []string{"Joe.Doe@Example.ORG"}})
	mustImport(t, s, "c.der", der)
	for _, q := range []string{"joe.doe@example.org", "JOE.DOE@EXAMPLE.ORG", " <Joe.Doe@example.org> "} {
		if got := lookup(t, s, q); len(got) != 1 {
			t.Errorf("Lookup(%q) = %d entries, want 1", q, len(got))
		}
	}
	if got := lookup(t, s, "joe.doe2@example.org"); len(got) != 0 {
		t.Errorf("other local part found %d entries", len(got))
	}
	if _, err := s.Lookup(context.Background(), "no-at-sign"); err == nil {
		t.Error("non-address looked up without error")
	}
}

func TestDERCertificateImports(t *testing.T) {
	s := openTestStore(t, t.TempDir(), newClock())
	der := makeCert(t, certSpec{cn: "x", emails: []string{"d@example.org"}})
	res := mustImport(t, s, "c.cer", der)
	if len(res.Imported) != 1 || res.Imported[0].Fingerprint != derFingerprint(der) {
		t.Fatalf("%+v", res)
	}
	if !res.Imported[0].NotAfter.Equal(testNow.Add(365 * 24 * time.Hour)) {
		t.Errorf("NotAfter = %v", res.Imported[0].NotAfter)
	}
}

func TestPKCS7BundleImportsLeafAndRefusesCA(t *testing.T) {
	leaf := makeCert(t, certSpec{cn: "leaf", emails: []string{"p7@example.org"}})
	ca := makeCert(t, certSpec{cn: "Some CA", isCA: true})
	bundle, err := pkcs7.DegenerateCertificate(append(append([]byte{}, leaf...), ca...))
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"b.p7b": bundle,
		"b.p7c": pem.EncodeToMemory(&pem.Block{Type: "PKCS7", Bytes: bundle}),
	} {
		t.Run(name, func(t *testing.T) {
			s := openTestStore(t, t.TempDir(), newClock())
			res := mustImport(t, s, name, data)
			if len(res.Imported) != 1 || res.Imported[0].Fingerprint != derFingerprint(leaf) {
				t.Fatalf("imported %+v", res.Imported)
			}
			if len(res.Refused) != 1 || !strings.Contains(res.Refused[0].Reason, "CA certificate") || !strings.Contains(res.Refused[0].Item, "Some CA") {
				t.Fatalf("refused %+v", res.Refused)
			}
			if len(lookup(t, s, "p7@example.org")) != 1 {
				t.Error("leaf not found by address")
			}
		})
	}
}

func TestOpenPGPKeyringsImportArmoredAndBinary(t *testing.T) {
	k1 := makeKey(t, keySpec{name: "Alice", email: "Alice@Example.org", lifetime: 3600 * 24 * 400})
	k2 := makeKey(t, keySpec{name: "Bob", email: "bob@example.org"})
	fp1 := strings.ToUpper(hex.EncodeToString(k1.PrimaryKey.Fingerprint))
	for name, data := range map[string][]byte{
		"ring.asc": armoredPublic(t, k1, k2),
		"ring.gpg": binaryPublic(t, k1, k2),
	} {
		t.Run(name, func(t *testing.T) {
			s := openTestStore(t, t.TempDir(), newClock())
			res := mustImport(t, s, name, data)
			if len(res.Imported) != 2 || len(res.Refused) != 0 {
				t.Fatalf("imported %d refused %v", len(res.Imported), res.Refused)
			}
			got := lookup(t, s, "alice@example.org")
			if len(got) != 1 || got[0].Kind != PGP || got[0].Fingerprint != fp1 || got[0].Source != "local:"+name {
				t.Fatalf("lookup = %+v", got)
			}
			wantExp := testNow.Add(-time.Hour).Add(400 * 24 * time.Hour)
			if !got[0].NotAfter.Equal(wantExp) {
				t.Errorf("NotAfter = %v, want %v", got[0].NotAfter, wantExp)
			}
			// Data is a transferable public key that parses back.
			back := &importer{now: testNow, base: "x", seen: map[string]int{}}
			back.parse(got[0].Data)
			if len(back.entries) != 1 || back.entries[0].Fingerprint != fp1 {
				t.Errorf("stored data does not parse back: %+v", back.refused)
			}
			if len(lookup(t, s, "BOB@example.org")) != 1 {
				t.Error("second key of the ring not found")
			}
		})
	}
}

func TestPEMAndArmoredBlocksInOneFile(t *testing.T) {
	s := openTestStore(t, t.TempDir(), newClock())
	der := makeCert(t, certSpec{cn: "m", emails: []string{"mixed@example.org"}})
	k := makeKey(t, keySpec{name: "M", email: "mixed@example.org"})
	data := append(pemCert(der), armoredPublic(t, k)...)
	res := mustImport(t, s, "mixed.txt", data)
	if len(res.Imported) != 2 {
		t.Fatalf("%+v", res)
	}
	got := lookup(t, s, "mixed@example.org")
	if len(got) != 2 || got[0].Kind != PGP || got[1].Kind != SMIME {
		t.Fatalf("lookup = %+v", got)
	}
}

func TestImportRefusesWithReasons(t *testing.T) {
	secret := makeKey(t, keySpec{name: "S", email: "s@example.org"})
	expiredKey := makeKey(t, keySpec{name: "E", email: "e@example.org", created: testNow.Add(-48 * time.Hour), lifetime: 3600})
	nameOnly := makeKey(t, keySpec{name: "Nobody"})
	cases := []struct {
		name   string
		data   []byte
		reason string
	}{
		{"no-email.pem", pemCert(makeCert(t, certSpec{cn: "server", dns: []string{"mx.example.org"}})), "no email address"},
		{"expired.pem", pemCert(makeCert(t, certSpec{cn: "old", emails: []string{"o@example.org"}, notBefore: testNow.AddDate(-2, 0, 0), notAfter: testNow.AddDate(-1, 0, 0)})), "certificate expired on 2025-03-01"},
		{"secret.asc", armoredPrivate(t, secret), refusePrivate},
		{"secret.gpg", binaryPrivate(t, secret), refusePrivate},
		{"key.pem", pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: []byte{1, 2, 3}}), refusePrivate},
		{"pk8.pem", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1, 2, 3}}), refusePrivate},
		{"expired.asc", armoredPublic(t, expiredKey), "key expired on"},
		{"noaddr.asc", armoredPublic(t, nameOnly), "no user ID with an email address"},
		{"garbage.bin", []byte("hello, this is not a key\n"), "not a certificate, PKCS#7 bundle or OpenPGP key"},
		{"garbage.der", []byte{0x30, 0x03, 0x02, 0x01, 0x01}, "not a certificate or PKCS#7 bundle"},
		{"empty", []byte("  \n"), "empty"},
		{"csr.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: []byte{1}}), "unsupported PEM block"},
		{"sig.asc", []byte("-----BEGIN PGP SIGNATURE-----\n\nabcd\n-----END PGP SIGNATURE-----\n"), "not a public key"},
	}
	s := openTestStore(t, t.TempDir(), newClock())
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := mustImport(t, s, c.name, c.data)
			if len(res.Imported) != 0 {
				t.Fatalf("imported %+v", res.Imported)
			}
			if len(res.Refused) != 1 || !strings.Contains(res.Refused[0].Reason, c.reason) {
				t.Fatalf("refused = %+v, want reason containing %q", res.Refused, c.reason)
			}
			if !strings.HasPrefix(res.Refused[0].Item, c.name) {
				t.Errorf("item %q does not name the file", res.Refused[0].Item)
			}
		})
	}
	if all, _ := s.List(0); len(all) != 0 {
		t.Errorf("store holds %d entries after refusals only", len(all))
	}
}

func TestImportingARevokedKeyRemovesTheStoredCopy(t *testing.T) {
	s := openTestStore(t, t.TempDir(), newClock())
	k := makeKey(t, keySpec{name: "R", email: "r@example.org"})
	mustImport(t, s, "r.asc", armoredPublic(t, k))
	if len(lookup(t, s, "r@example.org")) != 1 {
		t.Fatal("not imported")
	}
	if err := k.RevokeKey(packet.KeyCompromised, "", &packet.Config{Time: func() time.Time { return testNow }}); err != nil {
		t.Fatal(err)
	}
	res := mustImport(t, s, "r-revoked.asc", armoredPublic(t, k))
	if len(res.Imported) != 0 || len(res.Refused) != 1 || !strings.Contains(res.Refused[0].Reason, "revoked") {
		t.Fatalf("%+v", res)
	}
	if got := lookup(t, s, "r@example.org"); len(got) != 0 {
		t.Fatalf("revoked key still found: %+v", got)
	}
}

func TestReimportReplacesTheEntry(t *testing.T) {
	s := openTestStore(t, t.TempDir(), newClock())
	k := makeKey(t, keySpec{name: "A", email: "old@example.org"})
	mustImport(t, s, "1.asc", armoredPublic(t, k))
	mustImport(t, s, "2.asc", armoredPublic(t, k))
	all, _ := s.List(0)
	if len(all) != 1 || all[0].Source != "local:2.asc" {
		t.Fatalf("list = %+v", all)
	}
}

func TestListExpiringShowsOnlyEntriesExpiringSoon(t *testing.T) {
	s := openTestStore(t, t.TempDir(), newClock())
	soon := makeCert(t, certSpec{cn: "soon", emails: []string{"soon@example.org"}, notAfter: testNow.Add(10 * 24 * time.Hour)})
	later := makeCert(t, certSpec{cn: "later", emails: []string{"later@example.org"}, notAfter: testNow.Add(90 * 24 * time.Hour)})
	forever := makeKey(t, keySpec{name: "F", email: "f@example.org"})
	soonKey := makeKey(t, keySpec{name: "K", email: "k@example.org", lifetime: 20 * 24 * 3600})
	mustImport(t, s, "a.pem", append(pemCert(later), pemCert(soon)...))
	mustImport(t, s, "k.asc", armoredPublic(t, forever, soonKey))
	all, err := s.List(0)
	if err != nil || len(all) != 4 {
		t.Fatalf("List(0) = %d, %v", len(all), err)
	}
	exp, err := s.List(30 * 24 * time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{derFingerprint(soon), strings.ToUpper(hex.EncodeToString(soonKey.PrimaryKey.Fingerprint))}
	if got := fingerprints(exp); !slices.Equal(got, want) {
		t.Fatalf("expiring = %v, want %v", got, want)
	}
}

func TestRemoveByFingerprintOrAddress(t *testing.T) {
	s := openTestStore(t, t.TempDir(), newClock())
	c1 := makeCert(t, certSpec{cn: "1", emails: []string{"one@example.org", "shared@example.org"}})
	c2 := makeCert(t, certSpec{cn: "2", emails: []string{"two@example.org", "shared@example.org"}})
	k := makeKey(t, keySpec{name: "K", email: "k@example.org"})
	mustImport(t, s, "c.pem", append(pemCert(c1), pemCert(c2)...))
	mustImport(t, s, "k.asc", armoredPublic(t, k))

	// Fingerprint in another case and with colons.
	fp := strings.ToLower(hex.EncodeToString(k.PrimaryKey.Fingerprint))
	var colons []string
	for i := 0; i < len(fp); i += 2 {
		colons = append(colons, fp[i:i+2])
	}
	if n, err := s.Remove(strings.Join(colons, ":")); err != nil || n != 1 {
		t.Fatalf("Remove(fingerprint) = %d, %v", n, err)
	}
	if len(lookup(t, s, "k@example.org")) != 0 {
		t.Error("removed key still found")
	}
	if n, err := s.Remove("Shared@Example.org"); err != nil || n != 2 {
		t.Fatalf("Remove(addr) = %d, %v", n, err)
	}
	for _, a := range []string{"one@example.org", "two@example.org", "shared@example.org"} {
		if len(lookup(t, s, a)) != 0 {
			t.Errorf("%s still found", a)
		}
	}
	if n, _ := s.Remove("DEADBEEF"); n != 0 {
		t.Errorf("Remove(unknown) = %d", n)
	}
}

func TestEntriesSurviveReopen(t *testing.T) {
	dir := t.TempDir()
	clock := newClock()
	s, err := Open(Options{Dir: dir, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	der := makeCert(t, certSpec{cn: "p", emails: []string{"persist@example.org"}})
	if _, err := s.Import("p.pem", pemCert(der)); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := openTestStore(t, dir, clock)
	got := lookup(t, s2, "persist@example.org")
	if len(got) != 1 || !bytes.Equal(got[0].Data, der) || !got[0].Imported.Equal(testNow) {
		t.Fatalf("after reopen: %+v", got)
	}
}

func TestSecondOpenOfTheSameStoreReportsBusy(t *testing.T) {
	dir := t.TempDir()
	openTestStore(t, dir, newClock())
	_, err := Open(Options{Dir: dir, OpenTimeout: 100 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "busy") {
		t.Fatalf("second Open: %v", err)
	}
}

func TestOpenRejectsUnknownLookupSource(t *testing.T) {
	_, err := Open(Options{Dir: t.TempDir(), Lookup: []string{"local", "ldap"}})
	if err == nil || !strings.Contains(err.Error(), `"ldap"`) {
		t.Fatalf("err = %v", err)
	}
}

// BenchmarkLookupLocalHit measures Lookup of an address with an S/MIME
// certificate and a PGP key among 201 entries, served from the cache.
func BenchmarkLookupLocalHit(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		es, err := s.Lookup(ctx, "User100@example.org")
		if err != nil || len(es) != 2 {
			b.Fatal(len(es), err)
		}
	}
}

// BenchmarkLookupLocalHitUncached is the same read from bbolt and decoded
// (the first lookup of an address after a start or an import).
func BenchmarkLookupLocalHitUncached(b *testing.B) {
	s := benchStore(b)
	b.ReportAllocs()
	for b.Loop() {
		es, err := s.readLocal("user100@example.org")
		if err != nil || len(es) != 2 {
			b.Fatal(len(es), err)
		}
	}
}

func benchStore(b *testing.B) *Store {
	s := openTestStore(b, b.TempDir(), newClock())
	var pemData []byte
	for i := range 200 {
		pemData = append(pemData, pemCert(makeCert(b, certSpec{cn: "b", emails: []string{fmt.Sprintf("user%d@example.org", i)}}))...)
	}
	if _, err := s.Import("bench.pem", pemData); err != nil {
		b.Fatal(err)
	}
	k := makeKey(b, keySpec{name: "U", email: "user100@example.org"})
	if _, err := s.Import("k.asc", armoredPublic(b, k)); err != nil {
		b.Fatal(err)
	}
	return s
}

// A DER certificate whose last byte looks like white space (its signature
// ends in 0x0a, 0x20, ...: about one in sixty) imports as it is. It used to
// be trimmed and refused as malformed, which made a gateway test flaky.
func TestDERCertificateEndingInAWhitespaceByteImports(t *testing.T) {
	s := openTestStore(t, t.TempDir(), newClock())
	for i := 0; ; i++ {
		der := makeCert(t, certSpec{cn: "x", emails: []string{fmt.Sprintf("w%d@example.org", i)}})
		if c := der[len(der)-1]; c != '\n' && c != ' ' && c != '\t' && c != '\r' && c != '\v' && c != '\f' {
			if i > 2000 {
				t.Fatal("no certificate ending in a white-space byte")
			}
			continue
		}
		res := mustImport(t, s, "c.der", der)
		if len(res.Imported) != 1 || res.Imported[0].Fingerprint != derFingerprint(der) {
			t.Fatalf("%+v", res)
		}
		return
	}
}
