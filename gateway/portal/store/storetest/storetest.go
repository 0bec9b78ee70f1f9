// Package storetest is the behaviour every store.Store must show, as a
// suite any implementation runs: the embedded DirStore today, a
// database-backed one for several nodes later. It uses only the
// interface, so it proves the contract, not one implementation's files.
package storetest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/sealgate/sealgate/gateway/portal/store"
)

// Clock is the settable time a suite run gives the store under test.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *Clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Factory opens an empty store that reads time from now and uses the
// store package's default limits; the suite closes it.
type Factory func(t *testing.T, now func() time.Time) store.Store

// Run runs every behaviour as a subtest, each on a fresh store.
func Run(t *testing.T, open Factory) {
	cases := []struct {
		name string
		fn   func(*testing.T, store.Store, *Clock)
	}{
		{"RoundTripIsExact", roundTrip},
		{"TokenResolvesToItsOwnRecipientOnly", isolation},
		{"DeadTokensRevealNothing", deadTokens},
		{"ExtendAndSweep", extendAndSweep},
		{"CodeSingleUseAndLockout", codes},
		{"RacingChecksOfOneCodeSucceedOnce", racingCodes},
		{"SourceThrottleAcrossTokens", sources},
		{"TOTPIsPerAddressAndSingleUse", totpPerAddress},
		{"TOTPFailuresLockAndSurviveEmailCodes", totpLockout},
		{"TOTPEnrolOnceAndReset", totpEnrolOnce},
		{"TOTPFailuresAcrossLinksLockTheAddress", totpAddressLockout},
		{"RacingTOTPChecksSucceedOnce", racingTOTP},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clk := &Clock{t: time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)}
			s := open(t, clk.Now)
			t.Cleanup(func() { s.Close() })
			c.fn(t, s, clk)
		})
	}
}

// body is n bytes of a message unique to seed, spanning chunks when big.
func body(seed, n int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: a@x\r\nTo: b@y\r\nX-Seed: %d\r\n\r\n", seed)
	for b.Len() < n {
		fmt.Fprintf(&b, "line %d of message %d\r\n", b.Len(), seed)
	}
	return b.Bytes()
}

