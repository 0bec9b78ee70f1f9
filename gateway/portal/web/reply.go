package web

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/emersion/go-message/mail"
)

// maxReplyBytes bounds the reply text a recipient may type.
const maxReplyBytes = 64 << 10

type replyData struct {
	To      []string
	All     bool
	Subject string
}

// replyTo lists the reply's recipients: the sender, and for reply-all the
// other original recipients, never the replying recipient itself.
func replyTo(m Message, all bool) []string {
	to := []string{m.SenderAddr}
	if !all || !m.ReplyAll {
		return to
	}
	seen := map[string]bool{strings.ToLower(m.SenderAddr): true, strings.ToLower(m.Recipient): true}
	for _, o := range m.Others {
		if k := strings.ToLower(o); !seen[k] {
			seen[k] = true
			to = append(to, o)
		}
	}
	return to
}

func reSubject(s string) string {
	if strings.HasPrefix(strings.ToLower(s), "re:") {
		return s
	}
	return "Re: " + s
}

func (s *Server) replyForm(w http.ResponseWriter, r *http.Request) {
	sess, cookie, m, ok := s.authed(w, r)
	if !ok {
		return
	}
	if s.cfg.Replies == nil {
		s.notFound(w)
		return
	}
	v, ok := s.loadView(w, r, sess, m)
	if !ok {
		return
	}
	all := r.URL.Query().Get("all") == "1" && m.ReplyAll
	s.render(w, http.StatusOK, "reply.html", page{Title: "Reply", CSRF: s.csrfFor(cookie), Data: replyData{
		To: replyTo(m, all), All: all, Subject: reSubject(v.Subject),
	}})
}

func (s *Server) reply(w http.ResponseWriter, r *http.Request) {
	sess, cookie, m, ok := s.authed(w, r)
	if !ok {
		return
	}
	if !s.checkCSRF(r, cookie) {
		s.forbidden(w)
		return
	}
	if s.cfg.Replies == nil {
		s.notFound(w)
		return
	}
	text := r.PostFormValue("body")
	if len(text) > maxReplyBytes || strings.TrimSpace(text) == "" {
		s.render(w, http.StatusUnprocessableEntity, "error.html", page{
			Title: "Reply not sent", Error: "The reply must not be empty or longer than 64 KB.",
		})
		return
	}
	v, ok := s.loadView(w, r, sess, m)
	if !ok {
		return
	}
	to := replyTo(m, r.PostFormValue("all") == "1")
	var buf bytes.Buffer
	if err := buildReply(&buf, m, v, to, text, s.cfg.Now()); err != nil {
		s.fail(w, "build reply", m.ID, err)
		return
	}
	if err := s.cfg.Replies.Submit(r.Context(), m.Recipient, to, &buf); err != nil {
		s.fail(w, "submit reply", m.ID, err)
		return
	}
	s.record(r, sess.token, m, Event{Type: EventReplied})
	s.render(w, http.StatusOK, "sent.html", page{Title: "Reply sent", CSRF: s.csrfFor(cookie)})
}

// buildReply writes an RFC 5322 reply threaded to the original (RFC 5322
// §3.6.4: In-Reply-To and References).
func buildReply(w io.Writer, m Message, v *View, to []string, text string, now time.Time) error {
	var h mail.Header
	h.SetDate(now)
	h.SetAddressList("From", []*mail.Address{{Address: m.Recipient}})
	h.SetAddressList("To", []*mail.Address{{Address: to[0]}})
	if len(to) > 1 {
		cc := make([]*mail.Address, 0, len(to)-1)
		for _, a := range to[1:] {
			cc = append(cc, &mail.Address{Address: a})
		}
		h.SetAddressList("Cc", cc)
	}
	h.SetSubject(reSubject(v.Subject))
	if err := h.GenerateMessageID(); err != nil {
		return err
	}
	if v.MessageID != "" {
		h.SetMsgIDList("In-Reply-To", []string{v.MessageID})
		h.SetMsgIDList("References", append(append([]string{}, v.References...), v.MessageID))
	}
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Content-Transfer-Encoding", "quoted-printable")
	h.Set("Auto-Submitted", "no")
	h.Set("X-Sealgate-Portal-Reply", m.ID)
	bw, err := mail.CreateSingleInlineWriter(w, h)
	if err != nil {
		return err
	}
	text = strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n")
	if _, err := io.WriteString(bw, strings.ReplaceAll(text, "\n", "\r\n")); err != nil {
		return err
	}
	return bw.Close()
}
