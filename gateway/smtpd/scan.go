package smtpd

import (
	"bytes"
)

// msgScanner watches message bytes as they stream to the store, without
// buffering the body: it finds bare CR / bare LF, 8-bit bytes, and, in the
// first maxHeaderScan bytes of the header section, counts Received fields and
// captures Message-ID and a "TLS-Required: No" field (RFC 8689 §5).
type msgScanner struct {
	prev     byte
	bare     bool // bare CR or bare LF seen
	eightBit bool
	// headerEightBit: a non-ASCII byte in the header section, or a header
	// section too long to scan (RFC 6532 header fields need SMTPUTF8).
	headerEightBit bool

	inHeader  bool
	headerN   int
	line      []byte
	received  int
	inMsgID   bool
	msgID     []byte
	haveMsgID bool
	// tlsRequiredNo: a TLS-Required field whose value is "No".
	tlsRequiredNo bool
}

const maxHeaderLine = 8192

func newMsgScanner() *msgScanner {
	return &msgScanner{inHeader: true, prev: '\n'}
}

func (m *msgScanner) scan(p []byte) {
	for _, c := range p {
		if c >= 0x80 {
			m.eightBit = true
		}
		if m.prev == '\r' && c != '\n' {
			m.bare = true
		}
		if c == '\n' && m.prev != '\r' {
			m.bare = true
		}
		m.prev = c
		if !m.inHeader {
			continue
		}
		if c >= 0x80 {
			m.headerEightBit = true
		}
		m.headerN++
		if m.headerN > maxHeaderScan {
			m.headerEightBit = true // unknown: assume the worst
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

// finish reports a message that ends in a bare CR (no LF after it).
func (m *msgScanner) finish() {
	if m.prev == '\r' {
		m.bare = true
	}
	if m.inHeader && len(m.line) > 0 {
		m.headerLine(bytes.TrimRight(m.line, "\r"))
	}
	m.endHeader()
}

func (m *msgScanner) endHeader() {
	if m.inMsgID {
		m.haveMsgID = true
		m.inMsgID = false
	}
	m.inHeader = false
	m.line = nil
}

func (m *msgScanner) headerLine(l []byte) {
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
		m.received++
	case bytes.EqualFold(name, []byte("Message-ID")) && !m.haveMsgID:
		m.inMsgID = true
		m.msgID = append(m.msgID[:0], value...)
	case bytes.EqualFold(name, []byte("TLS-Required")):
		// RFC 8689 §5: the only defined value is "No" (case-insensitive);
		// a folded value is not expected and is ignored.
		if bytes.EqualFold(bytes.TrimSpace(value), []byte("No")) {
			m.tlsRequiredNo = true
		}
	}
}

func (m *msgScanner) messageID() string {
	if !m.haveMsgID {
		return ""
	}
	return string(bytes.TrimSpace(m.msgID))
}
