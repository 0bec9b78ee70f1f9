package smtpd

import (
	"strings"
	"testing"
	"time"
)

func TestAllowedNetStoresBodyByteIdenticalAfterReceived(t *testing.T) {
	store := &fakeStore{}
	_, addr := startServer(t, baseOptions(t), store)
	c := dial(t, addr)
	c.cmd("EHLO client.example").expect(250)
	c.cmd("MAIL FROM:<a@example.org> BODY=8BITMIME").expect(250)
	c.cmd("RCPT TO:<b@example.net>").expect(250)
	c.cmd("DATA").expect(354)
	c.send(dotStuff(testMessage) + ".\r\n")
	c.expectCode(250, "2.0.0")

	msgs := store.messages()
	if len(msgs) != 1 {
		t.Fatalf("committed %d messages, want 1", len(msgs))
	}
	recv, body := msgs[0].body(t)
	if body != testMessage {
		t.Fatalf("body changed:\n%q\nwant\n%q", body, testMessage)
	}
	if !strings.HasPrefix(recv, "Received: from client.example ([127.0.0.1])\r\n\tby relay.test (sealgate) with ESMTP id MSG0001;") {
		t.Fatalf("Received header = %q", recv)
	}
	if strings.Contains(recv, "for <") || strings.Contains(recv, "b@example.net") {
		t.Fatalf("Received header names the recipient: %q", recv)
	}
	env := msgs[0].env
	if env.ID != "MSG0001" || env.From != "a@example.org" || len(env.Recipients) != 1 || env.Recipients[0].Addr != "b@example.net" ||
		env.MessageID != "<abc123@example.org>" || env.ClientIP != "127.0.0.1" || env.ClientHelo != "client.example" ||
		env.Listener != "test" || env.AuthUser != "" || !env.Body8Bit || env.Size != int64(len(recv)+len(body)) {
		t.Fatalf("envelope = %+v", env)
	}
}

func TestRelayDeniedForClientOutsideAllowNets(t *testing.T) {
	store := &fakeStore{}
	_, addr := startServer(t, baseOptions(t), store)
	c := dialFrom(t, addr, "127.0.0.2")
	c.expect(220)
	c.cmd("EHLO outsider.example").expect(250)
	c.cmd("MAIL FROM:<a@example.org>").expect(250)
	if text := c.cmd("RCPT TO:<b@example.net>").expectCode(554, "5.7.1"); text != "5.7.1 Relay access denied" {
		t.Fatalf("got %q", text)
	}
	if n := len(store.messages()); n != 0 {
		t.Fatalf("committed %d messages", n)
	}
}

// The forms a smarthost never needs, refused for allowed clients too.
func TestRelayHackAddressFormsRefusedForEveryone(t *testing.T) {
	forms := []struct{ name, rcpt string }{
		{"percent hack", "<user%other.example@relay.test>"},
		{"bang path", "<other.example!user@relay.test>"},
		{"source route", "<@a.example,@b.example:user@c.example>"},
		{"quoted @", `<"user@other.example"@relay.test>`},
		{"quoted %", `<"user%other.example"@relay.test>`},
		{"quoted !", `<"other!user"@relay.test>`},
		{"no domain", "<user>"},
		{"double @", "<user@other.example@relay.test>"},
	}
	store := &fakeStore{}
	_, addr := startServer(t, baseOptions(t), store)
	for _, from := range []string{"127.0.0.2", "127.0.0.1"} {
		for _, f := range forms {
			t.Run(f.name+" from "+from, func(t *testing.T) {
				c := dialFrom(t, addr, from)
				c.expect(220)
				c.cmd("EHLO client.example").expect(250)
				c.cmd("MAIL FROM:<a@example.org>").expect(250)
				c.cmd("RCPT TO:" + f.rcpt)
				code, text := c.reply()
				if code != 554 && code != 501 {
					t.Fatalf("RCPT TO:%s: got %d %s, want 554 or 501", f.rcpt, code, text)
				}
				// A normal recipient still works for an allowed client.
				c.cmd("RCPT TO:<ok@example.net>")
				code, _ = c.reply()
				if want := map[string]int{"127.0.0.1": 250, "127.0.0.2": 554}[from]; code != want {
					t.Fatalf("plain RCPT after refused form: got %d, want %d", code, want)
				}
			})
		}
	}
	if n := len(store.messages()); n != 0 {
		t.Fatalf("committed %d messages", n)
	}
}

func TestTooManyRecipientsIs452(t *testing.T) {
	opts := baseOptions(t)
	opts.MaxRecipients = 3
	_, addr := startServer(t, opts, &fakeStore{})
	c := dial(t, addr)
	c.cmd("EHLO client.example").expect(250)
	c.cmd("MAIL FROM:<a@example.org>").expect(250)
	for i := 0; i < 3; i++ {
		c.cmd("RCPT TO:<r" + string(rune('a'+i)) + "@example.net>").expect(250)
	}
	c.cmd("RCPT TO:<rz@example.net>").expectCode(452, "4.5.3")
}

func TestDeclaredSizeTooBigRefusedAtMail(t *testing.T) {
	opts := baseOptions(t)
	opts.MaxMessageBytes = 1000
	_, addr := startServer(t, opts, &fakeStore{})
	c := dial(t, addr)
	if text := c.cmd("EHLO client.example").expect(250); !strings.Contains(text, "SIZE 1000") {
		t.Fatalf("EHLO does not advertise SIZE 1000: %q", text)
	}
	c.cmd("MAIL FROM:<a@example.org> SIZE=1001").expectCode(552, "5.3.4")
}

