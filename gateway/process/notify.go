package process

import (
	"fmt"
	"io"
	"mime"
	"strings"
	"time"

	"github.com/sealgate/sealgate/envelope"
	"github.com/sealgate/sealgate/policy"
)

// notifySender tells the sender what the policy did with their message
// (the notify_sender modifier). It names the rule, the action and each
// recipient's method; it never quotes the message. It is marked as a DSN so
// no notification is ever sent about it.
func (s *Stage) notifySender(env *envelope.Envelope, dec *policy.Decision, p plan, set Settings) error {
	if env.From == "" || env.DSN {
		return nil
	}
	w, err := s.o.Store.NewMessage()
	if err != nil {
		return err
	}
	n, err := io.WriteString(w, noticeText(env, dec, p, set.Hostname, w.ID()))
	if err != nil {
		w.Abort()
		return err
	}
	nenv := &envelope.Envelope{From: "", Recipients: []envelope.Recipient{{Addr: env.From, Notify: []string{"NEVER"}}},
		Size: int64(n), DSN: true, Received: time.Now()}
	if err := w.Commit(nenv); err != nil {
		return err
	}
	if err := s.o.Recorder.Notified(env, w.ID()); err != nil {
		return err
	}
	// It names recipients and a rule: TLS required, like a DSN.
	return s.o.Queue.Submit(w.ID(), []Copy{{Recipients: []string{env.From}, MinTLS: minEncrypt}})
}

// noticeText is the notice: what happened, the rule, each recipient's
// method. Nothing from the message but its Message-ID.
func noticeText(env *envelope.Envelope, dec *policy.Decision, p plan, hostname, noticeID string) string {
	what := map[string]string{
		policy.ActionPass: "delivered", policy.ActionRequireTLS: "delivered over TLS only",
		policy.ActionEncrypt: "encrypted", policy.ActionQuarantine: "quarantined for review",
	}[dec.Action]
	if p.holdReason != "" {
		what = "held: " + p.holdReason
	} else if len(p.partial) > 0 {
		what += "; some recipients held: " + strings.Join(p.partial, "; ")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "From: \"Mail Security\" <MAILER-DAEMON@%s>\r\n", hostname)
	fmt.Fprintf(&b, "To: <%s>\r\n", env.From)
	fmt.Fprintf(&b, "Subject: %s\r\n", mime.QEncoding.Encode("utf-8", "Your message was "+firstWord(what)+" by the mail security policy"))
	fmt.Fprintf(&b, "Date: %s\r\n", time.Now().Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: <%s.notify@%s>\r\n", noticeID, hostname)
	if env.MessageID != "" {
		fmt.Fprintf(&b, "References: %s\r\n", env.MessageID)
	}
	b.WriteString("Auto-Submitted: auto-generated\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n")
	fmt.Fprintf(&b, "Your message %s (sealgate id %s) was %s.\r\n", env.MessageID, env.ID, what)
	fmt.Fprintf(&b, "Policy rule: %s\r\n\r\nRecipients:\r\n", dec.Rule)
	for _, m := range p.methods {
		fmt.Fprintf(&b, "  %s: %s\r\n", m.Addr, m.Method)
	}
	b.WriteString("\r\nContact your mail administrator if this is unexpected.\r\n")
	return b.String()
}

func firstWord(s string) string {
	if i := strings.IndexAny(s, ": "); i > 0 {
		return s[:i]
	}
	return s
}
