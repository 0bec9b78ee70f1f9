package relay

import (
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkDispatchDeferred measures one scheduler round (dispatch) with
// 100,000 deferred messages in the queue and 5 due ones. The due ones
// fail their attempt record (BeforeAttempt), so no connection is made and
// each is due again one (fake) second later: every round starts 5 jobs.
// It also reports the heap held per queued message.
func BenchmarkDispatchDeferred(b *testing.B) {
	const deferred, due = 100_000, 5
	var clock atomic.Int64
	start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	clock.Store(start.UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()).UTC() }
	st := newMemStore()
	r, err := New(Options{Hostname: "relay.test", Logger: testLogger(), Now: now, MaxLifetime: 1000 * time.Hour,
		BeforeAttempt: func(AttemptStart) error { return errors.New("bench: no attempts") }}, st)
	if err != nil {
		b.Fatal(err)
	}
	ids := fillQueue(b, st, start, start.Add(10*365*24*time.Hour), deferred, due)
	memOnce.Do(func() { heapPerQueued = measureQueueHeap(b, start, deferred) })
	for _, id := range ids {
		if _, err := r.Restore(id); err != nil {
			b.Fatal(err)
		}
	}
	r.dispatch() // the first round sees every restored message once
	r.jobs.Wait()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		clock.Add(int64(time.Second))
		r.dispatch()
		r.jobs.Wait() // the due ones are back, each due a second later
	}
	b.StopTimer()
	b.ReportMetric(heapPerQueued, "heapB/queued")
	if d := r.Depth(); d != deferred+due {
		b.Fatalf("depth %d, want %d", d, deferred+due)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, id := range ids[deferred:] {
		if a := r.msgs[id].st.Recipients[0].NextAttempt; !a.After(start) {
			b.Fatalf("%s was never tried (next attempt %v)", id, a)
		}
	}
}

// The heap per queued message is measured once per process, before any
// relay of an earlier run (kept alive by its retry timers) is garbage.
var (
	memOnce       sync.Once
	heapPerQueued float64
)

// measureQueueHeap restores n deferred messages into a fresh relay and
// returns the heap that holds, per message.
func measureQueueHeap(b *testing.B, start time.Time, n int) float64 {
	st := newMemStore()
	ids := fillQueue(b, st, start, start.Add(time.Hour), n, 0)
	r, err := New(Options{Hostname: "relay.test", Logger: testLogger(), Now: func() time.Time { return start }}, st)
	if err != nil {
		b.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for _, id := range ids {
		if _, err := r.Restore(id); err != nil {
			b.Fatal(err)
		}
	}
	r.dispatch()
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(r)
	return (float64(after.HeapAlloc) - float64(before.HeapAlloc)) / float64(n)
}

// fillQueue stores deferred messages due at until, then due ones due at
// start, each with one recipient (1,000 domains), and returns their IDs.
func fillQueue(b testing.TB, st *memStore, start, until time.Time, deferred, due int) []string {
	var ids []string
	for i := range deferred + due {
		id := fmt.Sprintf("m%06d", i)
		to := fmt.Sprintf("r%d@d%d.test", i, i%1000)
		env := testEnvelope(id, "a@src.test", to)
		env.Received = start
		st.put(env, testBody)
		next := until
		if i >= deferred {
			next = start
		}
		raw, err := json.Marshal(queueState{Version: 1, ID: id, From: env.From, Received: start, Size: env.Size,
			Copies: []Copy{{Recipients: []string{to}}},
			Recipients: []*rcpt{{RecipientState: RecipientState{Addr: to, Status: StatusQueued, Attempts: 1,
				NextAttempt: next, LastAttempt: start}}}})
		if err != nil {
			b.Fatal(err)
		}
		if err := st.SaveState(id, raw); err != nil {
			b.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

// BenchmarkDrainAfterFlush measures draining a flushed backlog: 20,000
// deferred messages to 1,000 domains, all made due by Flush, then
// scheduler rounds until each has had its attempt (the attempt record
// fails, so each attempt ends at once and frees its slot). It reports the
// scheduler's cost per attempt, which must not grow with the backlog: a
// finished delivery used to touch every waiting message.
func BenchmarkDrainAfterFlush(b *testing.B) {
	const queued = 20_000
	start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for range b.N {
		b.StopTimer()
		st := newMemStore()
		var attempts atomic.Int64
		r, err := New(Options{Hostname: "relay.test", Logger: testLogger(), Now: func() time.Time { return start.Add(time.Hour) },
			MaxLifetime: 1000 * time.Hour,
			BeforeAttempt: func(AttemptStart) error {
				attempts.Add(1)
				return errors.New("bench: no attempts")
			}}, st)
		if err != nil {
			b.Fatal(err)
		}
		for _, id := range fillQueue(b, st, start, start.Add(24*time.Hour), queued, 0) {
			if _, err := r.Restore(id); err != nil {
				b.Fatal(err)
			}
		}
		r.dispatch()
		r.jobs.Wait()
		b.StartTimer()
		if err := r.Flush(""); err != nil {
			b.Fatal(err)
		}
		rounds := 0
		for attempts.Load() < queued {
			r.dispatch()
			r.jobs.Wait()
			if rounds++; rounds > 10*queued {
				b.Fatalf("%d attempts after %d rounds", attempts.Load(), rounds)
			}
		}
		b.StopTimer()
		b.ReportMetric(float64(rounds), "rounds")
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*queued), "ns/attempt")
}
