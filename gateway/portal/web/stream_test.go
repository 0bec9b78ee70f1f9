package web

import (
	"bufio"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"math/rand/v2"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// bigMessage writes, as it is read, a message whose attachment is size
// bytes from a seeded generator, so neither side holds it whole.
func bigMessage(size int64, seed uint64) io.Reader {
	pr, p := io.Pipe()
	go func() {
		pw := bufio.NewWriterSize(p, 64<<10)
		io.WriteString(pw, "From: a@clinic.example\r\nTo: bob@patient.example\r\nSubject: big\r\n"+
			"Content-Type: multipart/mixed; boundary=BOUND\r\n\r\n--BOUND\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"+
			"--BOUND\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=scan.bin\r\n"+
			"Content-Transfer-Encoding: base64\r\n\r\n")
		enc := base64.NewEncoder(base64.StdEncoding, &lineWriter{w: pw})
		io.Copy(enc, io.LimitReader(rand.NewChaCha8([32]byte{byte(seed)}), size))
		enc.Close()
		io.WriteString(pw, "\r\n--BOUND--\r\n")
		pw.Flush()
		p.Close()
	}()
	return pr
}

// lineWriter breaks base64 into 76-column lines (RFC 2045 §6.8).
type lineWriter struct {
	w   io.Writer
	col int
}

func (l *lineWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		k := min(76-l.col, len(p))
		if _, err := l.w.Write(p[:k]); err != nil {
			return n, err
		}
		n, l.col, p = n+k, l.col+k, p[k:]
		if l.col == 76 {
			if _, err := io.WriteString(l.w, "\r\n"); err != nil {
				return n, err
			}
			l.col = 0
		}
	}
	return n, nil
}

// peakHeap samples the heap until stop is closed.
func peakHeap(stop <-chan struct{}) *atomic.Uint64 {
	var peak atomic.Uint64
	go func() {
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	return &peak
}

func TestAttachmentStreamsWithoutBuffering(t *testing.T) {
	const size = 64 << 20
	e := newEnv(t, nil)
	e.addMessage("tok-big-0000000000000000", "mBig", "bob@patient.example", nil)
	e.store.open = func() io.Reader { return bigMessage(size, 7) }
	c := e.client()
	e.login(c, "tok-big-0000000000000000", "bob@patient.example")

	want := sha256.New()
	io.Copy(want, io.LimitReader(rand.NewChaCha8([32]byte{7}), size))
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	stop := make(chan struct{})
	peak := peakHeap(stop)
	r, err := c.Get(e.ts.URL + "/v/att/1")
	if err != nil {
		t.Fatal(err)
	}
	got := sha256.New()
	n, err := io.Copy(got, r.Body)
	r.Body.Close()
	close(stop)
	if err != nil || n != size || string(got.Sum(nil)) != string(want.Sum(nil)) {
		t.Fatalf("downloaded %d bytes (%v), digest match %v", n, err, string(got.Sum(nil)) == string(want.Sum(nil)))
	}
	grew := int64(peak.Load()) - int64(base.HeapInuse)
	t.Logf("64 MiB attachment: heap grew by at most %.1f MiB", float64(grew)/(1<<20))
	if grew > 16<<20 {
		t.Fatalf("heap grew by %d MiB while streaming 64 MiB: buffered?", grew>>20)
	}
}

func BenchmarkAttachmentDownload10MB(b *testing.B) {
	const size = 10 << 20
	e := newEnv(b, nil)
	e.addMessage("tok-bench-00000000000000", "mBench", "bob@patient.example", nil)
	e.store.open = func() io.Reader { return bigMessage(size, 1) }
	c := e.client()
	e.login(c, "tok-bench-00000000000000", "bob@patient.example")
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		r, err := c.Get(e.ts.URL + "/v/att/1")
		if err != nil {
			b.Fatal(err)
		}
		if n, _ := io.Copy(io.Discard, r.Body); n != size {
			b.Fatalf("%d bytes", n)
		}
		r.Body.Close()
	}
}

func BenchmarkMessageView10KB(b *testing.B) {
	e := newEnv(b, nil)
	raw, _ := testMessage(b, "a.pdf", 10<<10)
	e.addMessage("tok-bview-00000000000000", "mView", "bob@patient.example", raw)
	c := e.client()
	e.login(c, "tok-bview-00000000000000", "bob@patient.example")
	b.ReportAllocs()
	for b.Loop() {
		if r := e.get(c, "/v"); r.StatusCode != 200 {
			b.Fatal(r.StatusCode)
		}
	}
}
