package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"math/big"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// CodeDigits is the length of a one-time code: 10^8 values, so with a
// lockout after a handful of failures a guess succeeds about 5 in 10^8.
const CodeDigits = 8

// codeHash binds a code to its token, so a code is worth nothing for
// another token and the stored hash is not a table lookup away.
func codeHash(th []byte, code string) []byte {
	h := sha256.New()
	h.Write([]byte("sealgate/portal/code\x00"))
	h.Write(th)
	h.Write([]byte(code))
	return h.Sum(nil)
}

func newCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(100_000_000))
	if err != nil {
		return "", fmt.Errorf("store: random: %w", err)
	}
	return fmt.Sprintf("%0*d", CodeDigits, n), nil
}

// IssueCode implements Store. A new code replaces the previous one, so
// only the latest code sent works. At most MaxCodes are issued per token
// per hour, so a token cannot be used to flood its recipient with mail.
func (s *DirStore) IssueCode(_ context.Context, token string) (string, time.Time, error) {
	code, err := newCode()
	if err != nil {
		return "", time.Time{}, err
	}
	now := s.now()
	expires := now.Add(s.opts.CodeLife)
	th := tokenHash(token)
	err = s.db.Update(func(tx *bolt.Tx) error {
		v, err := s.tokenState(tx, th)
		if err != nil {
			return err
		}
		if now.Before(v.LockedUntil) {
			return ErrLocked
		}
		if !now.Before(v.CodesSince.Add(time.Hour)) {
			v.Codes, v.CodesSince = 0, now
		}
		if v.Codes >= s.opts.MaxCodes {
			return ErrTooManyCodes
		}
		v.Codes++
		v.CodeHash, v.CodeExpires = codeHash(th, code), expires
		return putJSON(tx.Bucket(bucketVerify), th, v)
	})
	if err != nil {
		return "", time.Time{}, err
	}
	return code, expires, nil
}

// CheckCode implements Store. The check, the consumption or failure
// count and the verified/failed event are one transaction, so a code
// works once even when two nodes race, and no attempt goes unlogged. A
// failed attempt is committed before ErrBadCode is returned.
func (s *DirStore) CheckCode(_ context.Context, token, code string) error {
	now := s.now()
	th := tokenHash(token)
	var result error
	err := s.db.Update(func(tx *bolt.Tx) error {
		v, ref, err := s.tokenStateRef(tx, th)
		if err != nil {
			return err
		}
		if now.Before(v.LockedUntil) {
			result = ErrLocked
			return attempt(tx, ref, now, result)
		}
		good := len(v.CodeHash) > 0 && now.Before(v.CodeExpires) &&
			subtle.ConstantTimeCompare(v.CodeHash, codeHash(th, code)) == 1
		if good {
			v = verifyState{Codes: v.Codes, CodesSince: v.CodesSince, TOTPFailures: v.TOTPFailures}
		} else {
			result = s.countFailure(&v, now)
		}
		if err := attempt(tx, ref, now, result); err != nil {
			return err
		}
		return putJSON(tx.Bucket(bucketVerify), th, v)
	})
	if err != nil {
		return err
	}
	return result
}

// countFailure adds a failure; at the limit it locks the token and
// voids its code, so a lockout also forces a fresh code afterwards.
func (s *DirStore) countFailure(v *verifyState, now time.Time) error {
	v.Failures++
	if v.Failures < s.opts.MaxFailures {
		return ErrBadCode
	}
	*v = verifyState{LockedUntil: now.Add(s.opts.Lockout), Codes: v.Codes, CodesSince: v.CodesSince}
	return ErrLocked
}

