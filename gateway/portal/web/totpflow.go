package web

import (
	"bytes"
	"errors"
	"html/template"
	"image/png"
	"net/http"
	"strings"
)

// afterCode decides what a correct email code leads to: the session, or
// the second factor the mode asks for (TOTP check, or enrolment).
func (s *Server) afterCode(w http.ResponseWriter, r *http.Request, m Message, tok string) {
	if s.cfg.TOTP == TOTPOff {
		s.startSession(w, r, m, tok)
		return
	}
	enrolled, err := s.cfg.Messages.TOTPEnrolled(r.Context(), tok)
	if err != nil {
		s.codeErr(w, m, "totp enrolled", err)
		return
	}
	pre := cookieValue(r, preCookie)
	switch {
	case enrolled:
		s.seconds.put(pre, second{token: tok, msgID: m.ID})
		http.Redirect(w, r, "/m/"+tok+"/totp", http.StatusSeeOther)
	case s.cfg.TOTP == TOTPRequired:
		s.seconds.put(pre, second{token: tok, msgID: m.ID, secret: newTOTPSecret()})
		http.Redirect(w, r, "/m/"+tok+"/enrol", http.StatusSeeOther)
	default:
		s.startSession(w, r, m, tok)
	}
}

func (s *Server) startSession(w http.ResponseWriter, r *http.Request, m Message, tok string) {
	if pre := cookieValue(r, preCookie); pre != "" {
		s.seconds.drop(pre)
	}
	setCookie(w, preCookie, "", -1)
	setCookie(w, sessionCookie, s.sessions.create(m.ID, tok), 0)
	http.Redirect(w, r, "/v", http.StatusSeeOther)
}

// stepOf returns the pending second step of this browser for the path's
// token, or answers with the session-ended page.
func (s *Server) stepOf(w http.ResponseWriter, r *http.Request, m Message, tok string, kind stepKind) (second, bool) {
	st, ok := s.seconds.get(cookieValue(r, preCookie), tok, kind)
	if !ok || st.msgID != m.ID {
		s.sessionEnded(w)
		return second{}, false
	}
	return st, true
}

func (s *Server) sessionEnded(w http.ResponseWriter) {
	s.render(w, http.StatusUnauthorized, "error.html", page{
		Title: "Session ended", Error: "Your session has ended. Open the link in your email again.",
	})
}

func (s *Server) totpForm(w http.ResponseWriter, r *http.Request) {
	m, tok, ok := s.lookup(w, r)
	if !ok {
		return
	}
	if _, ok := s.stepOf(w, r, m, tok, stepTOTP); ok {
		s.renderTOTP(w, r, http.StatusOK, "")
	}
}

func (s *Server) renderTOTP(w http.ResponseWriter, r *http.Request, status int, msg string) {
	s.render(w, status, "totp.html", page{
		Title: "Enter your authenticator code", CSRF: s.csrfFor(cookieValue(r, preCookie)),
		Token: r.PathValue("token"), Error: msg,
	})
}

const wrongTOTP = "That code is not right. Enter the 6-digit code your authenticator app shows now."

func (s *Server) checkTOTP(w http.ResponseWriter, r *http.Request) {
	m, tok, ip, ok := s.gate(w, r, s.ipFail)
	if !ok {
		return
	}
	if _, ok := s.stepOf(w, r, m, tok, stepTOTP); !ok {
		return
	}
	err := s.cfg.Messages.CheckTOTP(r.Context(), tok, normCode(r.PostFormValue("code")))
	if s.secondFailed(w, r, tok, m, ip, err, func() {
		s.renderTOTP(w, r, http.StatusUnprocessableEntity, wrongTOTP)
	}) {
		return
	}
	s.record(r, tok, m, Event{Type: EventTOTPVerified})
	s.startSession(w, r, m, tok)
}

