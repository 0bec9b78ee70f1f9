package relay

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The scheduler parks deferred messages in its heap instead of looking at
// them every round, forgets a deleted one, and delivers the rest when
// their time comes.
func TestDeferredMessagesWaitInTheHeapUntilDue(t *testing.T) {
	sk := newSink(t, "127.0.0.1:0", nil)
	st := newMemStore()
	start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	var clock atomic.Int64
	clock.Store(start.UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()).UTC() }
	until := start.Add(time.Hour)
	ids := fillQueue(t, st, start, until, 3, 0)
	r := startRelay(t, Options{Smarthost: sk.addr, SmarthostTLS: "none", Now: now}, st)
	for _, id := range ids {
		if _, err := r.Restore(id); err != nil {
			t.Fatal(err)
		}
	}
	parked := func(n int) func() bool {
		return func() bool {
			r.mu.Lock()
			defer r.mu.Unlock()
			return len(r.ready) == 0 && len(r.timed) == n && r.nextWake().Equal(until)
		}
	}
	waitFor(t, "3 messages parked until their next attempt", parked(3))
	if err := r.Delete(ids[1]); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the deleted message gone from the heap", parked(2))
	if n := len(sk.received()); n != 0 {
		t.Fatalf("%d messages delivered before they were due", n)
	}
	clock.Store(until.UnixNano())
	r.kick()
	waitFor(t, "2 delivered, queue empty", func() bool { return len(sk.received()) == 2 && r.Depth() == 0 })
	for _, m := range sk.received() {
		if len(m.rcpts) > 0 && m.rcpts[0] == "r1@d1.test" {
			t.Fatal("the deleted message was delivered")
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.timed) != 0 || len(r.msgs) != 0 {
		t.Fatalf("after the queue drained: %d in the heap, %d messages; want none", len(r.timed), len(r.msgs))
	}
}

// Messages that wait for a delivery slot get the freed slots before
// messages that arrive later, and each finished delivery looks at only as
// many waiting messages as there are free slots.
func TestWaitingMessagesGetFreedSlotsBeforeNewOnes(t *testing.T) {
	start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	st := newMemStore()
	var mu sync.Mutex
	var order []string
	r, err := New(Options{Hostname: "relay.test", Logger: testLogger(), Now: func() time.Time { return start.Add(time.Minute) },
		MaxLifetime: 1000 * time.Hour, MaxConcurrency: 1,
		BeforeAttempt: func(a AttemptStart) error {
			mu.Lock()
			order = append(order, a.MsgID)
			mu.Unlock()
			return errors.New("test: no attempts")
		}}, st)
	if err != nil {
		t.Fatal(err)
	}
	ids := fillQueue(t, st, start, start, 0, 6)
	for _, id := range ids[:5] {
		if _, err := r.Restore(id); err != nil {
			t.Fatal(err)
		}
	}
	r.dispatch() // one starts, four wait
	r.jobs.Wait()
	if _, err := r.Restore(ids[5]); err != nil { // arrives after them
		t.Fatal(err)
	}
	for range 10 {
		r.dispatch()
		r.jobs.Wait()
	}
	mu.Lock()
	defer mu.Unlock()
	if len(order) != 6 {
		t.Fatalf("%d attempts, want 6: %v", len(order), order)
	}
	if order[5] != ids[5] {
		t.Fatalf("the late message overtook waiting ones: %v", order)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if n := len(r.blocked) - r.blockedHead; n != 0 {
		t.Errorf("%d messages still in the waiting line", n)
	}
}
