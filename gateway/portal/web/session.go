package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"sync"
	"time"
)

// Cookie names carry the __Host- prefix: the browser then insists on Secure,
// Path=/ and no Domain, so no sibling host can plant one.
const (
	preCookie     = "__Host-sg-pre" // before verification: binds the CSRF token
	sessionCookie = "__Host-sg-s"   // after verification
)

// maxSessions bounds memory; past it the oldest idle entries are swept.
const maxSessions = 100000

// session is one verified browser. It keeps the raw link token in memory
// only (it is in the recipient's link anyway): never on disk, never logged.
type session struct {
	msgID    string
	token    string
	created  time.Time
	lastSeen time.Time
}

// sessions maps the SHA-256 of a session cookie to its session: the cookie
// value itself is never kept.
type sessions struct {
	mu      sync.Mutex
	m       map[[32]byte]*session
	idle    time.Duration
	maxLife time.Duration
	now     func() time.Time
}

func newSessions(idle, maxLife time.Duration, now func() time.Time) *sessions {
	return &sessions{m: map[[32]byte]*session{}, idle: idle, maxLife: maxLife, now: now}
}

// randToken returns 128 bits from crypto/rand, base64url.
func randToken() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic("web: crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// create starts a session for the token of msgID and returns the cookie value.
func (ss *sessions) create(msgID, token string) string {
	v := randToken()
	now := ss.now()
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if len(ss.m) >= maxSessions {
		ss.sweepLocked(now)
	}
	ss.m[sha256.Sum256([]byte(v))] = &session{msgID: msgID, token: token, created: now, lastSeen: now}
	return v
}

// get returns the live session for a cookie value and refreshes its idle
// timer; an expired one is dropped.
func (ss *sessions) get(v string) (session, bool) {
	k := sha256.Sum256([]byte(v))
	now := ss.now()
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s, ok := ss.m[k]
	if !ok {
		return session{}, false
	}
	if now.Sub(s.lastSeen) > ss.idle || now.Sub(s.created) > ss.maxLife {
		delete(ss.m, k)
		return session{}, false
	}
	s.lastSeen = now
	return *s, true
}

func (ss *sessions) drop(v string) {
	ss.mu.Lock()
	delete(ss.m, sha256.Sum256([]byte(v)))
	ss.mu.Unlock()
}

func (ss *sessions) sweepLocked(now time.Time) {
	for k, s := range ss.m {
		if now.Sub(s.lastSeen) > ss.idle || now.Sub(s.created) > ss.maxLife {
			delete(ss.m, k)
		}
	}
}

func setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: maxAge,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode,
	})
}

func cookieValue(r *http.Request, name string) string {
	c, err := r.Cookie(name)
	if err != nil {
		return ""
	}
	return c.Value
}

// csrfFor derives the form token from the cookie it is bound to, so no
// server state is needed and a token from another browser never fits.
func (s *Server) csrfFor(cookie string) string {
	m := hmac.New(sha256.New, s.cfg.Key)
	m.Write([]byte("csrf\x00"))
	m.Write([]byte(cookie))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// checkCSRF accepts a POST only if its form token matches its cookie.
func (s *Server) checkCSRF(r *http.Request, cookie string) bool {
	if cookie == "" {
		return false
	}
	got := r.PostFormValue("csrf")
	return hmac.Equal([]byte(got), []byte(s.csrfFor(cookie)))
}

// preSession returns the pre-verification cookie, setting a new one if the
// browser has none.
func (s *Server) preSession(w http.ResponseWriter, r *http.Request) string {
	if v := cookieValue(r, preCookie); len(v) >= 22 {
		return v
	}
	v := randToken()
	setCookie(w, preCookie, v, 3600)
	return v
}

// currentSession returns the verified session of the request, if any.
func (s *Server) currentSession(r *http.Request) (session, string, bool) {
	v := cookieValue(r, sessionCookie)
	if v == "" {
		return session{}, "", false
	}
	sess, ok := s.sessions.get(v)
	return sess, v, ok
}

// limiter counts events per key (a client IP) in a fixed window; past max
// the key is refused until the window ends.
type limiter struct {
	mu     sync.Mutex
	m      map[string]*window
	max    int
	period time.Duration
	now    func() time.Time
}

type window struct {
	start time.Time
	n     int
}

func newLimiter(max int, period time.Duration, now func() time.Time) *limiter {
	return &limiter{m: map[string]*window{}, max: max, period: period, now: now}
}

// blocked reports whether key has used up its window.
func (l *limiter) blocked(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.m[key]
	return w != nil && l.now().Sub(w.start) < l.period && w.n >= l.max
}

// add counts one event for key.
func (l *limiter) add(key string) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.m) >= maxSessions {
		for k, w := range l.m {
			if now.Sub(w.start) >= l.period {
				delete(l.m, k)
			}
		}
	}
	w := l.m[key]
	if w == nil || now.Sub(w.start) >= l.period {
		w = &window{start: now}
		l.m[key] = w
	}
	w.n++
}
