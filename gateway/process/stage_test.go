package process

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/sealgate/sealgate/crypto/keystore"
	"github.com/sealgate/sealgate/envelope"
	"github.com/sealgate/sealgate/policy"
)

// events is the order in which the fakes were called.
type events struct {
	mu  sync.Mutex
	log []string
}

func (e *events) add(s string) { e.mu.Lock(); e.log = append(e.log, s); e.mu.Unlock() }
func (e *events) String() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return strings.Join(e.log, ",")
}

// memStore is the spool in memory.
type memStore struct {
	ev      *events
	bodies  map[string]string
	envs    map[string]*envelope.Envelope
	copies  map[string]string
	bodyErr error
}

func (m *memStore) Envelope(id string) (*envelope.Envelope, error) {
	if e, ok := m.envs[id]; ok {
		return e, nil
	}
	return nil, ErrNotFound
}

func (m *memStore) OpenBody(id string) (io.ReadCloser, error) {
	if m.bodyErr != nil {
		return nil, m.bodyErr
	}
	return io.NopCloser(strings.NewReader(m.bodies[id])), nil
}

func (m *memStore) OpenCopy(id, name string) (io.ReadCloser, error) {
	return io.NopCloser(strings.NewReader(m.copies[id+"/"+name])), nil
}

func (m *memStore) PutCopy(id, name string, r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m.copies[id+"/"+name] = string(b)
	m.ev.add("copy " + name)
	return nil
}

func (m *memStore) Remove(id string) error {
	delete(m.envs, id)
	delete(m.bodies, id)
	m.ev.add("remove")
	return nil
}

func (m *memStore) NewMessage() (MessageWriter, error) { return nil, errors.New("not in these tests") }

// memQueue is the relay.
type memQueue struct {
	ev     *events
	queued map[string][]Copy
	held   map[string]string
}

func (q *memQueue) Queued(id string) bool { _, ok := q.queued[id]; return ok }
func (q *memQueue) HeldRecipients(id string) ([]string, error) {
	var out []string
	for _, c := range q.queued[id] {
		if c.Hold != "" {
			out = append(out, c.Recipients...)
		}
	}
	return out, nil
}
func (q *memQueue) ServeHeld(id string, copies []Copy) error {
	q.queued[id] = append(q.queued[id], copies...)
	q.ev.add("serve held")
	return nil
}
func (q *memQueue) Submit(id string, copies []Copy) error {
	q.queued[id] = copies
	q.ev.add("submit")
	return nil
}
func (q *memQueue) SubmitHeld(id string, copies []Copy, reason string) error {
	q.queued[id], q.held[id] = copies, reason
	q.ev.add("submit held")
	return nil
}

// memRecorder is the audit log; fail makes the next records fail.
type memRecorder struct {
	ev      *events
	fail    error
	methods []Method
	hold    string
}

func (r *memRecorder) Decision(env *envelope.Envelope, dec *policy.Decision, methods []Method, hold string) error {
	if r.fail != nil {
		return r.fail
	}
	r.methods, r.hold = methods, hold
	r.ev.add("decision " + dec.Action)
	return nil
}

func (r *memRecorder) Notified(env *envelope.Envelope, id string) error { return nil }

type noKeys struct{}

func (noKeys) Lookup(context.Context, string) ([]keystore.Entry, error) { return nil, nil }

type noVerifiedTLS struct{}

func (noVerifiedTLS) CanVerifyTLS(context.Context, string) (bool, string, error) {
	return false, "no DANE, no MTA-STS", nil
}

type fixture struct {
	ev    *events
	store *memStore
	queue *memQueue
	rec   *memRecorder
	stage *Stage
}

func newFixture(t *testing.T, rules string) *fixture {
	t.Helper()
	path := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(path, []byte(rules), 0o600); err != nil {
		t.Fatal(err)
	}
	set, err := policy.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	eng, err := policy.NewEngine(set)
	if err != nil {
		t.Fatal(err)
	}
	ev := &events{}
	f := &fixture{ev: ev,
		store: &memStore{ev: ev, bodies: map[string]string{}, envs: map[string]*envelope.Envelope{}, copies: map[string]string{}},
		queue: &memQueue{ev: ev, queued: map[string][]Copy{}, held: map[string]string{}},
		rec:   &memRecorder{ev: ev},
	}
	f.stage = New(Options{Store: f.store, Queue: f.queue, Recorder: f.rec, TLS: noVerifiedTLS{},
		Engine:   func() *policy.Engine { return eng },
		Settings: func() Settings { return Settings{Hostname: "gw.clinic.test", Keys: noKeys{}} },
	})
	return f
}

// add stores a message as a producer would, and returns its envelope.
func (f *fixture) add(id, to string) *envelope.Envelope {
	env := &envelope.Envelope{ID: id, From: "a@clinic.test", Recipients: []envelope.Recipient{{Addr: to}}}
	f.store.envs[id] = env
	f.store.bodies[id] = "From: a@clinic.test\r\nTo: " + to + "\r\nSubject: [secure] hello\r\n\r\nHello.\r\n"
	return env
}

