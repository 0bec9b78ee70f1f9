package smtpd

import (
	"testing"
)

// Control characters never reach the envelope: go-smtp would pass
// "a\x00b@x" on, and the next hop would cut it at the NUL.
func TestControlCharactersInCommandsAre501(t *testing.T) {
	store := &fakeStore{}
	_, addr := startServer(t, baseOptions(t), store)
	c := dial(t, addr)
	c.cmd("EHLO client.example").expect(250)
	for _, line := range []string{
		"MAIL FROM:<a\x00b@example.org>",
		"MAIL FROM:<a@exa\x00mple.org>",
		"MAIL FROM:<a\x01b@example.org>",
		"MAIL FROM:<a\x7fb@example.org>",
		"MAIL FROM:<a@example.org> AUTH=a\x00b@example.org",
	} {
		c.cmd(line).expectCode(501, "5.5.2")
	}
	c.cmd("MAIL FROM:<a@example.org>").expect(250)
	for _, line := range []string{
		"RCPT TO:<b\x00c@example.net>",
		"RCPT TO:<b@example.net\x00.evil>",
		"RCPT TO:<b\x1b@example.net>",
	} {
		c.cmd(line).expectCode(501, "5.5.2")
	}
	c.cmd("RCPT TO:<b@example.net>").expect(250)

	d := dial(t, addr)
	d.cmd("EHLO cli\x00ent.example").expectCode(501, "5.5.2")
	d.cmd("EHLO client.example").expect(250)
	// A later EHLO with a control character resets the session; no
	// transaction may start under that name.
	d.cmd("EHLO cli\x01ent.example")
	d.reply()
	d.cmd("MAIL FROM:<a@example.org>").expectCode(501, "5.5.2")
	if n := len(store.messages()); n != 0 {
		t.Fatalf("committed %d", n)
	}
}

// RFC 6531 §3.4: a non-ASCII address needs the SMTPUTF8 parameter; bytes
// that are not UTF-8 are refused either way.
func TestUTF8AddressesNeedSMTPUTF8AndValidUTF8(t *testing.T) {
	store := &fakeStore{}
	_, addr := startServer(t, baseOptions(t), store)
	c := dial(t, addr)
	c.cmd("EHLO client.example").expect(250)
	c.cmd("MAIL FROM:<j\xc3\xbcrgen@example.org>").expectCode(553, "5.6.7")
	c.cmd("MAIL FROM:<a@b\xc3\xbccher.example>").expectCode(553, "5.6.7")
	c.cmd("MAIL FROM:<j\xffrgen@example.org> SMTPUTF8").expectCode(553, "5.1.7")
	c.cmd("MAIL FROM:<a@b\xc3.example> SMTPUTF8").expectCode(553, "5.1.7")
	c.cmd("MAIL FROM:<a@example.org> SMTPUTF8 AUTH=j\xffrgen@example.org").expectCode(501, "5.5.4")
	c.cmd("MAIL FROM:<a@example.org>").expect(250)
	c.cmd("RCPT TO:<j\xc3\xbcrgen@example.net>").expectCode(553, "5.6.7")
	c.cmd("RCPT TO:<a@b\xc3\xbccher.example>").expectCode(553, "5.6.7")
	c.cmd("RSET").expect(250)
	c.cmd("MAIL FROM:<j\xc3\xbcrgen@example.org> SMTPUTF8").expect(250)
	c.cmd("RCPT TO:<a@b\xc3.example>").expectCode(553, "5.1.3")
	c.cmd("RCPT TO:<j\xffrgen@example.net>").expectCode(553, "5.1.3")
	c.cmd("RCPT TO:<r\xc3\xa9my@b\xc3\xbccher.example>").expect(250)
	c.cmd("DATA").expect(354)
	c.send(testMessage + ".\r\n").expect(250)
	msgs := store.messages()
	if len(msgs) != 1 {
		t.Fatalf("committed %d", len(msgs))
	}
	env := msgs[0].env
	if env.From != "jürgen@example.org" || len(env.Recipients) != 1 || env.Recipients[0].Addr != "rémy@bücher.example" || !env.SMTPUTF8 {
		t.Fatalf("envelope = %+v", env)
	}
}

