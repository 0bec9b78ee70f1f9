package store

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestPutAbortedMidStreamLeavesNothing(t *testing.T) {
	s, _, dir := newTestStore(t)
	boom := errors.New("upstream went away")
	body := io.MultiReader(bytes.NewReader(testMessage(150<<10)), errReader{boom})
	if _, err := s.Put(context.Background(), PutMeta{Sender: "a@x", Recipients: []string{"b@y"}}, body); !errors.Is(err, boom) {
		t.Fatalf("Put = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Put(ctx, PutMeta{Sender: "a@x", Recipients: []string{"b@y"}}, bytes.NewReader(testMessage(1<<10))); !errors.Is(err, context.Canceled) {
		t.Fatalf("Put with cancelled ctx = %v", err)
	}
	if n := countFiles(t, dir); n != 0 {
		t.Fatalf("%d files left", n)
	}
	if l, _ := s.List(context.Background()); len(l) != 0 {
		t.Fatalf("records left: %+v", l)
	}
}

func TestRestartRemovesTempFilesAndOrphansOfAnUncommittedPut(t *testing.T) {
	dir := t.TempDir()
	c := newClock()
	s := openStore(t, dir, c, testKEK(t, 7))
	kept, msg := put(t, s, "a@x")
	s.Close()
	orphan, _ := newID()
	for _, name := range []string{orphan, tmpPrefix + orphan, "stray"} {
		for _, sub := range []string{"msgs", "keys"} {
			if err := os.WriteFile(filepath.Join(dir, sub, name), []byte("junk"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	s = openStore(t, dir, c, testKEK(t, 7))
	defer s.Close()
	if n := countFiles(t, dir); n != 2 {
		t.Fatalf("%d files after recovery, want the kept message's 2", n)
	}
	if !bytes.Equal(readAll(t, s, kept.ID), msg) {
		t.Fatal("committed message lost in recovery")
	}
}

func TestRestartFinishesAShredThatACrashInterrupted(t *testing.T) {
	dir := t.TempDir()
	c := newClock()
	s := openStore(t, dir, c, testKEK(t, 7))
	rc, _ := put(t, s, "a@x")
	keyData, _ := os.ReadFile(filepath.Join(dir, "keys", rc.ID))
	msgData, _ := os.ReadFile(filepath.Join(dir, "msgs", rc.ID))
	if err := s.Revoke(context.Background(), rc.ID, "admin"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	// As if the process died after the revoke's commit, before shredding.
	os.WriteFile(filepath.Join(dir, "keys", rc.ID), keyData, 0o600)
	os.WriteFile(filepath.Join(dir, "msgs", rc.ID), msgData, 0o600)
	s = openStore(t, dir, c, testKEK(t, 7))
	defer s.Close()
	if n := countFiles(t, dir); n != 0 {
		t.Fatalf("%d files of a revoked message survive restart", n)
	}
}

const crashEnv = "SEALGATE_PSTORE_CRASH_DIR"

// TestCrashChildPutsForever is the victim of the kill -9 test; it does
// nothing unless started by it.
func TestCrashChildPutsForever(t *testing.T) {
	dir := os.Getenv(crashEnv)
	if dir == "" {
		t.Skip("helper process for TestKill9DuringPutsLosesNothingAcknowledged")
	}
	s, err := New(dir, Options{KEK: testKEK(t, 7)})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		body := slowReader{bytes.NewReader(crashMessage(i))}
		rc, err := s.Put(context.Background(), PutMeta{Sender: "a@x", Recipients: []string{"b@y"}}, body)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("put %d %s %s\n", i, rc.ID, rc.Grants[0].Token)
	}
}

func crashMessage(i int) []byte {
	return append([]byte(fmt.Sprintf("X-Seq: %d\r\n", i)), testMessage(300<<10)...)
}

// slowReader stretches a Put so the kill often lands inside one.
type slowReader struct{ r io.Reader }

func (s slowReader) Read(p []byte) (int, error) {
	time.Sleep(200 * time.Microsecond)
	return s.r.Read(p[:min(len(p), 16<<10)])
}

func TestKill9DuringPutsLosesNothingAcknowledged(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChildPutsForever$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := map[string][2]string{} // seq -> id, token
	sc := bufio.NewScanner(out)
	for len(acked) < 8 && sc.Scan() {
		var seq, id, tok string
		if n, _ := fmt.Sscanf(sc.Text(), "put %s %s %s", &seq, &id, &tok); n == 3 {
			acked[seq] = [2]string{id, tok}
		}
	}
	time.Sleep(3 * time.Millisecond) // land inside the next Put
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if len(acked) < 8 {
		t.Fatalf("child acknowledged only %d puts", len(acked))
	}
	t.Logf("before recovery: %d files for %d acknowledged puts", countFiles(t, dir), len(acked))
	s := openStore(t, dir, newClock(), testKEK(t, 7))
	defer s.Close()
	for seq, r := range acked {
		acc, err := s.Lookup(context.Background(), r[1])
		if err != nil || acc.MessageID != r[0] {
			t.Fatalf("acknowledged put %s lost: %v", seq, err)
		}
		var i int
		fmt.Sscanf(seq, "%d", &i)
		if !bytes.Equal(readAll(t, s, r[0]), crashMessage(i)) {
			t.Fatalf("acknowledged put %s changed", seq)
		}
	}
	list, _ := s.List(context.Background())
	if n := countFiles(t, dir); n != 2*len(list) {
		t.Fatalf("%d files for %d records: an orphan or a temp file survived", n, len(list))
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "msgs"))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), tmpPrefix) {
			t.Fatalf("temp file %s survived", e.Name())
		}
	}
}
