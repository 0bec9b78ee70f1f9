package spool

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"

	"github.com/sealgate/sealgate/crypto/seal"
	"github.com/sealgate/sealgate/envelope"
)

func (s *Spool) notFound(id string) error {
	return fmt.Errorf("%w: %s", ErrNotFound, id)
}

// exists reports whether the message is committed (its file is in msg/).
func (s *Spool) exists(id string) (bool, error) {
	_, err := os.Lstat(s.msgPath(id))
	if err == nil {
		return true, nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return false, s.wrap("stat", id, err)
}

// sealedFile is an open, decrypting file.
type sealedFile struct {
	io.Reader
	f *os.File
}

func (r *sealedFile) Close() error { return r.f.Close() }

func (s *Spool) openSealed(path, context, id string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, s.notFound(id)
		}
		return nil, s.wrap("open", id, err)
	}
	r, err := seal.NewReader(f, s.key, context)
	if err != nil {
		f.Close()
		return nil, s.wrap("open", id, err)
	}
	return &sealedFile{Reader: r, f: f}, nil
}

// readSealed reads a whole small sealed file, refusing more than limit bytes.
func (s *Spool) readSealed(path, context, id string, limit int64) ([]byte, error) {
	rc, err := s.openSealed(path, context, id)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, s.wrap("read", id, err)
	}
	if int64(len(data)) > limit {
		return nil, s.wrap("read", id, fmt.Errorf("file larger than %d bytes", limit))
	}
	return data, nil
}

// Envelope returns the committed envelope of id. It reads the end of the
// message file (footer and sealed envelope), never the body.
func (s *Spool) Envelope(id string) (*envelope.Envelope, error) {
	if err := s.checkID(id); err != nil {
		return nil, err
	}
	m, err := s.openMsg(id)
	if err != nil {
		return nil, err
	}
	defer m.f.Close()
	return s.envelopeOf(m, id)
}

// OpenBody returns a decrypting stream of the stored message. A torn or
// modified body fails with an error matching seal.ErrCorrupt, at the latest
// instead of the final io.EOF.
func (s *Spool) OpenBody(id string) (io.ReadCloser, error) {
	if err := s.checkID(id); err != nil {
		return nil, err
	}
	m, err := s.openMsg(id)
	if err != nil {
		return nil, err
	}
	return s.bodyOf(m, id)
}

// replace seals fill's output to a temp file, fsyncs it, renames it over
// final (in msg/) and fsyncs msg/ (group-committed through msgSync).
func (s *Spool) replace(op, id, tmpName, context, final string, fill func(io.Writer) error) error {
	tmp, err := s.sealTemp(tmpName, context, true, fill)
	if err != nil {
		return s.wrap(op, id, err)
	}
	if err := os.Rename(tmp, final); err != nil {
		os.Remove(tmp)
		return s.wrap(op, id, err)
	}
	if err := s.msgSync.Sync(); err != nil {
		return s.wrap(op, id, err)
	}
	return nil
}

// SaveState atomically replaces the opaque state blob of a committed
// message; it returns once the new state is durable, and so is every copy
// of the message written before it (PutCopy does not fsync): a saved state
// never names a copy a crash can lose.
func (s *Spool) SaveState(id string, state []byte) error {
	if err := s.checkID(id); err != nil {
		return err
	}
	if ok, err := s.exists(id); err != nil {
		return err
	} else if !ok {
		return s.notFound(id)
	}
	s.markSide(id, sideState) // before the file exists, so Remove never misses it
	err := s.syncCopies(id)
	if err == nil {
		err = s.replace("save state", id, id+".state."+randSuffix(), ctxState(id), s.statePath(id),
			func(w io.Writer) error { _, err := w.Write(state); return err })
	}
	if err != nil {
		s.recordFailure(err, id)
		return err
	}
	s.recordSuccess()
	return nil
}

// LoadState returns the last saved state, or (nil, nil) if none was saved.
func (s *Spool) LoadState(id string) ([]byte, error) {
	if err := s.checkID(id); err != nil {
		return nil, err
	}
	data, err := s.readSealed(s.statePath(id), ctxState(id), id, maxStateSize)
	if errors.Is(err, ErrNotFound) {
		if ok, xerr := s.exists(id); xerr != nil {
			return nil, xerr
		} else if ok {
			return nil, nil
		}
	}
	return data, err
}

