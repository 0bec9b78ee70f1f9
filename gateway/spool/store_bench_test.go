package spool

import (
	"bytes"
	"os"
	"runtime"
	"sync/atomic"
	"testing"
)

// benchCopies runs op from 20 parallel goroutines, each on a message of
// its own (committed before the timer starts), and reports fsyncs per op
// (file and directory fsyncs, counted through the test seam).
func benchCopies(b *testing.B, op func(s *Spool, id string, data []byte) error) {
	s := newSpool(b)
	var syncs atomic.Int64
	sync := s.syncFile
	s.syncFile = func(f *os.File) error { syncs.Add(1); return sync(f) }
	const writers = 20
	ids := make([]string, writers)
	for i := range ids {
		ids[i] = commit(b, s, []byte("Subject: x\r\n\r\nbody\r\n"), nil)
	}
	data := bytes.Repeat([]byte("encrypted copy line\r\n"), 10<<10/21)
	var next atomic.Int64
	b.SetParallelism((writers + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	b.SetBytes(int64(len(data)))
	syncs.Store(0)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		id := ids[int(next.Add(1)-1)%writers]
		for pb.Next() {
			if err := op(s, id, data); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(syncs.Load())/float64(b.N), "fsyncs/op")
}

// BenchmarkPutCopy10KB is what processing writes per encrypted message:
// one 10 KB outbound copy.
func BenchmarkPutCopy10KB(b *testing.B) {
	benchCopies(b, func(s *Spool, id string, data []byte) error {
		return s.PutCopy(id, "pgp", bytes.NewReader(data))
	})
}

// BenchmarkPutCopyThenSaveState10KB is a copy followed by a saved relay
// state that names it (a deferral, a hold).
func BenchmarkPutCopyThenSaveState10KB(b *testing.B) {
	state := bytes.Repeat([]byte("s"), 600)
	benchCopies(b, func(s *Spool, id string, data []byte) error {
		if err := s.PutCopy(id, "pgp", bytes.NewReader(data)); err != nil {
			return err
		}
		return s.SaveState(id, state)
	})
}
