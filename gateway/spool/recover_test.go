package spool

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
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

func TestSideFilesWithoutMessageAreRemovedOnRecover(t *testing.T) {
	dir, key := t.TempDir(), testKey(t)
	s := openSpool(t, dir, key)
	keep := commit(t, s, []byte("keep"), nil)
	id := commit(t, s, []byte("crash in Remove after the message file went"), nil)
	if err := s.SaveState(id, []byte("st")); err != nil {
		t.Fatal(err)
	}
	if err := s.PutCopy(id, "pgp", strings.NewReader("copy")); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, "msg", id))

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
	if err := s.PutCopy(id, "pgp", strings.NewReader("copy")); err != nil {
		t.Fatal(err)
	}
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
	if !slices.Contains(qn, id) || !slices.Contains(qn, id+".state") || !slices.Contains(qn, id+".copy.pgp") {
		t.Fatalf("quarantine holds %v, want the message file, state and copy of %s", qn, id)
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

func TestTruncatedMessageFileIsQuarantined(t *testing.T) {
	quarantineCase(t, func(dir, id string) {
		p := filepath.Join(dir, "msg", id)
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(p, st.Size()/2); err != nil {
			t.Fatal(err)
		}
	})
}

func TestTornFooterIsQuarantined(t *testing.T) {
	quarantineCase(t, func(dir, id string) {
		p := filepath.Join(dir, "msg", id)
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(p, st.Size()-10); err != nil {
			t.Fatal(err)
		}
	})
}

func TestEmptyMessageFileIsQuarantined(t *testing.T) {
	quarantineCase(t, func(dir, id string) {
		if err := os.Truncate(filepath.Join(dir, "msg", id), 0); err != nil {
			t.Fatal(err)
		}
	})
}

func TestBodyTruncatedAtChunkBoundaryIsQuarantined(t *testing.T) {
	quarantineCase(t, func(dir, id string) {
		// 200 KiB = three full chunks + a short final one: cut after chunk 2,
		// with a footer rewritten to match, so only the seal can tell.
		rewriteBody(t, filepath.Join(dir, "msg", id), func(b []byte) []byte { return b[:40+2*(64<<10+16)] })
	})
}

func TestFlippedByteInEnvelopeIsQuarantined(t *testing.T) {
	quarantineCase(t, func(dir, id string) {
		envOff, _ := footerOf(t, filepath.Join(dir, "msg", id))
		flipByte(t, filepath.Join(dir, "msg", id), envOff+50)
	})
}

func TestFlippedByteInFooterIsQuarantined(t *testing.T) {
	quarantineCase(t, func(dir, id string) {
		p := filepath.Join(dir, "msg", id)
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		flipByte(t, p, st.Size()-int64(footerLen)+5) // envOff
	})
}

func TestFlippedByteInStateIsQuarantined(t *testing.T) {
	quarantineCase(t, func(dir, id string) {
		flipByte(t, filepath.Join(dir, "msg", id+".state"), 45)
	})
}

func TestCrashMidQuarantineFinishesOnNextStart(t *testing.T) {
	dir, key := t.TempDir(), testKey(t)
	s := openSpool(t, dir, key)
	id := commit(t, s, []byte("x"), nil)
	if err := s.SaveState(id, []byte("st")); err != nil {
		t.Fatal(err)
	}
	// The message file was moved, then the process died.
	if err := os.Rename(filepath.Join(dir, "msg", id), filepath.Join(dir, "quarantine", id)); err != nil {
		t.Fatal(err)
	}
	_, ids, q := restart(t, dir, key)
	if len(ids)+len(q) != 0 {
		t.Fatalf("Recover = %v, %v", ids, q)
	}
	if !slices.Contains(dirNames(t, filepath.Join(dir, "quarantine")), id+".state") {
		t.Fatal("state of a quarantined message deleted instead of moved beside it")
	}
}

func TestLegacyTwoFileMessageIsRewrittenAndKept(t *testing.T) {
	dir, key := t.TempDir(), testKey(t)
	s := openSpool(t, dir, key)
	id, _ := s.newID()
	body := bytes.Repeat([]byte("legacy line\r\n"), 10000)
	env := testEnvelope()
	env.ID, env.Size, env.Received = id, int64(len(body)), time.Now().UTC().Truncate(time.Second)
	raw, _ := json.Marshal(env)
	writeSealed(t, filepath.Join(dir, "msg", id+".body"), key, ctxBody(id), body)
	writeSealed(t, filepath.Join(dir, "msg", id+".env"), key, ctxEnv(id), raw)
	writeSealed(t, filepath.Join(dir, "msg", id+".state"), key, ctxState(id), []byte("old state"))

	s2, ids, q := restart(t, dir, key)
	if !slices.Equal(ids, []string{id}) || len(q) != 0 {
		t.Fatalf("Recover = %v, %v", ids, q)
	}
	if got := readBody(t, s2, id); !bytes.Equal(got, body) {
		t.Fatal("body changed by the rewrite")
	}
	got, err := s2.Envelope(id)
	if err != nil || got.Size != env.Size || !got.Received.Equal(env.Received) || got.From != env.From {
		t.Fatalf("envelope after rewrite = %+v, %v", got, err)
	}
	if st, err := s2.LoadState(id); err != nil || string(st) != "old state" {
		t.Fatalf("state after rewrite = %q, %v", st, err)
	}
	names := dirNames(t, filepath.Join(dir, "msg"))
	if slices.Contains(names, id+".env") || slices.Contains(names, id+".body") {
		t.Fatalf("old files left: %v", names)
	}
}

func TestCorruptLegacyMessageIsQuarantined(t *testing.T) {
	dir, key := t.TempDir(), testKey(t)
	s := openSpool(t, dir, key)
	id, _ := s.newID()
	env := testEnvelope()
	env.ID = id
	raw, _ := json.Marshal(env)
	writeSealed(t, filepath.Join(dir, "msg", id+".body"), key, ctxBody(id), make([]byte, 100<<10))
	writeSealed(t, filepath.Join(dir, "msg", id+".env"), key, ctxEnv(id), raw)
	flipByte(t, filepath.Join(dir, "msg", id+".body"), 70000)
	_, ids, q := restart(t, dir, key)
	if len(ids) != 0 || !slices.Equal(q, []string{id}) {
		t.Fatalf("Recover = %v, %v", ids, q)
	}
	if n := dirNames(t, filepath.Join(dir, "msg")); len(n) != 0 {
		t.Fatalf("msg/ after quarantine: %v", n)
	}
}

func TestCopiesOfMessageWithoutStateAreRemovedAndMessageKept(t *testing.T) {
	dir, key := t.TempDir(), testKey(t)
	s := openSpool(t, dir, key)
	id := commit(t, s, []byte("x"), nil)
	if err := s.PutCopy(id, "pgp", strings.NewReader("outbound copy")); err != nil {
		t.Fatal(err)
	}
	flipByte(t, filepath.Join(dir, "msg", id+".copy.pgp"), 60) // torn by the crash
	s2, ids, q := restart(t, dir, key)
	if !slices.Equal(ids, []string{id}) || len(q) != 0 {
		t.Fatalf("Recover = %v, quarantined %v; want the message back, to plan again", ids, q)
	}
	if _, err := s2.OpenCopy(id, "pgp"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("OpenCopy after Recover = %v; want ErrNotFound (the copy is made again)", err)
	}
	if slices.Contains(dirNames(t, filepath.Join(dir, "msg")), id+".copy.pgp") {
		t.Fatal("copies of a message never queued survive Recover")
	}
}

func TestTornCopyBesideStateIsRemovedNotQuarantined(t *testing.T) {
	for name, damage := range map[string]func(path string){
		"flipped":   func(p string) { flipByte(t, p, 60) },
		"empty":     func(p string) { os.Truncate(p, 0) },
		"truncated": func(p string) { os.Truncate(p, 30) },
		"zeros":     func(p string) { os.WriteFile(p, make([]byte, 4096), 0o600) },
	} {
		t.Run(name, func(t *testing.T) {
			dir, key := t.TempDir(), testKey(t)
			s := openSpool(t, dir, key)
			id := commit(t, s, []byte("x"), nil)
			if err := s.PutCopy(id, "pgp", strings.NewReader("copy the state names")); err != nil {
				t.Fatal(err)
			}
			if err := s.SaveState(id, []byte("st")); err != nil {
				t.Fatal(err)
			}
			// A later plan wrote another copy; the crash came before its state.
			if err := s.PutCopy(id, "pgp-r1", strings.NewReader("copy of a later plan")); err != nil {
				t.Fatal(err)
			}
			damage(filepath.Join(dir, "msg", id+".copy.pgp-r1"))
			s2, ids, q := restart(t, dir, key)
			if !slices.Equal(ids, []string{id}) || len(q) != 0 {
				t.Fatalf("Recover = %v, quarantined %v", ids, q)
			}
			if _, err := s2.OpenCopy(id, "pgp-r1"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("torn copy: OpenCopy = %v; want ErrNotFound", err)
			}
			rc, err := s2.OpenCopy(id, "pgp")
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			if b, err := io.ReadAll(rc); err != nil || string(b) != "copy the state names" {
				t.Fatalf("copy saved with the state = %q, %v", b, err)
			}
		})
	}
}

// A spool written before copies were files in msg/ kept them in
// <id>.copies/<name>; Recover moves those beside the message (the sealing
// context is the same), drops them for a message never queued, and leaves
// no directory behind.
func TestRecoverMovesCopiesOfTheEarlierLayout(t *testing.T) {
	dir, key := t.TempDir(), testKey(t)
	s := openSpool(t, dir, key)
	queued := commit(t, s, []byte("queued"), nil)
	unqueued := commit(t, s, []byte("unqueued"), nil)
	for _, id := range []string{queued, unqueued} {
		if err := s.PutCopy(id, "pgp", strings.NewReader("copy of "+id)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SaveState(queued, []byte("st")); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{queued, unqueued} {
		old := filepath.Join(dir, "msg", id+".copies")
		if err := os.Mkdir(old, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(filepath.Join(dir, "msg", id+".copy.pgp"), filepath.Join(old, "pgp")); err != nil {
			t.Fatal(err)
		}
	}
	s2, ids, q := restart(t, dir, key)
	if !slices.Equal(ids, []string{queued, unqueued}) || len(q) != 0 {
		t.Fatalf("Recover = %v, quarantined %v", ids, q)
	}
	rc, err := s2.OpenCopy(queued, "pgp")
	if err != nil {
		t.Fatalf("moved copy: %v", err)
	}
	b, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || string(b) != "copy of "+queued {
		t.Fatalf("moved copy = %q, %v", b, err)
	}
	if _, err := s2.OpenCopy(unqueued, "pgp"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("copy of a message never queued: OpenCopy = %v; want ErrNotFound", err)
	}
	want := []string{queued, queued + ".copy.pgp", queued + ".state", unqueued}
	if n := dirNames(t, filepath.Join(dir, "msg")); !slices.Equal(n, want) {
		t.Fatalf("msg/ after Recover = %v; want %v", n, want)
	}
	if err := s2.Remove(queued); err != nil {
		t.Fatal(err)
	}
	if n := dirNames(t, filepath.Join(dir, "msg")); !slices.Equal(n, []string{unqueued}) {
		t.Fatalf("msg/ after Remove = %v", n)
	}
}
