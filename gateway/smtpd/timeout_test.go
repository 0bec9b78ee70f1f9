package smtpd

import (
	"crypto/tls"
	"strings"
	"testing"
	"time"
)

// A command still unterminated when the command timeout fires is a
// fragment: it must never run (it used to get 250, then 421).
func TestUnterminatedCommandNeverRunsOnTimeout(t *testing.T) {
	for _, overTLS := range []bool{false, true} {
		name := map[bool]string{false: "plain", true: "STARTTLS"}[overTLS]
		t.Run(name, func(t *testing.T) {
			pki := newPKI(t)
			opts := baseOptions(t)
			opts.TLSConfig = pki.serverTLS()
			opts.CommandTimeout = 300 * time.Millisecond
			store := &fakeStore{}
			_, addr := startServer(t, opts, store)
			for _, frag := range []string{"MAIL FROM:<a@example.org>", "RCPT TO:<b@example.net>", "DATA", "EHLO again.example"} {
				c := dial(t, addr)
				c.cmd("EHLO client.example").expect(250)
				if overTLS {
					c.startTLS(pki.clientTLS())
					c.cmd("EHLO client.example").expect(250)
				}
				if frag != "MAIL FROM:<a@example.org>" && frag != "EHLO again.example" {
					c.cmd("MAIL FROM:<a@example.org>").expect(250)
				}
				if frag == "DATA" {
					c.cmd("RCPT TO:<b@example.net>").expect(250)
				}
				c.send(frag)
				code, text := c.reply()
				if frag == "DATA" && code == 354 {
					// go-smtp answers 354 before the session sees DATA.
					code, text = c.reply()
				}
				if code != 421 || !strings.HasPrefix(text, "4.4.2 ") {
					t.Fatalf("%q without CRLF: got %d %s, want 421 4.4.2", frag, code, text)
				}
				if !c.closed() {
					t.Fatalf("%q: connection left open", frag)
				}
			}
			if n := len(store.messages()); n != 0 {
				t.Fatalf("committed %d", n)
			}
		})
	}
}

// The command timeout bounds the whole command: a client sending one byte
// now and then is dropped after one timeout, not one per fragment.
func TestByteTricklerIsDroppedAfterOneTimeout(t *testing.T) {
	opts := baseOptions(t)
	opts.CommandTimeout = 400 * time.Millisecond
	_, addr := startServer(t, opts, &fakeStore{})
	c := dial(t, addr)
	c.cmd("EHLO client.example").expect(250)
	start := time.Now()
	go func() {
		for _, b := range []byte("NOOP NOOP NOOP NOOP NOOP NOOP NOOP\r\n") {
			if _, err := c.conn.Write([]byte{b}); err != nil {
				return
			}
			time.Sleep(150 * time.Millisecond)
		}
	}()
	code, text := c.reply()
	if code != 421 || !strings.HasPrefix(text, "4.4.2 ") {
		t.Fatalf("first reply to the trickler: %d %s, want 421 4.4.2", code, text)
	}
	if !c.closed() {
		t.Fatal("trickler not disconnected")
	}
	if d := time.Since(start); d > 3*opts.CommandTimeout {
		t.Fatalf("trickler dropped after %v; one command timeout is %v", d, opts.CommandTimeout)
	}
}

// NOOP keepalives cannot hold a connection slot forever.
func TestSessionLifetimeEndsKeepalives(t *testing.T) {
	opts := baseOptions(t)
	opts.MaxSessionTime = time.Second
	_, addr := startServer(t, opts, &fakeStore{})
	c := dial(t, addr)
	c.cmd("EHLO client.example").expect(250)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		code, text := c.cmd("NOOP").reply()
		if code == 250 {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		if code != 421 || !strings.HasPrefix(text, "4.7.0 ") {
			t.Fatalf("at session end: %d %s, want 421 4.7.0", code, text)
		}
		if !c.closed() {
			t.Fatal("connection left open after its lifetime")
		}
		return
	}
	t.Fatal("session outlived MaxSessionTime")
}

// An idle client is cut at the session end too, not only at its command
// timeout.
func TestSessionLifetimeBoundsAnIdleClient(t *testing.T) {
	opts := baseOptions(t)
	opts.MaxSessionTime = 500 * time.Millisecond
	opts.CommandTimeout = time.Minute
	_, addr := startServer(t, opts, &fakeStore{})
	c := dial(t, addr)
	start := time.Now()
	if code, text := c.reply(); code != 421 || !strings.HasPrefix(text, "4.7.0 ") {
		t.Fatalf("idle at session end: %d %s, want 421 4.7.0", code, text)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("idle client held %v", d)
	}
}

func TestCommandCapPerSession(t *testing.T) {
	opts := baseOptions(t)
	opts.MaxCommands = 20
	store := &fakeStore{}
	_, addr := startServer(t, opts, store)
	c := dial(t, addr)
	c.cmd("EHLO client.example").expect(250)
	if code, _ := c.sendMessage("a@example.org", "b@example.net", testMessage); code != 250 {
		t.Fatalf("message: %d", code)
	}
	// 5 commands so far (EHLO MAIL RCPT DATA); 15 more are allowed, the
	// rest of this pipelined burst is not run.
	c.send(strings.Repeat("NOOP\r\n", 16) + "MAIL FROM:<a@example.org>\r\n" + strings.Repeat("NOOP\r\n", 30))
	for i := 0; i < 16; i++ {
		c.expect(250)
	}
	c.expectCode(421, "4.7.0")
	if !c.closed() {
		t.Fatal("connection left open after the command cap")
	}
	if n := len(store.messages()); n != 1 {
		t.Fatalf("committed %d", n)
	}
}

var _ = tls.VersionTLS12