// secondFailed answers a failed second-factor call and reports whether
// it did: a wrong code counts against the client like a wrong email code.
func (s *Server) secondFailed(w http.ResponseWriter, r *http.Request, tok string, m Message, ip string, err error, retry func()) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, ErrBadCode):
		s.failedCode(w, r, tok, m, ip, false, retry)
	case errors.Is(err, ErrLocked):
		s.failedCode(w, r, tok, m, ip, true, retry)
	case errors.Is(err, ErrNotEnrolled), errors.Is(err, ErrEnrolled):
		// Reset or enrolled elsewhere meanwhile: start again from the link.
		s.seconds.drop(cookieValue(r, preCookie))
		s.sessionEnded(w)
	default:
		s.codeErr(w, m, "totp", err)
	}
	return true
}

// enrolData is what enrol.html gets.
type enrolData struct {
	Secret string       // grouped base32
	URI    template.URL // otpauth://, which html/template would otherwise blank
	QR     string       // the PNG's URL, bound to the same cookie
	Action string
	Cancel string // optional enrolment: back to the message
}

func (s *Server) enrolForm(w http.ResponseWriter, r *http.Request) {
	m, tok, ok := s.lookup(w, r)
	if !ok {
		return
	}
	st, ok := s.stepOf(w, r, m, tok, stepEnrol)
	if !ok {
		return
	}
	s.renderEnrol(w, http.StatusOK, m, st.secret, "/m/"+tok+"/enrol", "", cookieValue(r, preCookie), "")
}

func (s *Server) renderEnrol(w http.ResponseWriter, status int, m Message, secret []byte, action, cancel, cookie, msg string) {
	key, err := s.totpKey(m, secret)
	if err != nil {
		s.fail(w, "totp key", m.ID, err)
		return
	}
	s.render(w, status, "enrol.html", page{
		Title: "Set up an authenticator app", CSRF: s.csrfFor(cookie), Error: msg,
		Data: enrolData{Secret: groupSecret(secret), URI: otpauthURL(key.URL()), QR: action + "/qr", Action: action, Cancel: cancel},
	})
}

func (s *Server) enrolQR(w http.ResponseWriter, r *http.Request) {
	m, tok, ok := s.lookup(w, r)
	if !ok {
		return
	}
	if st, ok := s.stepOf(w, r, m, tok, stepEnrol); ok {
		s.writeQR(w, m, st.secret)
	}
}

// qrPixels is the QR image's side: a version 6-7 code at 5-6 px a module.
const qrPixels = 264

// writeQR renders the otpauth:// URI as a PNG on our own origin, so the
// CSP's img-src 'self' holds and no third party sees the secret.
func (s *Server) writeQR(w http.ResponseWriter, m Message, secret []byte) {
	key, err := s.totpKey(m, secret)
	var img bytes.Buffer
	if err == nil {
		qr, qerr := key.Image(qrPixels, qrPixels)
		if err = qerr; err == nil {
			err = png.Encode(&img, qr)
		}
	}
	if err != nil {
		s.fail(w, "totp qr", m.ID, err)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	_, _ = w.Write(img.Bytes())
}

func (s *Server) enrol(w http.ResponseWriter, r *http.Request) {
	m, tok, ip, ok := s.gate(w, r, s.ipFail)
	if !ok {
		return
	}
	st, ok := s.stepOf(w, r, m, tok, stepEnrol)
	if !ok {
		return
	}
	err := s.cfg.Messages.EnrolTOTP(r.Context(), tok, st.secret, normCode(r.PostFormValue("code")))
	if s.secondFailed(w, r, tok, m, ip, err, func() {
		s.renderEnrol(w, http.StatusUnprocessableEntity, m, st.secret, "/m/"+tok+"/enrol", "", cookieValue(r, preCookie), wrongTOTP)
	}) {
		return
	}
	s.record(r, tok, m, Event{Type: EventTOTPEnrolled})
	s.startSession(w, r, m, tok)
}

// otpauthURL vouches for the library's URI, and only for its own scheme:
// issuer and account are query-escaped inside it.
func otpauthURL(u string) template.URL {
	if !strings.HasPrefix(u, "otpauth://totp/") {
		return ""
	}
	return template.URL(u)
}
