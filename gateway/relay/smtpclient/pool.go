package smtpclient

import (
	"sync"
	"time"

	"github.com/sealgate/sealgate/gateway/relay/tlspolicy"
)

// DefaultIdleTimeout is how long a delivered-to connection waits for the
// next transaction to the same destination before it is closed.
const DefaultIdleTimeout = 5 * time.Second

// Key names what a connection may be reused for: the same server name
// and address at the same required TLS level (tlspolicy.Plan.Key). A
// session set up for verify is never handed to may or the reverse, so a
// level's checks always happened on the connection that carries its mail.
type Key struct {
	Name, Addr, Level string
}

// KeyFor is the Key of a session to addr (server name name) for plan.
func KeyFor(name, addr string, plan tlspolicy.Plan) Key {
	return Key{Name: name, Addr: addr, Level: plan.Key()}
}

// Pool keeps idle sessions per key, at most max per key, each for up
// to idle. A session is used by one delivery at a time: get removes it
// from the pool, put returns it.
type Pool struct {
	max  int
	idle time.Duration

	mu     sync.Mutex
	conns  map[Key][]*Session
	closed bool
}

// NewPool returns a pool of at most max idle sessions per key, each kept
// for up to idle.
func NewPool(max int, idle time.Duration) *Pool {
	return &Pool{max: max, idle: idle, conns: make(map[Key][]*Session)}
}

// Get returns an idle session for key that answered NOOP, or nil. A
// session the server has closed meanwhile fails the probe and is dropped,
// so the caller dials anew instead of failing a delivery.
func (p *Pool) Get(key Key) *Session {
	for {
		p.mu.Lock()
		list := p.conns[key]
		if len(list) == 0 {
			p.mu.Unlock()
			return nil
		}
		s := list[len(list)-1] // most recently used: least likely timed out
		p.conns[key] = list[:len(list)-1]
		if len(p.conns[key]) == 0 {
			delete(p.conns, key)
		}
		p.mu.Unlock()
		s.timer.Stop() // its timer finds it gone from the pool if it fires now
		if err := probe(s); err != nil {
			s.close()
			continue
		}
		s.reused = true
		return s
	}
}

// Put offers s for reuse; it is closed (QUIT) if the pool is full or
// stopped.
func (p *Pool) Put(s *Session) {
	p.mu.Lock()
	if p.closed || len(p.conns[s.key]) >= p.max {
		p.mu.Unlock()
		s.Quit()
		return
	}
	p.conns[s.key] = append(p.conns[s.key], s)
	s.timer = time.AfterFunc(p.idle, func() { p.expire(s) })
	p.mu.Unlock()
}

// expire closes s if it is still idle in the pool.
func (p *Pool) expire(s *Session) {
	p.mu.Lock()
	list := p.conns[s.key]
	found := false
	for i, c := range list {
		if c == s {
			p.conns[s.key] = append(list[:i:i], list[i+1:]...)
			if len(p.conns[s.key]) == 0 {
				delete(p.conns, s.key)
			}
			found = true
			break
		}
	}
	p.mu.Unlock()
	if found {
		s.Quit()
	}
}

// CloseAll closes every idle session (QUIT) and refuses later puts.
func (p *Pool) CloseAll() {
	p.mu.Lock()
	p.closed = true
	var all []*Session
	for _, list := range p.conns {
		all = append(all, list...)
	}
	p.conns = make(map[Key][]*Session)
	p.mu.Unlock()
	for _, s := range all {
		s.timer.Stop()
		s.Quit()
	}
}

// IdleCount is the number of idle sessions.
func (p *Pool) IdleCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, list := range p.conns {
		n += len(list)
	}
	return n
}

// probeTimeout bounds the NOOP before reuse and the QUIT of an idle
// session: a server that went quiet must not hold a delivery or Stop.
const probeTimeout = 10 * time.Second

func probe(s *Session) error {
	t := s.cl.CommandTimeout
	s.cl.CommandTimeout = min(t, probeTimeout)
	err := s.cl.Noop()
	s.cl.CommandTimeout = t
	return err
}
