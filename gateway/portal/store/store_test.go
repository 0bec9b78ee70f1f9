package store

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestPutThenOpenReturnsTheExactMessage(t *testing.T) {
	s, _, _ := newTestStore(t)
	for _, size := range []int{0, 10 << 10, 64 << 10, 200 << 10} {
		msg := testMessage(size)
		rc, err := s.Put(context.Background(), PutMeta{Sender: "a@x", Recipients: []string{"b@y"}}, bytes.NewReader(msg))
		if err != nil {
			t.Fatal(err)
		}
		if got := readAll(t, s, rc.ID); !bytes.Equal(got, msg) {
			t.Fatalf("size %d: got %d bytes back, want %d identical", size, len(got), len(msg))
		}
		m, err := s.Message(context.Background(), rc.ID)
		if err != nil || m.Size != int64(len(msg)) || m.State != Active {
			t.Fatalf("meta %+v, %v", m, err)
		}
	}
}

func TestTokensAre256BitRandomAndStoredOnlyAsHash(t *testing.T) {
	s, _, dir := newTestStore(t)
	seen := map[string]bool{}
	for range 20 {
		rc, _ := put(t, s, "a@x", "b@y")
		if len(rc.Grants) != 2 || rc.Grants[0].Recipient != "a@x" || rc.Grants[1].Recipient != "b@y" {
			t.Fatalf("grants %+v", rc.Grants)
		}
		if !validID(rc.ID) {
			t.Fatalf("id %q", rc.ID)
		}
		for _, g := range rc.Grants {
			raw, err := base64.RawURLEncoding.DecodeString(g.Token)
			if err != nil || len(raw) < 16 {
				t.Fatalf("token %d bytes, %v", len(raw), err)
			}
			if seen[g.Token] {
				t.Fatal("token repeated")
			}
			seen[g.Token] = true
		}
	}
	for tok := range seen {
		raw, _ := base64.RawURLEncoding.DecodeString(tok)
		if hits := append(filesContaining(t, dir, []byte(tok)), filesContaining(t, dir, raw)...); len(hits) > 0 {
			t.Fatalf("token found on disk in %v", hits)
		}
	}
}

func TestLookupResolvesTokenToItsOwnRecipientAndMessage(t *testing.T) {
	s, _, _ := newTestStore(t)
	a, msgA := put(t, s, "a1@x", "a2@x")
	b, _ := put(t, s, "b1@y")
	for i, g := range a.Grants {
		acc, err := s.Lookup(context.Background(), g.Token)
		if err != nil {
			t.Fatal(err)
		}
		want := Access{MessageID: a.ID, Recipient: []string{"a1@x", "a2@x"}[i], Sender: "doc@hospital.example",
			Created: acc.Created, Expires: acc.Created.Add(DefaultLifetime), State: Active}
		if acc != want {
			t.Fatalf("got %+v want %+v", acc, want)
		}
		if got := readAll(t, s, acc.MessageID); !bytes.Equal(got, msgA) {
			t.Fatal("token of message A did not open message A")
		}
	}
	acc, err := s.Lookup(context.Background(), b.Grants[0].Token)
	if err != nil || acc.MessageID != b.ID || acc.Recipient != "b1@y" {
		t.Fatalf("token of B resolved to %+v, %v", acc, err)
	}
}

func TestWrongTokensAreNotFound(t *testing.T) {
	s, _, _ := newTestStore(t)
	rc, _ := put(t, s, "a@x")
	tok := rc.Grants[0].Token
	for _, bad := range []string{"", "x", tok[:len(tok)-1], tok + "A", strings.ToUpper(tok), strings.Repeat("A", 43)} {
		if _, err := s.Lookup(context.Background(), bad); err != ErrNotFound {
			t.Fatalf("Lookup(%q) = %v, want ErrNotFound", bad, err)
		}
	}
	other := rc.ID[:31] + map[bool]string{true: "1", false: "0"}[rc.ID[31] == '0']
	for _, bad := range []string{"", "../keys/" + rc.ID, "X" + rc.ID[1:], other} {
		if _, err := s.Open(context.Background(), bad); err != ErrNotFound {
			t.Fatalf("Open(%q) = %v, want ErrNotFound", bad, err)
		}
	}
}

