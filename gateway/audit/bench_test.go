package audit

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

// BenchmarkAppend measures durable appends (write + fsync, group-committed)
// with 1, 16 and 64 concurrent writers on the test's temp directory.
func BenchmarkAppend(b *testing.B) {
	for _, writers := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			dir := b.TempDir()
			l := mustOpen(b, Options{Dir: dir, SigningKey: newKey(b)})
			defer l.Close()
			ev := Event{Type: TypeDelivery, MsgID: "0123456789abcdefghijklmnop", MessageID: "<bench@example.org>",
				Data: Delivery{Recipient: "someone@example.org", Outcome: "delivered", RemoteHost: "mx.example.org", Reply: "250 2.0.0 ok",
					TLSVersion: "TLS1.3", TLSCipher: "TLS_AES_128_GCM_SHA256", TLSVerified: true, TLSAuth: "verified"}}
			lat := make([][]time.Duration, writers)
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for w := 0; w < writers; w++ {
				n := b.N / writers
				if w < b.N%writers {
					n++
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < n; i++ {
						t0 := time.Now()
						if _, err := l.Append(ev); err != nil {
							b.Error(err)
							return
						}
						lat[w] = append(lat[w], time.Since(t0))
					}
				}()
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			all := slices.Concat(lat...)
			slices.Sort(all)
			if len(all) > 0 {
				b.ReportMetric(float64(len(all))/elapsed.Seconds(), "records/s")
				b.ReportMetric(float64(all[len(all)*99/100].Microseconds()), "p99-µs")
			}
		})
	}
}
