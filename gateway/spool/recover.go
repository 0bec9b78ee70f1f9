package spool

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/sealgate/sealgate/crypto/seal"
)

type msgFiles struct {
	env, body, state, copies bool
}

// Recover checks every message in msg/ and returns the IDs of those whose
// envelope, body, state and copies all authenticate, oldest first. A
// message with an env but a missing, torn or corrupt file is moved whole to
// quarantine/ and its ID returned in quarantined. Files of a message with no
// env (a crash before the commit point, or during Remove) are deleted.
// Messages being written by this process are left alone. Call it at start,
// before serving.
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
		switch kind {
		case "env":
			m.env = true
		case "body":
			m.body = true
		case "state":
			m.state = true
		case "copies":
			m.copies = true
		default:
			s.log.Warn("spool: recover: unknown file in msg dir left alone", "msg_id", id, "file", e.Name())
		}
	}

	var garbage, check []string
	for id, m := range msgs {
		if s.isInflight(id) {
			continue
		}
		if m.env {
			check = append(check, id)
		} else {
			garbage = append(garbage, id)
		}
	}
	sort.Strings(check)
	sort.Strings(garbage)

	for _, id := range garbage {
		if err := s.removeFiles(id); err != nil {
			return nil, nil, err
		}
		s.log.Info("spool: recover: removed uncommitted files", "msg_id", id)
	}

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
		}()
	}
	wg.Wait()

	for i, id := range check {
		verr := verdicts[i]
		if verr == nil {
			ids = append(ids, id)
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
	if len(garbage) > 0 {
		if err := s.msgSync.Sync(); err != nil {
			return nil, nil, s.wrap("recover", "", err)
		}
	}
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
	if !m.body {
		return errMissing
	}
	if _, err := s.Envelope(id); err != nil {
		return err
	}
	if err := s.drain(s.OpenBody(id)); err != nil {
		return err
	}
	if m.state {
		if err := s.drain(s.openSealed(s.statePath(id), ctxState(id), id)); err != nil {
			return err
		}
	}
	if m.copies {
		entries, err := os.ReadDir(s.copiesPath(id))
		if err != nil {
			return err
		}
		for _, e := range entries {
			name := e.Name()
			if !validCopyName(name) {
				continue
			}
			if err := s.drain(s.OpenCopy(id, name)); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Spool) drain(rc io.ReadCloser, err error) error {
	if err != nil {
		return err
	}
	defer rc.Close()
	_, err = io.Copy(io.Discard, rc)
	return err
}

// removeFiles deletes the files of a message that has no env.
func (s *Spool) removeFiles(id string) error {
	for _, p := range []string{s.bodyPath(id), s.statePath(id), s.copiesPath(id)} {
		if err := os.RemoveAll(p); err != nil {
			return s.wrap("recover: remove", id, err)
		}
	}
	return nil
}

// quarantine moves all files of id to quarantine/, the env last so that a
// crash midway leaves an env in msg/ that the next Recover quarantines again.
func (s *Spool) quarantine(id string) error {
	moves := []string{id + ".body", id + ".state", id + ".copies", id + ".env"}
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
	return nil
}
