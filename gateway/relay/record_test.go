package relay

import (
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// recorder is a fake audit log that can be made to fail.
type recorder struct {
	mu       sync.Mutex
	fail     bool
	starts   []AttemptStart
	outcomes []Attempt
}

var errLogFull = errors.New("audit: write: no space left on device")

func (rec *recorder) before(s AttemptStart) error {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.fail {
		return errLogFull
	}
	rec.starts = append(rec.starts, s)
	return nil
}

func (rec *recorder) outcome(a Attempt) error {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.fail {
		return errLogFull
	}
	rec.outcomes = append(rec.outcomes, a)
	return nil
}

func (rec *recorder) setFail(v bool) { rec.mu.Lock(); rec.fail = v; rec.mu.Unlock() }

func (rec *recorder) counts() (starts, outcomes int) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return len(rec.starts), len(rec.outcomes)
}

// With the attempt record failing, nothing connects: the next hop never
// sees a session, and the recipient stays queued with no attempt counted.
func TestNoConnectionWithoutItsAttemptRecord(t *testing.T) {
	sk := newSink(t, "127.0.0.1:0", nil)
	st := newMemStore()
	st.put(testEnvelope("m1", "a@src.test", "b@dst.test"), testBody)
	rec := &recorder{fail: true}
	r := startRelay(t, Options{Smarthost: sk.addr, SmarthostTLS: "none", BeforeAttempt: rec.before, OnAttempt: rec.outcome}, st)
	if err := r.Submit("m1", []Copy{{Recipients: []string{"b@dst.test"}}}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	if n := sk.sessionCount(); n != 0 {
		t.Fatalf("%d sessions opened while the attempt could not be recorded", n)
	}
	if rs := rcptState(t, r, "m1", "b@dst.test"); rs.Status != StatusQueued || rs.Attempts != 0 {
		t.Fatalf("recipient %+v, want queued with no attempt", rs)
	}
	rec.setFail(false)
	waitFor(t, "delivery once the log is back", func() bool { return st.isRemoved("m1") })
	starts, outcomes := rec.counts()
	if starts != 1 || outcomes != 1 || sk.mailCount() != 1 {
		t.Fatalf("starts %d outcomes %d mails %d, want 1 each", starts, outcomes, sk.mailCount())
	}
	if s := rec.starts[0]; s.MsgID != "m1" || len(s.Recipients) != 1 || s.Recipients[0] != "b@dst.test" || s.Destination != "smarthost" || s.Attempt != 1 {
		t.Fatalf("attempt start %+v", s)
	}
}

// A delivery whose outcome record fails keeps the message queued (not
// removed, no second delivery) until the record is written; then it is
// removed with exactly one outcome record.
func TestDeliveredMessageStaysQueuedUntilItsRecordIsWritten(t *testing.T) {
	sk := newSink(t, "127.0.0.1:0", nil)
	st := newMemStore()
	st.put(testEnvelope("m1", "a@src.test", "b@dst.test"), testBody)
	rec := &recorder{}
	var failOutcomes atomic.Bool
	failOutcomes.Store(true)
	onAttempt := func(a Attempt) error {
		if failOutcomes.Load() {
			return errLogFull
		}
		return rec.outcome(a)
	}
	r := startRelay(t, Options{Smarthost: sk.addr, SmarthostTLS: "none", RetryMin: 200 * time.Millisecond,
		BeforeAttempt: rec.before, OnAttempt: onAttempt}, st)
	if err := r.Submit("m1", []Copy{{Recipients: []string{"b@dst.test"}}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the delivery", func() bool { return sk.mailCount() == 1 })
	time.Sleep(time.Second)
	if st.isRemoved("m1") {
		t.Fatal("message removed from the queue without its delivery record")
	}
	// The pending record is saved with the state: a crash now restores it.
	raw, _ := st.LoadState("m1")
	var qs queueState
	if err := json.Unmarshal(raw, &qs); err != nil || len(qs.Recipients) != 1 || qs.Recipients[0].Unrecorded == nil ||
		qs.Recipients[0].Unrecorded.Outcome != StatusDelivered {
		t.Fatalf("saved state lacks the pending record: %s (%v)", raw, err)
	}
	failOutcomes.Store(false)
	waitFor(t, "removal once the record is written", func() bool { return st.isRemoved("m1") })
	_, outcomes := rec.counts()
	if outcomes != 1 || rec.outcomes[0].Outcome != StatusDelivered || sk.mailCount() != 1 {
		t.Fatalf("outcomes %d (%+v), mails %d; want one delivered record and one delivery", outcomes, rec.outcomes, sk.mailCount())
	}
}

// A restored message whose outcome was never recorded writes the record
// before it is removed.
func TestRestoredPendingRecordIsWrittenBeforeRemoval(t *testing.T) {
	sk := newSink(t, "127.0.0.1:0", nil)
	st := newMemStore()
	st.put(testEnvelope("m1", "a@src.test", "b@dst.test"), testBody)
	pending := &Attempt{MsgID: "m1", Recipient: "b@dst.test", Outcome: StatusDelivered, Attempt: 1}
	qs := queueState{Version: 1, ID: "m1", From: "a@src.test", Received: time.Now(), Copies: []Copy{{Recipients: []string{"b@dst.test"}}},
		Recipients: []*rcpt{{RecipientState: RecipientState{Addr: "b@dst.test", Status: StatusDelivered, Attempts: 1}, Unrecorded: pending}}}
	raw, _ := json.Marshal(qs)
	st.SaveState("m1", raw)
	rec := &recorder{}
	r := startRelay(t, Options{Smarthost: sk.addr, SmarthostTLS: "none", BeforeAttempt: rec.before, OnAttempt: rec.outcome}, st)
	if _, err := r.Restore("m1"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "removal", func() bool { return st.isRemoved("m1") })
	starts, outcomes := rec.counts()
	if outcomes != 1 || rec.outcomes[0].Recipient != "b@dst.test" || starts != 0 || sk.mailCount() != 0 {
		t.Fatalf("starts %d outcomes %d mails %d: want the pending record written, nothing sent", starts, outcomes, sk.mailCount())
	}
}
