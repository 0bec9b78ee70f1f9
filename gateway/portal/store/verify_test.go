package store

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

func issue(t *testing.T, s *DirStore, tok string) string {
	t.Helper()
	code, _, err := s.IssueCode(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	if len(code) != CodeDigits || strings.Trim(code, "0123456789") != "" {
		t.Fatalf("code %q is not %d digits", code, CodeDigits)
	}
	return code
}

func TestCodeWorksOnceAndOnlyForItsToken(t *testing.T) {
	s, _, _ := newTestStore(t)
	ctx := context.Background()
	rc, _ := put(t, s, "a@x", "b@y")
	ta, tb := rc.Grants[0].Token, rc.Grants[1].Token
	code := issue(t, s, ta)
	if err := s.CheckCode(ctx, tb, code); err != ErrBadCode {
		t.Fatalf("A's code for B: %v", err)
	}
	if err := s.CheckCode(ctx, ta, code); err != nil {
		t.Fatalf("right code: %v", err)
	}
	if err := s.CheckCode(ctx, ta, code); err != ErrBadCode {
		t.Fatalf("code reused: %v", err)
	}
}

func TestCodeExpiresAfterTenMinutes(t *testing.T) {
	s, c, _ := newTestStore(t)
	rc, _ := put(t, s, "a@x")
	tok := rc.Grants[0].Token
	code, expires, err := s.IssueCode(context.Background(), tok)
	if err != nil || !expires.Equal(c.Now().Add(10*time.Minute)) {
		t.Fatalf("expires %v, %v", expires, err)
	}
	c.Add(10 * time.Minute)
	if err := s.CheckCode(context.Background(), tok, code); err != ErrBadCode {
		t.Fatalf("code at 10 minutes: %v", err)
	}
	code = issue(t, s, tok)
	c.Add(10*time.Minute - time.Second)
	if err := s.CheckCode(context.Background(), tok, code); err != nil {
		t.Fatalf("code just inside its life: %v", err)
	}
}

func TestNewCodeReplacesTheOld(t *testing.T) {
	s, _, _ := newTestStore(t)
	rc, _ := put(t, s, "a@x")
	tok := rc.Grants[0].Token
	first := issue(t, s, tok)
	second := issue(t, s, tok)
	if first != second {
		if err := s.CheckCode(context.Background(), tok, first); err != ErrBadCode {
			t.Fatalf("replaced code: %v", err)
		}
	}
	if err := s.CheckCode(context.Background(), tok, second); err != nil {
		t.Fatalf("latest code: %v", err)
	}
}

func TestWrongCodesLockOutThenLockExpires(t *testing.T) {
	s, c, _ := newTestStore(t)
	ctx := context.Background()
	rc, _ := put(t, s, "a@x", "b@y")
	tok := rc.Grants[0].Token
	code := issue(t, s, tok)
	wrong := "99999999"
	if code == wrong {
		wrong = "99999998"
	}
	for i := 1; i <= DefaultMaxFailures; i++ {
		err := s.CheckCode(ctx, tok, wrong)
		if i < DefaultMaxFailures && err != ErrBadCode || i == DefaultMaxFailures && err != ErrLocked {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	if err := s.CheckCode(ctx, tok, code); err != ErrLocked {
		t.Fatalf("right code while locked: %v", err)
	}
	if _, _, err := s.IssueCode(ctx, tok); err != ErrLocked {
		t.Fatalf("new code while locked: %v", err)
	}
	if locked, _ := s.Locked(ctx, tok); !locked {
		t.Fatal("Locked says no")
	}
	if locked, _ := s.Locked(ctx, rc.Grants[1].Token); locked {
		t.Fatal("lockout spilled onto another recipient's token")
	}
	c.Add(DefaultLockout)
	if err := s.CheckCode(ctx, tok, code); err != ErrBadCode {
		t.Fatalf("pre-lockout code after lockout: %v, want it voided", err)
	}
	if err := s.CheckCode(ctx, tok, issue(t, s, tok)); err != nil {
		t.Fatalf("fresh code after lockout: %v", err)
	}
}

func TestOtherFactorFailuresShareTheCounterAndSuccessResetsIt(t *testing.T) {
	s, _, _ := newTestStore(t)
	ctx := context.Background()
	rc, _ := put(t, s, "a@x")
	tok := rc.Grants[0].Token
	for range DefaultMaxFailures - 1 {
		if err := s.Fail(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CheckCode(ctx, tok, issue(t, s, tok)); err != nil {
		t.Fatalf("right code: %v", err)
	}
	for range DefaultMaxFailures - 1 {
		s.Fail(ctx, tok)
	}
	if err := s.CheckCode(ctx, tok, "x"); err != ErrLocked {
		t.Fatalf("passphrase failures + one bad code: %v", err)
	}
	if err := s.Fail(ctx, "no-such-token"); err != ErrNotFound {
		t.Fatalf("Fail on unknown token: %v", err)
	}
}

func TestEventLogKeepsKindsAndTimesPerRecipient(t *testing.T) {
	s, c, _ := newTestStore(t)
	ctx := context.Background()
	rc, _ := put(t, s, "a@x", "b@y")
	kinds := []EventKind{EventNotified, EventCodeSent, EventFailed, EventVerified, EventOpened, EventDownloaded, EventReplied}
	for _, k := range kinds {
		c.Add(time.Second)
		if err := s.Record(ctx, rc.ID, "a@x", k); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Record(ctx, rc.ID, "a@x", "read the subject line"); err == nil {
		t.Fatal("free-text event kind accepted")
	}
	if err := s.Record(ctx, rc.ID, "intruder@evil", EventOpened); err != ErrNotFound {
		t.Fatalf("event for a non-recipient: %v", err)
	}
	c.Add(time.Second)
	if err := s.Revoke(ctx, rc.ID, "admin"); err != nil {
		t.Fatal(err)
	}
	evs, err := s.Events(ctx, rc.ID)
	if err != nil || len(evs) != len(kinds)+2 {
		t.Fatalf("%d events, %v", len(evs), err)
	}
	for i, k := range kinds {
		if evs[i].Kind != k || evs[i].Recipient != "a@x" || evs[i].MessageID != rc.ID || !evs[i].Time.Equal(newClock().Now().Add(time.Duration(i+1)*time.Second)) {
			t.Fatalf("event %d: %+v", i, evs[i])
		}
	}
	for _, e := range evs[len(kinds):] {
		if e.Kind != EventRevoked {
			t.Fatalf("tail event %+v", e)
		}
	}
	data, _ := json.Marshal(evs[0])
	var fields map[string]any
	json.Unmarshal(data, &fields)
	if len(fields) != 4 {
		t.Fatalf("event carries more than time, id, recipient, kind: %s", data)
	}
}

func TestRacingChecksOfOneCodeSucceedOnce(t *testing.T) {
	s, _, _ := newTestStore(t)
	rc, _ := put(t, s, "a@x")
	tok := rc.Grants[0].Token
	code := issue(t, s, tok)
	results := make(chan error, 16)
	for range cap(results) {
		go func() { results <- s.CheckCode(context.Background(), tok, code) }()
	}
	ok := 0
	for range cap(results) {
		if err := <-results; err == nil {
			ok++
		} else if err != ErrBadCode && err != ErrLocked {
			t.Fatal(err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d racing checks accepted the code, want 1", ok)
	}
}

func TestEveryVerificationAttemptIsLogged(t *testing.T) {
	s, _, _ := newTestStore(t)
	ctx := context.Background()
	rc, _ := put(t, s, "a@x", "b@y")
	tok := rc.Grants[1].Token
	s.CheckCode(ctx, tok, "00000000")
	s.Fail(ctx, tok)
	s.CheckCode(ctx, tok, issue(t, s, tok))
	evs, err := s.Events(ctx, rc.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []EventKind
	for _, e := range evs {
		if e.Recipient != "b@y" {
			t.Fatalf("attempt logged for the wrong recipient: %+v", e)
		}
		got = append(got, e.Kind)
	}
	failed := 0
	for _, k := range got {
		if k == EventFailed {
			failed++
		}
	}
	if len(got) != 3 || failed != 2 || !slices.Contains(got, EventVerified) {
		t.Fatalf("events %v, want two failed and one verified", got)
	}
}

func TestCodesPerTokenAreLimitedPerHour(t *testing.T) {
	s, c, _ := newTestStore(t)
	ctx := context.Background()
	rc, _ := put(t, s, "a@x")
	tok := rc.Grants[0].Token
	var last string
	for range DefaultMaxCodes {
		last = issue(t, s, tok)
	}
	if _, _, err := s.IssueCode(ctx, tok); err != ErrTooManyCodes {
		t.Fatalf("code %d: %v", DefaultMaxCodes+1, err)
	}
	if err := s.CheckCode(ctx, tok, last); err != nil {
		t.Fatalf("last issued code: %v", err)
	}
	if _, _, err := s.IssueCode(ctx, tok); err != ErrTooManyCodes {
		t.Fatalf("a success must not reset the allowance: %v", err)
	}
	c.Add(time.Hour)
	issue(t, s, tok)
}
