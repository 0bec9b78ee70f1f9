package spool

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/sealgate/sealgate/crypto/seal"
)

// ErrNoSpace is matched (errors.Is) by every error whose cause is ENOSPC or
// EDQUOT, so smtpd can answer 452/451 instead of guessing.
var ErrNoSpace = errors.New("spool: no space left on device")

// ErrNotFound is matched by errors about a message ID that is not committed.
var ErrNotFound = errors.New("spool: message not found")

// Options configure a Spool.
type Options struct {
	Dir    string       // data directory; created 0700 if missing
	Key    []byte       // 32-byte master key for sealing
	Logger *slog.Logger // nil discards
	// CopyMemory is how many bytes of outbound copies (PutCopy) the spool
	// may keep in memory instead of in files until their message is
	// removed or its state saved; 0 writes every copy to a file.
	CopyMemory int64
}

// Spool is a durable, sealed message store. All methods are safe for
// concurrent use.
type Spool struct {
	dir, tmpDir, msgDir, qDir string
	key                       []byte
	log                       *slog.Logger
	msgSync                   *groupSync

	// Test seams: every file write and every fsync goes through these. Set
	// only by in-package tests, before use.
	writeFile func(f *os.File, p []byte) (int, error)
	syncFile  func(f *os.File) error

	mu       sync.Mutex
	lastNano int64
	inflight map[string]struct{} // IDs with an open Writer; Recover and List skip them
	// side records which messages have a state file or an old-layout
	// copies directory, and copyNames the copy files (msg/<id>.copy.<name>),
	// so Remove of the common message (none) is a single unlink and never
	// reads the directory. Filled by Open's scan of msg/, kept by
	// SaveState/PutCopy/Remove, refreshed by Recover.
	side      map[string]sideFiles
	copyNames map[string][]string
	health    error
	// unsynced lists the copies not fsynced yet (store.go: PutCopy, SaveState).
	unsynced copyTracker
	// mem holds the copies not written to a file yet (memcopy.go).
	mem memCopies
}

// sideFiles flags a message's optional files beside its message file.
type sideFiles uint8

const (
	sideState        sideFiles = 1 << iota
	sideLegacyCopies           // <id>.copies/, the layout before flat copies; Recover moves them
)

const (
	keySize      = 32
	maxEnvSize   = 16 << 20
	maxStateSize = 64 << 20
	dirMode      = 0o700
	fileMode     = 0o600
)

// Open creates the layout under opts.Dir and removes temp files left by a
// previous process. It does not recover: call Recover before serving.
// Only one Spool may use a directory at a time.
func Open(opts Options) (*Spool, error) {
	if opts.Dir == "" {
		return nil, errors.New("spool: Options.Dir is empty")
	}
	if len(opts.Key) != keySize {
		return nil, fmt.Errorf("spool: key must be %d bytes, got %d", keySize, len(opts.Key))
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Spool{
		dir:       opts.Dir,
		tmpDir:    filepath.Join(opts.Dir, "tmp"),
		msgDir:    filepath.Join(opts.Dir, "msg"),
		qDir:      filepath.Join(opts.Dir, "quarantine"),
		key:       append([]byte(nil), opts.Key...),
		log:       log,
		writeFile: (*os.File).Write,
		syncFile:  (*os.File).Sync,
		inflight:  make(map[string]struct{}),
		side:      make(map[string]sideFiles),
		copyNames: make(map[string][]string),
		mem:       memCopies{limit: opts.CopyMemory},
	}
	s.msgSync = newGroupSync(s.msgDir, s.syncDir)
	if err := os.MkdirAll(s.dir, dirMode); err != nil {
		return nil, s.wrap("create dir", "", err)
	}
	if st, err := os.Stat(s.dir); err == nil && st.Mode().Perm()&0o077 != 0 {
		s.log.Warn("spool: data directory is accessible to other users", "dir", s.dir, "mode", st.Mode().Perm().String())
	}
	for _, d := range []string{s.tmpDir, s.msgDir, s.qDir} {
		if err := os.Mkdir(d, dirMode); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, s.wrap("create dir", "", err)
		}
	}
	if err := s.syncDir(s.dir); err != nil {
		return nil, s.wrap("sync dir", "", err)
	}
	// Anything in tmp belongs to a Writer of a dead process: never committed.
	entries, err := os.ReadDir(s.tmpDir)
	if err != nil {
		return nil, s.wrap("read tmp", "", err)
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(s.tmpDir, e.Name())); err != nil {
			return nil, s.wrap("remove temp file", "", err)
		}
	}
	if len(entries) > 0 {
		s.log.Info("spool: removed stale temp files", "count", len(entries))
	}
	if err := s.checkKey(); err != nil {
		return nil, err
	}
	// Names only (one getdents pass): which messages have side files.
	msgEntries, err := os.ReadDir(s.msgDir)
	if err != nil {
		return nil, s.wrap("read msg dir", "", err)
	}
	for _, e := range msgEntries {
		if id, kind, ok := strings.Cut(e.Name(), "."); ok && validID(id) {
			s.side[id] |= sideOf(kind)
			if name, ok := strings.CutPrefix(kind, "copy."); ok && validCopyName(name) {
				s.copyNames[id] = append(s.copyNames[id], name)
			}
		}
	}
	return s, nil
}

