package smtpd

import (
	"strconv"
	"strings"
	"testing"

	"github.com/sealgate/sealgate/internal/msgscan"
)

// CVE-2023-51766 family: each variant would end DATA on a lenient server and
// start a second, smuggled transaction.
func TestSmugglingVariantsAreRefusedAndNothingIsSpooled(t *testing.T) {
	variants := map[string]string{
		`\n.\n`:   "\n.\n",
		`\n.\r\n`: "\n.\r\n",
		`\r\n.\n`: "\r\n.\n",
		`\r.\r`:   "\r.\r",
		`\r.\r\n`: "\r.\r\n",
		`\r\n.\r`: "\r\n.\r",
	}
	for name, v := range variants {
		t.Run(name, func(t *testing.T) {
			store := &fakeStore{}
			_, addr := startServer(t, baseOptions(t), store)
			c := dial(t, addr)
			c.cmd("EHLO client.example").expect(250)
			c.cmd("MAIL FROM:<a@example.org>").expect(250)
			c.cmd("RCPT TO:<b@example.net>").expect(250)
			c.cmd("DATA").expect(354)
			c.send("Subject: first\r\n\r\nfirst body\r\n" + v +
				"MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nsmuggled\r\n.\r\n" + "\r\n.\r\n")
			c.expectCode(550, "5.6.0")
			if !c.closed() {
				t.Fatal("connection left open after smuggling attempt")
			}
			for _, m := range store.messages() {
				if strings.Contains(m.buf.String(), "smuggled") {
					t.Fatalf("store holds the smuggled message: %q", m.buf.String())
				}
			}
			if n := len(store.messages()); n != 0 {
				t.Fatalf("committed %d messages, want 0", n)
			}
		})
	}
}

func TestSmugglingIsRefusedInsideTLS(t *testing.T) {
	pki := newPKI(t)
	opts := baseOptions(t)
	opts.TLSConfig = pki.serverTLS()
	store := &fakeStore{}
	_, addr := startServer(t, opts, store)
	c := dial(t, addr)
	c.cmd("EHLO client.example").expect(250)
	c.startTLS(pki.clientTLS())
	c.cmd("EHLO client.example").expect(250)
	c.cmd("MAIL FROM:<a@example.org>").expect(250)
	c.cmd("RCPT TO:<b@example.net>").expect(250)
	c.cmd("DATA").expect(354)
	c.send("Subject: x\r\n\r\nbody\r\n.\rMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nsmuggled\r\n.\r\n")
	c.expectCode(550, "5.6.0")
	if n := len(store.messages()); n != 0 {
		t.Fatalf("committed %d messages, want 0", n)
	}
}

func TestBareLFInBDATIsRefused(t *testing.T) {
	store := &fakeStore{}
	_, addr := startServer(t, baseOptions(t), store)
	c := dial(t, addr)
	c.cmd("EHLO client.example").expect(250)
	c.cmd("MAIL FROM:<a@example.org>").expect(250)
	c.cmd("RCPT TO:<b@example.net>").expect(250)
	chunk1 := "Subject: x\r\n\r\nline one\n.\nMAIL FROM:<a@b>\r\n"
	c.send("BDAT " + itoa(len(chunk1)) + "\r\n" + chunk1).expect(250)
	chunk2 := "tail\r\n"
	c.send("BDAT "+itoa(len(chunk2))+" LAST\r\n"+chunk2).expectCode(550, "5.6.0")
	if n := len(store.messages()); n != 0 {
		t.Fatalf("committed %d messages, want 0", n)
	}
}

func TestCleanBDATIsAcceptedByteIdentical(t *testing.T) {
	store := &fakeStore{}
	_, addr := startServer(t, baseOptions(t), store)
	c := dial(t, addr)
	c.cmd("EHLO client.example").expect(250)
	c.cmd("MAIL FROM:<a@example.org>").expect(250)
	c.cmd("RCPT TO:<b@example.net>").expect(250)
	half := len(testMessage) / 2
	c.send("BDAT " + itoa(half) + "\r\n" + testMessage[:half]).expect(250)
	c.send("BDAT " + itoa(len(testMessage)-half) + " LAST\r\n" + testMessage[half:]).expect(250)
	msgs := store.messages()
	if len(msgs) != 1 {
		t.Fatalf("committed %d, want 1", len(msgs))
	}
	if _, body := msgs[0].body(t); body != testMessage {
		t.Fatalf("body = %q", body)
	}
}

func TestMessageScannerFindsBareLineEndings(t *testing.T) {
	for _, tc := range []struct {
		in   string
		bare bool
	}{
		{"a\r\nb\r\n", false},
		{"a\nb\r\n", true},
		{"a\rb\r\n", true},
		{"a\r\nb\r", true},
		{"", false},
	} {
		m := msgscan.New()
		// Byte at a time, so state crosses write boundaries.
		for i := 0; i < len(tc.in); i++ {
			m.Scan([]byte{tc.in[i]})
		}
		m.Finish()
		if m.Bare != tc.bare {
			t.Errorf("%q: bare = %v, want %v", tc.in, m.Bare, tc.bare)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
