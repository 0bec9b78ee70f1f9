package store

import (
	"context"
	"crypto/sha256"
	"time"

	bolt "go.etcd.io/bbolt"
)

// DefaultSourceFailures is how many failures one source (an IP address
// or network, as the caller defines it) may make in a Lockout window.
const DefaultSourceFailures = 20

var bucketSources = []byte("sources") // sha256(source) -> sourceState

// sourceState is a fixed window of failures from one source.
type sourceState struct {
	WindowStart time.Time
	Failures    int
	LockedUntil time.Time `json:",omitzero"`
}

// sourceKey hashes the source so the index holds no address. It is
// pseudonymous, not anonymous: the IPv4 space is small enough to try.
func sourceKey(source string) []byte {
	h := sha256.Sum256([]byte("sealgate/portal/source\x00" + source))
	return h[:]
}

// FailSource counts a failed attempt from source, whatever token it used,
// so guessing across many tokens is throttled too. It returns ErrLocked
// when source is (now) locked out for Lockout.
func (s *DirStore) FailSource(_ context.Context, source string) error {
	now := s.now()
	key := sourceKey(source)
	var result error
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSources)
		v, err := s.sourceState(b, key, now)
		if err != nil {
			return err
		}
		if now.Before(v.LockedUntil) {
			result = ErrLocked
			return nil
		}
		v.Failures++
		if v.Failures >= s.opts.SourceFailures {
			v = sourceState{WindowStart: now, LockedUntil: now.Add(s.opts.Lockout)}
			result = ErrLocked
		}
		return putJSON(b, key, v)
	})
	if err != nil {
		return err
	}
	return result
}

// SourceLocked reports whether source is locked out.
func (s *DirStore) SourceLocked(_ context.Context, source string) (bool, error) {
	now := s.now()
	var locked bool
	err := s.db.View(func(tx *bolt.Tx) error {
		v, err := s.sourceState(tx.Bucket(bucketSources), sourceKey(source), now)
		locked = now.Before(v.LockedUntil)
		return err
	})
	return locked, err
}

// sourceState returns the current window for key, a fresh one if the
// stored window and any lockout have passed.
func (s *DirStore) sourceState(b *bolt.Bucket, key []byte, now time.Time) (sourceState, error) {
	fresh := sourceState{WindowStart: now}
	data := b.Get(key)
	if data == nil {
		return fresh, nil
	}
	v, err := decodeJSON[sourceState](data, "source state")
	if err != nil {
		return fresh, err
	}
	if now.Before(v.LockedUntil) || now.Before(v.WindowStart.Add(s.opts.Lockout)) {
		return v, nil
	}
	return fresh, nil
}

// sweepSources drops windows that have passed, so the bucket stays as
// small as the set of recently failing sources.
func (s *DirStore) sweepSources(tx *bolt.Tx, now time.Time) error {
	b := tx.Bucket(bucketSources)
	var stale [][]byte
	err := b.ForEach(func(k, data []byte) error {
		v, err := decodeJSON[sourceState](data, "source state")
		if err != nil || !now.Before(v.LockedUntil) && !now.Before(v.WindowStart.Add(s.opts.Lockout)) {
			stale = append(stale, append([]byte(nil), k...))
		}
		return nil
	})
	for _, k := range stale {
		if err == nil {
			err = b.Delete(k)
		}
	}
	return err
}
