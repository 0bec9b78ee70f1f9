package loopmark

import (
	"bytes"
	"crypto/sha256"
	"hash"
	"io"
	"runtime"
	"strings"
	"testing"
)

func TestStamp(t *testing.T) {
	m := marker(t, key(t))
	body := "--b1\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n--b1--\r\n"
	in := Name + ": v=1; t=1; m=plain; id=forged; mac=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\r\n" + pgpHeader + body
	var out bytes.Buffer
	if err := m.Stamp(&out, strings.NewReader(in), "pgp", "S9", now); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	if !strings.HasSuffix(got, pgpHeader+body) {
		t.Fatalf("header fields or body changed:\n%s", got)
	}
	if strings.Contains(got, "forged") || strings.Count(got, Name+":") != 1 || !strings.HasPrefix(got, Name+": v=1; t=") {
		t.Fatalf("marks:\n%s", got)
	}
	if mk, ok := m.Check(header(t, got), now); !ok || mk.Method != "pgp" || mk.ID != "S9" {
		t.Errorf("stamped copy: Check = %+v, %v", mk, ok)
	}
	if err := m.Stamp(io.Discard, strings.NewReader(pgpHeader), "NOT A METHOD", "S9", now); err == nil {
		t.Error("bad method accepted")
	}
}

// head keeps the first bytes written and hashes all of them.
type head struct {
	buf  bytes.Buffer
	hash hash.Hash
}

func (h *head) Write(p []byte) (int, error) {
	if n := 4096 - h.buf.Len(); n > 0 {
		h.buf.Write(p[:min(n, len(p))])
	}
	return h.hash.Write(p)
}

// TestStampStreams stamps a 64 MiB message and fails if that allocates more
// than 4 MiB or the output is not the new mark followed by the input.
func TestStampStreams(t *testing.T) {
	m := marker(t, key(t))
	chunk := bytes.Repeat([]byte("0123456789abcdef"), 4096)
	src := func() io.Reader {
		parts := []io.Reader{strings.NewReader(pgpHeader)}
		for range (64 << 20) / len(chunk) {
			parts = append(parts, bytes.NewReader(chunk))
		}
		return io.MultiReader(parts...)
	}
	out := &head{hash: sha256.New()}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	if err := m.Stamp(out, src(), "smime", "S9", now); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	t.Logf("stamping 64 MiB allocated %d bytes", after.TotalAlloc-before.TotalAlloc)
	if d := after.TotalAlloc - before.TotalAlloc; d > 4<<20 {
		t.Errorf("stamping 64 MiB allocated %d bytes", d)
	}
	mark, _, ok := strings.Cut(out.buf.String(), pgpHeader)
	if !ok || !strings.HasPrefix(mark, Name+": ") {
		t.Fatalf("output starts %q", out.buf.String()[:200])
	}
	want := sha256.New()
	want.Write([]byte(mark))
	io.Copy(want, src())
	if !bytes.Equal(out.hash.Sum(nil), want.Sum(nil)) {
		t.Error("stamped output is not the mark followed by the input")
	}
}
