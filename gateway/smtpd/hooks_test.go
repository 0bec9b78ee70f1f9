package smtpd

import (
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/sealgate/sealgate/envelope"
)

func TestUnrecordableAcceptanceIsRefusedWith451(t *testing.T) {
	store := &fakeStore{}
	srv, err := New(baseOptions(t), store, func(*envelope.Envelope) error { return errors.New("audit: disk full") })
	if err != nil {
		t.Fatal(err)
	}
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	c := dial(t, l.Addr().String())
	c.cmd("EHLO client.test").expect(250)
	code, msg := c.sendMessage("a@example.org", "b@example.net", testMessage)
	if code != 451 || msg[:5] != "4.3.0" {
		t.Fatalf("got %d %s, want 451 4.3.0", code, msg)
	}
}

func TestUnhealthyGatewayRefusesMailWith451(t *testing.T) {
	opts := baseOptions(t)
	var sick error = errors.New("audit log unwritable")
	var mu sync.Mutex
	opts.Healthy = func() error { mu.Lock(); defer mu.Unlock(); return sick }
	_, addr := startServer(t, opts, &fakeStore{})
	c := dial(t, addr)
	c.cmd("EHLO client.test").expect(250)
	c.cmd("MAIL FROM:<a@example.org>").expectCode(451, "4.3.0")
	mu.Lock()
	sick = nil
	mu.Unlock()
	c.cmd("MAIL FROM:<a@example.org>").expect(250)
}

func TestEveryRefusalIsReportedForTheAuditLog(t *testing.T) {
	opts := baseOptions(t)
	var mu sync.Mutex
	var got []Rejection
	opts.OnReject = func(r Rejection) { mu.Lock(); got = append(got, r); mu.Unlock() }
	_, addr := startServer(t, opts, &fakeStore{})
	c := dialFrom(t, addr, "127.0.0.2")
	c.expect(220)
	c.cmd("EHLO client.test").expect(250)
	c.cmd("MAIL FROM:<a@example.org>").expect(250)
	c.cmd("RCPT TO:<b@example.net>").expectCode(554, "5.7.1")
	c2 := dial(t, addr)
	c2.cmd("EHLO client.test").expect(250)
	c2.cmd("MAIL FROM:<a@example.org>").expect(250)
	c2.cmd("RCPT TO:<b@example.net>").expect(250)
	c2.cmd("DATA").expect(354)
	c2.send("Subject: x\r\n\r\nbare\nLF\r\n.\r\n")
	c2.reply()
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n >= 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 {
		t.Fatalf("%d rejections reported, want 2: %+v", len(got), got)
	}
	if r := got[0]; r.Stage != "rcpt" || r.Code != 554 || r.Enhanced != "5.7.1" || r.ClientIP != "127.0.0.2" || r.From != "a@example.org" {
		t.Errorf("relay denial: %+v", r)
	}
	if r := got[1]; r.Stage != "data" || r.Reason != "smuggling" || r.MsgID == "" || r.Code != 550 {
		t.Errorf("smuggling refusal: %+v", r)
	}
}

func TestSenderDomainsStopOtherTenantsOnSharedIPs(t *testing.T) {
	opts := baseOptions(t)
	opts.SenderDomains = []string{"clinic.example", ".hospital.example"}
	_, addr := startServer(t, opts, &fakeStore{})
	c := dial(t, addr)
	c.cmd("EHLO client.test").expect(250)
	c.cmd("MAIL FROM:<dr@clinic.example>").expect(250)
	c.cmd("RSET").expect(250)
	c.cmd("MAIL FROM:<a@lab.hospital.example>").expect(250)
	c.cmd("RSET").expect(250)
	c.cmd("MAIL FROM:<spammer@other-tenant.example>").expectCode(550, "5.7.1")
	c.cmd("MAIL FROM:<x@evilclinic.example>").expectCode(550, "5.7.1")
	c.cmd("MAIL FROM:<>").expectCode(550, "5.7.1")
}

func TestReceivedIsRecordedBeforeCommitOrNothingIsSpooled(t *testing.T) {
	opts := baseOptions(t)
	store := &fakeStore{}
	var mu sync.Mutex
	var recorded []string
	fail := true
	opts.BeforeCommit = func(env *envelope.Envelope) error {
		mu.Lock()
		defer mu.Unlock()
		if fail {
			return errors.New("audit: read-only file system")
		}
		if len(store.messages()) != 0 {
			t.Error("BeforeCommit ran after a commit")
		}
		recorded = append(recorded, env.ID)
		return nil
	}
	_, addr := startServer(t, opts, store)
	c := dial(t, addr)
	c.cmd("EHLO client.test").expect(250)
	if code, msg := c.sendMessage("a@example.org", "b@example.net", testMessage); code != 451 || msg[:5] != "4.3.0" {
		t.Fatalf("got %d %s, want 451 4.3.0", code, msg)
	}
	if n := len(store.messages()); n != 0 {
		t.Fatalf("%d messages spooled although they could not be recorded", n)
	}
	mu.Lock()
	fail = false
	mu.Unlock()
	if code, _ := c.sendMessage("a@example.org", "b@example.net", testMessage); code != 250 {
		t.Fatalf("got %d after the audit log recovered", code)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(recorded) != 1 || len(store.messages()) != 1 || store.messages()[0].id != recorded[0] {
		t.Fatalf("recorded %v, spooled %d", recorded, len(store.messages()))
	}
}
