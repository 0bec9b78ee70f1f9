package web

import (
	"context"
	"crypto/subtle"
	"encoding/base32"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
)

// fakeTOTP is an enrolment as the store keeps it: per address, with the
// last step spent.
type fakeTOTP struct {
	secret   []byte
	lastStep int64
}

func b32(secret []byte) string {
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(secret)
}

// totpNow is what an authenticator app shows for secret at t.
func totpNow(t testing.TB, secret []byte, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCode(b32(secret), at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// fakeStep is the step within one of skew whose code is code, after last.
func fakeStep(secret []byte, code string, now time.Time, last int64) (int64, bool) {
	cur := now.Unix() / 30
	for st := cur - 1; st <= cur+1; st++ {
		want, _ := totp.GenerateCode(b32(secret), time.Unix(st*30, 0))
		if st > last && len(code) == 6 && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return st, true
		}
	}
	return 0, false
}

func (f *fakeStore) TOTPEnrolled(_ context.Context, token string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, _, err := f.live(token)
	if err != nil {
		return false, err
	}
	return f.totp[strings.ToLower(t.rcpt)] != nil, nil
}

func (f *fakeStore) EnrolTOTP(_ context.Context, token string, secret []byte, code string) error {
	return f.totpAttempt(token, code, func(e *fakeTOTP, addr string, now time.Time) error {
		if e != nil {
			return ErrEnrolled
		}
		st, ok := fakeStep(secret, code, now, -1)
		if !ok {
			return ErrBadCode
		}
		f.totp[addr] = &fakeTOTP{secret: append([]byte(nil), secret...), lastStep: st}
		return nil
	})
}

func (f *fakeStore) CheckTOTP(_ context.Context, token, code string) error {
	return f.totpAttempt(token, code, func(e *fakeTOTP, _ string, now time.Time) error {
		if e == nil {
			return ErrNotEnrolled
		}
		st, ok := fakeStep(e.secret, code, now, e.lastStep)
		if !ok {
			return ErrBadCode
		}
		e.lastStep = st
		return nil
	})
}

// totpAttempt holds the lock around one attempt and counts its failure.
func (f *fakeStore) totpAttempt(token, _ string, fn func(*fakeTOTP, string, time.Time) error) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, _, err := f.live(token)
	if err != nil {
		return err
	}
	now := f.now()
	if now.Before(t.lockedUntil) {
		return ErrLocked
	}
	addr := strings.ToLower(t.rcpt)
	err = fn(f.totp[addr], addr, now)
	if err != ErrBadCode {
		if err == nil {
			t.totpFails = 0
		}
		return err
	}
	t.totpFails++
	if t.totpFails >= fakeMaxFailures {
		t.totpFails, t.failures, t.hasCode, t.lockedUntil = 0, 0, false, now.Add(fakeLockout)
		return ErrLocked
	}
	return ErrBadCode
}
