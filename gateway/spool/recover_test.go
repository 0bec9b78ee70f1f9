package spool

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// restart simulates a new process on the same directory: Open, then Recover.
func restart(t *testing.T, dir string, key []byte) (*Spool, []string, []string) {
	t.Helper()
	s := openSpool(t, dir, key)
	ids, q, err := s.Recover()
	if err != nil {
		t.Fatal(err)
	}
	return s, ids, q
}

func TestValidMessageSurvivesRestart(t *testing.T) {
	dir, key := t.TempDir(), testKey(t)
	s := openSpool(t, dir, key)
	a := commit(t, s, []byte("first"), nil)
	b := commit(t, s, []byte("second"), nil)
	if err := s.SaveState(b, []byte("state")); err != nil {
		t.Fatal(err)
	}
	s2, ids, q := restart(t, dir, key)
	if !slices.Equal(ids, []string{a, b}) || len(q) != 0 {
		t.Fatalf("Recover = %v, quarantined %v", ids, q)
	}
	if st, err := s2.LoadState(b); err != nil || string(st) != "state" {
		t.Fatalf("state after restart: %q %v", st, err)
	}
}

func TestStaleTempFilesAreRemovedOnRestart(t *testing.T) {
	dir, key := t.TempDir(), testKey(t)
	s := openSpool(t, dir, key)
	w, err := s.NewMessage() // a crash mid-DATA: never committed
	if err != nil {
		t.Fatal(err)
	}
	w.Write(make([]byte, 100<<10))
	if names := dirNames(t, filepath.Join(dir, "tmp")); len(names) == 0 {
		t.Fatal("test setup: no temp file")
	}
	_, ids, q := restart(t, dir, key)
	if len(ids)+len(q) != 0 {
		t.Fatalf("Recover = %v, %v", ids, q)
	}
	if names := dirNames(t, filepath.Join(dir, "tmp")); len(names) != 0 {
		t.Fatalf("tmp after restart: %v", names)
	}
}

func TestBodyWithoutEnvelopeIsRemovedOnRecover(t *testing.T) {
	dir, key := t.TempDir(), testKey(t)
	s := openSpool(t, dir, key)
	keep := commit(t, s, []byte("keep"), nil)
	id := commit(t, s, []byte("crash between body and env rename"), nil)
	if err := s.SaveState(id, []byte("st")); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, "msg", id+".env"))

	_, ids, q := restart(t, dir, key)
	if !slices.Equal(ids, []string{keep}) || len(q) != 0 {
		t.Fatalf("Recover = %v, quarantined %v", ids, q)
	}
	for _, n := range dirNames(t, filepath.Join(dir, "msg")) {
		if n[:idLen] == id {
			t.Fatalf("%s left after Recover", n)
		}
	}
}

func quarantineCase(t *testing.T, damage func(dir, id string)) {
	t.Helper()
	dir, key := t.TempDir(), testKey(t)
	s := openSpool(t, dir, key)
	good := commit(t, s, []byte("good"), nil)
	id := commit(t, s, make([]byte, 200<<10), nil)
	if err := s.SaveState(id, []byte("state")); err != nil {
		t.Fatal(err)
	}
	damage(dir, id)

	s2, ids, q := restart(t, dir, key)
	if !slices.Equal(ids, []string{good}) || !slices.Equal(q, []string{id}) {
		t.Fatalf("Recover = %v, quarantined %v; want [%s], [%s]", ids, q, good, id)
	}
	for _, n := range dirNames(t, filepath.Join(dir, "msg")) {
		if n[:idLen] == id {
			t.Fatalf("%s still in msg/ after quarantine", n)
		}
	}
	qn := dirNames(t, filepath.Join(dir, "quarantine"))
	if !slices.Contains(qn, id+".env") {
		t.Fatalf("quarantine holds %v, want the env of %s", qn, id)
	}
	if listed, _ := s2.List(); !slices.Equal(listed, []string{good}) {
		t.Fatalf("List after quarantine = %v", listed)
	}
	if _, err := s2.Envelope(id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("quarantined message still readable: %v", err)
	}
	// Quarantine is stable: a second start finds nothing new.
	_, ids, q = restart(t, dir, key)
	if !slices.Equal(ids, []string{good}) || len(q) != 0 {
		t.Fatalf("second Recover = %v, %v", ids, q)
	}
}

func TestTruncatedBodyIsQuarantined(t *testing.T) {
	quarantineCase(t, func(dir, id string) {
		p := filepath.Join(dir, "msg", id+".body")
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(p, st.Size()/2); err != nil {
			t.Fatal(err)
		}
	})
}

func TestBodyTruncatedAtChunkBoundaryIsQuarantined(t *testing.T) {
	quarantineCase(t, func(dir, id string) {
		// 200 KiB = three full chunks + a short final one: cut after chunk 2.
		if err := os.Truncate(filepath.Join(dir, "msg", id+".body"), 40+2*(64<<10+16)); err != nil {
			t.Fatal(err)
		}
	})
}

func TestFlippedByteInEnvelopeIsQuarantined(t *testing.T) {
	quarantineCase(t, func(dir, id string) {
		flipByte(t, filepath.Join(dir, "msg", id+".env"), 50)
	})
}

func TestFlippedByteInStateIsQuarantined(t *testing.T) {
	quarantineCase(t, func(dir, id string) {
		flipByte(t, filepath.Join(dir, "msg", id+".state"), 45)
	})
}

func TestEnvelopeWithoutBodyIsQuarantined(t *testing.T) {
	quarantineCase(t, func(dir, id string) {
		os.Remove(filepath.Join(dir, "msg", id+".body"))
	})
}

func TestCorruptCopyIsQuarantined(t *testing.T) {
	dir, key := t.TempDir(), testKey(t)
	s := openSpool(t, dir, key)
	id := commit(t, s, []byte("x"), nil)
	if err := s.PutCopy(id, "pgp", strings.NewReader("outbound copy")); err != nil {
		t.Fatal(err)
	}
	flipByte(t, filepath.Join(dir, "msg", id+".copies", "pgp"), 60)
	_, ids, q := restart(t, dir, key)
	if len(ids) != 0 || !slices.Equal(q, []string{id}) {
		t.Fatalf("Recover = %v, %v", ids, q)
	}
	if !slices.Contains(dirNames(t, filepath.Join(dir, "quarantine")), id+".copies") {
		t.Fatal("copies not moved to quarantine")
	}
}

