package smtpd

import (
	"sync"
	"time"

	"github.com/emersion/go-sasl"
)

// loginServer is the server side of the obsolete but still common LOGIN SASL
// mechanism; go-sasl only ships its client.
type loginServer struct {
	step     int
	username string
	auth     func(username, password string) error
}

func (a *loginServer) Next(response []byte) (challenge []byte, done bool, err error) {
	switch a.step {
	case 0:
		a.step = 1
		if response == nil { // no initial response
			return []byte("Username:"), false, nil
		}
		a.username = string(response)
		a.step = 2
		return []byte("Password:"), false, nil
	case 1:
		a.username = string(response)
		a.step = 2
		return []byte("Password:"), false, nil
	case 2:
		a.step = 3
		return nil, true, a.auth(a.username, string(response))
	}
	return nil, false, sasl.ErrUnexpectedClientResponse
}

// authLimiter counts failed AUTHs per client IP in a fixed window.
type authLimiter struct {
	mu     sync.Mutex
	window time.Duration
	fails  map[string]*failCount
	now    func() time.Time
}

type failCount struct {
	start time.Time
	n     int
}

func newAuthLimiter(window time.Duration) *authLimiter {
	return &authLimiter{window: window, fails: make(map[string]*failCount), now: time.Now}
}

func (l *authLimiter) fail(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.fails) > 10000 { // bound memory under a spray from many IPs
		for k, f := range l.fails {
			if now.Sub(f.start) > l.window {
				delete(l.fails, k)
			}
		}
	}
	f := l.fails[ip]
	if f == nil || now.Sub(f.start) > l.window {
		f = &failCount{start: now}
		l.fails[ip] = f
	}
	f.n++
}

func (l *authLimiter) limited(ip string, limit int) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.fails[ip]
	if f == nil {
		return false
	}
	if l.now().Sub(f.start) > l.window {
		delete(l.fails, ip)
		return false
	}
	return f.n >= limit
}
