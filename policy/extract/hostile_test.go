package extract

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"fmt"
	"hash/crc32"
	"io"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// heapWatch samples HeapInuse while a test runs and reports the peak growth.
func heapWatch(t *testing.T) func() uint64 {
	t.Helper()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak {
				peak = m.HeapInuse
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	return func() uint64 {
		close(stop)
		wg.Wait()
		if peak < base {
			return 0
		}
		return peak - base
	}
}

const maxHeapGrowth = 100 << 20

func TestTenThousandLevelNestedMultipartIsDepthUnscannable(t *testing.T) {
	const levels = 10000
	var b strings.Builder
	for i := 0; i < levels; i++ {
		fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n--b%d\r\n", i, i)
	}
	b.WriteString("Content-Type: text/plain\r\n\r\nSSN 123-45-6789\r\n")
	for i := levels - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "--b%d--\r\n", i)
	}
	done := heapWatch(t)
	o := walkString(t, b.String(), Limits{})
	if growth := done(); growth > maxHeapGrowth {
		t.Errorf("heap grew %d MB", growth>>20)
	}
	if !o.hasReason(ReasonDepth) {
		t.Errorf("reasons = %v", o.reasons())
	}
	if strings.Contains(o.all(), "123-45-6789") {
		t.Error("text below the depth limit was scanned")
	}
	if o.res.Parts > 25 {
		t.Errorf("visited %d parts", o.res.Parts)
	}
}

func TestHundredThousandPartMessageIsPartsUnscannable(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("Content-Type: multipart/mixed; boundary=B\r\n\r\n")
	for i := 0; i < 100000; i++ {
		b.WriteString("--B\r\nContent-Type: text/plain\r\n\r\nx\r\n")
	}
	b.WriteString("--B--\r\n")
	done := heapWatch(t)
	o := walkReader(t, &b, Limits{})
	if growth := done(); growth > maxHeapGrowth {
		t.Errorf("heap grew %d MB", growth>>20)
	}
	if !o.hasReason(ReasonParts) {
		t.Errorf("reasons = %v", o.reasons())
	}
	if o.res.Parts != DefaultLimits().MaxParts {
		t.Errorf("parts = %d", o.res.Parts)
	}
}

