package tracker

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
)

// BenchmarkApply measures how fast a tracker catches up: records applied
// per second from a log of 2,000 messages of 5 records each (received,
// decision, attempt, two deliveries), the shape the daemon writes.
func BenchmarkApply(b *testing.B) {
	const msgs = 2000
	e := newEnv(b, nil)
	var wg sync.WaitGroup
	for w := range 20 { // concurrent appenders share fsyncs
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < msgs; i += 20 {
				id := fmt.Sprintf("bench-%05d", i)
				x, y := "x"+id+"@partner.example", "y"+id+"@partner.example"
				e.append(received(id, "inbound", x, y))
				e.append(decision(id, "phi", "encrypt", x, "tls-verified", y, "pgp"))
				e.append(attempt(id, 1, x, y))
				e.append(delivery(id, x, "delivered", 1))
				e.append(delivery(id, y, "delivered", 1))
			}
		}()
	}
	wg.Wait()
	last := e.append(received("bench-last", "inbound", "z@partner.example"))
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		s, err := OpenBolt(filepath.Join(b.TempDir(), fmt.Sprintf("t%d.db", i)))
		if err != nil {
			b.Fatal(err)
		}
		tr, err := New(Options{AuditDir: filepath.Join(e.dir, "audit"), Store: s, Emit: func([]Event) error { return nil }})
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		b.StartTimer()
		go func() { done <- tr.Run(ctx) }()
		wait(b, tr, last.Seq)
		b.StopTimer()
		cancel()
		<-done
		s.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(last.Seq)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
