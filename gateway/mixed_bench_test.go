package gateway

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sealgate/sealgate/internal/capture"
)

// BenchmarkEndToEndMixedRecipients is the whole daemon on loopback, by MX:
// plain mail without PHI next to PHI to four recipients served four ways
// (S/MIME, PGP, verified TLS, the portal), in the same run. Messages/s is
// accepted-to-every-copy-captured; copies/s counts what left. Run with
// -benchtime=200x or so; 8 SMTP sessions in parallel.
func BenchmarkEndToEndMixedRecipients(b *testing.B) {
	w := newPortalWorld(b, "")
	bobCert, _ := smimeRecipient(b, "bob@partner.test")
	carolKey, _ := gpgRecipient(b, "carol@partner.test")
	importKey(b, w.env, "bob.crt", bobCert)
	importKey(b, w.env, "carol.asc", carolKey)
	w.start(b)
	four := []string{"bob@partner.test", "carol@partner.test", "dana@verified.test", "erin@home.test"}
	cases := []struct {
		name   string
		rcpts  []string
		copies int
		msg    func(i int) string
	}{
		{"plain-1-rcpt", []string{"dana@verified.test"}, 1, func(i int) string {
			return fmt.Sprintf("From: <dr@clinic.test>\r\nTo: <dana@verified.test>\r\nSubject: lunch %d\r\n\r\n%s\r\n", i, strings.Repeat("See you at noon at the usual place, bring the agenda.\r\n", 180))
		}},
		{"phi-4-methods", four, 4, func(i int) string {
			return strings.Replace(fourWayMessage(), "Message-ID: <four@clinic.test>", fmt.Sprintf("Message-ID: <four-%d@clinic.test>", i), 1)
		}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			start := w.sink.Count()
			want := start + b.N*c.copies
			b.ResetTimer()
			t0 := time.Now()
			var wg sync.WaitGroup
			next := make(chan int)
			for range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range next {
						if err := send(w.env.Listen, "dr@clinic.test", c.rcpts, c.msg(i)); err != nil {
							b.Error(err)
						}
					}
				}()
			}
			for i := range b.N {
				next <- i
			}
			close(next)
			wg.Wait()
			if b.Failed() {
				return
			}
			if !w.sink.WaitFor(5*time.Minute, func(ms []capture.Message) bool { return len(ms) > 0 && ms[len(ms)-1].Seq >= want }) {
				b.Fatalf("%d of %d copies arrived", w.sink.Count()-start, b.N*c.copies)
			}
			el := time.Since(t0).Seconds()
			b.ReportMetric(float64(b.N)/el, "msgs/s")
			b.ReportMetric(float64(b.N*c.copies)/el, "copies/s")
		})
	}
}
