package relay

import (
	"sync"
	"time"

	"github.com/emersion/go-smtp"
)

// defaultIdleTimeout is how long a delivered-to connection waits for the
// next transaction to the same destination before it is closed.
const defaultIdleTimeout = 5 * time.Second

// session is one open SMTP connection, past EHLO (and STARTTLS, if any).
type session struct {
	cl     *smtp.Client
	ti     tlsInfo
	close  func()
	key    poolKey
	authed bool // AUTH done on this connection
	reused bool

	timer *time.Timer // idle timer while pooled
}

// poolKey names what a connection may be reused for: the same server name
// and address at the same required TLS level. A session set up for
// "verify" is never handed to "may" or the reverse, so a level's checks
// always happened on the connection that carries its mail.
type poolKey struct {
	name, addr, level string
}

// connPool keeps idle sessions per key, at most max per key, each for up
// to idle. A session is used by one delivery at a time: get removes it
// from the pool, put returns it.
type connPool struct {
	max  int
	idle time.Duration

	mu     sync.Mutex
	conns  map[poolKey][]*session
	closed bool
}

func newConnPool(max int, idle time.Duration) *connPool {
	return &connPool{max: max, idle: idle, conns: make(map[poolKey][]*session)}
}

// get returns an idle session for key that answered NOOP, or nil. A
// session the server has closed meanwhile fails the probe and is dropped,
// so the caller dials anew instead of failing a delivery.
func (p *connPool) get(key poolKey) *session {
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

// put offers s for reuse; it is closed (QUIT) if the pool is full or
// stopped.
func (p *connPool) put(s *session) {
	p.mu.Lock()
	if p.closed || len(p.conns[s.key]) >= p.max {
		p.mu.Unlock()
		quit(s)
		return
	}
	p.conns[s.key] = append(p.conns[s.key], s)
	s.timer = time.AfterFunc(p.idle, func() { p.expire(s) })
	p.mu.Unlock()
}

// expire closes s if it is still idle in the pool.
func (p *connPool) expire(s *session) {
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
		quit(s)
	}
}

// closeAll closes every idle session and refuses later puts.
func (p *connPool) closeAll() {
	p.mu.Lock()
	p.closed = true
	var all []*session
	for _, list := range p.conns {
		all = append(all, list...)
	}
	p.conns = make(map[poolKey][]*session)
	p.mu.Unlock()
	for _, s := range all {
		s.timer.Stop()
		quit(s)
	}
}

// idleCount is for tests.
func (p *connPool) idleCount() int {
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

func probe(s *session) error {
	t := s.cl.CommandTimeout
	s.cl.CommandTimeout = min(t, probeTimeout)
	err := s.cl.Noop()
	s.cl.CommandTimeout = t
	return err
}

func quit(s *session) {
	s.cl.CommandTimeout = min(s.cl.CommandTimeout, probeTimeout)
	s.cl.Quit() // best effort
	s.close()
}
