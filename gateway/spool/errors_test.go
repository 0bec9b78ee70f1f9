package spool

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// failWrites makes every file write fail with errno until restore is called.
func failWrites(s *Spool, errno syscall.Errno) (restore func()) {
	orig := s.writeFile
	s.writeFile = func(f *os.File, p []byte) (int, error) {
		return 0, &os.PathError{Op: "write", Path: f.Name(), Err: errno}
	}
	return func() { s.writeFile = orig }
}

func assertNothingLeft(t *testing.T, s *Spool) {
	t.Helper()
	for _, d := range []string{"tmp", "msg"} {
		if names := dirNames(t, filepath.Join(s.Dir(), d)); len(names) != 0 {
			t.Fatalf("%s/ after a failed commit: %v", d, names)
		}
	}
}

func TestNoSpaceDuringWriteIsErrNoSpaceAndMarksUnhealthy(t *testing.T) {
	s := newSpool(t)
	w, err := s.NewMessage()
	if err != nil {
		t.Fatal(err)
	}
	restore := failWrites(s, syscall.ENOSPC)
	_, err = w.Write(make([]byte, 128<<10)) // more than a chunk: reaches the disk
	if !errors.Is(err, ErrNoSpace) || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Write = %v, want ErrNoSpace wrapping ENOSPC", err)
	}
	if !strings.HasPrefix(err.Error(), "spool: ") {
		t.Fatalf("error %q does not start with the package name", err)
	}
	if h := s.Healthy(); !errors.Is(h, ErrNoSpace) {
		t.Fatalf("Healthy = %v, want ErrNoSpace", h)
	}
	if err := w.Commit(testEnvelope()); !errors.Is(err, ErrNoSpace) {
		t.Fatalf("Commit after a failed Write = %v", err)
	}
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	assertNothingLeft(t, s)

	// Space comes back: the next write succeeds and health recovers.
	restore()
	commit(t, s, []byte("after"), nil)
	if h := s.Healthy(); h != nil {
		t.Fatalf("Healthy after a successful commit = %v", h)
	}
}

func TestNoSpaceAtCommitOfSmallMessageIsErrNoSpace(t *testing.T) {
	s := newSpool(t)
	w, err := s.NewMessage()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("small, still buffered in the seal chunk")); err != nil {
		t.Fatal(err)
	}
	failWrites(s, syscall.ENOSPC)
	if err := w.Commit(testEnvelope()); !errors.Is(err, ErrNoSpace) {
		t.Fatalf("Commit = %v, want ErrNoSpace", err)
	}
	w.Abort()
	assertNothingLeft(t, s)
}

func TestQuotaExceededIsErrNoSpace(t *testing.T) {
	s := newSpool(t)
	id := commit(t, s, []byte("x"), nil)
	failWrites(s, syscall.EDQUOT)
	if err := s.SaveState(id, []byte("state")); !errors.Is(err, ErrNoSpace) {
		t.Fatalf("SaveState = %v, want ErrNoSpace", err)
	}
	if err := s.PutCopy(id, "c", strings.NewReader("copy")); !errors.Is(err, ErrNoSpace) {
		t.Fatalf("PutCopy = %v, want ErrNoSpace", err)
	}
	if h := s.Healthy(); !errors.Is(h, ErrNoSpace) {
		t.Fatalf("Healthy = %v", h)
	}
	if names := dirNames(t, filepath.Join(s.Dir(), "tmp")); len(names) != 0 {
		t.Fatalf("tmp after failed writes: %v", names)
	}
}

func TestOtherWriteErrorsAreNotErrNoSpace(t *testing.T) {
	s := newSpool(t)
	w, _ := s.NewMessage()
	w.Write([]byte("x"))
	failWrites(s, syscall.EIO)
	err := w.Commit(testEnvelope())
	if err == nil || errors.Is(err, ErrNoSpace) || !errors.Is(err, syscall.EIO) {
		t.Fatalf("Commit = %v, want EIO and not ErrNoSpace", err)
	}
}

func TestFsyncFailureAtAnyStepFailsCommitAndLeavesNothing(t *testing.T) {
	// Commit fsyncs, in order: the message file, then msg/ after the
	// rename (the commit point).
	for step := 1; step <= 2; step++ {
		s := newSpool(t)
		w, err := s.NewMessage()
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte("x"))
		calls := 0
		s.syncFile = func(f *os.File) error {
			calls++
			if calls == step {
				return syscall.EIO
			}
			return f.Sync()
		}
		if err := w.Commit(testEnvelope()); !errors.Is(err, syscall.EIO) {
			t.Fatalf("step %d: Commit = %v, want EIO", step, err)
		}
		if s.Healthy() == nil {
			t.Fatalf("step %d: Healthy = nil after a failed fsync", step)
		}
		assertNothingLeft(t, s)
		if ids, _ := s.List(); len(ids) != 0 {
			t.Fatalf("step %d: failed commit listed: %v", step, ids)
		}
	}
}

// Nothing writes to a spool that smtpd refuses to use, so the failure
// flag is cleared by Probe once the disk has room again.
func TestProbeClearsHealthOnceTheDiskHasRoom(t *testing.T) {
	s := newSpool(t)
	w, err := s.NewMessage()
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("x"))
	restore := failWrites(s, syscall.ENOSPC)
	if err := w.Commit(testEnvelope()); !errors.Is(err, ErrNoSpace) {
		t.Fatalf("Commit = %v", err)
	}
	if err := s.Probe(); !errors.Is(err, ErrNoSpace) {
		t.Fatalf("Probe on a full disk = %v, want ErrNoSpace", err)
	}
	if h := s.Healthy(); !errors.Is(h, ErrNoSpace) {
		t.Fatalf("Healthy after a failed probe = %v", h)
	}
	restore()
	if err := s.Probe(); err != nil {
		t.Fatalf("Probe with room again = %v", err)
	}
	if h := s.Healthy(); h != nil {
		t.Fatalf("Healthy after a good probe = %v", h)
	}
	if names := dirNames(t, filepath.Join(s.Dir(), "tmp")); len(names) != 0 {
		t.Fatalf("tmp after probes: %v", names)
	}
	if err := s.Probe(); err != nil { // healthy: a no-op
		t.Fatal(err)
	}
}
