package web

import (
	"bytes"
	"errors"
	"net"
	"net/http"
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
func (s *Server) lookup(w http.ResponseWriter, r *http.Request) (Message, string, bool) {
	tok := r.PathValue("token")
	if tok == "" || len(tok) > maxTokenLen {
		s.notFound(w)
		return Message{}, "", false
	}
	m, err := s.cfg.Messages.Lookup(r.Context(), tok)
	if err != nil || !s.cfg.Now().Before(m.Expires) {
		if err != nil && !errors.Is(err, ErrNotFound) {
			s.log.Error("web: lookup", "err", err)
		}
		s.notFound(w)
		return Message{}, "", false
	}
	return m, tok, true
}

func (s *Server) landing(w http.ResponseWriter, r *http.Request) {
	m, tok, ok := s.lookup(w, r)
	if !ok {
		return
	}
	pre := s.preSession(w, r)
	s.record(r, tok, m, Event{Type: EventOpened})
	s.render(w, http.StatusOK, "landing.html", page{
		Title: "You have a secure message", CSRF: s.csrfFor(pre), Token: tok,
		Data: m,
	})
}

// gate runs the checks both POSTs of the code flow begin with: the form's
// CSRF token, the client's per-IP limit (lim), the token, and the token's
// lockout. It answers the request itself when one fails.
func (s *Server) gate(w http.ResponseWriter, r *http.Request, lim *limiter) (m Message, tok, ip string, ok bool) {
	if !s.checkCSRF(r, cookieValue(r, preCookie)) {
		s.forbidden(w)
		return m, "", "", false
	}
	ip = clientIP(r)
	if lim.blocked(ip) {
		s.locked(w)
		return m, "", "", false
	}
	if m, tok, ok = s.lookup(w, r); !ok {
		return m, "", "", false
	}
	// The client's lockout first, then the token's: either refuses.
	locked, err := s.cfg.Messages.SourceLocked(r.Context(), ip)
	if err == nil && !locked {
		locked, err = s.cfg.Messages.Locked(r.Context(), tok)
	}
	if err != nil {
		s.codeErr(w, m, "locked", err)
		return m, "", "", false
	}
	if locked {
		s.locked(w)
		return m, "", "", false
	}
	return m, tok, ip, true
}

func (s *Server) sendCode(w http.ResponseWriter, r *http.Request) {
	m, tok, ip, ok := s.gate(w, r, s.ipSend)
	if !ok {
		return
	}
	s.ipSend.add(ip)
	code, expires, err := s.cfg.Messages.IssueCode(r.Context(), tok)
	if err != nil {
		s.codeErr(w, m, "issue code", err)
		return
	}
	if err := s.cfg.Mailer.SendCode(r.Context(), m, code, expires); err != nil {
		s.fail(w, "send code", m.ID, err)
		return
	}
	s.record(r, tok, m, Event{Type: EventCodeSent})
	http.Redirect(w, r, "/m/"+tok+"/verify", http.StatusSeeOther)
}

// codeErr answers a Messages error of the code flow: a lockout or a used
// allowance is the locked page, a token gone since lookup the neutral one.
func (s *Server) codeErr(w http.ResponseWriter, m Message, what string, err error) {
	switch {
	case errors.Is(err, ErrLocked), errors.Is(err, ErrTooManyCodes):
		s.locked(w)
	case errors.Is(err, ErrNotFound):
		s.notFound(w)
	default:
		s.fail(w, what, m.ID, err)
	}
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
	m, tok, ip, ok := s.gate(w, r, s.ipFail)
	if !ok {
		return
	}
	switch err := s.cfg.Messages.CheckCode(r.Context(), tok, normCode(r.PostFormValue("code"))); {
	case err == nil:
	case errors.Is(err, ErrBadCode):
		s.failedCode(w, r, tok, m, ip, false, s.retryVerify(w, r))
		return
	case errors.Is(err, ErrLocked):
		s.failedCode(w, r, tok, m, ip, true, nil)
		return
	default:
		s.codeErr(w, m, "check code", err)
		return
	}
	s.record(r, tok, m, Event{Type: EventVerified})
	s.afterCode(w, r, m, tok)
}

func (s *Server) retryVerify(w http.ResponseWriter, r *http.Request) func() {
	return func() {
		s.renderVerify(w, r, http.StatusUnprocessableEntity,
			"That code is not right or has expired. Check the latest email, or ask for a new code.")
	}
}

// failedCode answers a wrong code of any factor; locked says the store
// locked the token on this attempt; retry renders the form again.
func (s *Server) failedCode(w http.ResponseWriter, r *http.Request, tok string, m Message, ip string, locked bool, retry func()) {
	s.ipFail.add(ip)
	if err := s.cfg.Messages.FailSource(r.Context(), ip); err != nil && !errors.Is(err, ErrLocked) {
		s.log.Error("web: fail source", "msg_id", m.ID, "err", err)
	}
	s.record(r, tok, m, Event{Type: EventFailed})
	if locked {
		s.record(r, tok, m, Event{Type: EventLocked})
		s.locked(w)
		return
	}
	retry()
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

// record stores ev for the token's recipient; a failure is logged by ID.
func (s *Server) record(r *http.Request, tok string, m Message, ev Event) {
	ev.Time, ev.MessageID, ev.Recipient = s.cfg.Now(), m.ID, m.Recipient
	if err := s.cfg.Messages.Record(r.Context(), tok, ev); err != nil {
		s.log.Error("web: record event", "msg_id", ev.MessageID, "type", string(ev.Type), "err", err)
	}
}
