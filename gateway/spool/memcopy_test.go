package spool

import (
	"bytes"
	"errors"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func openMemSpool(t *testing.T, dir string, key []byte, budget int64) *Spool {
	t.Helper()
	s, err := Open(Options{Dir: dir, Key: key, CopyMemory: budget})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func readCopy(t *testing.T, s *Spool, id, name string) string {
	t.Helper()
	rc, err := s.OpenCopy(id, name)
	if err != nil {
		t.Fatalf("OpenCopy(%s): %v", name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// copyFiles lists msg/<id>.copy.* and tmp/ entries.
func copyFiles(t *testing.T, s *Spool, id string) []string {
	t.Helper()
	var out []string
	for _, n := range dirNames(t, filepath.Join(s.Dir(), "msg")) {
		if strings.HasPrefix(n, id+".copy.") {
			out = append(out, n)
		}
	}
	return append(out, dirNames(t, filepath.Join(s.Dir(), "tmp"))...)
}

// A copy within the budget costs no file at all: it is read back from
// memory, replaced in memory, and Remove frees it.
func TestCopyInMemoryTouchesNoFile(t *testing.T) {
	s := openMemSpool(t, t.TempDir(), testKey(t), 1<<20)
	id := commit(t, s, []byte("x"), nil)
	synced := syncedNames(s)
	for _, body := range []string{"first plan", "second plan, longer"} {
		if err := s.PutCopy(id, "pgp", strings.NewReader(body)); err != nil {
			t.Fatal(err)
		}
		if got := readCopy(t, s, id, "pgp"); got != body {
			t.Fatalf("copy = %q, want %q", got, body)
		}
	}
	if f := copyFiles(t, s, id); len(f) != 0 || len(*synced) != 0 {
		t.Fatalf("a copy in memory wrote files %v, fsynced %v", f, *synced)
	}
	if n := s.MemoryCopyBytes(); n != int64(len("second plan, longer")) {
		t.Fatalf("MemoryCopyBytes = %d after a replace", n)
	}
	if err := s.Remove(id); err != nil {
		t.Fatal(err)
	}
	if n := s.MemoryCopyBytes(); n != 0 {
		t.Fatalf("MemoryCopyBytes = %d after Remove", n)
	}
	if _, err := s.OpenCopy(id, "pgp"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("OpenCopy after Remove = %v", err)
	}
}

// Over the budget, or over 1 MiB, a copy streams to a file as before.
func TestCopyOverBudgetOrLargeGoesToAFile(t *testing.T) {
	s := openMemSpool(t, t.TempDir(), testKey(t), 100)
	id := commit(t, s, []byte("x"), nil)
	if err := s.PutCopy(id, "small", strings.NewReader(strings.Repeat("a", 60))); err != nil {
		t.Fatal(err)
	}
	if err := s.PutCopy(id, "second", strings.NewReader(strings.Repeat("b", 60))); err != nil {
		t.Fatal(err)
	}
	if f := copyFiles(t, s, id); !slices.Equal(f, []string{id + ".copy.second"}) {
		t.Fatalf("files = %v; want only the copy over the budget", f)
	}
	big := bytes.Repeat([]byte("0123456789abcdef"), (maxMemCopy/16)+1)
	s2 := openMemSpool(t, t.TempDir(), testKey(t), 64<<20)
	id2 := commit(t, s2, []byte("x"), nil)
	if err := s2.PutCopy(id2, "big", bytes.NewReader(big)); err != nil {
		t.Fatal(err)
	}
	if s2.MemoryCopyBytes() != 0 {
		t.Fatal("a copy over 1 MiB is held in memory")
	}
	if got := readCopy(t, s2, id2, "big"); got != string(big) {
		t.Fatalf("big copy: %d bytes back, want %d", len(got), len(big))
	}
	if got := readCopy(t, s, id, "small") + readCopy(t, s, id, "second"); got != strings.Repeat("a", 60)+strings.Repeat("b", 60) {
		t.Fatalf("copies = %q", got)
	}
}

// SaveState writes the copies in memory to files and fsyncs them before the
// state that may name them: after a restart the copy is there.
func TestSaveStateWritesMemoryCopiesDurably(t *testing.T) {
	dir, key := t.TempDir(), testKey(t)
	s := openMemSpool(t, dir, key, 1<<20)
	id := commit(t, s, []byte("x"), nil)
	if err := s.PutCopy(id, "pgp", strings.NewReader("copy the state names")); err != nil {
		t.Fatal(err)
	}
	synced := syncedNames(s)
	if err := s.SaveState(id, []byte("st")); err != nil {
		t.Fatal(err)
	}
	var copySynced bool
	for _, n := range *synced {
		if strings.HasPrefix(filepath.Base(n), id+".copy.") {
			copySynced = true // fsynced in tmp/ before its rename
		}
	}
	if !copySynced || !slices.Contains(*synced, filepath.Join(dir, "msg")) {
		t.Fatalf("SaveState fsynced %v; want the copy file and msg/", *synced)
	}
	if s.MemoryCopyBytes() != 0 {
		t.Fatal("the copy stays in memory after SaveState wrote it")
	}
	s2, ids, q := restart(t, dir, key)
	if !slices.Equal(ids, []string{id}) || len(q) != 0 {
		t.Fatalf("Recover = %v, %v", ids, q)
	}
	if got := readCopy(t, s2, id, "pgp"); got != "copy the state names" {
		t.Fatalf("copy after restart = %q", got)
	}
	if err := s2.Remove(id); err != nil {
		t.Fatal(err)
	}
	if n := dirNames(t, filepath.Join(dir, "msg")); len(n) != 0 {
		t.Fatalf("msg/ after Remove: %v", n)
	}
}

// A crash (or a stop) loses the copies in memory of a message without
// state, as it may lose an unsynced file: the message comes back, to be
// planned again, and its copy is not found.
func TestMemoryCopyOfUnqueuedMessageIsGoneAfterRestart(t *testing.T) {
	dir, key := t.TempDir(), testKey(t)
	s := openMemSpool(t, dir, key, 1<<20)
	id := commit(t, s, []byte("x"), nil)
	if err := s.PutCopy(id, "pgp", strings.NewReader("copy")); err != nil {
		t.Fatal(err)
	}
	s2, ids, _ := restart(t, dir, key)
	if !slices.Equal(ids, []string{id}) {
		t.Fatalf("Recover = %v", ids)
	}
	if _, err := s2.OpenCopy(id, "pgp"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("OpenCopy after restart = %v; want ErrNotFound", err)
	}
}

// A file written over the budget replaces a copy of that name in memory.
func TestFileCopyReplacesMemoryCopy(t *testing.T) {
	s := openMemSpool(t, t.TempDir(), testKey(t), 10)
	id := commit(t, s, []byte("x"), nil)
	if err := s.PutCopy(id, "pgp", strings.NewReader("short")); err != nil {
		t.Fatal(err)
	}
	if err := s.PutCopy(id, "pgp", strings.NewReader("longer than the budget")); err != nil {
		t.Fatal(err)
	}
	if got := readCopy(t, s, id, "pgp"); got != "longer than the budget" {
		t.Fatalf("copy = %q", got)
	}
	if s.MemoryCopyBytes() != 0 {
		t.Fatalf("MemoryCopyBytes = %d", s.MemoryCopyBytes())
	}
}