// The sender_domains check reads the real domain, and a quoted local part
// stays quoted in the envelope: "ceo@bank.example"@clinic.example must
// never leave as ceo@bank.example@clinic.example.
func TestSenderDomainsCannotBeBypassedByQuotedOrDoubleAt(t *testing.T) {
	opts := baseOptions(t)
	opts.SenderDomains = []string{"clinic.example"}
	store := &fakeStore{}
	_, addr := startServer(t, opts, store)
	c := dial(t, addr)
	c.cmd("EHLO client.test").expect(250)
	c.cmd("MAIL FROM:<ceo@bank.example@clinic.example>").expectCode(501, "5.1.7")
	c.cmd("MAIL FROM:<ceo@clinic.example@bank.example>").expectCode(501, "5.1.7")
	c.cmd("MAIL FROM:<ceo@@clinic.example>").expectCode(501, "5.1.7")
	c.cmd(`MAIL FROM:<"ceo@clinic.example"@bank.example>`).expectCode(550, "5.7.1")
	c.cmd(`MAIL FROM:<ceo@"clinic.example">`).expectCode(501, "5.1.7")
	c.cmd(`MAIL FROM:<"ceo@bank.example"@clinic.example>`).expect(250)
	c.cmd("RCPT TO:<b@example.net>").expect(250)
	c.cmd("DATA").expect(354)
	c.send(testMessage + ".\r\n").expect(250)
	msgs := store.messages()
	if len(msgs) != 1 {
		t.Fatalf("committed %d", len(msgs))
	}
	if got, want := msgs[0].env.From, `"ceo@bank.example"@clinic.example`; got != want {
		t.Fatalf("envelope From = %q, want %q", got, want)
	}
}

// Pipelined refusals must not leave a parsed line behind that a later
// command of the same go-smtp form would pick up.
func TestPipelinedAddressesMatchTheirOwnLines(t *testing.T) {
	store := &fakeStore{}
	_, addr := startServer(t, baseOptions(t), store)
	c := dial(t, addr)
	c.cmd("EHLO client.example").expect(250)
	c.send("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nRCPT TO:<c\x00d@example.net>\r\nRCPT TO:<e@example.net>\r\nDATA\r\n")
	c.expect(250)
	c.expect(250)
	c.expectCode(501, "5.5.2")
	c.expect(250)
	c.expect(354)
	c.send(testMessage + ".\r\n").expect(250)
	env := store.messages()[0].env
	if len(env.Recipients) != 2 || env.Recipients[0].Addr != "b@example.net" || env.Recipients[1].Addr != "e@example.net" {
		t.Fatalf("recipients = %+v", env.Recipients)
	}
}

// The SMTPUTF8 parameter on mail that does not need it (Go's net/smtp
// sends it whenever offered) must not make the next hop require SMTPUTF8.
func TestSMTPUTF8IsKeptOnlyWhenTheMessageNeedsIt(t *testing.T) {
	for _, tc := range []struct {
		name, from, rcpt, data string
		want                   bool
	}{
		{"ASCII", "a@example.org", "b@example.net", testMessage, false},
		{"IDN domain only", "a@b\xc3\xbccher.example", "b@example.net", testMessage, false},
		{"UTF-8 local part", "j\xc3\xbcrgen@example.org", "b@example.net", testMessage, true},
		{"UTF-8 recipient", "a@example.org", "r\xc3\xa9my@example.net", testMessage, true},
		{"UTF-8 header", "a@example.org", "b@example.net", "Subject: Gr\xc3\xbc\xc3\x9fe\r\n\r\nhi\r\n", true},
		{"8-bit body only", "a@example.org", "b@example.net", "Subject: x\r\n\r\nGr\xc3\xbc\xc3\x9fe\r\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := &fakeStore{}
			_, addr := startServer(t, baseOptions(t), store)
			c := dial(t, addr)
			c.cmd("EHLO client.example").expect(250)
			c.cmd("MAIL FROM:<" + tc.from + "> SMTPUTF8").expect(250)
			c.cmd("RCPT TO:<" + tc.rcpt + ">").expect(250)
			c.cmd("DATA").expect(354)
			c.send(tc.data + ".\r\n").expect(250)
			if got := store.messages()[0].env.SMTPUTF8; got != tc.want {
				t.Fatalf("Envelope.SMTPUTF8 = %v, want %v", got, tc.want)
			}
		})
	}
}

