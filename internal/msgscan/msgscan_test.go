package msgscan

import (
	"strings"
	"testing"
)

// What the envelope needs is noted however the bytes are chunked: the
// Message-ID of the header (not one in the body), 8-bit content in the
// body and in the header, bare line endings.
func TestScannerNotesWhatTheEnvelopeNeeds(t *testing.T) {
	long := strings.Repeat("x", 200<<10)
	cases := []struct {
		name, in    string
		msgID       string
		eight, hdr8 bool
		bare        bool
	}{
		{"crlf", "From: a@b\r\nMessage-ID: <1@b>\r\n\r\nhi\r\n", "<1@b>", false, false, false},
		{"folded id", "Message-ID:\r\n <2@b>\r\n\r\nx\r\n", "<2@b>", false, false, false},
		{"8bit body", "Subject: x\r\n\r\ncaf\xc3\xa9\r\n", "", true, false, false},
		{"8bit header", "Subject: caf\xc3\xa9\r\n\r\nx\r\n", "", true, true, false},
		{"message-id in body ignored", "Subject: x\r\n\r\nMessage-ID: <no@b>\r\n", "", false, false, false},
		{"long line", "Subject: x\r\n\r\n" + long + "\r\n", "", false, false, false},
		{"bare lf", "Subject: x\n\nbody\n", "", false, false, true},
		{"bare cr", "Subject: x\r\n\r\na\rb\r\n", "", false, false, true},
	}
	for _, c := range cases {
		for _, chunk := range []int{1, 7, len(c.in)} {
			m := New()
			for i := 0; i < len(c.in); i += chunk {
				m.Scan([]byte(c.in[i:min(i+chunk, len(c.in))]))
			}
			m.Finish()
			if m.MessageID() != c.msgID || m.EightBit != c.eight || m.HeaderEightBit != c.hdr8 || m.Bare != c.bare {
				t.Errorf("%s (chunks of %d): id %q 8bit %v header %v bare %v; want %q %v %v %v", c.name, chunk,
					m.MessageID(), m.EightBit, m.HeaderEightBit, m.Bare, c.msgID, c.eight, c.hdr8, c.bare)
			}
		}
	}
}
