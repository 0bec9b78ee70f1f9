package process

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/sealgate/sealgate/envelope"
)

// memPortal keeps deposits in memory; its notices name the recipient only.
type memPortal struct {
	ev       *events
	deposits []string
	rcpts    [][]string
	fail     error
	ttls     []time.Duration
}

func (m *memPortal) Deposit(_ context.Context, env *envelope.Envelope, rcpts []string, ttl time.Duration, msg io.Reader) ([][]byte, error) {
	m.ttls = append(m.ttls, ttl)
	if m.fail != nil {
		return nil, m.fail
	}
	b, err := io.ReadAll(msg)
	if err != nil {
		return nil, err
	}
	m.deposits = append(m.deposits, string(b))
	m.rcpts = append(m.rcpts, rcpts)
	m.ev.add("deposit")
	out := make([][]byte, len(rcpts))
	for i, r := range rcpts {
		out[i] = []byte("To: " + r + "\r\nSubject: Secure message\r\n\r\nA link.\r\n")
	}
	return out, nil
}

const portalLast = "rules:\n  - id: phi\n    default: true\n    action: encrypt\n    methods: [pgp, smime, tls, portal]\n    min: tls\n"

func TestPortalServesRecipientsWithNoOtherMethod(t *testing.T) {
	f := newFixture(t, portalLast)
	pt := &memPortal{ev: f.ev}
	f.stage.o.Portal = pt
	env := f.add("m1", "b@partner.test")
	env.Recipients = append(env.Recipients, envelope.Recipient{Addr: "c@other.test"})
	f.store.bodies["m1"] = "From: a@clinic.test\r\nTo: b@partner.test\r\nBcc: c@other.test\r\nSubject: x\r\n\r\nMARKER-4711\r\n"
	if err := f.stage.Process("m1"); err != nil {
		t.Fatal(err)
	}
	// One deposit for both, then the decision, then the queue: the notices
	// are copies like any other, written before the decision record.
	if got := f.ev.String(); !strings.HasPrefix(got, "deposit,") || !strings.HasSuffix(got, "decision encrypt,submit") {
		t.Fatalf("order of events: %s", got)
	}
	if len(pt.deposits) != 1 || len(pt.rcpts[0]) != 2 || !strings.Contains(pt.deposits[0], "MARKER-4711") {
		t.Fatalf("deposits %q for %v", pt.deposits, pt.rcpts)
	}
	if strings.Contains(strings.ToLower(pt.deposits[0]), "bcc:") {
		t.Fatalf("the portal copy keeps the Bcc header:\n%s", pt.deposits[0])
	}
	copies := f.queue.queued["m1"]
	if len(copies) != 2 {
		t.Fatalf("copies %+v: want one notice per recipient", copies)
	}
	for i, c := range copies {
		if c.Hold != "" || len(c.Recipients) != 1 || c.Recipients[0] != pt.rcpts[0][i] {
			t.Fatalf("copy %d: %+v", i, c)
		}
		if body := f.store.copies["m1/"+c.Name]; strings.Contains(body, "MARKER") || !strings.Contains(body, c.Recipients[0]) {
			t.Fatalf("notice %s:\n%s", c.Name, body)
		}
	}
	for _, m := range f.rec.methods {
		if m.Method != "portal" || !strings.Contains(m.Reason, "tls: cannot guarantee verified TLS") || !strings.Contains(m.Reason, "pgp: no key") {
			t.Fatalf("recorded %+v: the reason must say why stronger methods were not possible", m)
		}
	}
	if f.rec.hold != "" {
		t.Fatalf("nothing is held, recorded %q", f.rec.hold)
	}
}

func TestPortalDepositFailureSubmitsNothing(t *testing.T) {
	f := newFixture(t, portalLast)
	f.stage.o.Portal = &memPortal{ev: f.ev, fail: errors.New("portal store: disk full")}
	f.add("m1", "b@partner.test")
	if err := f.stage.Process("m1"); err == nil {
		t.Fatal("Process succeeded although the portal refused the message")
	}
	if f.queue.Queued("m1") || f.rec.methods != nil {
		t.Fatalf("queued %v, recorded %+v: a failed deposit must leave the message to be processed again", f.queue.Queued("m1"), f.rec.methods)
	}
}

func TestPortalNotInTheRuleIsNeverUsed(t *testing.T) {
	f := newFixture(t, "rules:\n  - id: phi\n    default: true\n    action: encrypt\n    methods: [pgp, smime, tls]\n")
	f.stage.o.Portal = &memPortal{ev: f.ev}
	f.add("m1", "b@partner.test")
	if err := f.stage.Process("m1"); err != nil {
		t.Fatal(err)
	}
	if c := f.queue.queued["m1"]; len(c) != 1 || c[0].Hold == "" {
		t.Fatalf("copies %+v: a rule without portal holds the recipient", c)
	}
}

func TestARulesPortalExpiryReachesTheDeposit(t *testing.T) {
	f := newFixture(t, portalLast+"    portal_expiry: 14d\n")
	pt := &memPortal{ev: f.ev}
	f.stage.o.Portal = pt
	f.add("m1", "b@partner.test")
	if err := f.stage.Process("m1"); err != nil {
		t.Fatal(err)
	}
	if len(pt.ttls) != 1 || pt.ttls[0] != 14*24*time.Hour {
		t.Fatalf("deposit lifetimes %v, want the rule's 14 days", pt.ttls)
	}
}
