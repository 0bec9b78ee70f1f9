package store

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// clock is a settable time source shared by a test and its store.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func testKEK(t testing.TB, fill byte) *LocalKEK {
	t.Helper()
	k, err := NewLocalKEK(bytes.Repeat([]byte{fill}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func openStore(t testing.TB, dir string, c *clock, kek KeyWrapper) *DirStore {
	t.Helper()
	s, err := New(dir, Options{KEK: kek, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newTestStore(t testing.TB) (*DirStore, *clock, string) {
	t.Helper()
	dir := t.TempDir()
	c := newClock()
	s := openStore(t, dir, c, testKEK(t, 7))
	t.Cleanup(func() { s.Close() })
	return s, c, dir
}

const (
	bodyMarker    = "PHI-MARKER-7f3a9c Patient Jane Roe MRN 8841234"
	subjectMarker = "SUBJECT-MARKER-c19e"
)

// testMessage is an RFC 5322 message carrying both markers, padded to
// about size bytes so it spans several seal chunks.
func testMessage(size int) []byte {
	var b bytes.Buffer
	b.WriteString("From: doc@hospital.example\r\nTo: pat@example.org\r\nSubject: " + subjectMarker + "\r\n\r\n")
	for b.Len() < size {
		b.WriteString(bodyMarker + "\r\n")
	}
	return b.Bytes()
}

func put(t testing.TB, s Store, rcpts ...string) (Receipt, []byte) {
	t.Helper()
	msg := testMessage(200 << 10)
	rc, err := s.Put(context.Background(), PutMeta{Sender: "doc@hospital.example", Recipients: rcpts}, bytes.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	return rc, msg
}

func readAll(t testing.TB, s Store, id string) []byte {
	t.Helper()
	rc, err := s.Open(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// filesContaining lists every file under dir whose bytes contain needle.
func filesContaining(t testing.TB, dir string, needle []byte) []string {
	t.Helper()
	var hits []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(data, needle) {
			hits = append(hits, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return hits
}

func countFiles(t testing.TB, dir string) int {
	t.Helper()
	n := 0
	for _, sub := range []string{"msgs", "keys"} {
		entries, err := os.ReadDir(filepath.Join(dir, sub))
		if err != nil {
			t.Fatal(err)
		}
		n += len(entries)
	}
	return n
}
