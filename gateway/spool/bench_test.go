package spool

import (
	"bytes"
	"runtime"
	"testing"
)

// BenchmarkCommit10KB commits 10 KB messages from 20 parallel writers and
// reports msgs/s and msg/ directory fsyncs per message (group commit makes
// that well below the 2 a lone committer needs).
func BenchmarkCommit10KB(b *testing.B) {
	s := newSpool(b)
	body := make([]byte, 10<<10)
	b.SetParallelism((20 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	b.SetBytes(int64(len(body)))
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
			if err := w.Commit(testEnvelope()); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64(s.msgSync.syncs())/float64(b.N), "dirsyncs/msg")
}

// BenchmarkEncryptedLifecycle10KB is what the spool does for an encrypted
// message that is delivered at the first try: commit the 10 KB message,
// write one 10 KB outbound copy, remove both. 20 parallel writers. The
// copy goes to a file (CopyMemory 0); see ...CopyInMemory for the default.
func BenchmarkEncryptedLifecycle10KB(b *testing.B) {
	benchLifecycle(b, newSpool(b))
}

// BenchmarkEncryptedLifecycleCopyInMemory10KB is the same with the copy in
// memory (the daemon's default, spool.copy_memory 32 MiB).
func BenchmarkEncryptedLifecycleCopyInMemory10KB(b *testing.B) {
	s, err := Open(Options{Dir: b.TempDir(), Key: testKey(b), CopyMemory: 32 << 20})
	if err != nil {
		b.Fatal(err)
	}
	benchLifecycle(b, s)
}

func benchLifecycle(b *testing.B, s *Spool) {
	body := make([]byte, 10<<10)
	b.SetParallelism((20 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := commit(b, s, body, nil)
			if err := s.PutCopy(id, "pgp", bytes.NewReader(body)); err != nil {
				b.Error(err)
				return
			}
			if err := s.Remove(id); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
