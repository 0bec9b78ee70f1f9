package web

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"math/big"
	"net"
	"net/http"
	"strings"
	"time"
)

// maxTokenLen bounds what is hashed from the URL; real tokens are shorter.
const maxTokenLen = 128

// page is what every template gets.
type page struct {
	Org   string
	Title string
	CSRF  string
	Token string
	Error string
	Data  any
}

func (s *Server) render(w http.ResponseWriter, status int, name string, p page) {
	p.Org = s.cfg.OrgName
	var buf bytes.Buffer
	if err := s.tmpl.ExecuteTemplate(&buf, name, p); err != nil {
		s.log.Error("web: render", "template", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// notFound is the one page for unknown, expired and revoked links alike.
func (s *Server) notFound(w http.ResponseWriter) {
	s.render(w, http.StatusNotFound, "notfound.html", page{Title: "Link not available"})
}

func (s *Server) locked(w http.ResponseWriter) {
	s.render(w, http.StatusTooManyRequests, "locked.html", page{Title: "Too many attempts"})
}

func clientIP(r *http.Request) string {
	h, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return h
}

// lookup resolves the {token} path value; ok is false after the neutral
// page was written.
func (s *Server) lookup(w http.ResponseWriter, r *http.Request) (Message, [32]byte, bool) {
	tok := r.PathValue("token")
	if tok == "" || len(tok) > maxTokenLen {
		s.notFound(w)
		return Message{}, [32]byte{}, false
	}
	th := sha256.Sum256([]byte(tok))
	m, err := s.cfg.Messages.Lookup(r.Context(), th)
	if err != nil || !s.cfg.Now().Before(m.Expires) {
		if err != nil && !errors.Is(err, ErrNotFound) {
			s.log.Error("web: lookup", "err", err)
		}
		s.notFound(w)
		return Message{}, th, false
	}
	return m, th, true
}

func (s *Server) landing(w http.ResponseWriter, r *http.Request) {
	m, _, ok := s.lookup(w, r)
	if !ok {
		return
	}
	pre := s.preSession(w, r)
	s.record(r, Event{Type: EventOpened, MessageID: m.ID})
	s.render(w, http.StatusOK, "landing.html", page{
		Title: "You have a secure message", CSRF: s.csrfFor(pre), Token: r.PathValue("token"),
		Data: m,
	})
}

// gate runs the checks both POSTs of the code flow begin with: the form's
// CSRF token, the client's per-IP limit (lim), the token, and the message's
// lockout. It answers the request itself when one fails.
func (s *Server) gate(w http.ResponseWriter, r *http.Request, lim *limiter) (m Message, tokenHash [32]byte, ip string, now time.Time, ok bool) {
	if !s.checkCSRF(r, cookieValue(r, preCookie)) {
		s.forbidden(w)
		return m, tokenHash, "", now, false
	}
	ip = clientIP(r)
	if lim.blocked(ip) {
		s.locked(w)
		return m, tokenHash, "", now, false
	}
	if m, tokenHash, ok = s.lookup(w, r); !ok {
		return m, tokenHash, "", now, false
	}
	now = s.cfg.Now()
	if now.Before(m.LockedUntil) {
		s.locked(w)
		return m, tokenHash, "", now, false
	}
	return m, tokenHash, ip, now, true
}

func (s *Server) sendCode(w http.ResponseWriter, r *http.Request) {
	m, _, ip, now, ok := s.gate(w, r, s.ipSend)
	if !ok {
		return
	}
	if s.ipSend.blocked("msg:" + m.ID) {
		s.locked(w)
		return
	}
	s.ipSend.add(ip)
	s.ipSend.add("msg:" + m.ID)
	code := s.newCode()
	if err := s.cfg.Messages.SetCode(r.Context(), m.ID, s.codeHash(m.ID, code), now.Add(s.cfg.CodeLife)); err != nil {
		s.fail(w, "set code", m.ID, err)
		return
	}
	if err := s.cfg.Mailer.SendCode(r.Context(), m, code); err != nil {
		s.fail(w, "send code", m.ID, err)
		return
	}
	s.record(r, Event{Type: EventCodeSent, MessageID: m.ID})
	http.Redirect(w, r, "/m/"+r.PathValue("token")+"/verify", http.StatusSeeOther)
}

func (s *Server) verifyForm(w http.ResponseWriter, r *http.Request) {
	if _, _, ok := s.lookup(w, r); !ok {
		return
	}
	s.renderVerify(w, r, http.StatusOK, "")
}

func (s *Server) renderVerify(w http.ResponseWriter, r *http.Request, status int, msg string) {
	pre := s.preSession(w, r)
	s.render(w, status, "verify.html", page{
		Title: "Enter your code", CSRF: s.csrfFor(pre), Token: r.PathValue("token"), Error: msg,
		Data: struct{ Digits, Minutes int }{s.cfg.CodeDigits, int(s.cfg.CodeLife.Minutes())},
	})
}

func (s *Server) verify(w http.ResponseWriter, r *http.Request) {
	m, th, ip, now, ok := s.gate(w, r, s.ipFail)
	if !ok {
		return
	}
	code := strings.Join(strings.Fields(r.PostFormValue("code")), "")
	res, err := s.cfg.Messages.CheckCode(r.Context(), m.ID, s.codeHash(m.ID, code), now)
	if err != nil {
		s.fail(w, "check code", m.ID, err)
		return
	}
	if !res.OK {
		s.failedCode(w, r, m, ip, res.Failures)
		return
	}
	setCookie(w, preCookie, "", -1)
	setCookie(w, sessionCookie, s.sessions.create(m.ID, th), 0)
	s.record(r, Event{Type: EventVerified, MessageID: m.ID})
	http.Redirect(w, r, "/v", http.StatusSeeOther)
}

func (s *Server) failedCode(w http.ResponseWriter, r *http.Request, m Message, ip string, failures int) {
	s.ipFail.add(ip)
	s.record(r, Event{Type: EventFailed, MessageID: m.ID, Failures: failures})
	if failures >= s.cfg.MaxFailures {
		if err := s.cfg.Messages.Lock(r.Context(), m.ID, s.cfg.Now().Add(s.cfg.LockoutFor)); err != nil {
			s.fail(w, "lock", m.ID, err)
			return
		}
		s.record(r, Event{Type: EventLocked, MessageID: m.ID, Failures: failures})
		s.locked(w)
		return
	}
	s.renderVerify(w, r, http.StatusUnprocessableEntity,
		"That code is not right or has expired. Check the latest email, or ask for a new code.")
}

// newCode draws CodeDigits uniform decimal digits from crypto/rand.
func (s *Server) newCode() string {
	max := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(s.cfg.CodeDigits)), nil)
	n, err := rand.Int(rand.Reader, max)
	if err != nil {
		panic("web: crypto/rand failed: " + err.Error())
	}
	c := n.String()
	return strings.Repeat("0", s.cfg.CodeDigits-len(c)) + c
}

// codeHash keys the code with the message ID, so a store leak gives neither
// the code nor a table that fits every message.
func (s *Server) codeHash(id, code string) [32]byte {
	m := hmac.New(sha256.New, s.cfg.Key)
	m.Write([]byte("code\x00" + id + "\x00" + code))
	var h [32]byte
	copy(h[:], m.Sum(nil))
	return h
}

func (s *Server) forbidden(w http.ResponseWriter) {
	s.render(w, http.StatusForbidden, "error.html", page{
		Title: "Request refused", Error: "This form has expired. Go back, reload the page and try again.",
	})
}

// fail logs an internal error by message ID only and shows a plain page.
func (s *Server) fail(w http.ResponseWriter, what, id string, err error) {
	s.log.Error("web: "+what, "msg_id", id, "err", err)
	s.render(w, http.StatusInternalServerError, "error.html", page{
		Title: "Something went wrong", Error: "Please try again in a few minutes.",
	})
}

func (s *Server) record(r *http.Request, ev Event) {
	ev.Time = s.cfg.Now()
	if err := s.cfg.Messages.Record(r.Context(), ev); err != nil {
		s.log.Error("web: record event", "msg_id", ev.MessageID, "type", string(ev.Type), "err", err)
	}
}
