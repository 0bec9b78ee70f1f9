package store

import (
	"context"
	"testing"

	bolt "go.etcd.io/bbolt"
)

func TestSourceLocksOutAfterTooManyFailuresAcrossTokens(t *testing.T) {
	s, c, dir := newTestStore(t)
	ctx := context.Background()
	const ip = "198.51.100.23"
	for i := 1; i <= DefaultSourceFailures; i++ {
		err := s.FailSource(ctx, ip)
		if i < DefaultSourceFailures && err != nil || i == DefaultSourceFailures && err != ErrLocked {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	if locked, _ := s.SourceLocked(ctx, ip); !locked {
		t.Fatal("source not locked")
	}
	if locked, _ := s.SourceLocked(ctx, "198.51.100.24"); locked {
		t.Fatal("lockout spilled onto another source")
	}
	s.Close()
	if hits := filesContaining(t, dir, []byte(ip)); len(hits) > 0 {
		t.Fatalf("source address stored in the clear in %v", hits)
	}
	s = openStore(t, dir, c, testKEK(t, 7))
	defer s.Close()
	if locked, _ := s.SourceLocked(ctx, ip); !locked {
		t.Fatal("lockout lost across reopen")
	}
	c.Add(DefaultLockout)
	if locked, _ := s.SourceLocked(ctx, ip); locked {
		t.Fatal("lockout did not end")
	}
	if err := s.FailSource(ctx, ip); err != nil {
		t.Fatalf("first failure after lockout: %v", err)
	}
}

func TestSourceWindowResetsAndSweepDropsStaleSources(t *testing.T) {
	s, c, _ := newTestStore(t)
	ctx := context.Background()
	for range DefaultSourceFailures - 1 {
		s.FailSource(ctx, "a")
	}
	c.Add(DefaultLockout) // a new window: the old failures no longer count
	for range DefaultSourceFailures - 1 {
		if err := s.FailSource(ctx, "a"); err != nil {
			t.Fatalf("failure in a fresh window: %v", err)
		}
	}
	c.Add(DefaultLockout)
	if _, err := s.Sweep(ctx, c.Now()); err != nil {
		t.Fatal(err)
	}
	s.db.View(func(tx *bolt.Tx) error {
		if n := tx.Bucket(bucketSources).Stats().KeyN; n != 0 {
			t.Fatalf("%d stale sources kept", n)
		}
		return nil
	})
}
