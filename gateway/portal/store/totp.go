package store

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	bolt "go.etcd.io/bbolt"
)

// TOTP parameters: what authenticator apps use (RFC 6238 defaults).
const (
	TOTPDigits = 6
	TOTPPeriod = 30 // seconds
	TOTPSkew   = 1  // steps accepted either side of now, for clock drift
	// MinTOTPSecret is the shortest secret EnrolTOTP accepts (RFC 4226
	// asks for 128 bits; apps and pquerna/otp default to 160).
	MinTOTPSecret = 16
)

// bucketTOTP maps HMAC(address) to a totpRecord: one authenticator per
// recipient address, shared by every message to it.
var bucketTOTP = []byte("totp")

// totpRecord is an enrolment as index.db holds it: the secret is sealed
// under the index key, bound to its own key, so it cannot be moved to
// another address.
type totpRecord struct {
	Sealed   []byte    // sealJSON(totpSecret)
	LastStep int64     // the latest step accepted: its code and older ones are spent
	Enrolled time.Time // when, for operators
	// Failures and LockedUntil count wrong codes across all the address's
	// links, so many messages to one address do not multiply the guesses.
	Failures    int       `json:",omitempty"`
	LockedUntil time.Time `json:",omitzero"`
}

type totpSecret struct{ Secret []byte }

// addressKey names an address in the TOTP bucket: case-folded, keyed so
// the index is no lookup table of addresses.
func (s *DirStore) addressKey(addr string) []byte {
	m := hmac.New(sha256.New, s.amac)
	m.Write([]byte(strings.ToLower(strings.TrimSpace(addr))))
	return m.Sum(nil)
}

func totpContext(key []byte) string { return "totp/" + hex.EncodeToString(key) }

// tokenAddress resolves a live token to its ref and its address's key.
func (s *DirStore) tokenAddress(tx *bolt.Tx, token string) (verifyState, tokenRef, []byte, error) {
	th := tokenHash(token)
	v, ref, err := s.tokenStateRef(tx, th)
	if err != nil {
		return v, ref, nil, err
	}
	rec, err := s.getRecord(tx, ref.ID)
	if err != nil {
		return v, ref, nil, err
	}
	return v, ref, s.addressKey(rec.Recipients[ref.Rcpt]), nil
}

// TOTPEnrolled implements Store.
func (s *DirStore) TOTPEnrolled(_ context.Context, token string) (bool, error) {
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) error {
		_, _, ak, err := s.tokenAddress(tx, token)
		ok = err == nil && tx.Bucket(bucketTOTP).Get(ak) != nil
		return err
	})
	return ok, err
}

// EnrolTOTP implements Store. The confirming code's step is spent at once,
// so it cannot be replayed as the next visit's second factor.
func (s *DirStore) EnrolTOTP(_ context.Context, token string, secret []byte, code string) error {
	if len(secret) < MinTOTPSecret || len(secret) > 64 {
		return errors.New("store: TOTP secret must be 16 to 64 bytes")
	}
	now := s.now()
	return s.totpTx(token, now, func(ak []byte, old *totpRecord) (*totpRecord, error) {
		if old != nil {
			return nil, ErrEnrolled
		}
		step, ok := matchStep(secret, code, now, -1)
		if !ok {
			return nil, ErrBadCode
		}
		sealed, err := sealJSON(s.idx, totpContext(ak), totpSecret{Secret: secret})
		if err != nil {
			return nil, err
		}
		return &totpRecord{Sealed: sealed, LastStep: step, Enrolled: now}, nil
	}, EventTOTPEnrolled)
}

// CheckTOTP implements Store.
func (s *DirStore) CheckTOTP(_ context.Context, token, code string) error {
	now := s.now()
	return s.totpTx(token, now, func(ak []byte, old *totpRecord) (*totpRecord, error) {
		if old == nil {
			return nil, ErrNotEnrolled
		}
		var sec totpSecret
		if err := openJSON(s.idx, totpContext(ak), old.Sealed, &sec); err != nil {
			return nil, err
		}
		defer clear(sec.Secret)
		step, ok := matchStep(sec.Secret, code, now, old.LastStep)
		if !ok {
			return nil, ErrBadCode
		}
		old.LastStep = step
		return old, nil
	}, EventTOTPVerified)
}