func TestMetadataHasNoSubjectOrBodyField(t *testing.T) {
	for _, typ := range []reflect.Type{reflect.TypeFor[PutMeta](), reflect.TypeFor[Meta](), reflect.TypeFor[Access](), reflect.TypeFor[Event]()} {
		for f := range typ.Fields() {
			name := strings.ToLower(f.Name)
			if strings.Contains(name, "subject") || strings.Contains(name, "body") || strings.Contains(name, "text") {
				t.Fatalf("%s.%s would hold message content", typ.Name(), f.Name)
			}
		}
	}
}

func TestDiskHoldsNoPlaintextMarker(t *testing.T) {
	s, c, dir := newTestStore(t)
	for range 3 {
		put(t, s, "jane.roe.patient@example.org", "b@y")
	}
	rc, _ := put(t, s, "c@z")
	s.Record(context.Background(), rc.ID, "c@z", EventNotified)
	code, _, err := s.IssueCode(context.Background(), rc.Grants[0].Token)
	if err != nil {
		t.Fatal(err)
	}
	c.Add(time.Hour)
	if err := s.Revoke(context.Background(), rc.ID, "admin"); err != nil {
		t.Fatal(err)
	}
	s.Close() // flush and unlock: look at exactly what is at rest
	for _, needle := range []string{bodyMarker, "PHI-MARKER", subjectMarker, "Jane Roe", code,
		"jane.roe.patient", "doc@hospital.example", "hospital.example", "admin"} {
		if hits := filesContaining(t, dir, []byte(needle)); len(hits) > 0 {
			t.Fatalf("%q found in the clear in %v", needle, hits)
		}
	}
}

func TestStateIsDurableAcrossReopen(t *testing.T) {
	dir := t.TempDir()
	c := newClock()
	s := openStore(t, dir, c, testKEK(t, 7))
	rc, msg := put(t, s, "a@x")
	if _, _, err := s.IssueCode(context.Background(), rc.Grants[0].Token); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		s.CheckCode(context.Background(), rc.Grants[0].Token, "00000000")
	}
	s.Close()
	s = openStore(t, dir, c, testKEK(t, 7))
	defer s.Close()
	acc, err := s.Lookup(context.Background(), rc.Grants[0].Token)
	if err != nil || acc.MessageID != rc.ID {
		t.Fatalf("after reopen: %+v, %v", acc, err)
	}
	if !bytes.Equal(readAll(t, s, rc.ID), msg) {
		t.Fatal("message changed across reopen")
	}
	// The two failures above survived: three more lock the token.
	for i := range 3 {
		err := s.CheckCode(context.Background(), rc.Grants[0].Token, "00000000")
		if (i < 2 && err != ErrBadCode) || (i == 2 && err != ErrLocked) {
			t.Fatalf("attempt %d after reopen: %v", i+3, err)
		}
	}
}

func TestWrongKEKIsRefusedAndOpensNothing(t *testing.T) {
	dir := t.TempDir()
	c := newClock()
	s := openStore(t, dir, c, testKEK(t, 7))
	rc, _ := put(t, s, "a@x")
	s.Close()
	if _, err := New(dir, Options{KEK: testKEK(t, 8), Now: c.Now}); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("New under another KEK: %v, want ErrCorrupt", err)
	}
	// Even past the index key, the data key is wrapped under the KEK.
	s = openStore(t, dir, c, testKEK(t, 7))
	defer s.Close()
	s.opts.KEK = testKEK(t, 8)
	if _, err := s.Open(context.Background(), rc.ID); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("open with another KEK: %v, want ErrCorrupt", err)
	}
}

func TestKEKRotationOpensOldMessagesAndWrapsWithNewKey(t *testing.T) {
	dir := t.TempDir()
	c := newClock()
	oldKey, newKey := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	k1, _ := NewLocalKEK(oldKey)
	s := openStore(t, dir, c, k1)
	old, msg := put(t, s, "a@x")
	s.Close()
	k2, _ := NewLocalKEK(newKey, oldKey)
	s = openStore(t, dir, c, k2)
	defer func() { s.Close() }()
	if !bytes.Equal(readAll(t, s, old.ID), msg) {
		t.Fatal("old message unreadable after rotation")
	}
	fresh, _ := put(t, s, "a@x")
	onlyNew, _ := NewLocalKEK(newKey)
	data, _ := os.ReadFile(filepath.Join(dir, "keys", fresh.ID))
	wrapped, err := parseKeyFile(data)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := onlyNew.Unwrap(context.Background(), wrapped, dekAAD(fresh.ID)); err != nil {
		t.Fatalf("new message not wrapped under the new KEK: %v", err)
	}
	s.Close()
	// The index key was rewrapped on open: the old KEK is now needed only
	// for old messages' data keys, until they expire.
	s = openStore(t, dir, c, onlyNew)
	if _, err := s.Lookup(context.Background(), fresh.Grants[0].Token); err != nil {
		t.Fatalf("store under the new KEK alone: %v", err)
	}
}

