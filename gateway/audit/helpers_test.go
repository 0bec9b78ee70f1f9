package audit

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func newKey(t testing.TB) ed25519.PrivateKey {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func pubOf(k ed25519.PrivateKey) ed25519.PublicKey { return k.Public().(ed25519.PublicKey) }

// fakeClock is a settable Options.Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Millisecond)
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func mustOpen(t testing.TB, opts Options) *Log {
	t.Helper()
	l, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func appendN(t testing.TB, l *Log, n int, prefix string) []Record {
	t.Helper()
	var out []Record
	for i := 0; i < n; i++ {
		r, err := l.Append(Event{Type: TypeDelivery, MsgID: fmt.Sprintf("%s%04d", prefix, i),
			Data: Delivery{Recipient: fmt.Sprintf("r%d@example.org", i), Outcome: "delivered", TLSVersion: "TLS1.3", TLSVerified: true}})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

func mustVerify(t testing.TB, dir string, pub ed25519.PublicKey) VerifyResult {
	t.Helper()
	res, err := Verify(dir, pub, "")
	if err != nil {
		t.Fatal(err)
	}
	if res.Problem != nil {
		t.Fatalf("verify: %s", res.Problem)
	}
	return res
}

func segFiles(t testing.TB, dir string) []string {
	t.Helper()
	s, err := listSegments(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// readLines returns the lines of a segment (without "\n").
func readLines(t testing.TB, path string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n"))
}

func writeLines(t testing.TB, path string, lines [][]byte) {
	t.Helper()
	if err := os.WriteFile(path, append(bytes.Join(lines, []byte("\n")), '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
}

func onlySegment(t testing.TB, dir string) string {
	t.Helper()
	s := segFiles(t, dir)
	if len(s) != 1 {
		t.Fatalf("want 1 segment, have %v", s)
	}
	return filepath.Join(dir, s[0])
}

func wantProblem(t testing.TB, res VerifyResult, file string, line int, msgPart string) {
	t.Helper()
	p := res.Problem
	if p == nil {
		t.Fatalf("verify found nothing; want a problem at %s:%d", file, line)
	}
	if p.File != file || p.Line != line || !strings.Contains(p.Msg, msgPart) {
		t.Fatalf("problem %s; want %s:%d containing %q", p, file, line, msgPart)
	}
}

func writeFileBytes(path string, b []byte) error { return os.WriteFile(path, b, 0o600) }
