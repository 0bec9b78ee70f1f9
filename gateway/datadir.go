package gateway

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// LockFile is the name of the lock in the data directory.
const LockFile = "lock"

// InUseError says another process holds the data directory's lock.
type InUseError struct {
	Dir string
	PID int // 0 when the holder has not written its pid yet
}

func (e *InUseError) Error() string {
	if e.PID == 0 {
		return fmt.Sprintf("sealgate: %s is in use by another process", e.Dir)
	}
	return fmt.Sprintf("sealgate: %s is in use by pid %d", e.Dir, e.PID)
}

// DataDirLock is an exclusive flock on <data_dir>/lock. Two daemons on one
// data directory would each repair, rotate and truncate what the other is
// writing (spool temp files, the audit segment), so the lock is taken
// before anything else in the directory is touched. flock (not fcntl) so a
// second open in the same process conflicts too, and the kernel drops it
// when the holder dies: a stale lock file never blocks a restart.
type DataDirLock struct {
	f *os.File
}

// LockDataDir takes the lock without waiting and writes this process's pid
// into the file. A held lock gives *InUseError naming the holder's pid.
func LockDataDir(dir string) (*DataDirLock, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	path := filepath.Join(dir, LockFile)
	// No O_TRUNC: the holder's pid must survive our open.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("gateway: data_dir lock: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, &InUseError{Dir: dir, PID: readPID(path)}
		}
		return nil, fmt.Errorf("gateway: data_dir lock %s: %w", path, err)
	}
	if err := writePID(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("gateway: data_dir lock %s: %w", path, err)
	}
	return &DataDirLock{f: f}, nil
}

func writePID(f *os.File) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	if _, err := f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0); err != nil {
		return err
	}
	return nil // no fsync: after a crash the kernel has dropped the lock anyway
}

func readPID(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

// Unlock releases the lock. The file stays: deleting it would let a second
// process lock a new inode while a third still holds the old one.
func (l *DataDirLock) Unlock() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close() // closing the last descriptor releases the flock
	l.f = nil
	return err
}
