// Package bcc removes the blind-copy header fields, Bcc and Resent-Bcc, from
// a message on its way out: RFC 5322 §3.6.3 and §3.6.6 leave their content to
// the originator, and a relay that cannot tell which copy goes to whom must
// remove them from every copy, or each recipient learns who was blind-copied.
//
// Strip streams: it reads the header line by line, drops the fields (with
// their folded continuation lines) and passes the rest, the body untouched.
package bcc

import (
	"bufio"
	"bytes"
	"io"
	"strings"
)

// IsField reports whether name (any case, trailing blanks allowed: RFC 5322
// §4.5 obsolete syntax) is Bcc or Resent-Bcc.
func IsField(name string) bool {
	name = strings.TrimRight(name, " \t")
	return strings.EqualFold(name, "Bcc") || strings.EqualFold(name, "Resent-Bcc")
}

// Strip returns a reader of r without the Bcc and Resent-Bcc fields of its
// header section (the lines before the first empty line). Errors of r pass
// through.
func Strip(r io.Reader) io.Reader {
	return StripFields(r, IsField)
}

// StripFields is Strip for the fields whose name drop matches (the relay
// also drops forged loop marks this way).
func StripFields(r io.Reader, drop func(name string) bool) io.Reader {
	return &reader{br: bufio.NewReaderSize(r, 4096), drop: drop}
}

type reader struct {
	drop     func(string) bool
	br       *bufio.Reader
	body     bool // past the header
	dropping bool // in a Bcc field (its first line or a continuation)
	midLine  bool // the last chunk ended without LF: the line goes on
	buf      []byte
	pending  []byte // kept bytes not yet returned (in buf)
	err      error
}

func (s *reader) Read(p []byte) (int, error) {
	for len(s.pending) == 0 {
		if s.err != nil {
			return 0, s.err
		}
		if s.body {
			return s.br.Read(p)
		}
		chunk, err := s.br.ReadSlice('\n')
		if err != nil && err != bufio.ErrBufferFull {
			s.err = err
		}
		if len(chunk) == 0 {
			continue
		}
		if !s.midLine {
			switch {
			case bytes.Equal(chunk, []byte("\r\n")) || bytes.Equal(chunk, []byte("\n")):
				s.body, s.dropping = true, false
			case chunk[0] == ' ' || chunk[0] == '\t':
				// A continuation belongs to the field before it.
			default:
				// A field name is short; one longer than the buffer
				// (no colon in the first chunk) is not a Bcc.
				i := bytes.IndexByte(chunk, ':')
				s.dropping = i > 0 && s.drop(string(chunk[:i]))
			}
		}
		s.midLine = chunk[len(chunk)-1] != '\n'
		if !s.dropping {
			s.buf = append(s.buf[:0], chunk...)
			s.pending = s.buf
		}
	}
	n := copy(p, s.pending)
	s.pending = s.pending[n:]
	return n, nil
}
