package loopmark

import (
	"bufio"
	"bytes"
	"io"
	"time"

	"github.com/emersion/go-message/textproto"
)

// Stamp returns r with a fresh mark for method and id added to its header,
// the body streamed unchanged. r must hold no mark already (strip them
// first): Stamp is for the copies sealgate itself made, whose header is
// small. A header that does not parse gives a reader that fails.
func (m *Marker) Stamp(r io.Reader, method, id string, now time.Time) io.Reader {
	br := bufio.NewReader(r)
	h, err := textproto.ReadHeader(br)
	if err != nil {
		return errReader{err}
	}
	name, value, err := m.Header(method, id, &h, now)
	if err != nil {
		return errReader{err}
	}
	h.Add(name, value)
	var buf bytes.Buffer
	if err := textproto.WriteHeader(&buf, h); err != nil {
		return errReader{err}
	}
	return io.MultiReader(&buf, br)
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
