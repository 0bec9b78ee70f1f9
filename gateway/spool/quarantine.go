package spool

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/sealgate/sealgate/crypto/seal"
	"github.com/sealgate/sealgate/envelope"
)

// reportedSuffix marks a quarantined message whose quarantine was reported
// (audited, counted, sender told): quarantine/<id>.reported, empty.
const reportedSuffix = ".reported"

// Unreported returns the IDs of quarantined messages (quarantine/<id>, or
// <id>.env of the older layout) not yet marked with MarkReported, oldest
// first. Recover only moves files; the gateway reports each quarantine
// once, and again after a crash before MarkReported (a duplicate report,
// never a missing one).
func (s *Spool) Unreported() ([]string, error) {
	entries, err := os.ReadDir(s.qDir) // sorted by name = by time
	if err != nil {
		return nil, s.wrap("read quarantine", "", err)
	}
	names := make(map[string]bool, len(entries))
	for _, e := range entries {
		names[e.Name()] = true
	}
	var ids []string
	for _, e := range entries {
		id, kind, _ := strings.Cut(e.Name(), ".")
		if !validID(id) || (kind != "" && kind != "env") || !e.Type().IsRegular() {
			continue
		}
		if kind == "env" && names[id] {
			continue // listed once, by its message file
		}
		if !names[id+reportedSuffix] {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// QuarantinedEnvelope returns the envelope of a quarantined message when it
// still authenticates: a message whose body or state is damaged usually
// keeps a good envelope, a torn file (no footer) does not. It never reads
// the body.
func (s *Spool) QuarantinedEnvelope(id string) (*envelope.Envelope, error) {
	if err := s.checkID(id); err != nil {
		return nil, err
	}
	f, err := os.Open(filepath.Join(s.qDir, id))
	if errors.Is(err, fs.ErrNotExist) {
		// The older layout kept the envelope in its own sealed file.
		data, lerr := s.readSealed(filepath.Join(s.qDir, id+".env"), ctxEnv(id), id, maxEnvSize)
		if lerr != nil {
			return nil, lerr
		}
		env := new(envelope.Envelope)
		if err := json.Unmarshal(data, env); err != nil || env.ID != id {
			return nil, s.wrap("decode envelope", id, fmt.Errorf("%w: legacy envelope does not decode", seal.ErrCorrupt))
		}
		return env, nil
	}
	if err != nil {
		return nil, s.wrap("open quarantined", id, err)
	}
	defer f.Close()
	m, err := s.readFooter(f, id)
	if err != nil {
		return nil, err
	}
	return s.envelopeOf(m, id)
}

// MarkReported records durably that the quarantine of id was reported.
func (s *Spool) MarkReported(id string) error {
	if err := s.checkID(id); err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(s.qDir, id+reportedSuffix), os.O_WRONLY|os.O_CREATE, fileMode)
	if err != nil {
		return s.wrap("mark quarantine reported", id, err)
	}
	if err := f.Close(); err != nil {
		return s.wrap("mark quarantine reported", id, err)
	}
	if err := s.syncDir(s.qDir); err != nil {
		return s.wrap("mark quarantine reported", id, err)
	}
	return nil
}
