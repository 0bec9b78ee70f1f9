package smtpd

import "testing"

// The 250 after DATA names the queue ID, as Postfix's does, so an
// upstream's message trace can be matched to sealgate's msg_id; BDAT too.
func TestAcceptedReplyCarriesTheQueueID(t *testing.T) {
	store := &fakeStore{}
	_, addr := startServer(t, baseOptions(t), store)
	c := dial(t, addr)
	c.cmd("EHLO client.example").expect(250)
	c.cmd("MAIL FROM:<a@example.org>").expect(250)
	c.cmd("RCPT TO:<b@example.net>").expect(250)
	c.cmd("DATA").expect(354)
	text := c.send(testMessage+".\r\n").expectCode(250, "2.0.0")
	msgs := store.messages()
	if len(msgs) != 1 || text != "2.0.0 Ok: queued as "+msgs[0].env.ID {
		t.Fatalf("reply %q for %d message(s)", text, len(msgs))
	}
	c.cmd("MAIL FROM:<a@example.org>").expect(250)
	c.cmd("RCPT TO:<b@example.net>").expect(250)
	c.send("BDAT " + itoa(len(testMessage)) + " LAST\r\n" + testMessage)
	text = c.expectCode(250, "2.0.0")
	msgs = store.messages()
	if len(msgs) != 2 || text != "2.0.0 Ok: queued as "+msgs[1].env.ID {
		t.Fatalf("BDAT reply %q for %d message(s)", text, len(msgs))
	}
}