// zipBomb builds a zip with one member of size 1 GiB of zeros without ever
// holding or compressing 1 GiB: a deflate block sequence for 1 MiB of zeros
// is repeated (each copy refers only to itself) and the CRC is computed by
// streaming.
func zipBomb(t testing.TB, declaredHonestly bool) []byte {
	t.Helper()
	const chunk, copies = 1 << 20, 1024
	zeros := make([]byte, chunk)
	var blk bytes.Buffer
	fw, _ := flate.NewWriter(&blk, flate.BestCompression)
	fw.Write(zeros)
	fw.Flush() // byte-aligned, not final
	var deflated bytes.Buffer
	for i := 0; i < copies; i++ {
		deflated.Write(blk.Bytes())
	}
	deflated.Write([]byte{0x03, 0x00}) // final empty fixed-Huffman block
	crc := uint32(0)
	for i := 0; i < copies; i++ {
		crc = crc32.Update(crc, crc32.IEEETable, zeros)
	}
	size := uint64(chunk * copies)
	if !declaredHonestly {
		size = 1000 // a liar: archive/zip must stop at the declared size
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	w, err := zw.CreateRaw(&zip.FileHeader{
		Name: "zeros.txt", Method: zip.Deflate, CRC32: crc,
		CompressedSize64: uint64(deflated.Len()), UncompressedSize64: size,
	})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(deflated.Bytes())
	zw.Close()
	return out.Bytes()
}

func TestZipBombIsUnscannableWithBoundedMemory(t *testing.T) {
	for _, honest := range []bool{true, false} {
		bomb := zipBomb(t, honest)
		msg := mimeWithAttachment("application/zip", "bomb.zip", bomb)
		done := heapWatch(t)
		o := walkString(t, msg, Limits{})
		if growth := done(); growth > maxHeapGrowth {
			t.Errorf("honest=%v: heap grew %d MB", honest, growth>>20)
		}
		if len(o.res.Unscannable) == 0 {
			t.Errorf("honest=%v: no unscannable", honest)
		}
		if honest && !o.hasReason(ReasonZipBomb) {
			t.Errorf("honest=%v: reasons = %v", honest, o.reasons())
		}
		if o.res.DecodedBytes > 1<<20 {
			t.Errorf("honest=%v: %d bytes handed out", honest, o.res.DecodedBytes)
		}
	}
}

func TestDeeplyNestedZipsAreDepthUnscannable(t *testing.T) {
	data := buildZip(t, zipEntry{name: "core.txt", data: []byte("SSN 123-45-6789")})
	for i := 0; i < 40; i++ {
		data = buildZip(t, zipEntry{name: fmt.Sprintf("level%d.zip", i), data: data})
	}
	o := walkString(t, mimeWithAttachment("application/zip", "nest.zip", data), Limits{})
	if !o.hasReason(ReasonDepth) {
		t.Errorf("reasons = %v", o.reasons())
	}
	if strings.Contains(o.all(), "123-45-6789") {
		t.Error("text below the depth limit was scanned")
	}
}

func TestTotalDecodedBudgetStopsTheWalk(t *testing.T) {
	var b strings.Builder
	b.WriteString("Content-Type: multipart/mixed; boundary=B\r\n\r\n")
	for i := 0; i < 20; i++ {
		b.WriteString("--B\r\nContent-Type: text/plain\r\n\r\n" + strings.Repeat("y", 1000) + "\r\n")
	}
	b.WriteString("--B--\r\n")
	o := walkString(t, b.String(), Limits{MaxDecodedBytes: 5000})
	if !o.hasReason(ReasonSize) {
		t.Errorf("reasons = %v", o.reasons())
	}
	if o.res.DecodedBytes > 5000 {
		t.Errorf("decoded %d", o.res.DecodedBytes)
	}
}

func TestHugeNestedHeaderIsSizeUnscannable(t *testing.T) {
	msg := "Content-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nX-Pad: " + strings.Repeat("a", 3000) + "\r\nContent-Type: text/plain\r\n\r\nbody\r\n--B--\r\n"
	o := walkString(t, msg, Limits{MaxHeaderBytes: 1000})
	if !o.hasReason(ReasonSize) {
		t.Errorf("reasons = %v", o.reasons())
	}
	// The top-level header section goes through go-message's own limit.
	o = walkString(t, "X-Pad: "+strings.Repeat("a", 3000)+"\r\n\r\nbody\r\n", Limits{MaxHeaderBytes: 1000})
	if !o.hasReason(ReasonSize) {
		t.Errorf("top level: reasons = %v", o.reasons())
	}
}

func TestTruncatedMultipartIsDecodeUnscannable(t *testing.T) {
	msg := crlf("Content-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: text/plain\n\nSSN 123-45-6789\n")
	o := walkString(t, msg, Limits{})
	if !strings.Contains(o.all(), "123-45-6789") {
		t.Errorf("text before the truncation lost: %q", o.all())
	}
	if !o.hasReason(ReasonDecode) {
		t.Errorf("reasons = %v", o.reasons())
	}
}

func TestWalkOfHostileInputReturnsWithinTimeout(t *testing.T) {
	// An endless, slow body stands in for a decoder that never ends; the
	// byte budgets are lifted so only the timeout can stop it.
	r := io.MultiReader(strings.NewReader("Content-Type: text/plain\r\n\r\n"), endless{})
	lim := Limits{Timeout: 200 * time.Millisecond, MaxPartBytes: 1 << 50, MaxDecodedBytes: 1 << 50}
	res, err := Walk(context.Background(), r, lim, func(p *Part) error {
		_, err := io.Copy(io.Discard, p.Text)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	reasons := fmt.Sprint(res.Unscannable)
	t.Logf("unscannable = %v, decoded = %d", res.Unscannable, res.DecodedBytes)
	if !strings.Contains(reasons, ReasonTimeout) {
		t.Errorf("unscannable = %v", res.Unscannable)
	}
}

type endless struct{}

func (endless) Read(p []byte) (int, error) {
	time.Sleep(time.Millisecond)
	for i := range p {
		p[i] = 'z'
	}
	return len(p), nil
}
