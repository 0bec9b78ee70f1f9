package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"sync"
	"time"
)

// fakeStore is an in-memory Messages with the semantics the real store must
// have: lookup by token hash, a single-use expiring code, failure counting.
type fakeStore struct {
	mu     sync.Mutex
	byTok  map[[32]byte]string
	msgs   map[string]*fakeMsg
	events []Event
	now    func() time.Time
	// open, when set, replaces the stored bytes (a generated message).
	open func() io.Reader
}

type fakeMsg struct {
	meta     Message
	raw      []byte
	revoked  bool
	code     [32]byte
	codeExp  time.Time
	hasCode  bool
	failures int
}

func newFakeStore(now func() time.Time) *fakeStore {
	return &fakeStore{byTok: map[[32]byte]string{}, msgs: map[string]*fakeMsg{}, now: now}
}

func (f *fakeStore) add(token string, m Message, raw []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.byTok[sha256.Sum256([]byte(token))] = m.ID
	f.msgs[m.ID] = &fakeMsg{meta: m, raw: raw}
}

func (f *fakeStore) revoke(id string) {
	f.mu.Lock()
	f.msgs[id].revoked = true
	f.mu.Unlock()
}

func (f *fakeStore) Lookup(_ context.Context, th [32]byte) (Message, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id, ok := f.byTok[th]
	if !ok || f.msgs[id].revoked || !f.now().Before(f.msgs[id].meta.Expires) {
		return Message{}, ErrNotFound
	}
	return f.msgs[id].meta, nil
}

func (f *fakeStore) Open(_ context.Context, id string) (io.ReadCloser, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, ok := f.msgs[id]
	if !ok || m.revoked {
		return nil, ErrNotFound
	}
	if f.open != nil {
		return io.NopCloser(f.open()), nil
	}
	return io.NopCloser(bytes.NewReader(m.raw)), nil
}

func (f *fakeStore) SetCode(_ context.Context, id string, h [32]byte, exp time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := f.msgs[id]
	m.code, m.codeExp, m.hasCode = h, exp, true
	return nil
}

func (f *fakeStore) CheckCode(_ context.Context, id string, h [32]byte, now time.Time) (CodeCheck, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := f.msgs[id]
	if m == nil {
		return CodeCheck{}, errors.New("no such message")
	}
	if m.hasCode && m.code == h && now.Before(m.codeExp) {
		m.hasCode, m.failures = false, 0
		return CodeCheck{OK: true}, nil
	}
	m.failures++
	return CodeCheck{Failures: m.failures}, nil
}

func (f *fakeStore) Lock(_ context.Context, id string, until time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := f.msgs[id]
	m.meta.LockedUntil, m.hasCode = until, false
	return nil
}

func (f *fakeStore) Record(_ context.Context, ev Event) error {
	f.mu.Lock()
	f.events = append(f.events, ev)
	f.mu.Unlock()
	return nil
}

func (f *fakeStore) count(t EventType) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, e := range f.events {
		if e.Type == t {
			n++
		}
	}
	return n
}

// fakeMailer keeps the last code sent to each address.
type fakeMailer struct {
	mu    sync.Mutex
	codes map[string][]string
}

func (m *fakeMailer) SendCode(_ context.Context, msg Message, code string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.codes == nil {
		m.codes = map[string][]string{}
	}
	m.codes[msg.Recipient] = append(m.codes[msg.Recipient], code)
	return nil
}

func (m *fakeMailer) last(addr string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.codes[addr]
	if len(c) == 0 {
		return ""
	}
	return c[len(c)-1]
}

func (m *fakeMailer) sent() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, c := range m.codes {
		n += len(c)
	}
	return n
}

// fakeReplies keeps what the pipeline would have received.
type fakeReplies struct {
	mu  sync.Mutex
	got []submitted
}

type submitted struct {
	from string
	to   []string
	raw  []byte
}

func (r *fakeReplies) Submit(_ context.Context, from string, to []string, msg io.Reader) error {
	b, err := io.ReadAll(msg)
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.got = append(r.got, submitted{from, to, b})
	r.mu.Unlock()
	return nil
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }
