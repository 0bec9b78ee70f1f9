package spool

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/sealgate/sealgate/crypto/seal"
)

type msgFiles struct {
	msg, state            bool
	copies                []string // names of <id>.copy.<name>
	legacyCopies          bool     // <id>.copies/, the layout before flat copies
	legacyEnv, legacyBody bool     // the layout before one file per message
}

// Recover checks every message in msg/ and returns the IDs of those whose
// message file (footer, envelope, whole body), state and copies all
// authenticate, oldest first. A message whose file is torn or corrupt, or
// whose state or a copy is, is moved whole to quarantine/ and its ID
// returned in quarantined. State and copies without a message file (a
// crash during Remove) are deleted, or moved to quarantine/ if their
// message is there. Messages in the previous layout (<id>.env beside
// <id>.body) are rewritten into one file. Messages being written by this
// process are left alone. Call it at start, before serving.
func (s *Spool) Recover() (ids []string, quarantined []string, err error) {
	entries, err := os.ReadDir(s.msgDir)
	if err != nil {
		return nil, nil, s.wrap("recover", "", err)
	}
	msgs := make(map[string]*msgFiles)
	for _, e := range entries {
		id, kind, _ := strings.Cut(e.Name(), ".")
		if !validID(id) {
			s.log.Warn("spool: recover: unknown file in msg dir left alone", "file", e.Name())
			continue
		}
		m := msgs[id]
		if m == nil {
			m = new(msgFiles)
			msgs[id] = m
		}
		if name, ok := strings.CutPrefix(kind, "copy."); ok && validCopyName(name) {
			m.copies = append(m.copies, name)
			continue
		}
		switch kind {
		case "":
			m.msg = true
		case "state":
			m.state = true
		case "copies":
			m.legacyCopies = true
		case "env":
			m.legacyEnv = true
		case "body":
			m.legacyBody = true
		default:
			s.log.Warn("spool: recover: unknown file in msg dir left alone", "msg_id", id, "file", e.Name())
		}
	}

	var garbage, legacy, check []string
	for id, m := range msgs {
		if s.isInflight(id) {
			continue
		}
		switch {
		case m.msg:
			check = append(check, id)
		case m.legacyEnv:
			legacy = append(legacy, id)
		default:
			garbage = append(garbage, id)
		}
	}
	sort.Strings(check)
	sort.Strings(garbage)
	sort.Strings(legacy)

	changed := false
	for _, id := range garbage {
		if s.inQuarantine(id) {
			// A crash while quarantining: the message file went first.
			if err := s.quarantine(id); err != nil {
				return nil, nil, err
			}
			continue
		}
		if err := s.removeFiles(id, msgs[id]); err != nil {
			return nil, nil, err
		}
		changed = true
		s.log.Info("spool: recover: removed files of a removed or uncommitted message", "msg_id", id)
	}
	for _, id := range check {
		if m := msgs[id]; m.legacyEnv || m.legacyBody {
			// A crash after migrating, before the old files were deleted.
			if err := s.removeLegacy(id); err != nil {
				return nil, nil, err
			}
			changed = true
		}
		if m := msgs[id]; m.legacyCopies {
			if err := s.flattenCopies(id, m); err != nil {
				return nil, nil, s.wrap("recover: move copies", id, err)
			}
			changed = true
		}
	}
	for _, id := range legacy {
		err := s.migrate(id, msgs[id])
		if err == nil {
			msgs[id].msg = true
			check = append(check, id)
			changed = true
			continue
		}
		if !isCorrupt(err) {
			return nil, nil, s.wrap("recover: migrate", id, err)
		}
		if err := s.quarantine(id); err != nil {
			return nil, nil, err
		}
		quarantined = append(quarantined, id)
		s.log.Error("spool: recover: message quarantined", "msg_id", id, "reason", err)
	}
	sort.Strings(check)

	// Reading every body is the slow part; spread it over the CPUs.
	verdicts := make([]error, len(check))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i, id := range check {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			verdicts[i] = s.verify(id, msgs[id])
			if verdicts[i] == nil && len(msgs[id].copies) > 0 {
				verdicts[i] = s.recoverCopies(id, msgs[id])
			}
		}()
	}
	wg.Wait()

	side := make(map[string]sideFiles)
	copyNames := make(map[string][]string)
	for i, id := range check {
		verr := verdicts[i]
		if verr == nil {
			ids = append(ids, id)
			m := msgs[id]
			if m.state {
				side[id] |= sideState
			}
			if len(m.copies) > 0 { // recoverCopies removed the others
				copyNames[id] = m.copies
			}
			continue
		}
		if !isCorrupt(verr) {
			// An I/O error is not evidence of corruption: do not move the
			// message, fail so the operator sees it.
			return nil, nil, s.wrap("recover", id, verr)
		}
		if err := s.quarantine(id); err != nil {
			return nil, nil, err
		}
		quarantined = append(quarantined, id)
		s.log.Error("spool: recover: message quarantined", "msg_id", id, "reason", verr)
	}
	if changed {
		if err := s.msgSync.Sync(); err != nil {
			return nil, nil, s.wrap("recover", "", err)
		}
	}
	s.mu.Lock()
	for id := range s.inflight { // a Writer's side files are not ours to forget
		if f, ok := s.side[id]; ok {
			side[id] = f
		}
		if n, ok := s.copyNames[id]; ok {
			copyNames[id] = n
		}
	}
	s.side = side
	s.copyNames = copyNames
	s.mu.Unlock()
	s.log.Info("spool: recovered", "messages", len(ids), "quarantined", len(quarantined), "removed", len(garbage))
	return ids, quarantined, nil
}

// errMissing marks a committed message missing a file it must have.
var errMissing = errors.New("spool: body missing")

func isCorrupt(err error) bool {
	return errors.Is(err, seal.ErrCorrupt) || errors.Is(err, errMissing) || errors.Is(err, ErrNotFound)
}

// verify authenticates every file of a committed message end to end.
func (s *Spool) verify(id string, m *msgFiles) error {
	mf, err := s.openMsg(id)
	if err != nil {
		return err
	}
	if _, err := s.envelopeOf(mf, id); err != nil {
		mf.f.Close()
		return err
	}
	if err := s.drain(s.bodyOf(mf, id)); err != nil {
		return err
	}
	if m.state {
		if err := s.drain(s.openSealed(s.statePath(id), ctxState(id), id)); err != nil {
			return err
		}
	}
	return nil
}

// recoverCopies deals with the copies of a good message. PutCopy does not
// fsync, so a copy a crash caught may be missing, empty or torn, and only
// a saved state makes copies durable (SaveState fsyncs them first):
//   - without a state the message was never queued after a crash: its
//     copies are removed, and it is planned (and encrypted) again;
//   - with a state, a copy that does not authenticate was written after
//     the state (a later plan that the crash cut short): it is removed,
//     never quarantined with the message. Should the state name it after
//     all, the relay cannot open it and plans the message again; it never
//     sends another copy in its place.
//
// The copies kept may be in the page cache only (the process was killed,
// the machine kept running): they are listed for the next SaveState to
// fsync. Only an I/O error other than corruption is returned.
func (s *Spool) recoverCopies(id string, m *msgFiles) error {
	names := m.copies
	m.copies = nil
	for _, name := range names {
		if !m.state {
			if err := os.Remove(s.copyPath(id, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			continue
		}
		err := s.drain(s.OpenCopy(id, name))
		if err == nil {
			s.unsynced.add(id, name)
			m.copies = append(m.copies, name)
			continue
		}
		if !isCorrupt(err) && !errors.Is(err, io.ErrUnexpectedEOF) {
			return err
		}
		if err := os.Remove(s.copyPath(id, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		s.log.Warn("spool: recover: removed a torn copy written after the last state", "msg_id", id, "copy", name, "reason", err)
	}
	if !m.state {
		s.log.Info("spool: recover: removed the copies of a message never queued; it is planned again", "msg_id", id)
	}
	return nil
}

// flattenCopies moves the copies of a spool written before copies were
// files in msg/ (<id>.copies/<name>) to msg/<id>.copy.<name> and removes
// the directory. Recover fsyncs msg/ after; a crash midway leaves some in
// each place, and the next Recover moves the rest.
func (s *Spool) flattenCopies(id string, m *msgFiles) error {
	dir := s.legacyCopiesPath(id)
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	for _, e := range entries {
		name := e.Name()
		if !validCopyName(name) || !e.Type().IsRegular() {
			continue
		}
		if err := os.Rename(filepath.Join(dir, name), s.copyPath(id, name)); err != nil {
			return err
		}
		if !slices.Contains(m.copies, name) {
			m.copies = append(m.copies, name)
		}
		s.addCopyName(id, name) // so quarantine moves it too
	}
	m.legacyCopies = false
	return os.RemoveAll(dir)
}

func (s *Spool) drain(rc io.ReadCloser, err error) error {
	if err != nil {
		return err
	}
	defer rc.Close()
	_, err = io.Copy(io.Discard, rc)
	return err
}

// removeFiles deletes the side files of a message that has no file.
func (s *Spool) removeFiles(id string, m *msgFiles) error {
	paths := []string{s.statePath(id), s.legacyCopiesPath(id), s.legacyBodyPath(id)}
	for _, name := range m.copies {
		paths = append(paths, s.copyPath(id, name))
	}
	for _, p := range paths {
		if err := os.RemoveAll(p); err != nil {
			return s.wrap("recover: remove", id, err)
		}
	}
	return nil
}

// inQuarantine reports whether a message of this ID was quarantined.
func (s *Spool) inQuarantine(id string) bool {
	for _, n := range []string{id, id + ".env"} {
		if _, err := os.Lstat(filepath.Join(s.qDir, n)); err == nil {
			return true
		}
	}
	return false
}

// quarantine moves all files of id to quarantine/, the message file first:
// a crash midway leaves side files that the next Recover finds orphaned,
// sees the message in quarantine/ and moves after it.
func (s *Spool) quarantine(id string) error {
	moves := []string{id, id + ".env", id + ".body", id + ".state", id + ".copies"}
	s.mu.Lock()
	for _, name := range s.copyNames[id] {
		moves = append(moves, id+".copy."+name)
	}
	s.mu.Unlock()
	for _, name := range moves {
		src := filepath.Join(s.msgDir, name)
		dst := filepath.Join(s.qDir, name)
		if _, err := os.Lstat(dst); err == nil {
			dst += "." + randSuffix() // quarantined before (crash mid-move): keep both
		}
		if err := os.Rename(src, dst); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return s.wrap("quarantine", id, err)
		}
	}
	if err := s.syncDir(s.qDir); err != nil {
		return s.wrap("quarantine", id, err)
	}
	if err := s.msgSync.Sync(); err != nil {
		return s.wrap("quarantine", id, err)
	}
	s.takeSide(id)
	s.unsynced.forget(id)
	s.mem.drop(id)
	return nil
}