// Fail implements Store, logging a failed event: it returns ErrLocked when this failure locks the
// token (or it already was), nil otherwise.
func (s *DirStore) Fail(_ context.Context, token string) error {
	now := s.now()
	th := tokenHash(token)
	var result error
	err := s.db.Update(func(tx *bolt.Tx) error {
		v, ref, err := s.tokenStateRef(tx, th)
		if err != nil {
			return err
		}
		if err := attempt(tx, ref, now, ErrBadCode); err != nil {
			return err
		}
		if now.Before(v.LockedUntil) {
			result = ErrLocked
			return nil
		}
		if s.countFailure(&v, now) == ErrLocked {
			result = ErrLocked
		}
		return putJSON(tx.Bucket(bucketVerify), th, v)
	})
	if err != nil {
		return err
	}
	return result
}

// Locked implements Store.
func (s *DirStore) Locked(_ context.Context, token string) (bool, error) {
	now := s.now()
	var locked bool
	err := s.db.View(func(tx *bolt.Tx) error {
		v, err := s.tokenState(tx, tokenHash(token))
		locked = now.Before(v.LockedUntil)
		return err
	})
	return locked, err
}

// tokenState returns a live token's verification state (zero if none).
func (s *DirStore) tokenState(tx *bolt.Tx, th []byte) (verifyState, error) {
	v, _, err := s.tokenStateRef(tx, th)
	return v, err
}

func (s *DirStore) tokenStateRef(tx *bolt.Tx, th []byte) (verifyState, tokenRef, error) {
	ref, _, err := s.liveToken(tx, th)
	if err != nil {
		return verifyState{}, tokenRef{}, err
	}
	data := tx.Bucket(bucketVerify).Get(th)
	if data == nil {
		return verifyState{}, ref, nil
	}
	v, err := decodeJSON[verifyState](data, "verification state")
	return v, ref, err
}

// attempt records the outcome of a verification attempt in the same
// transaction as the counter, so the event log misses none.
func attempt(tx *bolt.Tx, ref tokenRef, now time.Time, result error) error {
	kind := EventFailed
	if result == nil {
		kind = EventVerified
	}
	return putEvent(tx, ref.ID, ref.Rcpt, kind, now)
}

// Record implements Store. It needs the message (live or tombstone) and
// one of its recipients; the event is only a kind and a time.
func (s *DirStore) Record(_ context.Context, id, recipient string, kind EventKind) error {
	if !knownEvent(kind) {
		return fmt.Errorf("store: unknown event kind %q", kind)
	}
	now := s.now()
	return s.db.Update(func(tx *bolt.Tx) error {
		rec, err := s.getRecord(tx, id)
		if err != nil {
			return err
		}
		i := slices.Index(rec.Recipients, recipient)
		if i < 0 {
			return ErrNotFound
		}
		return putEvent(tx, id, i, kind, now)
	})
}

func putEvent(tx *bolt.Tx, id string, rcpt int, kind EventKind, now time.Time) error {
	k, err := eventKey(id, now)
	if err != nil {
		return err
	}
	return putJSON(tx.Bucket(bucketEvents), k, diskEvent{Time: now, Kind: kind, Rcpt: rcpt})
}

// Events implements Store.
func (s *DirStore) Events(_ context.Context, id string) ([]Event, error) {
	var out []Event
	err := s.db.View(func(tx *bolt.Tx) error {
		rec, err := s.getRecord(tx, id)
		if err != nil {
			return err
		}
		prefix := append([]byte(id), 0)
		c := tx.Bucket(bucketEvents).Cursor()
		for k, v := c.Seek(prefix); k != nil && len(k) > len(prefix) && string(k[:len(prefix)]) == string(prefix); k, v = c.Next() {
			e, err := decodeJSON[diskEvent](v, "event")
			if err != nil {
				return err
			}
			if e.Rcpt < 0 || e.Rcpt >= len(rec.Recipients) {
				return fmt.Errorf("%w: event recipient", ErrCorrupt)
			}
			out = append(out, Event{Time: e.Time, MessageID: id, Recipient: rec.Recipients[e.Rcpt], Kind: e.Kind})
		}
		return nil
	})
	return out, err
}