const passOrTag = `settings:
  subject_tags: ["[secure]"]
rules:
  - id: tagged
    when: {subject_tag: true}
    action: require_tls
    strip_tag: true
  - id: default
    default: true
    action: pass
`

func TestDecisionIsDurableBeforeAnyCopyIsSubmitted(t *testing.T) {
	f := newFixture(t, passOrTag)
	f.add("m1", "b@partner.test")
	if err := f.stage.Process("m1"); err != nil {
		t.Fatal(err)
	}
	got := f.ev.String()
	if !strings.HasSuffix(got, "decision require_tls,submit") {
		t.Fatalf("order of events: %s", got)
	}
	if c := f.queue.queued["m1"]; len(c) != 1 || c[0].MinTLS != minEncrypt {
		t.Fatalf("copies %+v: require_tls must carry the encrypt floor", c)
	}
}

func TestFailedDecisionRecordSubmitsNothingAndIsRetried(t *testing.T) {
	f := newFixture(t, passOrTag)
	f.add("m1", "b@partner.test")
	f.rec.fail = errors.New("disk full")
	if err := f.stage.Process("m1"); err == nil {
		t.Fatal("Process succeeded without its decision record")
	}
	if f.queue.Queued("m1") {
		t.Fatal("submitted without a durable decision")
	}
	f.rec.fail = nil
	if err := f.stage.Process("m1"); err != nil || !f.queue.Queued("m1") {
		t.Fatalf("retry: %v, queued %v", err, f.queue.Queued("m1"))
	}
}

func TestProcessDoesNothingOnceTheQueueHasTheMessage(t *testing.T) {
	f := newFixture(t, passOrTag)
	f.add("m1", "b@partner.test")
	f.queue.queued["m1"] = nil
	if err := f.stage.Process("m1"); err != nil || f.ev.String() != "" {
		t.Fatalf("a repeated hand-off did %q (%v)", f.ev.String(), err)
	}
	if err := f.stage.Process("gone"); err != nil {
		t.Fatalf("a removed message: %v", err)
	}
}

func TestNoUsableMethodHoldsWithAVerifiedTLSFloor(t *testing.T) {
	f := newFixture(t, "rules:\n  - id: phi\n    default: true\n    action: encrypt\n    methods: [pgp, smime, tls]\n")
	f.add("m1", "b@partner.test")
	if err := f.stage.Process("m1"); err != nil {
		t.Fatal(err)
	}
	// The recipient is held alone (its copy carries the reason); the
	// message itself is not held, so other recipients would leave now.
	if _, whole := f.queue.held["m1"]; whole {
		t.Fatalf("the whole message was held: %q", f.queue.held["m1"])
	}
	copies := f.queue.queued["m1"]
	if len(copies) != 1 || !strings.Contains(copies[0].Hold, "no usable method for 1 recipient") {
		t.Fatalf("no held copy: %+v", copies)
	}
	for _, c := range copies {
		if c.MinTLS != minVerify {
			t.Fatalf("copy %+v weaker than the decision", c)
		}
	}
	if !strings.Contains(f.rec.hold, "no usable method") {
		t.Fatalf("the decision record does not say what is held: %q", f.rec.hold)
	}
	if len(f.rec.methods) != 1 || f.rec.methods[0].Method != "none" {
		t.Fatalf("methods recorded: %+v", f.rec.methods)
	}
}

func TestAcceptRecordsABlockAndRemovesTheMessage(t *testing.T) {
	f := newFixture(t, "rules:\n  - id: no-webmail\n    when: {recipient: {domain: [webmail.test]}}\n    action: block\n    block_text: No PHI to webmail\n  - id: default\n    default: true\n    action: pass\n")
	env := f.add("m1", "x@webmail.test")
	err := f.stage.Accept(context.Background(), env)
	var b *BlockedError
	if !errors.As(err, &b) || b.Rule != "no-webmail" || b.Text != "No PHI to webmail" {
		t.Fatalf("Accept: %v", err)
	}
	if got := f.ev.String(); got != "decision block,remove" {
		t.Fatalf("events: %s", got)
	}
}

func TestAcceptSaysTryLaterWhenNothingCanBeDecided(t *testing.T) {
	f := newFixture(t, passOrTag)
	env := f.add("m1", "b@partner.test")
	f.store.bodyErr = errors.New("read error")
	if err := f.stage.Accept(context.Background(), env); !errors.Is(err, ErrTryLater) {
		t.Fatalf("Accept: %v", err)
	}
	if _, ok := f.store.envs["m1"]; ok {
		t.Fatal("an undecided message was kept")
	}
}

func TestStripTagMakesAModifiedBaseCopy(t *testing.T) {
	f := newFixture(t, passOrTag)
	f.add("m1", "b@partner.test")
	if err := f.stage.Process("m1"); err != nil {
		t.Fatal(err)
	}
	c := f.queue.queued["m1"]
	if len(c) != 1 || c[0].Name != "p" {
		t.Fatalf("copies %+v", c)
	}
	if p := f.store.copies["m1/p"]; !bytes.Contains([]byte(p), []byte("Subject: hello\r\n")) {
		t.Fatalf("modified copy:\n%s", p)
	}
}
