package spool

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/sealgate/sealgate/crypto/seal"
)

// Writer streams one new message into the spool. It is used by one
// goroutine; Commit or Abort must end every Writer.
type Writer struct {
	s       *Spool
	id      string
	f       *os.File // temp body
	sw      io.WriteCloser
	n       int64
	err     error // sticky write error
	done    bool  // committed or aborted
	tmpEnv  string
	created []string // files renamed into msg/ by a Commit that then failed
}

// NewMessage allocates a unique, time-ordered ID and opens a sealed temp
// body for it.
func (s *Spool) NewMessage() (*Writer, error) {
	id, err := s.newID()
	if err != nil {
		return nil, err
	}
	s.markInflight(id)
	f, err := s.createTemp(id + ".body")
	if err != nil {
		s.clearInflight(id)
		err = s.wrap("create body", id, err)
		s.recordFailure(err, id)
		return nil, err
	}
	sw, err := seal.NewWriter(fileSink{s, f}, s.key, ctxBody(id))
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		s.clearInflight(id)
		err = s.wrap("write body", id, err)
		s.recordFailure(err, id)
		return nil, err
	}
	return &Writer{s: s, id: id, f: f, sw: sw}, nil
}

// ID returns the message ID.
func (w *Writer) ID() string { return w.id }

// Write seals p into the temp body. Memory use is one seal chunk whatever
// the message size.
func (w *Writer) Write(p []byte) (int, error) {
	if w.done {
		return 0, errors.New("spool: write to a finished message " + w.id)
	}
	if w.err != nil {
		return 0, w.err
	}
	n, err := w.sw.Write(p)
	w.n += int64(n)
	if err != nil {
		w.err = w.s.wrap("write body", w.id, err)
		w.s.recordFailure(w.err, w.id)
		return n, w.err
	}
	return n, nil
}

// Commit makes the message durable. It sets env.ID, env.Size (if 0) and
// env.Received (if zero), seals the envelope, fsyncs both files, renames the
// body and then the envelope into msg/, fsyncing the directory after each
// rename. It returns nil only when all of that is on stable storage. On
// error nothing of the message is left and Abort is a no-op.
func (w *Writer) Commit(env *Envelope) error {
	if w.done {
		return errors.New("spool: commit of a finished message " + w.id)
	}
	if env == nil {
		w.Abort()
		return errors.New("spool: commit " + w.id + ": nil envelope")
	}
	if err := w.commit(env); err != nil {
		w.s.recordFailure(err, w.id)
		w.cleanup()
		return err
	}
	w.done = true
	w.s.clearInflight(w.id)
	w.s.recordSuccess()
	w.s.log.Debug("spool: committed", "msg_id", w.id, "size", w.n, "rcpts", len(env.Recipients))
	return nil
}

func (w *Writer) commit(env *Envelope) error {
	s, id := w.s, w.id
	if w.err != nil {
		return w.err
	}
	if err := w.sw.Close(); err != nil {
		return s.wrap("write body", id, err)
	}
	if err := s.syncFile(w.f); err != nil {
		return s.wrap("fsync body", id, err)
	}
	err := w.f.Close()
	w.f = nil
	if err != nil {
		return s.wrap("close body", id, err)
	}

	env.ID = id
	if env.Size == 0 {
		env.Size = w.n
	}
	if env.Received.IsZero() {
		env.Received = time.Now().UTC()
	}
	data, err := json.Marshal(env)
	if err != nil {
		return s.wrap("encode envelope", id, err)
	}
	w.tmpEnv, err = s.sealTemp(id+".env", ctxEnv(id), func(dst io.Writer) error {
		_, err := dst.Write(data)
		return err
	})
	if err != nil {
		return s.wrap("write envelope", id, err)
	}

	// Body first: an env in msg/ must never name a body that is not there.
	if err := os.Rename(filepath.Join(s.tmpDir, id+".body"), s.bodyPath(id)); err != nil {
		return s.wrap("rename body", id, err)
	}
	w.created = append(w.created, s.bodyPath(id))
	if err := s.msgSync.Sync(); err != nil {
		return s.wrap("fsync dir", id, err)
	}
	// The commit point.
	if err := os.Rename(w.tmpEnv, s.envPath(id)); err != nil {
		return s.wrap("rename envelope", id, err)
	}
	w.tmpEnv = ""
	w.created = append(w.created, s.envPath(id))
	if err := s.msgSync.Sync(); err != nil {
		return s.wrap("fsync dir", id, err)
	}
	return nil
}

// Abort discards the message. It is idempotent, safe after a failed Write
// or Commit, and a no-op after a successful Commit.
func (w *Writer) Abort() error {
	if w.done {
		return nil
	}
	w.cleanup()
	return nil
}

func (w *Writer) cleanup() {
	w.done = true
	if w.f != nil {
		w.f.Close()
		w.f = nil
	}
	os.Remove(filepath.Join(w.s.tmpDir, w.id+".body"))
	if w.tmpEnv != "" {
		os.Remove(w.tmpEnv)
	}
	// A Commit that failed after renaming: take the env out first so a crash
	// in between leaves only garbage for Recover, never a half message.
	if len(w.created) > 0 {
		for i := len(w.created) - 1; i >= 0; i-- {
			os.Remove(w.created[i])
		}
		_ = w.s.msgSync.Sync()
	}
	w.s.clearInflight(w.id)
}
