package relay

import (
	"fmt"
	"testing"
	"time"

	"github.com/sealgate/sealgate/internal/tlslevel"
)

// BenchmarkDeliveryVerifiedTLS measures messages per second to an MX sink
// with verified TLS (level verify), with the connection pool (reuse) and
// without (a new TCP connection, STARTTLS and handshake per message; TLS
// session resumption still applies).
func BenchmarkDeliveryVerifiedTLS(b *testing.B) {
	for _, reuse := range []bool{true, false} {
		b.Run(fmt.Sprintf("reuse=%v", reuse), func(b *testing.B) {
			cfg, _, pool := validCert(b, "mx.bench.test")
			w := newWorld(b, cfg, map[string]string{"bench.test": "mx.bench.test"})
			r, err := New(w.options(Options{Hostname: "relay.test", RootCAs: pool, Logger: testLogger(),
				TLSPolicy: map[string]tlslevel.Level{"bench.test": "verify"}, MaxPerDomain: 5}), w.st)
			if err != nil {
				b.Fatal(err)
			}
			if !reuse {
				r.pool.CloseAll() // every session is QUIT after its message
			}
			r.Start()
			defer r.Stop(b.Context())
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				id := fmt.Sprintf("b%d", i)
				w.st.put(testEnvelope(id, "a@src.test", "x@bench.test"), testBody)
				if err := r.Submit(id, []Copy{{Recipients: []string{"x@bench.test"}, MinTLS: "verify"}}); err != nil {
					b.Fatal(err)
				}
			}
			for len(w.sk.received()) < b.N {
				time.Sleep(time.Millisecond)
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
			b.ReportMetric(float64(w.sk.sessionCount()), "sessions")
		})
	}
}
