package audit_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"path/filepath"
	"testing"

	"github.com/sealgate/sealgate/envelope"
	"github.com/sealgate/sealgate/gateway/audit"
	"github.com/sealgate/sealgate/gateway/spool"
)

// BenchmarkIngressCommit is the durable part of the path to a 250, from 20
// sessions at once on one filesystem: the "received" record appended
// (group fsync), then a 10 KB message committed to the spool (file fsync,
// rename, group directory fsync). It shows how the audit's fsyncs and the
// spool's share the disk's journal, which neither package's own benchmark
// does.
func BenchmarkIngressCommit(b *testing.B) {
	dir := b.TempDir()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	l, err := audit.Open(audit.Options{Dir: filepath.Join(dir, "audit"), SigningKey: key})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	sk := make([]byte, 32)
	rand.Read(sk)
	s, err := spool.Open(spool.Options{Dir: filepath.Join(dir, "spool"), Key: sk})
	if err != nil {
		b.Fatal(err)
	}
	body := make([]byte, 10<<10)
	b.SetParallelism(10) // 20 goroutines on 2 CPUs
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			w, err := s.NewMessage()
			if err != nil {
				b.Error(err)
				return
			}
			if _, err := w.Write(body); err != nil {
				b.Error(err)
				return
			}
			env := &envelope.Envelope{From: "a@clinic.example", Recipients: []envelope.Recipient{{Addr: "b@partner.example"}}}
			if _, err := l.Append(audit.Event{Type: audit.TypeReceived, MsgID: w.ID(), Data: audit.Received{
				Listener: "bench", ClientIP: "127.0.0.1", From: env.From, Recipients: env.Addrs(), Size: int64(len(body))}}); err != nil {
				b.Error(err)
				return
			}
			if err := w.Commit(env); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
