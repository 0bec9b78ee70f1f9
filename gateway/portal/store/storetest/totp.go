package storetest

import (
	"bytes"
	"context"
	"encoding/base32"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/sealgate/sealgate/gateway/portal/store"
)

// secret is a fixed 160-bit TOTP secret for the suite.
var secret = bytes.Repeat([]byte{0x5a, 0xc3, 0x11, 0x7e}, 5)

// Code is the TOTP an authenticator app shows for secret at t.
func Code(t *testing.T, secret []byte, at time.Time) string {
	t.Helper()
	b32 := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(secret)
	c, err := totp.GenerateCodeCustom(b32, at, totp.ValidateOpts{
		Period: store.TOTPPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// wrong is a six-digit code that is none of the skew window's.
func wrong(t *testing.T, at time.Time) string {
	for _, c := range []string{"000000", "111111", "222222", "333333"} {
		hit := false
		for d := -1; d <= 1; d++ {
			hit = hit || c == Code(t, secret, at.Add(time.Duration(d*store.TOTPPeriod)*time.Second))
		}
		if !hit {
			return c
		}
	}
	t.Fatal("no wrong code")
	return ""
}

func kinds(t *testing.T, s store.Store, id string) map[store.EventKind]int {
	t.Helper()
	evs, err := s.Events(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	n := map[store.EventKind]int{}
	for _, e := range evs {
		n[e.Kind]++
	}
	return n
}

func totpPerAddress(t *testing.T, s store.Store, clk *Clock) {
	ctx := context.Background()
	a, _ := put(t, s, 1, "Pat@Example.org", "other@x")
	b, _ := put(t, s, 2, "pat@example.ORG")
	tokA, tokB, other := a.Grants[0].Token, b.Grants[0].Token, a.Grants[1].Token
	if on, err := s.TOTPEnrolled(ctx, tokA); on || err != nil {
		t.Fatalf("fresh address enrolled: %v %v", on, err)
	}
	if err := s.CheckTOTP(ctx, tokA, Code(t, secret, clk.Now())); err != store.ErrNotEnrolled {
		t.Fatalf("check before enrolment: %v", err)
	}
	if err := s.EnrolTOTP(ctx, tokA, secret, Code(t, secret, clk.Now())); err != nil {
		t.Fatal(err)
	}
	if on, _ := s.TOTPEnrolled(ctx, tokB); !on {
		t.Fatal("enrolment not shared by another message to the same address (case folded)")
	}
	if on, _ := s.TOTPEnrolled(ctx, other); on {
		t.Fatal("enrolment spilled onto another recipient")
	}
	if err := s.CheckTOTP(ctx, tokB, Code(t, secret, clk.Now())); err != store.ErrBadCode {
		t.Fatalf("the enrolment's own code replayed: %v", err)
	}
	clk.add(store.TOTPPeriod * time.Second)
	code := Code(t, secret, clk.Now())
	if err := s.CheckTOTP(ctx, tokB, code); err != nil {
		t.Fatalf("next step's code: %v", err)
	}
	if err := s.CheckTOTP(ctx, tokA, code); err != store.ErrBadCode {
		t.Fatalf("replay by another message's token: %v", err)
	}
	// An older step within the skew window is spent too.
	clk.add(store.TOTPPeriod * time.Second)
	if err := s.CheckTOTP(ctx, tokA, code); err != store.ErrBadCode {
		t.Fatalf("older step after a newer one: %v", err)
	}
	if err := s.CheckTOTP(ctx, tokA, Code(t, secret, clk.Now().Add(store.TOTPPeriod*time.Second))); err != nil {
		t.Fatalf("one step of skew ahead: %v", err)
	}
	if n := kinds(t, s, a.ID); n[store.EventTOTPEnrolled] != 1 || n[store.EventTOTPVerified] != 1 || n[store.EventFailed] != 2 {
		t.Fatalf("events of A: %v", n)
	}
	if n := kinds(t, s, b.ID); n[store.EventTOTPVerified] != 1 || n[store.EventFailed] != 1 {
		t.Fatalf("events of B: %v", n)
	}
}

func totpLockout(t *testing.T, s store.Store, clk *Clock) {
	ctx := context.Background()
	rc, _ := put(t, s, 1, "a@x")
	tok := rc.Grants[0].Token
	if err := s.EnrolTOTP(ctx, tok, secret, Code(t, secret, clk.Now())); err != nil {
		t.Fatal(err)
	}
	clk.add(time.Minute)
	for i := range store.DefaultMaxFailures - 1 {
		if err := s.CheckTOTP(ctx, tok, wrong(t, clk.Now())); err != store.ErrBadCode {
			t.Fatalf("wrong TOTP %d: %v", i, err)
		}
		// A correct email code between guesses must not reset their count.
		code, _, err := s.IssueCode(ctx, tok)
		if err == nil {
			err = s.CheckCode(ctx, tok, code)
		}
		if err != nil && err != store.ErrTooManyCodes {
			t.Fatal(err)
		}
	}
	if err := s.CheckTOTP(ctx, tok, wrong(t, clk.Now())); err != store.ErrLocked {
		t.Fatalf("last wrong TOTP: %v", err)
	}
	if err := s.CheckTOTP(ctx, tok, Code(t, secret, clk.Now())); err != store.ErrLocked {
		t.Fatalf("right TOTP while locked: %v", err)
	}
	if locked, _ := s.Locked(ctx, tok); !locked {
		t.Fatal("token not locked")
	}
	clk.add(store.DefaultLockout)
	if err := s.CheckTOTP(ctx, tok, Code(t, secret, clk.Now())); err != nil {
		t.Fatalf("after the lockout: %v", err)
	}
}

func totpEnrolOnce(t *testing.T, s store.Store, clk *Clock) {
	ctx := context.Background()
	rc, _ := put(t, s, 1, "a@x")
	tok := rc.Grants[0].Token
	if err := s.EnrolTOTP(ctx, tok, secret[:8], Code(t, secret[:8], clk.Now())); err == nil {
		t.Fatal("64-bit secret accepted")
	}
	if err := s.EnrolTOTP(ctx, tok, secret, wrong(t, clk.Now())); err != store.ErrBadCode {
		t.Fatalf("enrol with a wrong code: %v", err)
	}
	if on, _ := s.TOTPEnrolled(ctx, tok); on {
		t.Fatal("enrolled by a wrong code")
	}
	if err := s.EnrolTOTP(ctx, tok, secret, Code(t, secret, clk.Now())); err != nil {
		t.Fatal(err)
	}
	other := bytes.Repeat([]byte{9}, 20)
	clk.add(time.Minute)
	if err := s.EnrolTOTP(ctx, tok, other, Code(t, other, clk.Now())); err != store.ErrEnrolled {
		t.Fatalf("second enrolment: %v", err)
	}
	if had, err := s.ResetTOTP(ctx, "A@X"); !had || err != nil {
		t.Fatalf("reset: %v %v", had, err)
	}
	if err := s.EnrolTOTP(ctx, tok, other, Code(t, other, clk.Now())); err != nil {
		t.Fatalf("enrol after reset: %v", err)
	}
	clk.add(time.Minute)
	if err := s.CheckTOTP(ctx, tok, Code(t, secret, clk.Now())); err != store.ErrBadCode {
		t.Fatalf("old secret after reset: %v", err)
	}
}

func racingTOTP(t *testing.T, s store.Store, clk *Clock) {
	ctx := context.Background()
	rc, _ := put(t, s, 1, "a@x")
	tok := rc.Grants[0].Token
	if err := s.EnrolTOTP(ctx, tok, secret, Code(t, secret, clk.Now())); err != nil {
		t.Fatal(err)
	}
	clk.add(time.Minute)
	code := Code(t, secret, clk.Now())
	results := make(chan error, 8)
	for range cap(results) {
		go func() { results <- s.CheckTOTP(ctx, tok, code) }()
	}
	ok := 0
	for range cap(results) {
		if <-results == nil {
			ok++
		}
	}
	if ok != 1 {
		t.Fatalf("%d racing checks accepted one TOTP", ok)
	}
}

// totpAddressLockout: wrong codes on several links to one address add up,
// so more messages do not mean more guesses.
func totpAddressLockout(t *testing.T, s store.Store, clk *Clock) {
	ctx := context.Background()
	var toks []string
	for i := range 3 {
		rc, _ := put(t, s, i, "a@x")
		toks = append(toks, rc.Grants[0].Token)
	}
	if err := s.EnrolTOTP(ctx, toks[0], secret, Code(t, secret, clk.Now())); err != nil {
		t.Fatal(err)
	}
	clk.add(time.Minute)
	for i := range store.DefaultMaxFailures {
		want := store.ErrBadCode
		if i == store.DefaultMaxFailures-1 {
			want = store.ErrLocked
		}
		if err := s.CheckTOTP(ctx, toks[i%2], wrong(t, clk.Now())); err != want {
			t.Fatalf("wrong TOTP %d: %v, want %v", i, err, want)
		}
	}
	if err := s.CheckTOTP(ctx, toks[2], Code(t, secret, clk.Now())); err != store.ErrLocked {
		t.Fatalf("right TOTP on a third link while the address is locked: %v", err)
	}
	clk.add(store.DefaultLockout)
	if err := s.CheckTOTP(ctx, toks[2], Code(t, secret, clk.Now())); err != nil {
		t.Fatalf("after the lockout: %v", err)
	}
}