// Configured and sent domains compare as A-labels, whichever form each uses.
func TestSenderDomainsMatchIDNInEitherForm(t *testing.T) {
	opts := baseOptions(t)
	opts.SenderDomains = []string{"b\u00fccher.example", "xn--mller-kva.example"}
	_, addr := startServer(t, opts, &fakeStore{})
	c := dial(t, addr)
	c.cmd("EHLO client.test").expect(250)
	c.cmd("MAIL FROM:<a@xn--bcher-kva.example>").expect(250)
	c.cmd("RSET").expect(250)
	c.cmd("MAIL FROM:<a@B\u00fccher.example> SMTPUTF8").expect(250)
	c.cmd("RSET").expect(250)
	c.cmd("MAIL FROM:<a@m\u00fcller.example> SMTPUTF8").expect(250)
	c.cmd("RSET").expect(250)
	c.cmd("MAIL FROM:<a@muller.example>").expectCode(550, "5.7.1")
}

func TestControlCharacterInAUTHMechanismIs501(t *testing.T) {
	pki := newPKI(t)
	_, addr := startServer(t, tlsOptions(t, pki), &fakeStore{})
	c := dial(t, addr)
	c.cmd("EHLO client.example").expect(250)
	c.startTLS(pki.clientTLS())
	c.cmd("EHLO client.example").expect(250)
	c.cmd("AUTH PL\x00AIN").expectCode(501, "5.5.2")
	c.cmd("AUTH PLAIN "+plainIR("argon", "s3cret")).expectCode(235, "2.0.0")
}

// Every form go-smtp hands to Mail/Rcpt must find its raw line in the tap
// (goSMTPPath models go-smtp's reading); a miss would refuse good mail.
func TestValidAddressFormsAreAccepted(t *testing.T) {
	store := &fakeStore{}
	_, addr := startServer(t, baseOptions(t), store)
	for _, tc := range []struct{ mail, rcpt, from, to string }{
		{"MAIL FROM: <a@example.org>", "RCPT TO: <b@example.net>", "a@example.org", "b@example.net"},
		{"mail from:<a@example.org>  SIZE=10", "rcpt to:<B@EXAMPLE.NET>", "a@example.org", "B@EXAMPLE.NET"},
		{`MAIL FROM:<"a b"@example.org>`, `RCPT TO:<"c d"@example.net>`, `"a b"@example.org`, `"c d"@example.net`},
		{`MAIL FROM:<"a\"b"@example.org>`, `RCPT TO:<"c\\d"@example.net> NOTIFY=NEVER`, `"a\"b"@example.org`, `"c\\d"@example.net`},
		{`MAIL FROM:<"ab"@example.org>`, "RCPT TO:<b@[192.0.2.1]>", "ab@example.org", "b@[192.0.2.1]"},
		{"MAIL FROM:<@r.example:a@example.org>", "RCPT TO:<b@[IPv6:2001:db8::1]>", "a@example.org", "b@[IPv6:2001:db8::1]"},
		{"MAIL FROM:<> BODY=8BITMIME", "RCPT TO:<b@example.net>", "", "b@example.net"},
	} {
		c := dial(t, addr)
		c.cmd("EHLO client.example").expect(250)
		c.cmd(tc.mail).expect(250)
		c.cmd(tc.rcpt).expect(250)
		c.cmd("DATA").expect(354)
		c.send(testMessage + ".\r\n").expect(250)
		msgs := store.messages()
		env := msgs[len(msgs)-1].env
		if env.From != tc.from || env.Recipients[0].Addr != tc.to {
			t.Errorf("%s / %s: envelope %q -> %q, want %q -> %q", tc.mail, tc.rcpt, env.From, env.Recipients[0].Addr, tc.from, tc.to)
		}
	}
}

// A RCPT refused before its address is looked at (too many recipients)
// still uses up its line: a later RCPT of the same go-smtp reading is
// checked as itself.
func TestRefusedRcptLineIsNotReused(t *testing.T) {
	opts := baseOptions(t)
	opts.MaxRecipients = 1
	_, addr := startServer(t, opts, &fakeStore{})
	c := dial(t, addr)
	c.cmd("EHLO client.example").expect(250)
	c.cmd("MAIL FROM:<a@example.org>").expect(250)
	c.cmd("RCPT TO:<b@example.net>").expect(250)
	c.cmd(`RCPT TO:<"x@y"@example.net>`).expectCode(452, "4.5.3")
	c.cmd("RSET").expect(250)
	c.cmd("MAIL FROM:<a@example.org>").expect(250)
	c.cmd("RCPT TO:<x@y@example.net>").expectCode(501, "5.1.3")
}