func TestKEKFromFileRequiresPrivateModeAndFromEnvParses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kek")
	hexKey := strings.Repeat("ab", 32)
	if err := os.WriteFile(path, []byte(hexKey+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := KEKFromFile(path); err == nil {
		t.Fatal("world-readable KEK file accepted")
	}
	os.Chmod(path, 0o600)
	k, err := KEKFromFile(path)
	if err != nil || !bytes.Equal(k, bytes.Repeat([]byte{0xab}, 32)) {
		t.Fatalf("%x, %v", k, err)
	}
	t.Setenv("SG_TEST_KEK", base64.StdEncoding.EncodeToString(k))
	if k2, err := KEKFromEnv("SG_TEST_KEK"); err != nil || !bytes.Equal(k2, k) {
		t.Fatalf("env: %v", err)
	}
	for _, bad := range []string{"", "abcd", strings.Repeat("ab", 31), strings.Repeat("zz", 32)} {
		if _, err := ParseKEK(bad); err == nil || strings.Contains(err.Error(), bad) && bad != "" {
			t.Fatalf("ParseKEK(%q) = %v", bad, err)
		}
	}
	if _, err := KEKFromEnv("SG_TEST_KEK_UNSET"); err == nil {
		t.Fatal("unset variable accepted")
	}
}

func TestPutRefusesBadMetaAndLeavesNothing(t *testing.T) {
	s, c, dir := newTestStore(t)
	cases := []PutMeta{
		{Sender: "a@x"},
		{Sender: "a@x", Recipients: []string{"b@y", "b@y"}},
		{Sender: "a@x", Recipients: []string{""}},
		{Sender: "a@x", Recipients: []string{"b@y"}, Expires: c.Now().Add(-time.Second)},
	}
	for _, m := range cases {
		if _, err := s.Put(context.Background(), m, strings.NewReader("x")); err == nil {
			t.Fatalf("Put(%+v) accepted", m)
		}
	}
	if n := countFiles(t, dir); n != 0 {
		t.Fatalf("%d files left behind", n)
	}
}

func TestPerMessageExpiryIsHonoured(t *testing.T) {
	s, c, _ := newTestStore(t)
	until := c.Now().Add(48 * time.Hour)
	rc, err := s.Put(context.Background(), PutMeta{Sender: "a@x", Recipients: []string{"b@y"}, Expires: until}, strings.NewReader("m"))
	if err != nil {
		t.Fatal(err)
	}
	acc, err := s.Lookup(context.Background(), rc.Grants[0].Token)
	if err != nil || !acc.Expires.Equal(until) {
		t.Fatalf("%+v %v", acc, err)
	}
}

func TestOpenTokenOpensOnlyThatTokensMessage(t *testing.T) {
	s, _, _ := newTestStore(t)
	ctx := context.Background()
	var msgs [][]byte
	var rcs []Receipt
	for i := range 3 {
		m := append([]byte(strings.Repeat("x", i)), testMessage(1<<10)...)
		rc, err := s.Put(ctx, PutMeta{Sender: "d@h", Recipients: []string{"a@x", "b@y"}}, bytes.NewReader(m))
		if err != nil {
			t.Fatal(err)
		}
		msgs, rcs = append(msgs, m), append(rcs, rc)
	}
	for i, rc := range rcs {
		for _, g := range rc.Grants {
			acc, r, err := s.OpenToken(ctx, g.Token)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(r)
			r.Close()
			if err != nil || acc.MessageID != rc.ID || acc.Recipient != g.Recipient || !bytes.Equal(got, msgs[i]) {
				t.Fatalf("token of message %d for %s opened %s as %s", i, g.Recipient, acc.MessageID, acc.Recipient)
			}
		}
	}
	if err := s.Revoke(ctx, rcs[0].ID, "admin"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.OpenToken(ctx, rcs[0].Grants[0].Token); err != ErrNotFound {
		t.Fatalf("revoked: %v", err)
	}
}
