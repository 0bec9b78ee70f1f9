package smtpd

import (
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// passwordHash is a parsed argon2id or bcrypt hash.
type passwordHash struct {
	bcrypt []byte // set for bcrypt hashes

	// argon2id parameters
	salt, key    []byte
	time, memory uint32
	threads      uint8
}

func parsePasswordHash(s string) (passwordHash, error) {
	switch {
	case strings.HasPrefix(s, "$2a$"), strings.HasPrefix(s, "$2b$"), strings.HasPrefix(s, "$2y$"):
		if _, err := bcrypt.Cost([]byte(s)); err != nil {
			return passwordHash{}, fmt.Errorf("bad bcrypt hash: %v", err)
		}
		return passwordHash{bcrypt: []byte(s)}, nil
	case strings.HasPrefix(s, "$argon2id$"):
		// $argon2id$v=19$m=65536,t=3,p=4$salt$hash
		parts := strings.Split(s, "$")
		if len(parts) != 6 {
			return passwordHash{}, errors.New("bad argon2id PHC string")
		}
		var v int
		if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
			return passwordHash{}, errors.New("bad argon2id version (want v=19)")
		}
		var h passwordHash
		var p uint32
		if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &h.memory, &h.time, &p); err != nil {
			return passwordHash{}, errors.New("bad argon2id parameters")
		}
		if h.memory == 0 || h.time == 0 || p == 0 || p > 255 {
			return passwordHash{}, errors.New("bad argon2id parameters")
		}
		h.threads = uint8(p)
		var err error
		if h.salt, err = base64.RawStdEncoding.DecodeString(parts[4]); err != nil || len(h.salt) == 0 {
			return passwordHash{}, errors.New("bad argon2id salt")
		}
		if h.key, err = base64.RawStdEncoding.DecodeString(parts[5]); err != nil || len(h.key) < 16 {
			return passwordHash{}, errors.New("bad argon2id hash")
		}
		return h, nil
	}
	return passwordHash{}, errors.New("unsupported password hash (want argon2id PHC or bcrypt)")
}

func (h passwordHash) verify(password string) bool {
	if h.bcrypt != nil {
		return bcrypt.CompareHashAndPassword(h.bcrypt, []byte(password)) == nil
	}
	k := argon2.IDKey([]byte(password), h.salt, h.time, h.memory, h.threads, uint32(len(h.key)))
	return subtle.ConstantTimeCompare(k, h.key) == 1
}

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
