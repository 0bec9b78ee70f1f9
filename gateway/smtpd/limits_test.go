package smtpd

import (
	"strings"
	"testing"
	"time"
)

// An overlong DATA line is permanent (docs/config.md: 500 5.4.0 and close):
// a 4xx would have the upstream retry the same message forever.
func TestOverlongDataLineIsPermanentAndNotStored(t *testing.T) {
	for _, bdat := range []bool{false, true} {
		name := map[bool]string{false: "DATA", true: "BDAT"}[bdat]
		t.Run(name, func(t *testing.T) {
			opts := baseOptions(t)
			opts.MaxLineLength = 1000
			store := &fakeStore{}
			_, addr := startServer(t, opts, store)
			c := dial(t, addr)
			c.cmd("EHLO client.example").expect(250)
			c.cmd("MAIL FROM:<a@example.org>").expect(250)
			c.cmd("RCPT TO:<b@example.net>").expect(250)
			body := "Subject: long\r\n\r\n" + strings.Repeat("x", 1500) + "\r\n"
			if bdat {
				c.send("BDAT " + itoa(len(body)) + " LAST\r\n" + body)
			} else {
				c.cmd("DATA").expect(354)
				c.send(body + ".\r\n")
			}
			c.expectCode(500, "5.4.0")
			if !c.closed() {
				t.Fatal("connection left open after an overlong line")
			}
			if n := len(store.messages()); n != 0 {
				t.Fatalf("committed %d messages", n)
			}
		})
	}
}

var _ = time.Second
