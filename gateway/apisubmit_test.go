package gateway

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// An API message is stored with CRLF endings whatever it came with, and
// what the relay must know (Message-ID, 8-bit content) is noted on the way.
func TestCopyCRLF(t *testing.T) {
	long := strings.Repeat("x", 200<<10) // longer than the reader's buffer
	cases := []struct {
		name, in, want string
		msgID          string
		eight, hdr8    bool
	}{
		{"lf", "From: a@b\nMessage-ID: <1@b>\n\nhi\nthere\n", "From: a@b\r\nMessage-ID: <1@b>\r\n\r\nhi\r\nthere\r\n", "<1@b>", false, false},
		{"crlf kept", "Subject: x\r\n\r\nbody\r\n", "Subject: x\r\n\r\nbody\r\n", "", false, false},
		{"no final newline", "Subject: x\n\nbody", "Subject: x\r\n\r\nbody\r\n", "", false, false},
		{"lone cr", "Subject: x\r\n\r\na\rb\r\n", "Subject: x\r\n\r\na b\r\n", "", false, false},
		{"8bit body", "Subject: x\n\ncaf\xc3\xa9\n", "Subject: x\r\n\r\ncaf\xc3\xa9\r\n", "", true, false},
		{"8bit header", "Subject: caf\xc3\xa9\n\nx\n", "Subject: caf\xc3\xa9\r\n\r\nx\r\n", "", true, true},
		{"message-id in body ignored", "Subject: x\n\nMessage-ID: <no@b>\n", "Subject: x\r\n\r\nMessage-ID: <no@b>\r\n", "", false, false},
		{"long line", "Subject: x\n\n" + long + "\n", "Subject: x\r\n\r\n" + long + "\r\n", "", false, false},
	}
	for _, c := range cases {
		var out bytes.Buffer
		sc, err := copyCRLF(&out, strings.NewReader(c.in), 1<<20)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if out.String() != c.want {
			t.Errorf("%s: got %q, want %q", c.name, trunc(out.String()), trunc(c.want))
		}
		if sc.messageID != c.msgID || sc.eightBit != c.eight || sc.headerEightBit != c.hdr8 {
			t.Errorf("%s: scanned %+v, want id %q 8bit %v header %v", c.name, sc, c.msgID, c.eight, c.hdr8)
		}
	}
	_, err := copyCRLF(&bytes.Buffer{}, strings.NewReader("Subject: x\n\n"+long), 1000)
	if !errors.Is(err, errTooLarge) {
		t.Fatalf("over the limit: %v, want errTooLarge", err)
	}
}

func trunc(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
