package loopmark

import (
	"bufio"
	"fmt"
	"io"
	"time"

	"github.com/emersion/go-message/textproto"
)

// maxHeader bounds the header Stamp reads.
const maxHeader = 1 << 20

// Stamp copies the message r to w with every instance of the mark removed
// and a fresh one for method and id added on top. The other header fields
// are written byte for byte as read and the body is streamed, so a DKIM
// signature made after Stamp (sign the copy as it leaves) covers exactly what
// is sent.
func (m *Marker) Stamp(w io.Writer, r io.Reader, method, id string, now time.Time) error {
	br := bufio.NewReader(io.LimitReader(r, maxHeader))
	h, err := textproto.ReadHeader(br)
	if err != nil {
		return fmt.Errorf("loopmark: read header: %w", err)
	}
	StripAll(&h)
	name, value, err := m.Header(method, id, &h, now)
	if err != nil {
		return err
	}
	h.Add(name, value)
	if err := textproto.WriteHeader(w, h); err != nil {
		return fmt.Errorf("loopmark: write header: %w", err)
	}
	// What the header reader buffered, then the rest of r unlimited.
	if _, err := io.Copy(w, io.MultiReader(br, r)); err != nil {
		return fmt.Errorf("loopmark: copy body: %w", err)
	}
	return nil
}