func sideOf(kind string) sideFiles {
	switch kind {
	case "state":
		return sideState
	case "copies":
		return sideLegacyCopies
	}
	return 0
}

func (s *Spool) markSide(id string, f sideFiles) {
	s.mu.Lock()
	s.side[id] |= f
	s.mu.Unlock()
}

// addCopyName records a copy of id before its file exists, so Remove never
// misses it.
func (s *Spool) addCopyName(id, name string) {
	s.mu.Lock()
	if !slices.Contains(s.copyNames[id], name) {
		s.copyNames[id] = append(s.copyNames[id], name)
	}
	s.mu.Unlock()
}

// takeSide forgets and returns what the spool knew of id's side files.
func (s *Spool) takeSide(id string) (sideFiles, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	side, names := s.side[id], s.copyNames[id]
	delete(s.side, id)
	delete(s.copyNames, id)
	return side, names
}

// Dir returns the data directory.
func (s *Spool) Dir() string { return s.dir }

// Healthy returns nil, or the last write/fsync/rename failure until a later
// write succeeds.
func (s *Spool) Healthy() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.health
}

// probeSize is what Probe writes: one seal chunk, so a disk with only a
// few blocks free is not reported writable just to fail the next message.
const probeSize = 64 << 10

// Probe finds out whether a failed spool can write again: smtpd refuses
// mail while Healthy reports a failure, so no write would come along to
// clear it. It writes probeSize bytes to a temp file, fsyncs it and
// deletes it; on success Healthy is nil again. It does nothing while the
// spool is healthy and returns Healthy's answer.
func (s *Spool) Probe() error {
	if s.Healthy() == nil {
		return nil
	}
	err := s.probe()
	if err != nil {
		err = s.wrap("probe", "", err)
		s.mu.Lock()
		s.health = err // quietly: the failure was logged when it began
		s.mu.Unlock()
		return err
	}
	s.recordSuccess()
	return nil
}

func (s *Spool) probe() error {
	f, err := s.createTemp("probe." + randSuffix())
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	_, err = fileSink{s, f}.Write(make([]byte, probeSize))
	if err == nil {
		err = s.syncFile(f)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func (s *Spool) recordFailure(err error, id string) {
	s.mu.Lock()
	s.health = err
	s.mu.Unlock()
	s.log.Warn("spool: write failed", "msg_id", id, "err", err, "no_space", errors.Is(err, ErrNoSpace))
}

func (s *Spool) recordSuccess() {
	s.mu.Lock()
	s.health = nil
	s.mu.Unlock()
}

// IDs: 8 bytes of Unix nanoseconds (strictly increasing within a process)
// and 8 random bytes, in lower-case base32hex, whose alphabet is in ASCII
// order so the string order is the time order.
var idEncoding = base32.NewEncoding("0123456789abcdefghijklmnopqrstuv").WithPadding(base32.NoPadding)

const idLen = 26

func (s *Spool) newID() (string, error) {
	s.mu.Lock()
	now := time.Now().UnixNano()
	if now <= s.lastNano {
		now = s.lastNano + 1
	}
	s.lastNano = now
	s.mu.Unlock()
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(now))
	if _, err := rand.Read(b[8:]); err != nil {
		return "", fmt.Errorf("spool: random: %w", err)
	}
	return idEncoding.EncodeToString(b[:]), nil
}

// validID keeps IDs from naming anything outside the spool.
func validID(id string) bool {
	if len(id) != idLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'v') {
			return false
		}
	}
	return true
}

