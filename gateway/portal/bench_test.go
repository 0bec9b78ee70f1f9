package portal

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"
)

// patternReader yields n bytes without holding them, so a benchmark sees
// the portal's memory, not the test's.
type patternReader struct{ n int64 }

func (p *patternReader) Read(b []byte) (int, error) {
	if p.n <= 0 {
		return 0, io.EOF
	}
	b = b[:min(int64(len(b)), p.n)]
	for i := range b {
		b[i] = byte('a' + i%26)
	}
	p.n -= int64(len(b))
	return len(b), nil
}

// streamedMessage is an RFC 5322 message with an attachment of n bytes,
// generated as it is read.
func streamedMessage(tb testing.TB, n int64) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		var h mail.Header
		h.SetAddressList("From", []*mail.Address{{Address: "alice@clinic.example"}})
		h.SetSubject("Results " + subjectMarker)
		w, err := mail.CreateWriter(pw, h)
		if err != nil {
			pw.CloseWithError(err)
			return
		}
		var ih mail.InlineHeader
		ih.Set("Content-Type", "text/plain")
		tw, _ := w.CreateSingleInline(ih)
		io.WriteString(tw, bodyMarker+"\r\n")
		tw.Close()
		var ah mail.AttachmentHeader
		ah.Set("Content-Type", "application/octet-stream")
		ah.SetFilename("scan.bin")
		aw, _ := w.CreateAttachment(ah)
		_, err = io.Copy(aw, &patternReader{n: n})
		aw.Close()
		w.Close()
		pw.CloseWithError(err)
	}()
	return pr
}

// peakHeap samples HeapInuse until stop is called and returns the peak
// above the level at the start, in bytes.
func peakHeap() (stop func() uint64) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base, peak := ms.HeapInuse, ms.HeapInuse
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				var m runtime.MemStats
				runtime.ReadMemStats(&m)
				peak = max(peak, m.HeapInuse)
			}
		}
	}()
	return func() uint64 { close(done); wg.Wait(); return peak - base }
}

var benchSizes = []struct {
	name string
	n    int64
}{{"10KB", 10 << 10}, {"10MB", 10 << 20}}

// messageFile writes streamedMessage(n) to a file once, so the loop
// measures the portal and not go-message's encoder (which costs more than
// the sealing at 10 MB); Deposit still streams it from the file.
func messageFile(b testing.TB, n int64) (path string, size int64) {
	path = filepath.Join(b.TempDir(), "msg.eml")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if size, err = io.Copy(f, streamedMessage(b, n)); err != nil {
		b.Fatal(err)
	}
	return path, size
}

func openFile(b testing.TB, path string) *os.File {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	return f
}

// BenchmarkDepositOpen deposits a message with an attachment for two
// recipients and reads it back whole through the recipient path (token).
func BenchmarkDepositOpen(b *testing.B) {
	for _, sz := range benchSizes {
		b.Run(sz.name, func(b *testing.B) {
			e := newEnv(b, nil)
			ctx := context.Background()
			m := &messages{s: e.svc}
			path, size := messageFile(b, sz.n)
			b.SetBytes(size)
			b.ReportAllocs()
			stop := peakHeap()
			start := time.Now()
			for b.Loop() {
				f := openFile(b, path)
				rc, err := e.svc.Deposit(ctx, sender, []string{rcptA, rcptB}, time.Time{}, f)
				f.Close()
				if err != nil {
					b.Fatal(err)
				}
				r, err := m.Open(ctx, strings.TrimPrefix(rc.Grants[1].Link, "https://portal.example.org/m/"))
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.Copy(io.Discard, r); err != nil {
					b.Fatal(err)
				}
				r.Close()
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "ops/s")
			b.ReportMetric(float64(stop())/(1<<20), "peak-heap-MB")
		})
	}
}

// BenchmarkAttachmentDownload serves a verified session's attachment over
// HTTPS from the sealed store to the client: decrypt, MIME-decode, send.
func BenchmarkAttachmentDownload(b *testing.B) {
	for _, sz := range benchSizes {
		b.Run(sz.name, func(b *testing.B) {
			e := newEnv(b, func(c *Config) { c.IdleTimeout = time.Hour })
			rc, err := e.svc.Deposit(context.Background(), sender, []string{rcptA}, time.Time{}, streamedMessage(b, sz.n))
			if err != nil {
				b.Fatal(err)
			}
			c := e.browser()
			csrf := e.askCode(c, rc.Grants[0].Link)
			page := e.verify(c, rc.Grants[0].Link, csrf, e.mailer.last(rcptA))
			att := attRe.FindStringSubmatch(page.body)
			if att == nil {
				b.Fatal("no attachment link")
			}
			b.SetBytes(sz.n)
			b.ReportAllocs()
			stop := peakHeap()
			start := time.Now()
			for b.Loop() {
				r, err := c.Get(e.ts.URL + att[1])
				if err != nil {
					b.Fatal(err)
				}
				n, err := io.Copy(io.Discard, r.Body)
				r.Body.Close()
				if err != nil || n != sz.n || r.StatusCode != http.StatusOK {
					b.Fatalf("download: %d, %d bytes, %v", r.StatusCode, n, err)
				}
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "ops/s")
			b.ReportMetric(float64(stop())/(1<<20), "peak-heap-MB")
		})
	}
}
