package seal

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"testing"
)

func testKey(t testing.TB) []byte {
	t.Helper()
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

func sealBytes(t testing.TB, key []byte, context string, pt []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, key, context)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(pt); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func openBytes(key []byte, context string, ct []byte) ([]byte, error) {
	r, err := NewReader(bytes.NewReader(ct), key, context)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

func randBytes(t testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

var roundTripSizes = []int{0, 1, ChunkSize - 1, ChunkSize, ChunkSize + 1, 2 * ChunkSize, 1 << 20}

func TestRoundTripPreservesEveryBoundarySize(t *testing.T) {
	key := testKey(t)
	for _, n := range roundTripSizes {
		pt := randBytes(t, n)
		ct := sealBytes(t, key, "spool-body", pt)
		chunks := n/ChunkSize + 1
		if want := headerSize + n + chunks*tagSize; len(ct) != want {
			t.Errorf("size %d: ciphertext %d bytes, want %d", n, len(ct), want)
		}
		got, err := openBytes(key, "spool-body", ct)
		if err != nil {
			t.Fatalf("size %d: %v", n, err)
		}
		if !bytes.Equal(got, pt) {
			t.Fatalf("size %d: plaintext differs", n)
		}
	}
}

func TestSmallWritesAndSmallReadsRoundTrip(t *testing.T) {
	key := testKey(t)
	pt := randBytes(t, 3*ChunkSize+17)
	var buf bytes.Buffer
	w, err := NewWriter(&buf, key, "c")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(pt); i += 1000 {
		if _, err := w.Write(pt[i:min(i+1000, len(pt))]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := NewReader(&buf, key, "c")
	if err != nil {
		t.Fatal(err)
	}
	var got []byte
	p := make([]byte, 777)
	for {
		n, err := r.Read(p)
		got = append(got, p[:n]...)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(got, pt) {
		t.Fatal("plaintext differs")
	}
}

func TestSealingTwiceGivesDifferentCiphertext(t *testing.T) {
	key := testKey(t)
	pt := []byte("same plaintext")
	if bytes.Equal(sealBytes(t, key, "c", pt), sealBytes(t, key, "c", pt)) {
		t.Fatal("two seals of the same plaintext are identical: salt not random")
	}
}

func mustCorrupt(t *testing.T, what string, key []byte, context string, ct []byte) {
	t.Helper()
	got, err := openBytes(key, context, ct)
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("%s: err = %v (read %d bytes), want ErrCorrupt", what, err, len(got))
	}
}

func TestTruncationAtAnyPointIsCorrupt(t *testing.T) {
	key := testKey(t)
	for _, n := range []int{0, 1, ChunkSize, 2*ChunkSize + 5} {
		ct := sealBytes(t, key, "c", randBytes(t, n))
		cuts := []int{0, 1, len(magic), headerSize - 1, headerSize, headerSize + 1, len(ct) - tagSize, len(ct) - 1}
		if n >= ChunkSize {
			cuts = append(cuts, headerSize+encChunk, headerSize+encChunk-1, headerSize+encChunk+1)
		}
		for _, cut := range cuts {
			if cut < 0 || cut >= len(ct) {
				continue
			}
			mustCorrupt(t, "truncated", key, "c", ct[:cut])
		}
	}
}

func TestTruncationDoesNotEndInCleanEOFEvenAfterData(t *testing.T) {
	key := testKey(t)
	ct := sealBytes(t, key, "c", randBytes(t, 2*ChunkSize+100))
	r, err := NewReader(bytes.NewReader(ct[:headerSize+encChunk]), key, "c")
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, r)
	if n != ChunkSize || !errors.Is(err, ErrCorrupt) {
		t.Fatalf("got %d bytes, err %v; want the first chunk then ErrCorrupt", n, err)
	}
}

func TestExtensionIsCorrupt(t *testing.T) {
	key := testKey(t)
	for _, n := range []int{0, 10, ChunkSize} {
		ct := sealBytes(t, key, "c", randBytes(t, n))
		mustCorrupt(t, "one byte appended", key, "c", append(bytes.Clone(ct), 0))
		mustCorrupt(t, "chunk appended", key, "c", append(bytes.Clone(ct), ct[headerSize:]...))
	}
}

func TestReorderedAndDuplicatedChunksAreCorrupt(t *testing.T) {
	key := testKey(t)
	ct := sealBytes(t, key, "c", randBytes(t, 3*ChunkSize+10))
	c0 := ct[headerSize : headerSize+encChunk]
	c1 := ct[headerSize+encChunk : headerSize+2*encChunk]
	rest := ct[headerSize+2*encChunk:]
	hdr := ct[:headerSize]
	swapped := bytes.Join([][]byte{hdr, c1, c0, rest}, nil)
	mustCorrupt(t, "chunks swapped", key, "c", swapped)
	dup := bytes.Join([][]byte{hdr, c0, c0, rest}, nil)
	mustCorrupt(t, "chunk duplicated", key, "c", dup)
	dropped := bytes.Join([][]byte{hdr, c0, rest}, nil)
	mustCorrupt(t, "chunk dropped", key, "c", dropped)
}

func TestFinalChunkDroppedAtChunkBoundaryIsCorrupt(t *testing.T) {
	// 64 KiB plaintext = one full chunk + an empty final chunk; dropping the
	// empty final chunk must not look like a complete file.
	key := testKey(t)
	ct := sealBytes(t, key, "c", randBytes(t, ChunkSize))
	mustCorrupt(t, "empty final chunk dropped", key, "c", ct[:len(ct)-tagSize])
}

func TestEveryFlippedByteIsCorrupt(t *testing.T) {
	key := testKey(t)
	ct := sealBytes(t, key, "c", randBytes(t, 300))
	for i := range ct {
		bad := bytes.Clone(ct)
		bad[i] ^= 0x01
		mustCorrupt(t, "flipped byte", key, "c", bad)
	}
	// And a sample across a multi-chunk file.
	big := sealBytes(t, key, "c", randBytes(t, 2*ChunkSize+3))
	for _, i := range []int{0, headerSize - 1, headerSize, headerSize + encChunk - 1, headerSize + encChunk, len(big) - 1} {
		bad := bytes.Clone(big)
		bad[i] ^= 0x80
		mustCorrupt(t, "flipped byte in big file", key, "c", bad)
	}
}

func TestHeaderFromAnotherFileIsCorrupt(t *testing.T) {
	key := testKey(t)
	a := sealBytes(t, key, "c", randBytes(t, 100))
	b := sealBytes(t, key, "c", randBytes(t, 100))
	mixed := append(bytes.Clone(a[:headerSize]), b[headerSize:]...)
	mustCorrupt(t, "header swapped", key, "c", mixed)
}

func TestWrongKeyOrContextIsCorrupt(t *testing.T) {
	key := testKey(t)
	ct := sealBytes(t, key, "spool-body", []byte("hello"))
	mustCorrupt(t, "wrong key", testKey(t), "spool-body", ct)
	mustCorrupt(t, "wrong context", key, "spool-state", ct)
}

func TestBadKeyLengthIsRefused(t *testing.T) {
	if _, err := NewWriter(io.Discard, make([]byte, 16), "c"); err == nil {
		t.Fatal("NewWriter accepted a 16-byte key")
	}
	if _, err := NewReader(bytes.NewReader(nil), make([]byte, 31), "c"); err == nil || errors.Is(err, ErrCorrupt) {
		t.Fatalf("NewReader with a 31-byte key: %v, want a non-corrupt error", err)
	}
}

type failWriter struct{ after int }

func (f *failWriter) Write(p []byte) (int, error) {
	if f.after <= 0 {
		return 0, errors.New("disk on fire")
	}
	f.after--
	return len(p), nil
}

func TestWriteErrorIsStickyAndReported(t *testing.T) {
	w, err := NewWriter(&failWriter{after: 1}, testKey(t), "c") // header ok, first chunk fails
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(make([]byte, ChunkSize)); err == nil {
		t.Fatal("write of a full chunk to a failing writer succeeded")
	}
	if _, err := w.Write([]byte("x")); err == nil {
		t.Fatal("write after failure succeeded")
	}
	if err := w.Close(); err == nil {
		t.Fatal("close after failure succeeded")
	}
}

func TestCloseDoesNotWriteTwice(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, testKey(t), "c")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	n := buf.Len()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if buf.Len() != n {
		t.Fatal("second Close wrote more data")
	}
	if _, err := w.Write([]byte("x")); err == nil {
		t.Fatal("write after close succeeded")
	}
}

// An 8 MB stream through a pipe decrypts with one chunk-sized buffer.
func TestReaderMemoryIsBoundedByChunk(t *testing.T) {
	key := testKey(t)
	pr, pw := io.Pipe()
	const total = 8 << 20
	go func() {
		w, err := NewWriter(pw, key, "c")
		if err != nil {
			pw.CloseWithError(err)
			return
		}
		block := make([]byte, 32<<10)
		for i := 0; i < total/len(block); i++ {
			if _, err := w.Write(block); err != nil {
				pw.CloseWithError(err)
				return
			}
		}
		pw.CloseWithError(w.Close())
	}()
	r, err := NewReader(pr, key, "c")
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, r)
	if err != nil || n != total {
		t.Fatalf("streamed %d bytes, err %v", n, err)
	}
	if rr := r.(*Reader); cap(rr.buf) > encChunk {
		t.Fatalf("reader buffer grew to %d", cap(rr.buf))
	}
}

func FuzzNewReader(f *testing.F) {
	key := bytes.Repeat([]byte{7}, 32)
	for _, n := range []int{0, 1, 100} {
		f.Add(sealBytes(f, key, "fuzz", bytes.Repeat([]byte{'a'}, n)))
	}
	f.Add([]byte(magic))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data), key, "fuzz")
		if err != nil {
			return
		}
		out, err := io.ReadAll(r)
		if err != nil && len(out) > len(data) {
			t.Fatalf("returned %d bytes from %d input bytes", len(out), len(data))
		}
		if err == nil {
			// Only a genuinely sealed stream can succeed; re-check its length.
			if want := headerSize + len(out) + (len(out)/ChunkSize+1)*tagSize; want != len(data) {
				t.Fatalf("accepted %d input bytes for %d plaintext bytes", len(data), len(out))
			}
		}
	})
}

func BenchmarkSealWriteRead(b *testing.B) {
	key := testKey(b)
	pt := randBytes(b, 1<<20)
	var buf bytes.Buffer
	b.SetBytes(int64(len(pt)))
	b.ResetTimer()
	for b.Loop() {
		buf.Reset()
		w, err := NewWriter(&buf, key, "bench")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := w.Write(pt); err != nil {
			b.Fatal(err)
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
		r, err := NewReader(&buf, key, "bench")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, r); err != nil {
			b.Fatal(err)
		}
	}
}
