package spool

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/sealgate/sealgate/crypto/seal"
	"github.com/sealgate/sealgate/envelope"
)

// Writer streams one new message into the spool. It is used by one
// goroutine; Commit or Abort must end every Writer.
type Writer struct {
	s       *Spool
	id      string
	f       *os.File // tmp/<id>: the whole message file being written
	cw      *countSink
	sw      io.WriteCloser
	n       int64
	err     error // sticky write error
	done    bool  // committed or aborted
	renamed bool  // msg/<id> exists from a Commit that then failed
}

// countSink counts the bytes that reach the file, to place the footer.
type countSink struct {
	w fileSink
	n int64
}

func (c *countSink) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// NewMessage allocates a unique, time-ordered ID and opens a sealed temp
// file for it.
func (s *Spool) NewMessage() (*Writer, error) {
	id, err := s.newID()
	if err != nil {
		return nil, err
	}
	return s.newWriter(id)
}

func (s *Spool) newWriter(id string) (*Writer, error) {
	s.markInflight(id)
	f, err := s.createTemp(id)
	if err != nil {
		s.clearInflight(id)
		err = s.wrap("create message", id, err)
		s.recordFailure(err, id)
		return nil, err
	}
	cw := &countSink{w: fileSink{s, f}}
	sw, err := seal.NewWriter(cw, s.key, ctxBody(id))
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		s.clearInflight(id)
		err = s.wrap("write body", id, err)
		s.recordFailure(err, id)
		return nil, err
	}
	return &Writer{s: s, id: id, f: f, cw: cw, sw: sw}, nil
}

// ID returns the message ID.
func (w *Writer) ID() string { return w.id }

// Write seals p into the temp file. Memory use is one seal chunk whatever
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
// env.Received (if zero), appends the sealed envelope and the footer,
// fsyncs the file, renames it into msg/ (the commit point) and fsyncs the
// directory (group-committed). It returns nil only when all of that is on
// stable storage. On error nothing of the message is left and Abort is a
// no-op.
func (w *Writer) Commit(env *envelope.Envelope) error {
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

func (w *Writer) commit(env *envelope.Envelope) error {
	s, id := w.s, w.id
	if w.err != nil {
		return w.err
	}
	if err := w.sw.Close(); err != nil {
		return s.wrap("write body", id, err)
	}
	envOff := w.cw.n

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
	var tail bytes.Buffer
	ew, err := seal.NewWriter(&tail, s.key, ctxEnv(id))
	if err == nil {
		_, err = ew.Write(data)
	}
	if err == nil {
		err = ew.Close()
	}
	if err != nil {
		return s.wrap("seal envelope", id, err)
	}
	envLen := int64(tail.Len())
	tail.Write(appendFooter(nil, envOff, envLen))
	if _, err := w.cw.Write(tail.Bytes()); err != nil {
		return s.wrap("write envelope", id, err)
	}
	if err := s.syncFile(w.f); err != nil {
		return s.wrap("fsync message", id, err)
	}
	err = w.f.Close()
	w.f = nil
	if err != nil {
		return s.wrap("close message", id, err)
	}
	// The commit point: one complete, fsynced file appears under its name.
	if err := os.Rename(filepath.Join(s.tmpDir, id), s.msgPath(id)); err != nil {
		return s.wrap("rename message", id, err)
	}
	w.renamed = true
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
	os.Remove(filepath.Join(w.s.tmpDir, w.id))
	// A Commit that failed after its rename: the client gets 4xx, so the
	// message must not stay (it would be delivered and also resent).
	if w.renamed {
		os.Remove(w.s.msgPath(w.id))
		_ = w.s.msgSync.Sync()
	}
	w.s.clearInflight(w.id)
}