func put(t *testing.T, s store.Store, seed int, rcpts ...string) (store.Receipt, []byte) {
	t.Helper()
	msg := body(seed, 150<<10)
	rc, err := s.Put(context.Background(), store.PutMeta{Sender: "doc@h", Recipients: rcpts}, bytes.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	if len(rc.Grants) != len(rcpts) {
		t.Fatalf("%d grants for %d recipients", len(rc.Grants), len(rcpts))
	}
	return rc, msg
}

func read(t *testing.T, r io.ReadCloser, err error) []byte {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func roundTrip(t *testing.T, s store.Store, _ *Clock) {
	rc, msg := put(t, s, 1, "a@x")
	if !bytes.Equal(openAll(t, s, rc.ID), msg) {
		t.Fatal("Open changed the message")
	}
	acc, r, err := s.OpenToken(context.Background(), rc.Grants[0].Token)
	if !bytes.Equal(read(t, r, err), msg) || acc.MessageID != rc.ID {
		t.Fatal("OpenToken changed the message")
	}
}

func openAll(t *testing.T, s store.Store, id string) []byte {
	t.Helper()
	r, err := s.Open(context.Background(), id)
	return read(t, r, err)
}

func isolation(t *testing.T, s store.Store, _ *Clock) {
	ctx := context.Background()
	a, msgA := put(t, s, 1, "a1@x", "a2@x")
	b, msgB := put(t, s, 2, "b1@y")
	for _, tc := range []struct {
		g   store.Grant
		id  string
		msg []byte
	}{{a.Grants[0], a.ID, msgA}, {a.Grants[1], a.ID, msgA}, {b.Grants[0], b.ID, msgB}} {
		acc, r, err := s.OpenToken(ctx, tc.g.Token)
		got := read(t, r, err)
		if acc.MessageID != tc.id || acc.Recipient != tc.g.Recipient || !bytes.Equal(got, tc.msg) {
			t.Fatalf("token for %s resolved to %s/%s", tc.g.Recipient, acc.MessageID, acc.Recipient)
		}
	}
}

func deadTokens(t *testing.T, s store.Store, clk *Clock) {
	ctx := context.Background()
	revoked, _ := put(t, s, 1, "a@x")
	expired, err := s.Put(ctx, store.PutMeta{Sender: "d@h", Recipients: []string{"b@y"}, Expires: clk.Now().Add(time.Hour)}, bytes.NewReader(body(2, 10)))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Revoke(ctx, revoked.ID, "admin"); err != nil {
		t.Fatal(err)
	}
	clk.add(2 * time.Hour)
	for name, tok := range map[string]string{"wrong": "AAAA" + revoked.Grants[0].Token[4:] + "x",
		"revoked": revoked.Grants[0].Token, "expired": expired.Grants[0].Token} {
		if _, err := s.Lookup(ctx, tok); err != store.ErrNotFound {
			t.Errorf("%s: Lookup = %v", name, err)
		}
		if _, _, err := s.OpenToken(ctx, tok); err != store.ErrNotFound {
			t.Errorf("%s: OpenToken = %v", name, err)
		}
		if _, _, err := s.IssueCode(ctx, tok); err != store.ErrNotFound {
			t.Errorf("%s: IssueCode = %v", name, err)
		}
	}
	if n, err := s.Sweep(ctx, clk.Now()); n != 1 || err != nil {
		t.Fatalf("Sweep = %d, %v", n, err)
	}
	if _, err := s.Open(ctx, expired.ID); err != store.ErrNotFound {
		t.Fatalf("swept: Open = %v", err)
	}
	for id, want := range map[string]store.State{revoked.ID: store.Revoked, expired.ID: store.Expired} {
		if m, err := s.Message(ctx, id); err != nil || m.State != want {
			t.Fatalf("tombstone %+v, %v", m, err)
		}
	}
}

func extendAndSweep(t *testing.T, s store.Store, clk *Clock) {
	ctx := context.Background()
	rc, msg := put(t, s, 1, "a@x")
	if err := s.Extend(ctx, rc.ID, clk.Now().Add(store.DefaultLifetime+time.Hour)); err != nil {
		t.Fatal(err)
	}
	clk.add(store.DefaultLifetime)
	if n, _ := s.Sweep(ctx, clk.Now()); n != 0 {
		t.Fatal("extended message swept")
	}
	if !bytes.Equal(openAll(t, s, rc.ID), msg) {
		t.Fatal("extended message changed")
	}
	clk.add(time.Hour)
	if n, _ := s.Sweep(ctx, clk.Now()); n != 1 {
		t.Fatal("message not swept at its extended expiry")
	}
	evs, err := s.Events(ctx, rc.ID)
	if err != nil || len(evs) != 1 || evs[0].Kind != store.EventExpired {
		t.Fatalf("events %+v, %v", evs, err)
	}
}

func codes(t *testing.T, s store.Store, clk *Clock) {
	ctx := context.Background()
	rc, _ := put(t, s, 1, "a@x", "b@y")
	tok := rc.Grants[0].Token
	code, _, err := s.IssueCode(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CheckCode(ctx, rc.Grants[1].Token, code); err != store.ErrBadCode {
		t.Fatalf("code for another token: %v", err)
	}
	if err := s.CheckCode(ctx, tok, code); err != nil {
		t.Fatalf("right code: %v", err)
	}
	if err := s.CheckCode(ctx, tok, code); err != store.ErrBadCode {
		t.Fatalf("reused code: %v", err)
	}
	code, _, _ = s.IssueCode(ctx, tok)
	clk.add(store.DefaultCodeLife)
	if err := s.CheckCode(ctx, tok, code); err != store.ErrBadCode {
		t.Fatalf("expired code: %v", err)
	}
	var last error
	for range store.DefaultMaxFailures {
		last = s.Fail(ctx, tok)
	}
	if locked, _ := s.Locked(ctx, tok); !locked || last != store.ErrLocked {
		t.Fatalf("not locked after %d failures: %v", store.DefaultMaxFailures, last)
	}
	clk.add(store.DefaultLockout)
	if locked, _ := s.Locked(ctx, tok); locked {
		t.Fatal("lockout did not end")
	}
}

func racingCodes(t *testing.T, s store.Store, _ *Clock) {
	rc, _ := put(t, s, 1, "a@x")
	tok := rc.Grants[0].Token
	code, _, err := s.IssueCode(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	results := make(chan error, 12)
	for range cap(results) {
		go func() { results <- s.CheckCode(context.Background(), tok, code) }()
	}
	ok := 0
	for range cap(results) {
		if <-results == nil {
			ok++
		}
	}
	if ok != 1 {
		t.Fatalf("%d racing checks accepted one code", ok)
	}
}

func sources(t *testing.T, s store.Store, clk *Clock) {
	ctx := context.Background()
	var last error
	for range store.DefaultSourceFailures {
		last = s.FailSource(ctx, "203.0.113.9")
	}
	if last != store.ErrLocked {
		t.Fatalf("source not locked: %v", last)
	}
	if locked, _ := s.SourceLocked(ctx, "203.0.113.10"); locked {
		t.Fatal("lockout spilled onto another source")
	}
	clk.add(store.DefaultLockout)
	if locked, _ := s.SourceLocked(ctx, "203.0.113.9"); locked {
		t.Fatal("source lockout did not end")
	}
}