// PutCopy stores a processed outbound copy of a committed message under
// name ([A-Za-z0-9_.-], up to 64 bytes), replacing any previous copy of
// that name. A copy of up to 1 MiB is kept in memory while the budget
// (Options.CopyMemory) allows; otherwise it is sealed to a temp file and
// renamed into place, so a reader sees it whole. Either way it is NOT
// durable: a copy can be made again from the durable message and its
// decision, so PutCopy costs no fsync. It becomes durable with the next
// SaveState of its message, which writes or fsyncs every copy stored since,
// before the state that may name it. A crash before that loses the copy or
// leaves it missing, empty or torn; Recover deletes copies of a message
// without state, and torn ones, so the message is planned again
// (re-encrypted), never sent without its copy.
func (s *Spool) PutCopy(id, name string, r io.Reader) error {
	if err := s.checkID(id); err != nil {
		return err
	}
	if !validCopyName(name) {
		return fmt.Errorf("spool: put copy %s: invalid name %q", id, name)
	}
	if ok, err := s.exists(id); err != nil {
		return err
	} else if !ok {
		return s.notFound(id)
	}
	src := &sourceReader{r: r}
	var body io.Reader = src
	if s.mem.limit > 0 {
		prefix, whole, err := readForMemory(src)
		if err != nil {
			return fmt.Errorf("spool: put copy %s: %w", id, err)
		}
		if whole && s.mem.put(id, name, prefix) {
			return nil
		}
		body = io.MultiReader(bytes.NewReader(prefix), src)
	}
	s.addCopyName(id, name)
	err := s.writeCopy(id, name, false, func(w io.Writer) error { _, err := io.Copy(w, body); return err })
	if err != nil {
		if src.err == nil { // the caller's reader failing is not a disk problem
			s.recordFailure(err, id)
		}
		return err
	}
	s.mem.forget(id, name)   // the file replaces a copy of that name in memory
	s.unsynced.add(id, name) // after the rename, so SaveState finds the file
	s.recordSuccess()
	return nil
}

// writeCopy seals fill's output to a temp file and renames it to
// msg/<id>.copy.<name>; the file is fsynced first only if durable (PutCopy
// says why it need not be).
func (s *Spool) writeCopy(id, name string, durable bool, fill func(io.Writer) error) error {
	tmp, err := s.sealTemp(id+".copy."+randSuffix(), ctxCopy(id, name), durable, fill)
	if err != nil {
		return s.wrap("put copy", id, err)
	}
	if err := os.Rename(tmp, s.copyPath(id, name)); err != nil {
		os.Remove(tmp)
		return s.wrap("put copy", id, err)
	}
	return nil
}

// syncCopies makes the copies of id stored since its last SaveState
// durable: those in memory are written to files and fsynced, the files
// written without fsync are fsynced; their entries in msg/ are covered by
// the msg/ fsync that SaveState does next, after their renames.
func (s *Spool) syncCopies(id string) error {
	if inMem := s.mem.take(id); len(inMem) > 0 {
		for name, mc := range inMem {
			s.addCopyName(id, name)
			err := s.writeCopy(id, name, true, func(w io.Writer) error { _, err := w.Write(mc.b); return err })
			if err != nil { // still in memory for the next SaveState
				return s.wrap("save state: write copy", id, err)
			}
		}
		s.mem.done(id, inMem)
	}
	names := s.unsynced.take(id)
	if len(names) == 0 {
		return nil
	}
	for name := range names {
		f, err := os.Open(s.copyPath(id, name))
		if errors.Is(err, fs.ErrNotExist) {
			continue // replaced by nothing: Remove, or a failed rewrite
		}
		if err == nil {
			err = s.syncFile(f)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil { // the copies stay listed for the next SaveState
			return s.wrap("save state: sync copy", id, err)
		}
	}
	s.unsynced.done(id, names)
	return nil
}

// copyTracker remembers, per message, the copies PutCopy wrote since the
// message's last SaveState (not yet fsynced). Each name carries the
// generation of its latest PutCopy, so a copy rewritten while SaveState
// syncs the older one stays listed for the next SaveState.
type copyTracker struct {
	mu  sync.Mutex
	gen uint64
	m   map[string]map[string]uint64 // id -> copy name -> generation
}

func (t *copyTracker) add(id, name string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m == nil {
		t.m = make(map[string]map[string]uint64)
	}
	if t.m[id] == nil {
		t.m[id] = make(map[string]uint64)
	}
	t.gen++
	t.m[id][name] = t.gen
}

// take returns a snapshot of id's unsynced copies; they stay listed until
// done removes the ones not rewritten meanwhile.
func (t *copyTracker) take(id string) map[string]uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.m[id]) == 0 {
		return nil
	}
	out := make(map[string]uint64, len(t.m[id]))
	for n, g := range t.m[id] {
		out[n] = g
	}
	return out
}

