package webhook

import (
	"fmt"
	"log/slog"
	"net/http"
	"testing"
	"time"
)

// BenchmarkEmitDeliver: events emitted in batches of 10 (one fsync per
// batch) and delivered to a local receiver that answers 204 at once;
// each iteration is one event, emitted and acknowledged.
func BenchmarkEmitDeliver(b *testing.B) {
	secret := mustSecret(b)
	rcv := newReceiver(b, secret, func(string, payload) int { return http.StatusNoContent })
	s, _ := tempStore(b)
	o := fastOptions(s, configEndpoint("ep1", rcv.URL, secret))
	o.Logger = slog.New(slog.DiscardHandler)
	d := startDispatcher(b, o)
	b.ResetTimer()
	for i := 0; i < b.N; i += 10 {
		var evs []Event
		for j := i; j < min(i+10, b.N); j++ {
			evs = append(evs, testEvent(fmt.Sprintf("b%d", j/4), j%4, messageEvents[j%4]))
		}
		if err := d.Emit(evs); err != nil {
			b.Fatal(err)
		}
	}
	waitFor(b, "every event delivered", func() bool { return rcv.delivered() == b.N })
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkLeaseWithBacklog: 10,000 pending events of 10 messages whose
// first events all wait for a retry an hour away, as for an endpoint that
// is down. A Lease finds nothing due; its cost must not grow with the
// backlog (it reads the schedule's first entry and stops).
func BenchmarkLeaseWithBacklog(b *testing.B) {
	s, _ := tempStore(b)
	ctx := b.Context()
	var evs []Event
	for i := range 10000 {
		evs = append(evs, testEvent(fmt.Sprintf("m%d", i%10), i/10, "message.accepted"))
	}
	if err := s.Add(ctx, []Endpoint{storeEndpoint("a")}, evs, false); err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	ds, _, err := s.Lease(ctx, "a", now, 100, time.Minute)
	if err != nil || len(ds) != 10 {
		b.Fatalf("leased %d, %v", len(ds), err)
	}
	for _, d := range ds {
		if err := s.Fail(ctx, d, now, now.Add(time.Hour)); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		ds, next, err := s.Lease(ctx, "a", now, 4, time.Minute)
		if err != nil || len(ds) != 0 || next.IsZero() {
			b.Fatalf("leased %d, next %v, %v", len(ds), next, err)
		}
	}
}
