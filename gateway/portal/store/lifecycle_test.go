package store

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sealgate/sealgate/crypto/seal"
)

func TestRevokeShredsKeySoTheSealedFileCannotBeDecrypted(t *testing.T) {
	s, c, dir := newTestStore(t)
	kek := testKEK(t, 7)
	rc, _ := put(t, s, "a@x")
	sealedCopy, err := os.ReadFile(filepath.Join(dir, "msgs", rc.ID))
	if err != nil {
		t.Fatal(err)
	}
	keyFile, _ := os.ReadFile(filepath.Join(dir, "keys", rc.ID))
	wrapped, err := parseKeyFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	c.Add(time.Minute)
	if err := s.Revoke(context.Background(), rc.ID, "admin@hospital"); err != nil {
		t.Fatal(err)
	}
	for _, sub := range []string{"keys", "msgs"} {
		if _, err := os.Stat(filepath.Join(dir, sub, rc.ID)); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s/%s still there: %v", sub, rc.ID, err)
		}
	}
	s.Close()
	if hits := filesContaining(t, dir, wrapped); len(hits) > 0 {
		t.Fatalf("wrapped key survives in %v", hits)
	}
	// The KEK alone does not open the sealed copy: it never sealed it.
	if _, err := io.ReadAll(mustReader(t, sealedCopy, bytes.Repeat([]byte{7}, 32), rc.ID)); !errors.Is(err, seal.ErrCorrupt) {
		t.Fatalf("sealed copy under the KEK: %v, want seal.ErrCorrupt", err)
	}
	s = openStore(t, dir, c, kek)
	defer s.Close()
	if _, err := s.dataKey(context.Background(), rc.ID); err == nil {
		t.Fatal("data key still recoverable after revoke")
	}
	m, err := s.Message(context.Background(), rc.ID)
	if err != nil || m.State != Revoked || m.RevokedBy != "admin@hospital" || !m.RevokedAt.Equal(c.Now()) {
		t.Fatalf("tombstone %+v, %v", m, err)
	}
	if err := s.Revoke(context.Background(), rc.ID, "admin@hospital"); err != nil {
		t.Fatalf("second revoke: %v", err)
	}
}

