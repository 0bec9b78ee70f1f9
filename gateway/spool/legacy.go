package spool

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/sealgate/sealgate/crypto/seal"
	"github.com/sealgate/sealgate/envelope"
)

// The layout before one file per message kept <id>.body and <id>.env
// (the commit marker) side by side in msg/. Recover rewrites such a
// message into one file under the same ID, then deletes the old pair, so a
// spool written by an older sealgate is delivered, not lost.

func (s *Spool) legacyBodyPath(id string) string { return filepath.Join(s.msgDir, id+".body") }
func (s *Spool) legacyEnvPath(id string) string  { return filepath.Join(s.msgDir, id+".env") }

// migrate rewrites a legacy message. Corruption of either old file gives
// an error matching isCorrupt; nothing new is left behind on error.
func (s *Spool) migrate(id string, m *msgFiles) error {
	if !m.legacyBody {
		return errMissing
	}
	data, err := s.readSealed(s.legacyEnvPath(id), ctxEnv(id), id, maxEnvSize)
	if err != nil {
		return err
	}
	env := new(envelope.Envelope)
	if err := json.Unmarshal(data, env); err != nil || env.ID != id {
		return fmt.Errorf("%w: legacy envelope does not decode", seal.ErrCorrupt)
	}
	body, err := s.openSealed(s.legacyBodyPath(id), ctxBody(id), id)
	if err != nil {
		return err
	}
	defer body.Close()
	w, err := s.newWriter(id)
	if err != nil {
		return err
	}
	src := &sourceReader{r: body}
	if _, err := io.Copy(w, src); err != nil {
		w.Abort()
		if src.err != nil {
			return src.err // corruption of the old body
		}
		return err
	}
	if err := w.Commit(env); err != nil {
		return err
	}
	if err := s.removeLegacy(id); err != nil {
		return err
	}
	s.log.Info("spool: recover: message rewritten into the one-file layout", "msg_id", id)
	return nil
}

// removeLegacy deletes the old pair, the env (commit marker) first.
func (s *Spool) removeLegacy(id string) error {
	for _, p := range []string{s.legacyEnvPath(id), s.legacyBodyPath(id)} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return s.wrap("recover: remove old files", id, err)
		}
	}
	return nil
}
