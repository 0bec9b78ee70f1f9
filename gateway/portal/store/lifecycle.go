package store

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Revoke implements Store. The index commit (state revoked, tokens and
// verification state gone) comes first and is durable; then the key file
// is shredded and the sealed file deleted. A crash between the two is
// finished by New. Revoking a revoked message is a no-op.
func (s *DirStore) Revoke(_ context.Context, id, by string) error {
	now := s.now()
	already := false
	err := s.db.Update(func(tx *bolt.Tx) error {
		rec, err := s.getRecord(tx, id)
		if err != nil {
			return err
		}
		switch rec.State {
		case Revoked:
			already = true
			return nil
		case Expired:
			return ErrNotFound
		}
		rec.State, rec.RevokedBy, rec.RevokedAt = Revoked, by, now
		return s.retire(tx, rec, EventRevoked, now)
	})
	if err != nil || already {
		return err
	}
	return s.shred(id)
}

// retire writes rec in its new state, drops its tokens and verification
// state, and logs kind for every recipient.
func (s *DirStore) retire(tx *bolt.Tx, rec record, kind EventKind, now time.Time) error {
	for _, hx := range rec.TokenHashes {
		h, err := hex.DecodeString(hx)
		if err != nil {
			return fmt.Errorf("%w: token hash", ErrCorrupt)
		}
		if err := deleteTokenState(tx, h); err != nil {
			return err
		}
	}
	rec.TokenHashes = nil
	if err := s.putRecord(tx, rec); err != nil {
		return err
	}
	for i := range rec.Recipients {
		if err := putEvent(tx, rec.ID, i, kind, now); err != nil {
			return err
		}
	}
	return nil
}

func deleteTokenState(tx *bolt.Tx, h []byte) error {
	if err := tx.Bucket(bucketTokens).Delete(h); err != nil {
		return err
	}
	return tx.Bucket(bucketVerify).Delete(h)
}

// Extend implements Store. Only a live message can be extended, and only
// into the future.
func (s *DirStore) Extend(_ context.Context, id string, until time.Time) error {
	if !until.After(s.now()) {
		return errors.New("store: extend: new expiry is not in the future")
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		rec, err := s.liveRecord(tx, id)
		if err != nil {
			return err
		}
		rec.Expires = until.UTC()
		return s.putRecord(tx, rec)
	})
}

// Sweep implements Store: every active message whose expiry is at or
// before now becomes an expired tombstone and is shredded; tombstones
// older than the retention are deleted with their events.
func (s *DirStore) Sweep(_ context.Context, now time.Time) (int, error) {
	now = now.UTC()
	var expired, retired []string
	err := s.db.Update(func(tx *bolt.Tx) error {
		expired, retired = nil, nil
		var toExpire []record
		c := tx.Bucket(bucketMsgs).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			rec, err := decodeRecord(s.idx, v)
			if err != nil {
				return fmt.Errorf("record %x: %w", k[:min(len(k), 8)], err)
			}
			switch {
			case rec.State == Active && !now.Before(rec.Expires):
				toExpire = append(toExpire, rec)
			case rec.State != Active && now.After(rec.Expires.Add(s.opts.Retention)):
				retired = append(retired, rec.ID)
			}
		}
		// Written after the scan: a bbolt cursor must not see its bucket change.
		for _, rec := range toExpire {
			rec.State = Expired
			if err := s.retire(tx, rec, EventExpired, now); err != nil {
				return err
			}
			expired = append(expired, rec.ID)
		}
		for _, id := range retired {
			if err := deleteRecord(tx, id); err != nil {
				return err
			}
		}
		return s.sweepSources(tx, now)
	})
	if err != nil {
		return 0, fmt.Errorf("store: sweep: %w", err)
	}
	var errs []error
	for _, id := range append(expired, retired...) {
		errs = append(errs, s.shred(id))
	}
	return len(expired), errors.Join(errs...)
}

// deleteRecord removes a tombstone and its events.
func deleteRecord(tx *bolt.Tx, id string) error {
	if err := tx.Bucket(bucketMsgs).Delete([]byte(id)); err != nil {
		return err
	}
	prefix := append([]byte(id), 0)
	c := tx.Bucket(bucketEvents).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Seek(prefix) {
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return nil
}
