package store

import (
	"context"
	"crypto/sha256"
	"io"
	"runtime"
	"testing"
)

// patternReader yields n bytes of a repeating message line without ever
// holding them, so measurements see the store's memory, not the test's.
type patternReader struct {
	n   int64
	off int
}

var patternLine = []byte(bodyMarker + "\r\n")

func (p *patternReader) Read(b []byte) (int, error) {
	if p.n <= 0 {
		return 0, io.EOF
	}
	b = b[:min(int64(len(b)), p.n)]
	for i := range b {
		b[i] = patternLine[p.off]
		p.off = (p.off + 1) % len(patternLine)
	}
	p.n -= int64(len(b))
	return len(b), nil
}

func patternHash(n int64) [32]byte {
	h := sha256.New()
	io.Copy(h, &patternReader{n: n})
	return [32]byte(h.Sum(nil))
}

func putPattern(tb testing.TB, s *DirStore, n int64) Receipt {
	rc, err := s.Put(context.Background(), PutMeta{Sender: "a@x", Recipients: []string{"b@y"}}, &patternReader{n: n})
	if err != nil {
		tb.Fatal(err)
	}
	return rc
}

var sizes = []struct {
	name string
	n    int64
}{{"10KB", 10 << 10}, {"10MB", 10 << 20}}

func BenchmarkPut(b *testing.B) {
	for _, sz := range sizes {
		b.Run(sz.name, func(b *testing.B) {
			s, _, _ := newTestStore(b)
			b.SetBytes(sz.n)
			b.ReportAllocs()
			for b.Loop() {
				putPattern(b, s, sz.n)
			}
		})
	}
}

func BenchmarkOpen(b *testing.B) {
	for _, sz := range sizes {
		b.Run(sz.name, func(b *testing.B) {
			s, _, _ := newTestStore(b)
			rc := putPattern(b, s, sz.n)
			b.SetBytes(sz.n)
			b.ReportAllocs()
			for b.Loop() {
				r, err := s.Open(context.Background(), rc.ID)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.Copy(io.Discard, r); err != nil {
					b.Fatal(err)
				}
				r.Close()
			}
		})
	}
}

// allocDuring reports the bytes allocated while f runs.
func allocDuring(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestTenMegabyteMessagesAreStreamedNotBuffered(t *testing.T) {
	s, _, _ := newTestStore(t)
	const n = 10 << 20
	const limit = 1 << 20 // a tenth of the message: whole buffering cannot hide
	var rc Receipt
	if a := allocDuring(func() { rc = putPattern(t, s, n) }); a > limit {
		t.Fatalf("Put of 10 MB allocated %d bytes", a)
	}
	var sum [32]byte
	a := allocDuring(func() {
		r, err := s.Open(context.Background(), rc.ID)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		h := sha256.New()
		if _, err := io.Copy(h, r); err != nil {
			t.Fatal(err)
		}
		sum = [32]byte(h.Sum(nil))
	})
	if a > limit {
		t.Fatalf("Open of 10 MB allocated %d bytes", a)
	}
	if sum != patternHash(n) {
		t.Fatal("10 MB message changed")
	}
}

// BenchmarkPutParallel shows concurrent Puts sharing index commits.
func BenchmarkPutParallel(b *testing.B) {
	s, _, _ := newTestStore(b)
	b.SetBytes(10 << 10)
	b.ReportAllocs()
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			putPattern(b, s, 10<<10)
		}
	})
}

// BenchmarkLookup is the portal's per-request cost of resolving a token.
func BenchmarkLookup(b *testing.B) {
	s, _, _ := newTestStore(b)
	rc := putPattern(b, s, 1<<10)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Lookup(context.Background(), rc.Grants[0].Token); err != nil {
			b.Fatal(err)
		}
	}
}
