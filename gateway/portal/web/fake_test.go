package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/big"
	"sync"
	"time"
)

// Semantics the fake shares with gateway/portal/store's DirStore.
const (
	fakeCodeLife    = 10 * time.Minute
	fakeMaxFailures = 5
	fakeLockout     = 15 * time.Minute
	fakeMaxCodes    = 5  // per token per hour
	fakeSourceFails = 20 // per source per fakeLockout
)

// fakeStore is an in-memory Messages with the semantics the real store
// has: lookup by token, per-token single-use expiring codes, failure
// counting and lockout per token.
type fakeStore struct {
	mu     sync.Mutex
	toks   map[string]*fakeTok
	srcs   map[string]*fakeSource
	msgs   map[string]*fakeMsg
	events []Event
	totp   map[string]*fakeTOTP // by case-folded address
	now    func() time.Time
	// open, when set, replaces the stored bytes (a generated message).
	open func() io.Reader
}

type fakeMsg struct {
	meta    Message // Recipient is per token
	raw     []byte
	revoked bool
}

type fakeTok struct {
	id, rcpt    string
	code        [32]byte
	codeExp     time.Time
	hasCode     bool
	failures    int
	lockedUntil time.Time
	codes       int
	codesSince  time.Time
	totpFails   int
}

func newFakeStore(now func() time.Time) *fakeStore {
	return &fakeStore{toks: map[string]*fakeTok{}, srcs: map[string]*fakeSource{}, msgs: map[string]*fakeMsg{}, totp: map[string]*fakeTOTP{}, now: now}
}

func (f *fakeStore) add(token string, m Message, raw []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.toks[token] = &fakeTok{id: m.ID, rcpt: m.Recipient}
	if f.msgs[m.ID] == nil {
		f.msgs[m.ID] = &fakeMsg{meta: m, raw: raw}
	}
}

func (f *fakeStore) revoke(id string) {
	f.mu.Lock()
	f.msgs[id].revoked = true
	f.mu.Unlock()
}

// live returns the token's state and message, or ErrNotFound; f.mu held.
func (f *fakeStore) live(token string) (*fakeTok, *fakeMsg, error) {
	t, ok := f.toks[token]
	if !ok || f.msgs[t.id].revoked || !f.now().Before(f.msgs[t.id].meta.Expires) {
		return nil, nil, ErrNotFound
	}
	return t, f.msgs[t.id], nil
}

func (f *fakeStore) Lookup(_ context.Context, token string) (Message, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, m, err := f.live(token)
	if err != nil {
		return Message{}, err
	}
	meta := m.meta
	meta.Recipient = t.rcpt
	return meta, nil
}

func (f *fakeStore) Open(_ context.Context, token string) (io.ReadCloser, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, m, err := f.live(token)
	if err != nil {
		return nil, err
	}
	if f.open != nil {
		return io.NopCloser(f.open()), nil
	}
	return io.NopCloser(bytes.NewReader(m.raw)), nil
}

func fakeCodeHash(token, code string) [32]byte { return sha256.Sum256([]byte(token + "\x00" + code)) }

func (f *fakeStore) IssueCode(_ context.Context, token string) (string, time.Time, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, _, err := f.live(token)
	if err != nil {
		return "", time.Time{}, err
	}
	now := f.now()
	if now.Before(t.lockedUntil) {
		return "", time.Time{}, ErrLocked
	}
	if !now.Before(t.codesSince.Add(time.Hour)) {
		t.codes, t.codesSince = 0, now
	}
	if t.codes >= fakeMaxCodes {
		return "", time.Time{}, ErrTooManyCodes
	}
	t.codes++
	n, err := rand.Int(rand.Reader, big.NewInt(100_000_000))
	if err != nil {
		return "", time.Time{}, err
	}
	code := fmt.Sprintf("%08d", n)
	t.code, t.codeExp, t.hasCode = fakeCodeHash(token, code), now.Add(fakeCodeLife), true
	return code, t.codeExp, nil
}

func (f *fakeStore) CheckCode(_ context.Context, token, code string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, _, err := f.live(token)
	if err != nil {
		return err
	}
	now := f.now()
	if now.Before(t.lockedUntil) {
		return ErrLocked
	}
	if t.hasCode && t.code == fakeCodeHash(token, code) && now.Before(t.codeExp) {
		t.hasCode, t.failures = false, 0
		return nil
	}
	t.failures++
	if t.failures >= fakeMaxFailures {
		t.failures, t.hasCode, t.lockedUntil = 0, false, now.Add(fakeLockout)
		return ErrLocked
	}
	return ErrBadCode
}

func (f *fakeStore) Locked(_ context.Context, token string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, _, err := f.live(token)
	if err != nil {
		return false, err
	}
	return f.now().Before(t.lockedUntil), nil
}

type fakeSource struct {
	start       time.Time
	failures    int
	lockedUntil time.Time
}

func (f *fakeStore) FailSource(_ context.Context, source string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	v := f.srcs[source]
	if v == nil || !now.Before(v.start.Add(fakeLockout)) && !now.Before(v.lockedUntil) {
		v = &fakeSource{start: now}
		f.srcs[source] = v
	}
	if now.Before(v.lockedUntil) {
		return ErrLocked
	}
	v.failures++
	if v.failures >= fakeSourceFails {
		*v = fakeSource{start: now, lockedUntil: now.Add(fakeLockout)}
		return ErrLocked
	}
	return nil
}

func (f *fakeStore) SourceLocked(_ context.Context, source string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v := f.srcs[source]
	return v != nil && f.now().Before(v.lockedUntil), nil
}

func (f *fakeStore) Record(_ context.Context, token string, ev Event) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if t, ok := f.toks[token]; !ok || t.id != ev.MessageID || t.rcpt != ev.Recipient {
		return errors.New("fake: event does not match its token")
	}
	f.events = append(f.events, ev)
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

func (m *fakeMailer) SendCode(_ context.Context, msg Message, code string, _ time.Time) error {
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
