package gateway

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/sealgate/sealgate/config"
	"github.com/sealgate/sealgate/gateway/audit"
	"github.com/sealgate/sealgate/gateway/control"
)

// auditRecords reads the whole audit log of a test gateway.
func auditRecords(t *testing.T, env *testEnv) []audit.Record {
	t.Helper()
	var out []audit.Record
	if err := audit.Scan(filepath.Join(env.Dir, "data", "audit"), audit.Filter{}, func(r audit.Record) error {
		out = append(out, r)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func typesOf(rs []audit.Record, msgID string) []string {
	var ts []string
	for _, r := range rs {
		if r.MsgID == msgID && r.Type != audit.TypeCheckpoint {
			ts = append(ts, r.Type)
		}
	}
	return ts
}

func TestEveryMessageIsRecordedReceivedDecisionDeliveryInOrder(t *testing.T) {
	sink := startSink(t, "127.0.0.1:0")
	sinkAddr := sink.Addr()
	sink.FailRecipient("gone@partner.test", &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"})
	env := writeConfig(t, sinkAddr, "")
	g := startGateway(t, env)
	if err := send(env.Listen, "a@clinic.test", []string{"b@partner.test", "c@partner.test", "gone@partner.test"},
		testMessage("a@clinic.test", "b@partner.test", "order-1")); err != nil {
		t.Fatal(err)
	}
	// A refused one: relaying from an address outside the allowlist.
	if err := sendFrom("127.0.0.2", env.Listen, "x@elsewhere.test", "y@partner.test", "Subject: x\r\n\r\nx\r\n"); err == nil {
		t.Fatal("relay from 127.0.0.2 accepted")
	}
	waitFor(t, 20*time.Second, "an empty queue", func() bool { return g.Relay().Depth() == 0 && sink.Count() >= 2 })

	rs := auditRecords(t, env)
	var msgID string
	for _, r := range rs {
		if r.Type == audit.TypeReceived {
			msgID = r.MsgID
			break
		}
	}
	got := typesOf(rs, msgID)
	want := []string{"received", "decision", "attempt", "delivery", "delivery", "delivery", "dsn_sent"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("records for %s: %v, want %v", msgID, got, want)
	}
	outcomes := map[string]string{}
	for _, r := range rs {
		if r.MsgID == msgID && r.Type == audit.TypeDelivery {
			var d audit.Delivery
			json.Unmarshal(r.Data, &d)
			outcomes[d.Recipient] = d.Outcome
			if d.RemoteHost == "" || d.Reply == "" {
				t.Errorf("delivery record lacks evidence: %s", r.Raw)
			}
			// The next hop's reply as it said it: code, enhanced code, text.
			if d.Outcome == "delivered" && (!regexp.MustCompile(`^250 2\.\d\.\d [^ ]`).MatchString(d.Reply) || strings.Contains(d.Reply, "  ")) {
				t.Errorf("delivered reply %q, want \"250 2.x.x text\"", d.Reply)
			}
		}
	}
	if outcomes["b@partner.test"] != "delivered" || outcomes["c@partner.test"] != "delivered" || outcomes["gone@partner.test"] != "bounced" {
		t.Errorf("outcomes %v", outcomes)
	}
	var rejected bool
	for _, r := range rs {
		if r.Type == audit.TypeRejected {
			var rj audit.Rejected
			json.Unmarshal(r.Data, &rj)
			rejected = rj.Stage == "rcpt" && rj.Code == 554 && rj.ClientIP == "127.0.0.2"
		}
	}
	if !rejected {
		t.Error("no rejected record for the refused relay attempt")
	}
	g.Stop(t.Context())
	res, err := audit.Verify(filepath.Join(env.Dir, "data", "audit"), auditPub(t, env), "")
	if err != nil || res.Problem != nil || res.UnsignedTail != 0 {
		t.Fatalf("verify after a clean stop: %+v %v", res, err)
	}
}

func TestQueueOperationsAreAudited(t *testing.T) {
	down := startSink(t, "127.0.0.1:0")
	down.SetDown(true)
	env := writeConfig(t, down.Addr(), "")
	g := startGateway(t, env)
	if err := send(env.Listen, "a@clinic.test", []string{"b@partner.test"}, testMessage("a@clinic.test", "b@partner.test", "op")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the message queued", func() bool { return g.Relay().Depth() == 1 })
	id := g.Relay().List()[0].ID
	sock := filepath.Join(env.Dir, "data", "control.sock")
	for _, op := range []string{"hold", "release", "delete"} {
		if _, err := control.Do(sock, control.Request{Op: op, ID: id}, nil); err != nil {
			t.Fatal(err)
		}
	}
	var ops []string
	for _, r := range auditRecords(t, env) {
		if r.Type == audit.TypeQueueOp {
			var q audit.QueueOp
			json.Unmarshal(r.Data, &q)
			if !strings.HasPrefix(q.Actor, "uid=") {
				t.Errorf("queue op without its actor: %s", r.Raw)
			}
			ops = append(ops, q.Op)
		}
	}
	if strings.Join(ops, ",") != "hold,release,delete" {
		t.Fatalf("queue ops recorded: %v", ops)
	}
}

func TestNoPHIInAuditLogOrOperationalLog(t *testing.T) {
	sink := startSink(t, "127.0.0.1:0")
	sinkAddr := sink.Addr()
	env := writeConfig(t, sinkAddr, "")
	var logBuf lockedBuffer
	startGatewayLog(t, env, &logBuf)
	secrets := []string{"078-05-1121", "Zebulon Quackenbush", "Metastatic Wombat Syndrome", "quackenbush-labs.pdf", "MRN 99887766"}
	msg := "From: <dr@clinic.test>\r\nTo: <lab@partner.test>\r\nSubject: Results for Zebulon Quackenbush SSN 078-05-1121\r\n" +
		"Message-ID: <phi-test-1@clinic.test>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b1\r\n\r\n" +
		"--b1\r\nContent-Type: text/plain\r\n\r\nPatient Zebulon Quackenbush, MRN 99887766, diagnosed with Metastatic Wombat Syndrome.\r\n" +
		"--b1\r\nContent-Type: application/pdf; name=\"quackenbush-labs.pdf\"\r\nContent-Disposition: attachment; filename=\"quackenbush-labs.pdf\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b1--\r\n"
	if err := send(env.Listen, "dr@clinic.test", []string{"lab@partner.test"}, msg); err != nil {
		t.Fatal(err)
	}
	// A broken part header: MIME parsers quote the offending line in their
	// errors, which must never reach a log either.
	hostile := "From: <dr@clinic.test>\r\nTo: <lab@partner.test>\r\nSubject: x\r\nMessage-ID: <phi-test-2@clinic.test>\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b2\r\n\r\n--b2\r\nContent-Type: text/plain\r\n" +
		"Zebulon Quackenbush MRN 99887766 has Metastatic Wombat Syndrome\r\n\r\nbody\r\n--b2--\r\n"
	if err := send(env.Listen, "dr@clinic.test", []string{"lab@partner.test"}, hostile); err != nil {
		t.Fatal(err)
	}
	// The default policy encrypts both; without keys their recipients are held.
	waitFor(t, 20*time.Second, "both decisions", func() bool {
		n := 0
		for _, r := range auditRecords(t, env) {
			if r.Type == audit.TypeDecision {
				n++
			}
		}
		return n == 2
	})
	time.Sleep(500 * time.Millisecond) // let the log lines land
	_ = sink
	for _, s := range secrets {
		if hits := grepDir(t, filepath.Join(env.Dir, "data"), []byte(s)); len(hits) > 0 {
			t.Errorf("%q found at rest in %v", s, hits)
		}
		if bytes.Contains(logBuf.Bytes(), []byte(s)) {
			t.Errorf("%q found in the operational log", s)
		}
	}
	if logBuf.Len() == 0 {
		t.Fatal("no operational log captured")
	}
}

// TestAuditDiskFullRefusesMailAndPausesDelivery puts the audit log on a
// tiny tmpfs and fills it.
func TestAuditDiskFullRefusesMailAndPausesDelivery(t *testing.T) {
	mnt := mountTmpfs(t, "256k")

	// The next hop is down (its port kept, so no other test can take it).
	sink := startSink(t, "127.0.0.1:0")
	sink.SetDown(true)
	sinkAddr := sink.Addr()
	env := writeConfig(t, sinkAddr, "")
	cfg, _ := os.ReadFile(env.CfgPath)
	cfg = bytes.Replace(cfg, []byte("  signing_key_file: audit.key\n"), []byte("  signing_key_file: audit.key\n  dir: "+mnt+"\n"), 1)
	os.WriteFile(env.CfgPath, cfg, 0o600)
	g := startGateway(t, env)

	if err := send(env.Listen, "a@clinic.test", []string{"b@partner.test"}, testMessage("a@clinic.test", "b@partner.test", "before")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the first message queued", func() bool { return g.Relay().Depth() == 1 })

	filler := fillDisk(t, mnt)

	// New mail gets 451 4.3.0 once the log hits the full disk (the last
	// page of the segment may still take a few records), and from then on.
	is451 := func(err error) bool {
		var se *smtp.SMTPError
		return errors.As(err, &se) && se.Code == 451 && se.EnhancedCode == (smtp.EnhancedCode{4, 3, 0})
	}
	refused := false
	for i := 0; i < 200 && !refused; i++ {
		err := send(env.Listen, "a@clinic.test", []string{"b@partner.test"}, testMessage("a@clinic.test", "b@partner.test", fmt.Sprint("during-", i)))
		if err != nil && !is451(err) {
			t.Fatalf("while the audit disk fills: %v, want 250 or 451 4.3.0", err)
		}
		refused = err != nil
	}
	if !refused {
		t.Fatal("mail still accepted after 200 messages on a full audit disk")
	}
	if err := send(env.Listen, "a@clinic.test", []string{"b@partner.test"}, testMessage("a@clinic.test", "b@partner.test", "refused")); !is451(err) {
		t.Fatalf("after the audit log failed: %v, want 451 4.3.0", err)
	}
	accepted := g.Relay().Depth()
	// The queued message must not leave unrecorded.
	sink.SetDown(false)
	control.Do(filepath.Join(env.Dir, "data", "control.sock"), control.Request{Op: "flush"}, nil)
	time.Sleep(3 * time.Second)
	if n := sink.Count(); n != 0 {
		t.Fatalf("%d messages delivered while the audit log could not record it", n)
	}

	os.Remove(filler)
	waitFor(t, 30*time.Second, "delivery after the disk came back", func() bool { return sink.Count() >= accepted })
	waitFor(t, 20*time.Second, "mail accepted again", func() bool {
		return send(env.Listen, "a@clinic.test", []string{"b@partner.test"}, testMessage("a@clinic.test", "b@partner.test", "after")) == nil
	})
	g.Stop(t.Context())
	res, err := audit.Verify(mnt, auditPub(t, env), "")
	if err != nil || res.Problem != nil {
		t.Fatalf("chain after the disk-full episode: %+v %v", res, err)
	}
}

func auditPub(t *testing.T, env *testEnv) ed25519.PublicKey {
	t.Helper()
	k, err := config.ReadSigningKey(filepath.Join(env.Dir, "audit.key"))
	if err != nil {
		t.Fatal(err)
	}
	return k.Public().(ed25519.PublicKey)
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) Bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]byte(nil), l.b.Bytes()...)
}

func (l *lockedBuffer) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Len()
}

// A picture attachment that nobody read (OCR is off) is in the decision
// record as not read, never as if it had been scanned.
func TestDecisionRecordCountsPicturesNotRead(t *testing.T) {
	png, err := os.ReadFile("../testdata/extract/ocr/referral.png")
	if err != nil {
		t.Fatal(err)
	}
	sink := startSink(t, "127.0.0.1:0")
	env := writeConfig(t, sink.Addr(), "")
	startGateway(t, env)
	b64 := base64.StdEncoding.EncodeToString(png)
	var wrapped strings.Builder
	for len(b64) > 76 {
		wrapped.WriteString(b64[:76] + "\r\n")
		b64 = b64[76:]
	}
	wrapped.WriteString(b64 + "\r\n")
	msg := "From: a@clinic.test\r\nTo: b@partner.test\r\nSubject: photo\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nsee the photo\r\n" +
		"--B\r\nContent-Type: image/png; name=form.png\r\nContent-Transfer-Encoding: base64\r\n\r\n" + wrapped.String() + "--B--\r\n"
	if err := send(env.Listen, "a@clinic.test", []string{"b@partner.test"}, msg); err != nil {
		t.Fatal(err)
	}
	// The shipped policy encrypts an unread photo (rule unread-picture); b@partner.test has
	// no key, so the message is held rather than delivered.
	var d audit.Decision
	var raw []byte
	waitFor(t, 20*time.Second, "decision record", func() bool {
		for _, r := range auditRecords(t, env) {
			if r.Type == audit.TypeDecision {
				raw = r.Raw
				return json.Unmarshal(r.Data, &d) == nil
			}
		}
		return false
	})
	if d.NotRead["image"] != 1 || d.Rule != "unread-picture" {
		t.Errorf("decision record %s: want rule unread-picture and not_read image 1", raw)
	}
	if sink.Count() != 0 {
		t.Errorf("the unread photo left over plain TLS")
	}
}

// Flush skips a held message; the operator hears so instead of an "ok"
// that leaves them waiting for a delivery that never comes.
func TestQueueFlushOfAHeldMessageFailsAndNamesRelease(t *testing.T) {
	down := startSink(t, "127.0.0.1:0")
	down.SetDown(true)
	env := writeConfig(t, down.Addr(), "")
	g := startGateway(t, env)
	if err := send(env.Listen, "a@clinic.test", []string{"b@partner.test"}, testMessage("a@clinic.test", "b@partner.test", "op")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the message queued", func() bool { return g.Relay().Depth() == 1 })
	id := g.Relay().List()[0].ID
	sock := filepath.Join(env.Dir, "data", "control.sock")
	if _, err := control.Do(sock, control.Request{Op: "hold", ID: id}, nil); err != nil {
		t.Fatal(err)
	}
	_, err := control.Do(sock, control.Request{Op: "flush", ID: id}, nil)
	if err == nil || !strings.Contains(err.Error(), "is held") || !strings.Contains(err.Error(), "queue release "+id) {
		t.Fatalf("flush of a held message: %v", err)
	}
	if _, err := control.Do(sock, control.Request{Op: "flush"}, nil); err != nil {
		t.Fatalf("flush of all messages, one held: %v", err)
	}
}