// validCopyName allows [A-Za-z0-9_.-], 1..64 bytes, not starting with '.'.
func validCopyName(name string) bool {
	if name == "" || len(name) > 64 || name[0] == '.' {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

func (s *Spool) checkID(id string) error {
	if !validID(id) {
		return fmt.Errorf("%w: invalid id %q", ErrNotFound, id)
	}
	return nil
}

// Paths of a message's files.
func (s *Spool) msgPath(id string) string   { return filepath.Join(s.msgDir, id) }
func (s *Spool) statePath(id string) string { return filepath.Join(s.msgDir, id+".state") }
func (s *Spool) copyPath(id, name string) string {
	return filepath.Join(s.msgDir, id+".copy."+name)
}

// legacyCopiesPath is the directory copies lived in before they were files
// in msg/ (a mkdir and an rmdir per encrypted message, each a journal
// commit); Recover moves what it finds there.
func (s *Spool) legacyCopiesPath(id string) string { return filepath.Join(s.msgDir, id+".copies") }

// Seal contexts bind every file to its kind and message, so a file copied
// over another (a body over a state, one message's env over another's)
// fails authentication instead of being believed.
func ctxBody(id string) string          { return "spool-body:" + id }
func ctxEnv(id string) string           { return "spool-env:" + id }
func ctxState(id string) string         { return "spool-state:" + id }
func ctxCopy(id, name string) string    { return "spool-copy:" + id + "/" + name }
func (s *Spool) markInflight(id string) { s.mu.Lock(); s.inflight[id] = struct{}{}; s.mu.Unlock() }
func (s *Spool) clearInflight(id string) {
	s.mu.Lock()
	delete(s.inflight, id)
	s.mu.Unlock()
}

func (s *Spool) isInflight(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.inflight[id]
	return ok
}

// opError carries the operation and message ID; it matches ErrNoSpace when
// the cause is ENOSPC or EDQUOT.
type opError struct {
	op, id string
	err    error
}

func (e *opError) Error() string {
	if e.id == "" {
		return "spool: " + e.op + ": " + e.err.Error()
	}
	return "spool: " + e.op + " " + e.id + ": " + e.err.Error()
}

func (e *opError) Unwrap() error { return e.err }

func (e *opError) Is(target error) bool {
	return target == ErrNoSpace && isNoSpace(e.err)
}

func isNoSpace(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

func (s *Spool) wrap(op, id string, err error) error {
	if err == nil {
		return nil
	}
	return &opError{op: op, id: id, err: err}
}

// fileSink routes writes through the test seam.
type fileSink struct {
	s *Spool
	f *os.File
}

func (w fileSink) Write(p []byte) (int, error) { return w.s.writeFile(w.f, p) }

func (s *Spool) syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = s.syncFile(d)
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// createTemp creates an exclusive 0600 file in tmp.
func (s *Spool) createTemp(name string) (*os.File, error) {
	return os.OpenFile(filepath.Join(s.tmpDir, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, fileMode)
}

func randSuffix() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on Linux (Go ≥1.24 it panics instead)
	return idEncoding.EncodeToString(b[:])
}

// sealTemp writes fill's output sealed under context to a new temp file,
// fsyncs it if durable, closes it, and returns its path. On error nothing
// is left.
func (s *Spool) sealTemp(name, context string, durable bool, fill func(io.Writer) error) (string, error) {
	f, err := s.createTemp(name)
	if err != nil {
		return "", err
	}
	path := f.Name()
	fail := func(err error) (string, error) {
		f.Close()
		os.Remove(path)
		return "", err
	}
	sw, err := seal.NewWriter(fileSink{s, f}, s.key, context)
	if err != nil {
		return fail(err)
	}
	if err := fill(sw); err != nil {
		return fail(err)
	}
	if err := sw.Close(); err != nil {
		return fail(err)
	}
	if durable {
		if err := s.syncFile(f); err != nil {
			return fail(err)
		}
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return "", err
	}
	return path, nil
}
