package tracker

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sealgate/sealgate/gateway/audit"
)

// env is one test's audit log and tracker store, in a temp dir.
type env struct {
	t     testing.TB
	dir   string
	log   *audit.Log
	store *BoltStore
}

func newEnv(t testing.TB, now func() time.Time) *env {
	t.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, dir: t.TempDir()}
	e.log, err = audit.Open(audit.Options{Dir: filepath.Join(e.dir, "audit"), SigningKey: key, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.log.Close() })
	e.store = e.openStore()
	return e
}

func (e *env) openStore() *BoltStore {
	e.t.Helper()
	s, err := OpenBolt(filepath.Join(e.dir, "tracker.db"))
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { s.Close() })
	return s
}

func (e *env) append(ev audit.Event) audit.Record {
	e.t.Helper()
	r, err := e.log.Append(ev)
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

// sink is an Emit that keeps what it got; fail makes the next calls fail.
type sink struct {
	mu   sync.Mutex
	evs  []Event
	fail int
	ch   chan struct{}
}

func newSink() *sink { return &sink{ch: make(chan struct{}, 1000)} }

func (s *sink) Emit(evs []Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail > 0 {
		s.fail--
		return errors.New("outbox unavailable")
	}
	s.evs = append(s.evs, evs...)
	s.ch <- struct{}{}
	return nil
}

func (s *sink) events() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Event(nil), s.evs...)
}

func (s *sink) types() []string {
	var out []string
	for _, ev := range s.events() {
		out = append(out, ev.Type)
	}
	return out
}

func (s *sink) ids() []string {
	var out []string
	for _, ev := range s.events() {
		out = append(out, ev.ID)
	}
	return out
}

// start runs a tracker over e until the test ends (or stop is called);
// Run must end with context.Canceled.
func (e *env) start(opts Options) (tr *Tracker, stop func()) {
	e.t.Helper()
	if opts.AuditDir == "" {
		opts.AuditDir = filepath.Join(e.dir, "audit")
	}
	if opts.Store == nil {
		opts.Store = e.store
	}
	tr, err := New(opts)
	if err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tr.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if !errors.Is(err, context.Canceled) {
					e.t.Errorf("Run ended with %v", err)
				}
			case <-time.After(20 * time.Second):
				e.t.Error("Run did not stop")
			}
		})
	}
	e.t.Cleanup(stop)
	// Records appended from here on come after the first start.
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(time.Millisecond) {
		if c, err := opts.Store.Cursor(); err == nil && !c.Started.IsZero() {
			break
		}
		if time.Now().After(deadline) {
			e.t.Fatal("tracker did not start")
		}
	}
	time.Sleep(2 * time.Millisecond) // the clock moves past Started
	return tr, stop
}

func wait(t testing.TB, tr *Tracker, seq uint64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := tr.Wait(ctx, seq); err != nil {
		t.Fatalf("records up to seq %d not applied: %v", seq, err)
	}
}

// Typical records, as the gateway writes them (gateway/auditing.go).
func received(id, listener string, rcpts ...string) audit.Event {
	return audit.Event{Type: audit.TypeReceived, MsgID: id, MessageID: "<" + id + "@upstream.example>",
		Data: audit.Received{Listener: listener, ClientIP: "127.0.0.1", From: "clinic@sender.example", Recipients: rcpts, Size: 1234}}
}

func decision(id, rule, action string, methods ...string) audit.Event {
	d := audit.Decision{Rule: rule, Action: action, Findings: map[string]int{"ssn": 2, "mrn": 1}}
	for i := 0; i+1 < len(methods); i += 2 {
		d.Recipients = append(d.Recipients, audit.RecipientMethod{Addr: methods[i], Method: methods[i+1], Reason: "rule " + rule})
	}
	return audit.Event{Type: audit.TypeDecision, MsgID: id, Data: d}
}

func attempt(id string, n int, rcpts ...string) audit.Event {
	return audit.Event{Type: audit.TypeAttempt, MsgID: id, Data: audit.Attempt{Recipients: rcpts, Destination: "partner.example", Attempt: n}}
}

func delivery(id, rcpt, outcome string, n int) audit.Event {
	d := audit.Delivery{Recipient: rcpt, Outcome: outcome, Attempt: n, RemoteHost: "mx1.partner.example", Reply: "250 2.0.0 ok",
		TLSVersion: "TLS1.3", TLSCipher: "TLS_AES_128_GCM_SHA256", PeerCertSHA256: "ab12", TLSVerified: true, TLSAuth: "dane"}
	if outcome == "deferred" {
		d.Reply = "451 4.3.0 try later"
	}
	return audit.Event{Type: audit.TypeDelivery, MsgID: id, Data: d}
}

func portal(msgID, pid, event, rcpt string) audit.Event {
	return audit.Event{Type: audit.TypePortal, MsgID: msgID, Data: audit.Portal{Event: event, PortalID: pid, Recipient: rcpt}}
}

func queueOp(id, op string) audit.Event {
	return audit.Event{Type: audit.TypeQueueOp, MsgID: id, Data: audit.QueueOp{Op: op, Actor: "admin", Result: "ok"}}
}
