package keystore

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// change opens the store as `sealgate keys` would (its own open, closed
// after) and runs fn on it.
func change(t *testing.T, dir string, fn func(*Store)) {
	t.Helper()
	s, err := Open(Options{Dir: dir, Now: newClock().Now})
	if err != nil {
		t.Fatal(err)
	}
	fn(s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

func finderLookup(t *testing.T, f *Finder, addr string) []Entry {
	t.Helper()
	es, err := f.Lookup(context.Background(), addr)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// makeOld sets keys.db's mtime an hour back, as if the store had been
// quiet since: the Finder may then answer from memory.
func makeOld(t *testing.T, dir string) {
	t.Helper()
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(filepath.Join(dir, "keys.db"), old, old); err != nil {
		t.Fatal(err)
	}
}

func TestFinderSeesKeysImportedAndRemovedByAnotherOpenAtOnce(t *testing.T) {
	dir := t.TempDir()
	f, err := NewFinder(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if es := finderLookup(t, f, "Lab@Partner.test"); len(es) != 0 {
		t.Fatalf("empty store found %v", fingerprints(es))
	}
	cert := makeCert(t, certSpec{cn: "lab", emails: []string{"lab@partner.test"}})
	key := binaryPublic(t, makeKey(t, keySpec{name: "Lab", email: "lab@partner.test"}))
	change(t, dir, func(s *Store) { mustImport(t, s, "lab.der", cert) })
	if es := finderLookup(t, f, "lab@partner.test"); len(es) != 1 || es[0].Kind != SMIME {
		t.Fatalf("after the certificate import: %v", fingerprints(es))
	}
	change(t, dir, func(s *Store) { mustImport(t, s, "lab.pgp", key) })
	es := finderLookup(t, f, "lab@partner.test")
	if len(es) != 2 {
		t.Fatalf("after the key import: %v", fingerprints(es))
	}
	change(t, dir, func(s *Store) {
		if n, err := s.Remove(es[0].Fingerprint); err != nil || n != 1 {
			t.Fatalf("remove: %d %v", n, err)
		}
	})
	if got := finderLookup(t, f, "lab@partner.test"); len(got) != 1 || got[0].Fingerprint != es[1].Fingerprint {
		t.Fatalf("after removing %s: %v", es[0].Fingerprint, fingerprints(got))
	}
	change(t, dir, func(s *Store) {
		if _, err := s.Remove("lab@partner.test"); err != nil {
			t.Fatal(err)
		}
	})
	if got := finderLookup(t, f, "lab@partner.test"); len(got) != 0 {
		t.Fatalf("after removing the address: %v", fingerprints(got))
	}
}

func TestFinderAnswersRepeatLookupsFromMemoryUntilTheStoreChanges(t *testing.T) {
	dir := t.TempDir()
	change(t, dir, func(s *Store) {
		mustImport(t, s, "lab.der", makeCert(t, certSpec{cn: "lab", emails: []string{"lab@partner.test"}}))
	})
	makeOld(t, dir)
	f, err := NewFinder(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if es := finderLookup(t, f, "lab@partner.test"); len(es) != 1 {
			t.Fatalf("lookup: %v", fingerprints(es))
		}
		if es := finderLookup(t, f, "nobody@partner.test"); len(es) != 0 {
			t.Fatalf("miss: %v", fingerprints(es))
		}
	}
	if n := f.reads.Load(); n != 2 {
		t.Fatalf("%d store reads for 3 rounds of the same two lookups, want 2", n)
	}
	// A change by another process: the next lookup reads the store again,
	// and keeps reading it while the change is recent.
	change(t, dir, func(s *Store) {
		mustImport(t, s, "nobody.der", makeCert(t, certSpec{cn: "nobody", emails: []string{"nobody@partner.test"}}))
	})
	for range 2 {
		if es := finderLookup(t, f, "nobody@partner.test"); len(es) != 1 {
			t.Fatalf("after the import: %v", fingerprints(es))
		}
	}
	if n := f.reads.Load(); n != 4 {
		t.Fatalf("%d store reads, want 4: a recent change is not answered from memory", n)
	}
	makeOld(t, dir)
	finderLookup(t, f, "nobody@partner.test")
	finderLookup(t, f, "nobody@partner.test")
	if n := f.reads.Load(); n != 5 {
		t.Fatalf("%d store reads, want 5", n)
	}
	change(t, dir, func(s *Store) {
		if _, err := s.Remove("nobody@partner.test"); err != nil {
			t.Fatal(err)
		}
	})
	if es := finderLookup(t, f, "nobody@partner.test"); len(es) != 0 {
		t.Fatalf("after the removal: %v", fingerprints(es))
	}
}

// TestFinderLookupsRunWhileAnotherOpenChangesTheStore: lookups from many
// goroutines and imports through separate opens interleave (race detector),
// and once the imports are done every lookup sees all of them.
func TestFinderLookupsRunWhileAnotherOpenChangesTheStore(t *testing.T) {
	dir := t.TempDir()
	f, err := NewFinder(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	finderLookup(t, f, "lab@partner.test") // creates the store
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := f.Lookup(context.Background(), "lab@partner.test"); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	const n = 5
	for range n {
		cert := makeCert(t, certSpec{cn: "lab", emails: []string{"lab@partner.test"}})
		change(t, dir, func(s *Store) { mustImport(t, s, "lab.der", cert) })
	}
	close(stop)
	wg.Wait()
	if es := finderLookup(t, f, "lab@partner.test"); len(es) != n {
		t.Fatalf("%d entries after %d imports", len(es), n)
	}
}

func TestFinderRefusesAnUnknownSource(t *testing.T) {
	if _, err := NewFinder(Options{Dir: t.TempDir(), Lookup: []string{"local", "ldap"}}); err == nil {
		t.Fatal("ldap accepted as a key source")
	}
}