func TestOversizeDataRefusedAndNotStored(t *testing.T) {
	opts := baseOptions(t)
	opts.MaxMessageBytes = 1000
	store := &fakeStore{}
	_, addr := startServer(t, opts, store)
	c := dial(t, addr)
	c.cmd("EHLO client.example").expect(250)
	c.cmd("MAIL FROM:<a@example.org>").expect(250)
	c.cmd("RCPT TO:<b@example.net>").expect(250)
	c.cmd("DATA").expect(354)
	c.send("Subject: big\r\n\r\n" + strings.Repeat(strings.Repeat("x", 70)+"\r\n", 40) + ".\r\n")
	c.expectCode(552, "5.3.4")
	if n := len(store.messages()); n != 0 {
		t.Fatalf("committed %d messages", n)
	}
	// The session is still usable.
	if code, _ := c.sendMessage("a@example.org", "b@example.net", testMessage); code != 250 {
		t.Fatalf("next message: %d", code)
	}
}

func TestOverlongLineIsRefused(t *testing.T) {
	_, addr := startServer(t, baseOptions(t), &fakeStore{})
	c := dial(t, addr)
	c.cmd("EHLO " + strings.Repeat("a", 5000))
	code, _ := c.reply()
	if code < 500 || code > 599 {
		t.Fatalf("overlong line: got %d, want 5xx", code)
	}
}

func TestStalledDataTimesOutAndServerKeepsServing(t *testing.T) {
	opts := baseOptions(t)
	opts.DataTimeout = 500 * time.Millisecond
	store := &fakeStore{}
	_, addr := startServer(t, opts, store)
	c := dial(t, addr)
	c.cmd("EHLO client.example").expect(250)
	c.cmd("MAIL FROM:<a@example.org>").expect(250)
	c.cmd("RCPT TO:<b@example.net>").expect(250)
	c.cmd("DATA").expect(354)
	c.send("Subject: stall\r\n\r\nhalf a mess")
	c.expectCode(421, "4.4.2")
	if !c.closed() {
		t.Fatal("connection not closed after data timeout")
	}
	d := dial(t, addr)
	d.cmd("EHLO client.example").expect(250)
	if code, _ := d.sendMessage("a@example.org", "b@example.net", testMessage); code != 250 {
		t.Fatalf("other client: %d", code)
	}
	if n := len(store.messages()); n != 1 {
		t.Fatalf("committed %d messages, want 1", n)
	}
}

func TestTooManyReceivedHeadersIsLoop(t *testing.T) {
	opts := baseOptions(t)
	opts.MaxReceived = 3
	store := &fakeStore{}
	_, addr := startServer(t, opts, store)
	c := dial(t, addr)
	c.cmd("EHLO client.example").expect(250)
	msg := strings.Repeat("Received: from x by y; Mon, 1 Jan 2024 00:00:00 +0000\r\n", 4) + testMessage
	c.cmd("MAIL FROM:<a@example.org>").expect(250)
	c.cmd("RCPT TO:<b@example.net>").expect(250)
	c.cmd("DATA").expect(354)
	c.send(msg + ".\r\n")
	c.expectCode(554, "5.4.6")
	// Exactly the limit passes.
	msg = strings.Repeat("received: from x\r\n\tby y; Mon, 1 Jan 2024 00:00:00 +0000\r\n", 3) + testMessage
	if code, text := c.sendMessage("a@example.org", "b@example.net", msg); code != 250 {
		t.Fatalf("3 Received headers: %d %s", code, text)
	}
	if n := len(store.messages()); n != 1 {
		t.Fatalf("committed %d, want 1", n)
	}
}

func TestRequireTLSOnPlaintextIsRefused(t *testing.T) {
	_, addr := startServer(t, baseOptions(t), &fakeStore{})
	c := dial(t, addr)
	c.cmd("EHLO client.example").expect(250)
	c.cmd("MAIL FROM:<a@example.org> REQUIRETLS").expectCode(530, "5.7.10")
}

func TestDSNParamsAreStoredInEnvelope(t *testing.T) {
	store := &fakeStore{}
	_, addr := startServer(t, baseOptions(t), store)
	c := dial(t, addr)
	c.cmd("EHLO client.example").expect(250)
	c.cmd("MAIL FROM:<a@example.org> RET=HDRS ENVID=env+2B1 SMTPUTF8").expect(250)
	c.cmd("RCPT TO:<b@example.net> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b@example.net").expect(250)
	c.cmd("RCPT TO:<c@example.net> NOTIFY=NEVER").expect(250)
	c.cmd("DATA").expect(354)
	c.send("Subject: caf\xc3\xa9\r\n\r\nok\r\n.\r\n")
	c.expect(250)
	env := store.messages()[0].env
	if env.Ret != "HDRS" || env.EnvID != "env+1" || !env.SMTPUTF8 || !env.Body8Bit {
		t.Fatalf("envelope = %+v", env)
	}
	r := env.Recipients
	if len(r) != 2 || strings.Join(r[0].Notify, ",") != "SUCCESS,FAILURE" || r[0].ORCPT != "RFC822;b@example.net" ||
		strings.Join(r[1].Notify, ",") != "NEVER" || r[1].ORCPT != "" {
		t.Fatalf("recipients = %+v", r)
	}
}
