// Package msgscan watches a message's bytes as they stream to the spool,
// for every producer (SMTP DATA, the REST API): line endings, 8-bit
// content, and the few header fields the envelope needs.
package msgscan

import (
	"bytes"
)

// Scanner watches message bytes as they stream to the store, without
// buffering the body: it finds bare CR / bare LF, 8-bit bytes, and, in the
// first MaxHeaderScan bytes of the header section, counts Received fields and
// captures Message-ID and a "TLS-Required: No" field (RFC 8689 §5).
type Scanner struct {
	prev     byte
	Bare     bool // bare CR or bare LF seen
	EightBit bool
	// headerEightBit: a non-ASCII byte in the header section, or a header
	// section too long to scan (RFC 6532 header fields need SMTPUTF8).
	HeaderEightBit bool

	inHeader  bool
	headerN   int
	line      []byte
	Received  int
	inMsgID   bool
	msgID     []byte
	haveMsgID bool
	// tlsRequiredNo: a TLS-Required field whose value is "No".
	TLSRequiredNo bool
}

const maxHeaderLine = 8192

// MaxHeaderScan bounds the header section parsed for Received,
// Message-ID and TLS-Required; a longer one counts as 8-bit (unknown).
const MaxHeaderScan = 1 << 20

// New returns a scanner at the start of a message.
func New() *Scanner {
	return &Scanner{inHeader: true, prev: '\n'}
}

// Scan looks at the next bytes of the message.
func (m *Scanner) Scan(p []byte) {
	for _, c := range p {
		if c >= 0x80 {
			m.EightBit = true
		}
		if m.prev == '\r' && c != '\n' {
			m.Bare = true
		}
		if c == '\n' && m.prev != '\r' {
			m.Bare = true
		}
		m.prev = c
		if !m.inHeader {
			continue
		}
		if c >= 0x80 {
			m.HeaderEightBit = true
		}
		m.headerN++
		if m.headerN > MaxHeaderScan {
			m.HeaderEightBit = true // unknown: assume the worst
			m.endHeader()
			continue
		}
		if c == '\n' {
			m.headerLine(bytes.TrimRight(m.line, "\r"))
			m.line = m.line[:0]
			continue
		}
		if len(m.line) < maxHeaderLine {
			m.line = append(m.line, c)
		}
	}
}

// Finish ends the message; it reports a message that ends in a bare CR
// (no LF after it).
func (m *Scanner) Finish() {
	if m.prev == '\r' {
		m.Bare = true
	}
	if m.inHeader && len(m.line) > 0 {
		m.headerLine(bytes.TrimRight(m.line, "\r"))
	}
	m.endHeader()
}

func (m *Scanner) endHeader() {
	if m.inMsgID {
		m.haveMsgID = true
		m.inMsgID = false
	}
	m.inHeader = false
	m.line = nil
}

func (m *Scanner) headerLine(l []byte) {
	if len(l) == 0 {
		m.endHeader()
		return
	}
	if l[0] == ' ' || l[0] == '\t' { // folded continuation
		if m.inMsgID && len(m.msgID) < 998 {
			m.msgID = append(m.msgID, l...)
		}
		return
	}
	if m.inMsgID {
		m.haveMsgID = true
		m.inMsgID = false
	}
	name, value, ok := bytes.Cut(l, []byte(":"))
	if !ok {
		// Not a header field: the message has no (valid) header section.
		m.endHeader()
		return
	}
	name = bytes.TrimRight(name, " \t")
	switch {
	case bytes.EqualFold(name, []byte("Received")):
		m.Received++
	case bytes.EqualFold(name, []byte("Message-ID")) && !m.haveMsgID:
		m.inMsgID = true
		m.msgID = append(m.msgID[:0], value...)
	case bytes.EqualFold(name, []byte("TLS-Required")):
		// RFC 8689 §5: the only defined value is "No" (case-insensitive);
		// a folded value is not expected and is ignored.
		if bytes.EqualFold(bytes.TrimSpace(value), []byte("No")) {
			m.TLSRequiredNo = true
		}
	}
}

// MessageID is the Message-ID field's value, "" when the message has none.
func (m *Scanner) MessageID() string {
	if !m.haveMsgID {
		return ""
	}
	return string(bytes.TrimSpace(m.msgID))
}
