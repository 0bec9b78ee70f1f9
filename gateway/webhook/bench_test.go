package webhook

import (
	"fmt"
	"log/slog"
	"net/http"
	"testing"
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
