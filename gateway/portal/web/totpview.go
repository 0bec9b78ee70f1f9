package web

import (
	"errors"
	"net/http"
)

// Optional enrolment from inside a session: the message page offers it
// while the mode is optional and the address has no authenticator.

// offerTOTP reports whether the message page offers enrolment.
func (s *Server) offerTOTP(r *http.Request, tok string) bool {
	if s.cfg.TOTP != TOTPOptional {
		return false
	}
	enrolled, err := s.cfg.Messages.TOTPEnrolled(r.Context(), tok)
	return err == nil && !enrolled
}

// sessionEnrolment returns the session, its message and the secret on
// offer to it (made on first use), or answers the request itself.
func (s *Server) sessionEnrolment(w http.ResponseWriter, r *http.Request) (session, string, Message, []byte, bool) {
	sess, cookie, m, ok := s.authed(w, r)
	if !ok {
		return sess, "", m, nil, false
	}
	if !s.offerTOTP(r, sess.token) {
		s.notFound(w)
		return sess, "", m, nil, false
	}
	st, ok := s.seconds.get(cookie, sess.token, stepEnrol)
	if !ok {
		st = second{token: sess.token, msgID: m.ID, secret: newTOTPSecret()}
		s.seconds.put(cookie, st)
	}
	return sess, cookie, m, st.secret, true
}

func (s *Server) viewEnrolForm(w http.ResponseWriter, r *http.Request) {
	_, cookie, m, secret, ok := s.sessionEnrolment(w, r)
	if ok {
		s.renderEnrol(w, http.StatusOK, m, secret, "/v/enrol", "/v", cookie, "")
	}
}

func (s *Server) viewEnrolQR(w http.ResponseWriter, r *http.Request) {
	_, _, m, secret, ok := s.sessionEnrolment(w, r)
	if ok {
		s.writeQR(w, m, secret)
	}
}

// viewEnrol confirms an optional enrolment: the session's CSRF token, the
// per-IP limit and both lockouts apply as on the code form.
func (s *Server) viewEnrol(w http.ResponseWriter, r *http.Request) {
	if !s.checkCSRF(r, cookieValue(r, sessionCookie)) {
		s.forbidden(w)
		return
	}
	ip := clientIP(r)
	if s.ipFail.blocked(ip) {
		s.locked(w)
		return
	}
	sess, cookie, m, secret, ok := s.sessionEnrolment(w, r)
	if !ok {
		return
	}
	locked, err := s.cfg.Messages.SourceLocked(r.Context(), ip)
	if err == nil && !locked {
		locked, err = s.cfg.Messages.Locked(r.Context(), sess.token)
	}
	if err != nil || locked {
		s.codeErr(w, m, "locked", orLocked(err))
		return
	}
	err = s.cfg.Messages.EnrolTOTP(r.Context(), sess.token, secret, normCode(r.PostFormValue("code")))
	if errors.Is(err, ErrEnrolled) { // enrolled from another browser meanwhile
		s.seconds.drop(cookie)
		http.Redirect(w, r, "/v", http.StatusSeeOther)
		return
	}
	if s.secondFailed(w, r, sess.token, m, ip, err, func() {
		s.renderEnrol(w, http.StatusUnprocessableEntity, m, secret, "/v/enrol", "/v", cookie, wrongTOTP)
	}) {
		return
	}
	s.seconds.drop(cookie)
	s.record(r, sess.token, m, Event{Type: EventTOTPEnrolled})
	s.render(w, http.StatusOK, "enrolled.html", page{Title: "Authenticator app set up", CSRF: s.csrfFor(cookie)})
}

func orLocked(err error) error {
	if err == nil {
		return ErrLocked
	}
	return err
}
