package pgp

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"
)

// benchMessage builds a message of about size bytes: a header and a base64
// attachment-like body in CRLF lines.
func benchMessage(size int) []byte {
	var b bytes.Buffer
	b.WriteString("From: a@clinic.test\r\nTo: r@partner.test\r\nSubject: bench\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	line := strings.Repeat("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0", 3)[:76] + "\r\n"
	for b.Len() < size {
		b.WriteString(line)
	}
	return b.Bytes()
}

// benchKeys makes n recipient keys with the library (no gpg needed).
func benchKeys(b *testing.B, n int) []*Key {
	var keys []*Key
	for i := 0; i < n; i++ {
		bin, _ := goKey(b, "R", fmt.Sprintf("r%d@partner.test", i))
		k, err := ParseKeys(bytes.NewReader(bin))
		if err != nil {
			b.Fatal(err)
		}
		keys = append(keys, k...)
	}
	return keys
}

func BenchmarkEncrypt(b *testing.B) {
	for _, size := range []int{10 << 10, 1 << 20, 25 << 20} {
		msg := benchMessage(size)
		for _, n := range []int{1, 10} {
			keys := benchKeys(b, n)
			b.Run(fmt.Sprintf("%s/%drcpt", sizeName(size), n), func(b *testing.B) {
				b.SetBytes(int64(len(msg)))
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					if err := Encrypt(io.Discard, bytes.NewReader(msg), keys, Options{}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func sizeName(n int) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%dMB", n>>20)
	}
	return fmt.Sprintf("%dKB", n>>10)
}

// genReader streams a benchMessage-like message of n bytes without holding
// it, and samples the heap every MiB read.
type genReader struct {
	hdr      []byte
	line     []byte
	left     int
	pos      int
	sinceMS  int
	peakHeap uint64
}

func (g *genReader) Read(p []byte) (int, error) {
	if len(g.hdr) > 0 {
		n := copy(p, g.hdr)
		g.hdr = g.hdr[n:]
		return n, nil
	}
	if g.left <= 0 {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && g.left > 0 {
		c := copy(p[n:], g.line[g.pos:])
		g.pos = (g.pos + c) % len(g.line)
		n += c
		g.left -= c
	}
	g.sinceMS += n
	if g.sinceMS >= 1<<20 {
		g.sinceMS = 0
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		if ms.HeapAlloc > g.peakHeap {
			g.peakHeap = ms.HeapAlloc
		}
	}
	return n, nil
}

// TestEncrypting25MBStreamsInBoundedMemory proves streaming: the message
// comes from a generator (never in memory), and the heap, sampled every MiB,
// stays far below the message size; buffering anywhere would put at least
// 25 MB on it. No timing in the assertion: nothing here can flake on a slow
// machine.
func TestEncrypting25MBStreamsInBoundedMemory(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("short mode or race detector: heap figures would not mean anything")
	}
	bin, _ := goKey(t, "R", "r@partner.test")
	keys, err := ParseKeys(bytes.NewReader(bin))
	if err != nil {
		t.Fatal(err)
	}
	const size = 25 << 20
	g := &genReader{
		hdr:  []byte("From: a@clinic.test\r\nTo: r@partner.test\r\nSubject: bench\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n"),
		line: []byte(strings.Repeat("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0", 3)[:76] + "\r\n"),
		left: size,
	}
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	start := time.Now()
	var out countWriter
	if err := Encrypt(&out, g, keys, Options{}); err != nil {
		t.Fatal(err)
	}
	el := time.Since(start)
	t.Logf("25 MB: heap before %d B, peak sampled %d B; output %d B; %.1f MB/s", base.HeapAlloc, g.peakHeap, out, float64(size)/el.Seconds()/1e6)
	if g.peakHeap > base.HeapAlloc+size/2 {
		t.Fatalf("heap peaked at %d bytes (base %d) for a %d-byte message: Encrypt buffers", g.peakHeap, base.HeapAlloc, size)
	}
}

type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) { *c += countWriter(len(p)); return len(p), nil }
