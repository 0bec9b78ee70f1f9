package smime

import (
	"crypto/rand"
	"encoding/hex"
	"io"
)

// lineWriter breaks base64 text into 76-character lines ending in CRLF
// (RFC 2045 §6.8).
type lineWriter struct {
	w   io.Writer
	col int
	out []byte
}

func (l *lineWriter) Write(p []byte) (int, error) {
	for i := 0; i < len(p); i += crlfPiece {
		if err := l.write(p[i:min(i+crlfPiece, len(p))]); err != nil {
			return i, err
		}
	}
	return len(p), nil
}

func (l *lineWriter) write(p []byte) error {
	l.out = l.out[:0]
	for _, c := range p {
		l.out = append(l.out, c)
		l.col++
		if l.col == 76 {
			l.out = append(l.out, '\r', '\n')
			l.col = 0
		}
	}
	_, err := l.w.Write(l.out)
	return err
}

// Close ends a partial last line.
func (l *lineWriter) Close() error {
	if l.col > 0 {
		l.col = 0
		_, err := l.w.Write([]byte("\r\n"))
		return err
	}
	return nil
}

// crlfWriter canonicalises line endings to CRLF (RFC 5751 §3.1.1): a bare LF
// or a bare CR becomes CRLF. Signed bytes must be exactly the bytes sent,
// and mail transports turn any line ending into CRLF.
type crlfWriter struct {
	w      io.Writer
	prevCR bool
	out    []byte
}

// crlfPiece bounds the work buffer: callers such as bytes.Reader.WriteTo
// hand over a whole message in one Write.
const crlfPiece = 32 << 10

func (c *crlfWriter) Write(p []byte) (int, error) {
	for i := 0; i < len(p); i += crlfPiece {
		if err := c.write(p[i:min(i+crlfPiece, len(p))]); err != nil {
			return i, err
		}
	}
	return len(p), nil
}

func (c *crlfWriter) write(p []byte) error {
	c.out = c.out[:0]
	for _, b := range p {
		switch {
		case b == '\n' && c.prevCR:
			c.out = append(c.out, '\n')
		case b == '\n':
			c.out = append(c.out, '\r', '\n')
		case c.prevCR:
			c.out = append(c.out, '\n', b)
		default:
			c.out = append(c.out, b)
		}
		c.prevCR = b == '\r'
	}
	_, err := c.w.Write(c.out)
	return err
}

// Close terminates a trailing bare CR.
func (c *crlfWriter) Close() error {
	if c.prevCR {
		c.prevCR = false
		_, err := c.w.Write([]byte("\n"))
		return err
	}
	return nil
}

func newBoundary() (string, error) {
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return "----sealgate-signed-" + hex.EncodeToString(b), nil
}
