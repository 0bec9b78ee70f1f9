package web

import (
	"io"
	"mime"
	"net/http"
	"strconv"
)

// authed returns the verified session and its message, or writes the
// neutral page: a session opens only the message it was verified for.
func (s *Server) authed(w http.ResponseWriter, r *http.Request) (session, string, Message, bool) {
	sess, cookie, ok := s.currentSession(r)
	if !ok {
		s.render(w, http.StatusUnauthorized, "error.html", page{
			Title: "Session ended", Error: "Your session has ended. Open the link in your email again.",
		})
		return session{}, "", Message{}, false
	}
	m, err := s.cfg.Messages.Lookup(r.Context(), sess.token)
	if err != nil || m.ID != sess.msgID || !s.cfg.Now().Before(m.Expires) {
		s.sessions.drop(cookie)
		s.notFound(w)
		return session{}, "", Message{}, false
	}
	return sess, cookie, m, true
}

// loadView opens and parses the session's message.
func (s *Server) loadView(w http.ResponseWriter, r *http.Request, sess session, m Message) (*View, bool) {
	rc, err := s.cfg.Messages.Open(r.Context(), sess.token)
	if err != nil {
		s.fail(w, "open", m.ID, err)
		return nil, false
	}
	defer rc.Close()
	v, err := parseView(rc, s.cfg.MaxBodyBytes)
	if err != nil {
		s.fail(w, "parse", m.ID, err)
		return nil, false
	}
	return v, true
}

// viewData is what view.html and print.html get.
type viewData struct {
	View     *View
	Reply    bool
	ReplyAll bool
	// OfferTOTP shows "Set up an authenticator app" (optional mode only).
	OfferTOTP bool
}

func (s *Server) view(w http.ResponseWriter, r *http.Request) { s.showView(w, r, "view.html") }

func (s *Server) print(w http.ResponseWriter, r *http.Request) { s.showView(w, r, "print.html") }

func (s *Server) showView(w http.ResponseWriter, r *http.Request, tmpl string) {
	sess, cookie, m, ok := s.authed(w, r)
	if !ok {
		return
	}
	v, ok := s.loadView(w, r, sess, m)
	if !ok {
		return
	}
	title := "Your secure message"
	if v.Subject != "" {
		title = v.Subject
	}
	s.render(w, http.StatusOK, tmpl, page{Title: title, CSRF: s.csrfFor(cookie), Data: viewData{
		View: v, Reply: s.cfg.Replies != nil, ReplyAll: s.cfg.Replies != nil && m.ReplyAll && len(m.Others) > 0,
		OfferTOTP: tmpl == "view.html" && s.offerTOTP(r, sess.token),
	}})
}

// attachment streams one part: never buffered whole, typed by its own
// header, always a download, and sandboxed should a browser render it.
func (s *Server) attachment(w http.ResponseWriter, r *http.Request) {
	sess, _, m, ok := s.authed(w, r)
	if !ok {
		return
	}
	idx, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || idx < 0 || idx >= maxParts {
		s.notFound(w)
		return
	}
	rc, err := s.cfg.Messages.Open(r.Context(), sess.token)
	if err != nil {
		s.fail(w, "open", m.ID, err)
		return
	}
	defer rc.Close()
	started := false
	found, err := openPart(rc, idx, func(a Attachment, body io.Reader) error {
		h := w.Header()
		h.Set("Content-Type", a.ContentType)
		h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": a.Filename}))
		h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
		started = true
		_, err := io.Copy(w, body)
		return err
	})
	switch {
	case err != nil && started:
		s.log.Error("web: attachment stream", "msg_id", m.ID, "part", idx, "err", err)
	case err != nil:
		s.fail(w, "attachment", m.ID, err)
	case !found:
		s.notFound(w)
	default:
		s.record(r, sess.token, m, Event{Type: EventDownloaded, Part: idx})
	}
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	cookie := cookieValue(r, sessionCookie)
	if !s.checkCSRF(r, cookie) {
		s.forbidden(w)
		return
	}
	s.sessions.drop(cookie)
	setCookie(w, sessionCookie, "", -1)
	s.render(w, http.StatusOK, "error.html", page{Title: "Signed out", Error: "You have signed out. You can close this window."})
}
