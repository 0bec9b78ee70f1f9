package spool

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sealgate/sealgate/crypto/seal"
	"github.com/sealgate/sealgate/envelope"
)

func testKey(t testing.TB) []byte {
	t.Helper()
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

func openSpool(t testing.TB, dir string, key []byte) *Spool {
	t.Helper()
	s, err := Open(Options{Dir: dir, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newSpool(t testing.TB) *Spool {
	t.Helper()
	return openSpool(t, t.TempDir(), testKey(t))
}

func testEnvelope() *envelope.Envelope {
	return &envelope.Envelope{
		From:       "sender@clinic.example",
		Recipients: []envelope.Recipient{{Addr: "doctor@hospital.example", Notify: []string{"FAILURE"}}},
		Listener:   "submission",
		ClientIP:   "127.0.0.1",
	}
}

func commit(t testing.TB, s *Spool, body []byte, env *envelope.Envelope) string {
	t.Helper()
	w, err := s.NewMessage()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(body); err != nil {
		t.Fatal(err)
	}
	if env == nil {
		env = testEnvelope()
	}
	if err := w.Commit(env); err != nil {
		t.Fatal(err)
	}
	return w.ID()
}

func readBody(t testing.TB, s *Spool, id string) []byte {
	t.Helper()
	rc, err := s.OpenBody(id)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func dirNames(t testing.TB, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestCommittedMessageReadsBackWithItsEnvelope(t *testing.T) {
	s := newSpool(t)
	body := []byte("Subject: test\r\n\r\nhello\r\n")
	env := testEnvelope()
	id := commit(t, s, body, env)
	if env.ID != id || env.Size != int64(len(body)) || env.Received.IsZero() {
		t.Fatalf("Commit did not fill the envelope: id %q size %d received %v", env.ID, env.Size, env.Received)
	}
	if got := readBody(t, s, id); !bytes.Equal(got, body) {
		t.Fatalf("body = %q", got)
	}
	got, err := s.Envelope(id)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != id || got.From != env.From || !slices.Equal(got.Addrs(), env.Addrs()) ||
		!slices.Equal(got.Recipients[0].Notify, []string{"FAILURE"}) || got.Size != env.Size || !got.Received.Equal(env.Received) {
		t.Fatalf("envelope = %+v, want %+v", got, env)
	}
	ids, err := s.List()
	if err != nil || !slices.Equal(ids, []string{id}) {
		t.Fatalf("List = %v, %v", ids, err)
	}
	if err := s.Healthy(); err != nil {
		t.Fatal(err)
	}
	if names := dirNames(t, filepath.Join(s.Dir(), "tmp")); len(names) != 0 {
		t.Fatalf("tmp not empty after commit: %v", names)
	}
}

func TestCommitKeepsCallerSize(t *testing.T) {
	s := newSpool(t)
	env := testEnvelope()
	env.Size = 12345
	id := commit(t, s, []byte("x"), env)
	got, err := s.Envelope(id)
	if err != nil || got.Size != 12345 {
		t.Fatalf("size = %v, %v", got, err)
	}
}

func TestFiftyMegabyteBodyStreamsInBoundedMemory(t *testing.T) {
	s := newSpool(t)
	const total = 50 << 20
	block := make([]byte, 32<<10)
	for i := range block {
		block[i] = byte(i * 7)
	}
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak uint64
	sample := func() {
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapInuse)
	}

	w, err := s.NewMessage()
	if err != nil {
		t.Fatal(err)
	}
	want := sha256.New()
	for i := 0; i < total/len(block); i++ {
		block[0] = byte(i) // make blocks differ so reordering would show
		want.Write(block)
		if _, err := w.Write(block); err != nil {
			t.Fatal(err)
		}
		if i%128 == 0 {
			sample()
		}
	}
	if err := w.Commit(testEnvelope()); err != nil {
		t.Fatal(err)
	}
	sample()

	rc, err := s.OpenBody(w.ID())
	if err != nil {
		t.Fatal(err)
	}
	got := sha256.New()
	buf := make([]byte, 32<<10)
	var n int64
	for {
		k, err := rc.Read(buf)
		got.Write(buf[:k])
		n += int64(k)
		if n%(4<<20) < int64(k) {
			sample()
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	rc.Close()
	if n != total || !bytes.Equal(got.Sum(nil), want.Sum(nil)) {
		t.Fatalf("read back %d bytes, hash match %v", n, bytes.Equal(got.Sum(nil), want.Sum(nil)))
	}
	env, err := s.Envelope(w.ID())
	if err != nil || env.Size != total {
		t.Fatalf("envelope size %v, %v", env, err)
	}
	growth := int64(peak) - int64(base)
	t.Logf("HeapInuse base %d KiB, peak %d KiB, growth %d KiB", base>>10, peak>>10, growth>>10)
	if growth > 8<<20 {
		t.Fatalf("heap grew by %d bytes while streaming 50 MB", growth)
	}
}

func TestMarkerInMessageIsInNoFileOnDiskNorInLogs(t *testing.T) {
	const marker = "PHI-MARKER-7f3a9c-PATIENT-DOE"
	dir := filepath.Join(t.TempDir(), "spool") // created by Open
	var logs bytes.Buffer
	s, err := Open(Options{Dir: dir, Key: testKey(t), Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	body := []byte("Subject: " + marker + "\r\n\r\n" + strings.Repeat(marker+"\r\n", 5000))
	env := testEnvelope()
	env.From = marker + "@clinic.example"
	env.Recipients = append(env.Recipients, envelope.Recipient{Addr: marker + "@hospital.example", ORCPT: "rfc822;" + marker})
	env.MessageID = "<" + marker + ">"
	id := commit(t, s, body, env)
	if err := s.SaveState(id, []byte(`{"rcpt":"`+marker+`"}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.PutCopy(id, "smime", strings.NewReader(marker)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Recover(); err != nil {
		t.Fatal(err)
	}
	// A quarantined message must not leak either.
	other := commit(t, s, body, nil)
	flipByte(t, filepath.Join(dir, "msg", other), 100)
	if _, q, err := s.Recover(); err != nil || len(q) != 1 {
		t.Fatalf("quarantined %v, %v", q, err)
	}

	files := 0
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			if perm := info.Mode().Perm(); perm != 0o700 {
				t.Errorf("%s: mode %v, want 0700", path, perm)
			}
			return nil
		}
		files++
		if perm := info.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s: mode %v, want 0600", path, perm)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(data, []byte(marker)) || bytes.Contains(data, []byte("clinic.example")) {
			t.Errorf("%s holds plaintext", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 5 {
		t.Fatalf("only %d files checked", files)
	}
	if bytes.Contains(logs.Bytes(), []byte(marker)) {
		t.Fatalf("log holds the marker:\n%s", logs.String())
	}
	if !bytes.Contains(logs.Bytes(), []byte("msg_id="+id)) {
		t.Fatalf("log lines about the message carry no msg_id:\n%s", logs.String())
	}
}

func flipByte(t testing.TB, path string, off int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0x40
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

func TestCorruptBodyFailsReadInsteadOfShortRead(t *testing.T) {
	s := newSpool(t)
	id := commit(t, s, bytes.Repeat([]byte("line\r\n"), 30000), nil)
	// Cut the body, keeping the footer consistent: only the seal can tell.
	rewriteBody(t, filepath.Join(s.Dir(), "msg", id), func(b []byte) []byte { return b[:len(b)-100] })
	if _, err := s.Envelope(id); err != nil {
		t.Fatalf("envelope of a message with a cut body: %v", err)
	}
	rc, err := s.OpenBody(id)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if _, err := io.ReadAll(rc); !errors.Is(err, seal.ErrCorrupt) {
		t.Fatalf("reading a truncated body: %v, want seal.ErrCorrupt", err)
	}
}

func TestBodySwappedBetweenMessagesDoesNotAuthenticate(t *testing.T) {
	s := newSpool(t)
	a := commit(t, s, []byte("message a"), nil)
	b := commit(t, s, []byte("message b"), nil)
	aPath := filepath.Join(s.Dir(), "msg", a)
	aOff, _ := footerOf(t, aPath)
	aData, _ := os.ReadFile(aPath)
	rewriteBody(t, filepath.Join(s.Dir(), "msg", b), func([]byte) []byte { return aData[:aOff] })
	if _, err := s.Envelope(b); err != nil {
		t.Fatalf("envelope: %v", err)
	}
	rc, err := s.OpenBody(b)
	if err == nil {
		_, err = io.ReadAll(rc)
		rc.Close()
	}
	if !errors.Is(err, seal.ErrCorrupt) {
		t.Fatalf("another message's body read as this one's: %v", err)
	}
	// And a whole file under another name does not authenticate either.
	if err := os.Rename(aPath, filepath.Join(s.Dir(), "msg", b)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Envelope(b); !errors.Is(err, seal.ErrCorrupt) {
		t.Fatalf("another message's file read as this one's: %v", err)
	}
}

// footerOf returns the envelope offset and length from a message file.
func footerOf(t testing.TB, path string) (envOff, envLen int64) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	foot := data[len(data)-footerLen:]
	if string(foot[16:]) != footerMagic {
		t.Fatalf("%s: no footer", path)
	}
	return int64(binary.BigEndian.Uint64(foot[:8])), int64(binary.BigEndian.Uint64(foot[8:16]))
}

// rewriteBody replaces the body section of a message file with
// edit(body), keeping its envelope and writing a matching footer.
func rewriteBody(t testing.TB, path string, edit func([]byte) []byte) {
	t.Helper()
	envOff, envLen := footerOf(t, path)
	data, _ := os.ReadFile(path)
	body := edit(append([]byte(nil), data[:envOff]...))
	out := append(body, data[envOff:envOff+envLen]...)
	out = appendFooter(out, int64(len(body)), envLen)
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
}

// writeSealed writes pt sealed under context, as the old layout did.
func writeSealed(t testing.TB, path string, key []byte, context string, pt []byte) {
	t.Helper()
	var buf bytes.Buffer
	w, err := seal.NewWriter(&buf, key, context)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(pt)
	w.Close()
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestIDsAreUniqueAndSortInCreationOrder(t *testing.T) {
	s := newSpool(t)
	var ids []string
	for range 2000 {
		id, err := s.newID()
		if err != nil {
			t.Fatal(err)
		}
		if !validID(id) {
			t.Fatalf("invalid id %q", id)
		}
		ids = append(ids, id)
	}
	if !slices.IsSorted(ids) {
		t.Fatal("IDs do not sort in creation order")
	}
	if len(slices.Compact(slices.Clone(ids))) != len(ids) {
		t.Fatal("duplicate IDs")
	}
}

func TestInvalidIDsAreNotFoundAndTouchNothing(t *testing.T) {
	s := newSpool(t)
	for _, id := range []string{"", "../../etc/passwd", "ZZZZZZZZZZZZZZZZZZZZZZZZZZ", strings.Repeat("a", 25)} {
		if _, err := s.Envelope(id); !errors.Is(err, ErrNotFound) {
			t.Errorf("Envelope(%q): %v", id, err)
		}
		if _, err := s.OpenBody(id); !errors.Is(err, ErrNotFound) {
			t.Errorf("OpenBody(%q): %v", id, err)
		}
		if err := s.Remove(id); !errors.Is(err, ErrNotFound) {
			t.Errorf("Remove(%q): %v", id, err)
		}
		if err := s.SaveState(id, nil); !errors.Is(err, ErrNotFound) {
			t.Errorf("SaveState(%q): %v", id, err)
		}
	}
	id := commit(t, s, []byte("x"), nil)
	for _, name := range []string{"", "../x", ".hidden", "a/b", strings.Repeat("n", 65)} {
		if err := s.PutCopy(id, name, strings.NewReader("x")); err == nil {
			t.Errorf("PutCopy accepted name %q", name)
		}
	}
}

func TestUnknownMessageIsNotFound(t *testing.T) {
	s := newSpool(t)
	id, _ := s.newID()
	if _, err := s.Envelope(id); !errors.Is(err, ErrNotFound) {
		t.Errorf("Envelope: %v", err)
	}
	if _, err := s.OpenBody(id); !errors.Is(err, ErrNotFound) {
		t.Errorf("OpenBody: %v", err)
	}
	if _, err := s.LoadState(id); !errors.Is(err, ErrNotFound) {
		t.Errorf("LoadState: %v", err)
	}
	if err := s.PutCopy(id, "x", strings.NewReader("x")); !errors.Is(err, ErrNotFound) {
		t.Errorf("PutCopy: %v", err)
	}
	if _, err := s.OpenCopy(id, "x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("OpenCopy: %v", err)
	}
}

func TestAbortRemovesTempFilesAndIsIdempotent(t *testing.T) {
	s := newSpool(t)
	w, err := s.NewMessage()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(make([]byte, 200<<10)); err != nil {
		t.Fatal(err)
	}
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if names := dirNames(t, filepath.Join(s.Dir(), "tmp")); len(names) != 0 {
		t.Fatalf("tmp after Abort: %v", names)
	}
	if err := w.Commit(testEnvelope()); err == nil {
		t.Fatal("Commit after Abort succeeded")
	}
	if ids, _ := s.List(); len(ids) != 0 {
		t.Fatalf("aborted message listed: %v", ids)
	}
}

func TestAbortAfterCommitKeepsTheMessage(t *testing.T) {
	s := newSpool(t)
	w, err := s.NewMessage()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort() // the idiom smtpd uses
	w.Write([]byte("keep me"))
	if err := w.Commit(testEnvelope()); err != nil {
		t.Fatal(err)
	}
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if got := readBody(t, s, w.ID()); string(got) != "keep me" {
		t.Fatalf("body %q", got)
	}
}

func TestUncommittedMessageIsNotListed(t *testing.T) {
	s := newSpool(t)
	w, err := s.NewMessage()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	w.Write([]byte("in flight"))
	if ids, _ := s.List(); len(ids) != 0 {
		t.Fatalf("List shows an uncommitted message: %v", ids)
	}
	if ids, q, err := s.Recover(); err != nil || len(ids)+len(q) != 0 {
		t.Fatalf("Recover touched an in-flight message: %v %v %v", ids, q, err)
	}
	if err := w.Commit(testEnvelope()); err != nil {
		t.Fatal(err)
	}
}

func TestTwentyConcurrentCommitsAreAllDurableAndListed(t *testing.T) {
	dir, key := t.TempDir(), testKey(t)
	s := openSpool(t, dir, key)
	const n = 20
	ids := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			w, err := s.NewMessage()
			if err != nil {
				errs[i] = err
				return
			}
			body := bytes.Repeat([]byte{byte('a' + i)}, 10<<10+i)
			if _, err := w.Write(body); err != nil {
				errs[i] = err
				return
			}
			errs[i] = w.Commit(testEnvelope())
			ids[i] = w.ID()
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("writer %d: %v", i, err)
		}
	}
	t.Logf("%d commits, %d msg/ directory fsyncs", n, s.msgSync.syncs())

	listed, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	sorted := slices.Sorted(slices.Values(ids))
	if !slices.Equal(listed, sorted) {
		t.Fatalf("List = %v\nwant %v", listed, sorted)
	}
	// A fresh process sees every message intact.
	s2 := openSpool(t, dir, key)
	got, q, err := s2.Recover()
	if err != nil || len(q) != 0 || !slices.Equal(got, sorted) {
		t.Fatalf("Recover = %v, %v, %v", got, q, err)
	}
	for i, id := range ids {
		if b := readBody(t, s2, id); len(b) != 10<<10+i || b[0] != byte('a'+i) {
			t.Fatalf("message %d body wrong", i)
		}
	}
}

func TestGroupSyncSharesOneFsyncAmongWaiters(t *testing.T) {
	release := make(chan struct{})
	var mu sync.Mutex
	calls := 0
	g := newGroupSync("d", func(string) error {
		mu.Lock()
		calls++
		first := calls == 1
		mu.Unlock()
		if first {
			<-release
		}
		return nil
	})
	done := make(chan error, 11)
	go func() { done <- g.Sync() }()
	waitFor(t, func() bool { g.mu.Lock(); defer g.mu.Unlock(); return g.running })
	// Ten callers arrive while the first fsync runs: it began before their
	// renames, so they must not return on it, and they share the next one.
	for range 10 {
		go func() { done <- g.Sync() }()
	}
	waitFor(t, func() bool { g.mu.Lock(); defer g.mu.Unlock(); return g.waiting == 10 })
	select {
	case <-done:
		t.Fatal("a Sync returned before any fsync finished")
	default:
	}
	close(release)
	for range 11 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if c := g.syncs(); c != 2 {
		t.Fatalf("%d fsyncs for 11 callers (1 running + 10 waiting), want 2", c)
	}
}

func TestGroupSyncReportsFsyncError(t *testing.T) {
	g := newGroupSync("d", func(string) error { return syscall.EIO })
	if err := g.Sync(); !errors.Is(err, syscall.EIO) {
		t.Fatalf("Sync = %v, want EIO", err)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 10s")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestSaveStateReplacesAndLoadStateReadsLatest(t *testing.T) {
	s := newSpool(t)
	id := commit(t, s, []byte("x"), nil)
	if st, err := s.LoadState(id); err != nil || st != nil {
		t.Fatalf("LoadState before any save = %q, %v; want nil, nil", st, err)
	}
	if err := s.SaveState(id, []byte(`{"v":1}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveState(id, []byte(`{"v":2,"longer":true}`)); err != nil {
		t.Fatal(err)
	}
	st, err := s.LoadState(id)
	if err != nil || string(st) != `{"v":2,"longer":true}` {
		t.Fatalf("LoadState = %q, %v", st, err)
	}
	if names := dirNames(t, filepath.Join(s.Dir(), "tmp")); len(names) != 0 {
		t.Fatalf("tmp after SaveState: %v", names)
	}
	id2, _ := s.newID()
	if err := s.SaveState(id2, []byte("x")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("SaveState of an unknown message: %v", err)
	}
}

func TestPutCopyRoundTripsAndReplaces(t *testing.T) {
	s := newSpool(t)
	id := commit(t, s, []byte("x"), nil)
	big := bytes.Repeat([]byte("copy"), 100000)
	if err := s.PutCopy(id, "smime-1", bytes.NewReader(big)); err != nil {
		t.Fatal(err)
	}
	if err := s.PutCopy(id, "tls", strings.NewReader("first")); err != nil {
		t.Fatal(err)
	}
	if err := s.PutCopy(id, "tls", strings.NewReader("second")); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string][]byte{"smime-1": big, "tls": []byte("second")} {
		rc, err := s.OpenCopy(id, name)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("copy %s: %d bytes, %v", name, len(got), err)
		}
	}
	if _, err := s.OpenCopy(id, "pgp"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("OpenCopy of a missing copy: %v", err)
	}
}

func TestPutCopyReaderFailureLeavesSpoolHealthy(t *testing.T) {
	s := newSpool(t)
	id := commit(t, s, []byte("x"), nil)
	err := s.PutCopy(id, "bad", io.MultiReader(strings.NewReader("part"), iotestErrReader{}))
	if err == nil {
		t.Fatal("PutCopy with a failing reader succeeded")
	}
	if h := s.Healthy(); h != nil {
		t.Fatalf("Healthy = %v after a caller-side read error", h)
	}
	if _, err := s.OpenCopy(id, "bad"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("half copy visible: %v", err)
	}
	if names := dirNames(t, filepath.Join(s.Dir(), "tmp")); len(names) != 0 {
		t.Fatalf("tmp after failed PutCopy: %v", names)
	}
}

type iotestErrReader struct{}

func (iotestErrReader) Read([]byte) (int, error) { return 0, errors.New("upstream broke") }

func TestRemoveDeletesEveryFileOfTheMessage(t *testing.T) {
	s := newSpool(t)
	keep := commit(t, s, []byte("keep"), nil)
	id := commit(t, s, []byte("x"), nil)
	if err := s.SaveState(id, []byte("state")); err != nil {
		t.Fatal(err)
	}
	if err := s.PutCopy(id, "c", strings.NewReader("copy")); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(id); err != nil {
		t.Fatal(err)
	}
	for _, name := range dirNames(t, filepath.Join(s.Dir(), "msg")) {
		if strings.HasPrefix(name, id) {
			t.Fatalf("%s left after Remove", name)
		}
	}
	if _, err := s.Envelope(id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Envelope after Remove: %v", err)
	}
	if err := s.Remove(id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second Remove: %v", err)
	}
	if ids, _ := s.List(); !slices.Equal(ids, []string{keep}) {
		t.Fatalf("List = %v", ids)
	}
}

func TestRemoveOfPlainMessageNeedsNoFsync(t *testing.T) {
	s := newSpool(t)
	id := commit(t, s, []byte("x"), nil)
	syncs := 0
	s.syncFile = func(f *os.File) error { syncs++; return f.Sync() }
	if err := s.Remove(id); err != nil {
		t.Fatal(err)
	}
	if syncs != 0 {
		t.Fatalf("Remove did %d fsyncs; a lost unlink is only a duplicate, it needs none", syncs)
	}
	if n := dirNames(t, filepath.Join(s.Dir(), "msg")); len(n) != 0 {
		t.Fatalf("msg/ after Remove: %v", n)
	}
}

func TestRemoveAfterRestartDeletesStateAndCopiesOfEarlierProcess(t *testing.T) {
	dir, key := t.TempDir(), testKey(t)
	s := openSpool(t, dir, key)
	id := commit(t, s, []byte("x"), nil)
	if err := s.SaveState(id, []byte("st")); err != nil {
		t.Fatal(err)
	}
	if err := s.PutCopy(id, "c", strings.NewReader("copy")); err != nil {
		t.Fatal(err)
	}
	s2 := openSpool(t, dir, key) // no Recover: Open alone must know
	if err := s2.Remove(id); err != nil {
		t.Fatal(err)
	}
	if n := dirNames(t, filepath.Join(dir, "msg")); len(n) != 0 {
		t.Fatalf("msg/ after Remove: %v", n)
	}
}

// syncedNames counts fsyncs through the test seam, by file name.
func syncedNames(s *Spool) *[]string {
	var mu sync.Mutex
	var names []string
	orig := s.syncFile
	s.syncFile = func(f *os.File) error {
		mu.Lock()
		names = append(names, f.Name())
		mu.Unlock()
		return orig(f)
	}
	return &names
}

func TestPutCopyCostsNoFsync(t *testing.T) {
	s := newSpool(t)
	id := commit(t, s, []byte("x"), nil)
	synced := syncedNames(s)
	for _, name := range []string{"pgp", "pgp", "smime"} {
		if err := s.PutCopy(id, name, strings.NewReader("copy "+name)); err != nil {
			t.Fatal(err)
		}
	}
	if len(*synced) != 0 {
		t.Fatalf("PutCopy fsynced %v; a copy is made again after a crash, it needs none", *synced)
	}
	if names := dirNames(t, filepath.Join(s.Dir(), "tmp")); len(names) != 0 {
		t.Fatalf("tmp after PutCopy: %v", names)
	}
}

func TestSaveStateFsyncsTheCopiesWrittenBeforeIt(t *testing.T) {
	s := newSpool(t)
	id := commit(t, s, []byte("x"), nil)
	for _, name := range []string{"pgp", "smime"} {
		if err := s.PutCopy(id, name, strings.NewReader("copy "+name)); err != nil {
			t.Fatal(err)
		}
	}
	synced := syncedNames(s)
	if err := s.SaveState(id, []byte("st")); err != nil {
		t.Fatal(err)
	}
	copies := filepath.Join(s.Dir(), "msg", id+".copy.")
	for _, want := range []string{copies + "pgp", copies + "smime", filepath.Join(s.Dir(), "msg")} {
		if !slices.Contains(*synced, want) {
			t.Errorf("SaveState did not fsync %s (fsynced %v)", want, *synced)
		}
	}
	// Both are durable now: the next state costs no copy fsync.
	*synced = nil
	if err := s.SaveState(id, []byte("st2")); err != nil {
		t.Fatal(err)
	}
	for _, n := range *synced {
		if strings.HasPrefix(n, copies) {
			t.Errorf("second SaveState fsynced %s again", n)
		}
	}
}

func TestFailedCopyFsyncFailsSaveStateAndIsRetried(t *testing.T) {
	s := newSpool(t)
	id := commit(t, s, []byte("x"), nil)
	if err := s.PutCopy(id, "pgp", strings.NewReader("copy")); err != nil {
		t.Fatal(err)
	}
	orig := s.syncFile
	s.syncFile = func(f *os.File) error {
		if strings.HasSuffix(f.Name(), ".copy.pgp") {
			return syscall.EIO
		}
		return orig(f)
	}
	if err := s.SaveState(id, []byte("st")); !errors.Is(err, syscall.EIO) {
		t.Fatalf("SaveState with a failing copy fsync = %v; want EIO", err)
	}
	if st, _ := s.LoadState(id); st != nil {
		t.Fatalf("a state was saved although its copy is not durable: %q", st)
	}
	synced := syncedNames(s)
	s.syncFile = func(f *os.File) error { *synced = append(*synced, f.Name()); return orig(f) }
	if err := s.SaveState(id, []byte("st")); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(*synced, filepath.Join(s.Dir(), "msg", id+".copy.pgp")) {
		t.Fatalf("the retried SaveState did not fsync the copy: %v", *synced)
	}
}