// done forgets the synced copies whose generation is still the one synced.
func (t *copyTracker) done(id string, synced map[string]uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for n, g := range synced {
		if t.m[id][n] == g {
			delete(t.m[id], n)
		}
	}
	if len(t.m[id]) == 0 {
		delete(t.m, id)
	}
}

// forget drops id's entries (Remove, quarantine).
func (t *copyTracker) forget(id string) {
	t.mu.Lock()
	delete(t.m, id)
	t.mu.Unlock()
}

// OpenCopy returns a decrypting stream of a copy stored with PutCopy.
func (s *Spool) OpenCopy(id, name string) (io.ReadCloser, error) {
	if err := s.checkID(id); err != nil {
		return nil, err
	}
	if !validCopyName(name) {
		return nil, fmt.Errorf("%w: %s copy %q", ErrNotFound, id, name)
	}
	if b, ok := s.mem.get(id, name); ok {
		return io.NopCloser(bytes.NewReader(b)), nil
	}
	return s.openSealed(s.copyPath(id, name), ctxCopy(id, name), id)
}

// Remove deletes the message: its file first (after that it is gone for
// Recover too), then any state and copies. It is not durable: a crash soon
// after may bring the message back, and it is then delivered again (a
// duplicate, never a loss), so it costs one unlink and no fsync for a
// message without state or copies. Unknown IDs give ErrNotFound.
func (s *Spool) Remove(id string) error {
	if err := s.checkID(id); err != nil {
		return err
	}
	err := os.Remove(s.msgPath(id))
	missing := errors.Is(err, fs.ErrNotExist)
	if err != nil && !missing {
		err = s.wrap("remove", id, err)
		s.recordFailure(err, id)
		return err
	}
	side, names := s.takeSide(id)
	s.unsynced.forget(id)
	s.mem.drop(id)
	if side&sideState != 0 {
		if err := os.Remove(s.statePath(id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			s.log.Warn("spool: remove state failed; Recover deletes it", "msg_id", id, "err", err)
		}
	}
	for _, name := range names {
		if err := os.Remove(s.copyPath(id, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			s.log.Warn("spool: remove copy failed; Recover deletes it", "msg_id", id, "copy", name, "err", err)
		}
	}
	if side&sideLegacyCopies != 0 {
		if err := os.RemoveAll(s.legacyCopiesPath(id)); err != nil {
			s.log.Warn("spool: remove copies failed; Recover deletes them", "msg_id", id, "err", err)
		}
	}
	if missing {
		return s.notFound(id)
	}
	s.log.Debug("spool: removed", "msg_id", id)
	return nil
}

// List returns the committed message IDs, oldest first. Messages whose
// Commit has not returned yet are not listed.
func (s *Spool) List() ([]string, error) {
	entries, err := os.ReadDir(s.msgDir) // sorted by name = by time
	if err != nil {
		return nil, s.wrap("list", "", err)
	}
	var ids []string
	for _, e := range entries {
		id := e.Name()
		if validID(id) && e.Type().IsRegular() && !s.isInflight(id) {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// sourceReader remembers the error of the caller's reader.
type sourceReader struct {
	r   io.Reader
	err error
}

func (r *sourceReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		r.err = err
	}
	return n, err
}