// totpTx is the one transaction of a TOTP attempt: the token's lockout,
// the check (fn returns the record to store, or ErrBadCode), the failure
// count and the event, committed together so no attempt goes uncounted.
func (s *DirStore) totpTx(token string, now time.Time,
	fn func([]byte, *totpRecord) (*totpRecord, error), okKind EventKind) error {
	var result error
	err := s.db.Update(func(tx *bolt.Tx) error {
		v, ref, ak, err := s.tokenAddress(tx, token)
		if err != nil {
			return err
		}
		if now.Before(v.LockedUntil) {
			result = ErrLocked
			return putEvent(tx, ref.ID, ref.Rcpt, EventFailed, now)
		}
		var old *totpRecord
		if data := tx.Bucket(bucketTOTP).Get(ak); data != nil {
			r, err := decodeJSON[totpRecord](data, "totp record")
			if err != nil {
				return err
			}
			old = &r
		}
		if old != nil && now.Before(old.LockedUntil) {
			result = ErrLocked
			return putEvent(tx, ref.ID, ref.Rcpt, EventFailed, now)
		}
		rec, err := fn(ak, old)
		switch {
		case errors.Is(err, ErrBadCode):
			result = s.countTOTPFailure(&v, now)
			if err := putEvent(tx, ref.ID, ref.Rcpt, EventFailed, now); err != nil {
				return err
			}
			if old != nil {
				if s.countAddressFailure(old, now) == ErrLocked {
					result = ErrLocked
				}
				if err := putJSON(tx.Bucket(bucketTOTP), ak, old); err != nil {
					return err
				}
			}
			return putJSON(tx.Bucket(bucketVerify), tokenHash(token), v)
		case errors.Is(err, ErrEnrolled), errors.Is(err, ErrNotEnrolled):
			result = err
			return nil
		case err != nil:
			return err
		}
		v.TOTPFailures, rec.Failures = 0, 0
		if err := putJSON(tx.Bucket(bucketVerify), tokenHash(token), v); err != nil {
			return err
		}
		if err := putJSON(tx.Bucket(bucketTOTP), ak, rec); err != nil {
			return err
		}
		return putEvent(tx, ref.ID, ref.Rcpt, okKind, now)
	})
	if err != nil {
		return err
	}
	return result
}

// countTOTPFailure is countFailure for the second factor's own counter.
func (s *DirStore) countTOTPFailure(v *verifyState, now time.Time) error {
	v.TOTPFailures++
	if v.TOTPFailures < s.opts.MaxFailures {
		return ErrBadCode
	}
	*v = verifyState{LockedUntil: now.Add(s.opts.Lockout), Codes: v.Codes, CodesSince: v.CodesSince}
	return ErrLocked
}

// countAddressFailure counts a wrong code against the address; at the
// limit the address is locked for every link for Lockout.
func (s *DirStore) countAddressFailure(r *totpRecord, now time.Time) error {
	r.Failures++
	if r.Failures < s.opts.MaxFailures {
		return nil
	}
	r.Failures, r.LockedUntil = 0, now.Add(s.opts.Lockout)
	return ErrLocked
}

// matchStep returns the step within the skew window whose code is code
// and which is later than after; every step is compared, in constant time.
func matchStep(secret []byte, code string, now time.Time, after int64) (int64, bool) {
	if len(code) != TOTPDigits {
		return 0, false
	}
	b32 := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(secret)
	cur := now.Unix() / TOTPPeriod
	var found int64
	ok := 0
	for step := cur - TOTPSkew; step <= cur+TOTPSkew; step++ {
		want, err := totp.GenerateCodeCustom(b32, time.Unix(step*TOTPPeriod, 0), totp.ValidateOpts{
			Period: TOTPPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1,
		})
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && step > after && ok == 0 {
			found, ok = step, 1
		}
	}
	return found, ok == 1
}

// ResetTOTP implements Store.
func (s *DirStore) ResetTOTP(_ context.Context, address string) (bool, error) {
	var had bool
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketTOTP)
		ak := s.addressKey(address)
		had = b.Get(ak) != nil
		return b.Delete(ak)
	})
	return had, err
}
