package spool

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/sealgate/sealgate/crypto/seal"
	"github.com/sealgate/sealgate/envelope"
)

// A message file, msg/<id>, is one write-once file:
//
//	[sealed body stream   (context spool-body:<id>)]
//	[sealed envelope JSON (context spool-env:<id>)]
//	[footer: envOff uint64 BE | envLen uint64 BE | footerMagic]
//
// The body is bytes [0, envOff). The footer is not sealed, but it only
// says where the sealed parts are: a wrong offset or length makes one of
// them fail authentication, and envOff+envLen+footerLen must equal the
// file size, so a torn or extended file is caught before any decryption.
const (
	footerMagic = "SGMSG1\n\x00"
	footerLen   = 16 + len(footerMagic)
	// tailRead is how much of the file's end Envelope reads in one pread:
	// the footer and, for all but huge envelopes, the whole sealed envelope.
	tailRead = 8 << 10
)

func appendFooter(b []byte, envOff, envLen int64) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(envOff))
	b = binary.BigEndian.AppendUint64(b, uint64(envLen))
	return append(b, footerMagic...)
}

// errLayout marks a message file whose footer does not describe it.
func errLayout(why string) error { return fmt.Errorf("%w: message file %s", seal.ErrCorrupt, why) }

// msgFile is an open message file with its footer checked.
type msgFile struct {
	f              *os.File
	envOff, envLen int64
	tail           []byte // the last min(size, tailRead) bytes
	tailOff        int64  // file offset of tail[0]
}

// openMsg opens msg/<id> and checks its footer. A missing file is
// ErrNotFound; a malformed one matches seal.ErrCorrupt.
func (s *Spool) openMsg(id string) (*msgFile, error) {
	f, err := os.Open(s.msgPath(id))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, s.notFound(id)
		}
		return nil, s.wrap("open", id, err)
	}
	m, err := s.readFooter(f, id)
	if err != nil {
		f.Close()
		return nil, err
	}
	return m, nil
}

func (s *Spool) readFooter(f *os.File, id string) (*msgFile, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, s.wrap("stat", id, err)
	}
	size := st.Size()
	if size < int64(footerLen) {
		return nil, s.wrap("open", id, errLayout("shorter than its footer"))
	}
	n := min(size, tailRead)
	tail := make([]byte, n)
	if _, err := f.ReadAt(tail, size-n); err != nil {
		return nil, s.wrap("read", id, err)
	}
	foot := tail[n-int64(footerLen):]
	if string(foot[16:]) != footerMagic {
		return nil, s.wrap("open", id, errLayout("has no footer (torn?)"))
	}
	envOff := int64(binary.BigEndian.Uint64(foot[0:8]))
	envLen := int64(binary.BigEndian.Uint64(foot[8:16]))
	if envOff < 0 || envLen <= 0 || envLen > maxEnvSize+(maxEnvSize/seal.ChunkSize+1)*16+64 ||
		envOff+envLen+int64(footerLen) != size {
		return nil, s.wrap("open", id, errLayout("footer does not match its size"))
	}
	return &msgFile{f: f, envOff: envOff, envLen: envLen, tail: tail, tailOff: size - n}, nil
}

// envelope decrypts and parses the sealed envelope.
func (s *Spool) envelopeOf(m *msgFile, id string) (*envelope.Envelope, error) {
	var src io.Reader
	if m.envOff >= m.tailOff { // usually: no second read
		start := m.envOff - m.tailOff
		src = bytes.NewReader(m.tail[start : start+m.envLen])
	} else {
		src = io.NewSectionReader(m.f, m.envOff, m.envLen)
	}
	r, err := seal.NewReader(src, s.key, ctxEnv(id))
	if err != nil {
		return nil, s.wrap("read envelope", id, err)
	}
	data, err := io.ReadAll(io.LimitReader(r, maxEnvSize+1))
	if err != nil {
		return nil, s.wrap("read envelope", id, err)
	}
	if len(data) > maxEnvSize {
		return nil, s.wrap("read envelope", id, fmt.Errorf("%w: envelope larger than %d bytes", seal.ErrCorrupt, maxEnvSize))
	}
	env := new(envelope.Envelope)
	if err := json.Unmarshal(data, env); err != nil {
		// Authenticated but unparsable: our own bytes went bad. Never echo them.
		return nil, s.wrap("decode envelope", id, fmt.Errorf("%w: invalid envelope JSON", seal.ErrCorrupt))
	}
	if env.ID != id {
		return nil, s.wrap("decode envelope", id, fmt.Errorf("%w: envelope names another message", seal.ErrCorrupt))
	}
	return env, nil
}

// body returns a decrypting stream of the body section; it owns m.f.
func (s *Spool) bodyOf(m *msgFile, id string) (io.ReadCloser, error) {
	r, err := seal.NewReader(io.NewSectionReader(m.f, 0, m.envOff), s.key, ctxBody(id))
	if err != nil {
		m.f.Close()
		return nil, s.wrap("open", id, err)
	}
	return &sealedFile{Reader: r, f: m.f}, nil
}