func mustReader(t *testing.T, sealed, key []byte, id string) io.Reader {
	t.Helper()
	r, err := seal.NewReader(bytes.NewReader(sealed), key, sealContext(id))
	if err != nil {
		return errReader{err}
	}
	return r
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func TestExpiredRevokedAndSweptTokensRevealNothing(t *testing.T) {
	s, c, _ := newTestStore(t)
	ctx := context.Background()
	revoked, _ := put(t, s, "a@x")
	expiring, err := s.Put(ctx, PutMeta{Sender: "d@h", Recipients: []string{"b@y"}, Expires: c.Now().Add(time.Hour)}, bytes.NewReader([]byte("m")))
	if err != nil {
		t.Fatal(err)
	}
	swept, err := s.Put(ctx, PutMeta{Sender: "d@h", Recipients: []string{"c@z"}, Expires: c.Now().Add(time.Minute)}, bytes.NewReader([]byte("m")))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Revoke(ctx, revoked.ID, "sender"); err != nil {
		t.Fatal(err)
	}
	c.Add(2 * time.Minute)
	if n, err := s.Sweep(ctx, c.Now()); n != 1 || err != nil {
		t.Fatalf("sweep: %d, %v", n, err)
	}
	c.Add(time.Hour) // expiring is now past its expiry but not yet swept
	for name, rc := range map[string]Receipt{"revoked": revoked, "expired": expiring, "swept": swept} {
		tok := rc.Grants[0].Token
		if _, err := s.Lookup(ctx, tok); err != ErrNotFound {
			t.Errorf("%s: Lookup = %v", name, err)
		}
		if _, err := s.Open(ctx, rc.ID); err != ErrNotFound {
			t.Errorf("%s: Open = %v", name, err)
		}
		if _, _, err := s.IssueCode(ctx, tok); err != ErrNotFound {
			t.Errorf("%s: IssueCode = %v", name, err)
		}
		if err := s.CheckCode(ctx, tok, "12345678"); err != ErrNotFound {
			t.Errorf("%s: CheckCode = %v", name, err)
		}
		if err := s.Extend(ctx, rc.ID, c.Now().Add(time.Hour)); err != ErrNotFound {
			t.Errorf("%s: Extend = %v", name, err)
		}
	}
}

func TestSweepShredsExpiredMessagesAndLaterDropsTombstones(t *testing.T) {
	s, c, dir := newTestStore(t)
	ctx := context.Background()
	old, _ := put(t, s, "a@x", "b@y")
	c.Add(DefaultLifetime - time.Hour)
	young, msg := put(t, s, "c@z")
	c.Add(time.Hour)
	if n, err := s.Sweep(ctx, c.Now()); n != 1 || err != nil {
		t.Fatalf("sweep at expiry: %d, %v", n, err)
	}
	if n := countFiles(t, dir); n != 2 {
		t.Fatalf("%d files, want only young's two", n)
	}
	if !bytes.Equal(readAll(t, s, young.ID), msg) {
		t.Fatal("young message damaged by sweep")
	}
	m, _ := s.Message(ctx, old.ID)
	evs, _ := s.Events(ctx, old.ID)
	if m.State != Expired || len(evs) != 2 || evs[0].Kind != EventExpired || evs[1].Kind != EventExpired {
		t.Fatalf("tombstone %+v events %+v", m, evs)
	}
	if n, _ := s.Sweep(ctx, c.Now()); n != 0 {
		t.Fatalf("second sweep expired %d again", n)
	}
	c.Add(DefaultRetention + time.Second)
	if _, err := s.Sweep(ctx, c.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Message(ctx, old.ID); err != ErrNotFound {
		t.Fatalf("tombstone after retention: %v", err)
	}
	if _, err := s.Events(ctx, old.ID); err != ErrNotFound {
		t.Fatalf("events after retention: %v", err)
	}
}

func TestExtendMovesExpiryAndRefusesThePast(t *testing.T) {
	s, c, _ := newTestStore(t)
	ctx := context.Background()
	rc, _ := put(t, s, "a@x")
	until := c.Now().Add(DefaultLifetime + 10*24*time.Hour)
	if err := s.Extend(ctx, rc.ID, until); err != nil {
		t.Fatal(err)
	}
	if err := s.Extend(ctx, rc.ID, c.Now()); err == nil {
		t.Fatal("extend into the past accepted")
	}
	c.Add(DefaultLifetime + time.Hour)
	if n, _ := s.Sweep(ctx, c.Now()); n != 0 {
		t.Fatal("extended message swept at its old expiry")
	}
	if acc, err := s.Lookup(ctx, rc.Grants[0].Token); err != nil || !acc.Expires.Equal(until) {
		t.Fatalf("%+v %v", acc, err)
	}
}

// flipByte rewrites one byte of a file in place.
func flipByte(t *testing.T, path string, off int64) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[off] ^= 0x40
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// readAfterDamage reads everything Open gives and checks that what came
// out before the error is an unaltered prefix of the original.
func readAfterDamage(t *testing.T, s *DirStore, id string, orig []byte) error {
	t.Helper()
	rc, err := s.Open(context.Background(), id)
	if err != nil {
		return err
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if !bytes.HasPrefix(orig, got) {
		t.Fatalf("damaged file yielded %d bytes that are not a prefix of the original", len(got))
	}
	return err
}

func TestTamperedTornOrSwappedFilesFailClosed(t *testing.T) {
	s, _, dir := newTestStore(t)
	a, msgA := put(t, s, "a@x")
	b, _ := put(t, s, "b@y")
	pathA := filepath.Join(dir, "msgs", a.ID)
	orig, _ := os.ReadFile(pathA)
	restore := func() { os.WriteFile(pathA, orig, 0o600) }
	for _, off := range []int64{0, 10, 40, 41, 70000, int64(len(orig)) - 1} {
		flipByte(t, pathA, off)
		if err := readAfterDamage(t, s, a.ID, msgA); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("flip at %d: %v, want ErrCorrupt", off, err)
		}
		restore()
	}
	for _, n := range []int{0, 39, 40, 1000, 65 << 10, len(orig) - 1} {
		os.WriteFile(pathA, orig[:n], 0o600)
		if err := readAfterDamage(t, s, a.ID, msgA); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("torn at %d: %v, want ErrCorrupt", n, err)
		}
	}
	os.WriteFile(pathA, append(append([]byte{}, orig...), 'x'), 0o600)
	if err := readAfterDamage(t, s, a.ID, msgA); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("appended byte: %v", err)
	}
	bFile, _ := os.ReadFile(filepath.Join(dir, "msgs", b.ID))
	os.WriteFile(pathA, bFile, 0o600)
	if err := readAfterDamage(t, s, a.ID, msgA); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("swapped file: %v", err)
	}
	restore()
	keyA := filepath.Join(dir, "keys", a.ID)
	keyOrig, _ := os.ReadFile(keyA)
	for off := range int64(len(keyOrig)) {
		flipByte(t, keyA, off)
		if err := readAfterDamage(t, s, a.ID, msgA); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("key file flip at %d: %v", off, err)
		}
		os.WriteFile(keyA, keyOrig, 0o600)
	}
	keyB, _ := os.ReadFile(filepath.Join(dir, "keys", b.ID))
	os.WriteFile(keyA, keyB, 0o600)
	if err := readAfterDamage(t, s, a.ID, msgA); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("swapped key file: %v", err)
	}
	os.WriteFile(keyA, keyOrig, 0o600)
	if !bytes.Equal(readAll(t, s, a.ID), msgA) {
		t.Fatal("restored files do not open")
	}
}
