package portal

import (
	"context"
	"errors"
	"io"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/sealgate/sealgate/gateway/portal/store"
	"github.com/sealgate/sealgate/gateway/portal/web"
)

// messages is the store as web.Messages: every call goes by token, and
// the store's errors become web's.
type messages struct{ s *Service }

var _ web.Messages = (*messages)(nil)

// webErr maps store errors to web's; others pass through (logged by id).
func webErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNotFound):
		return web.ErrNotFound
	case errors.Is(err, store.ErrBadCode):
		return web.ErrBadCode
	case errors.Is(err, store.ErrLocked):
		return web.ErrLocked
	case errors.Is(err, store.ErrTooManyCodes):
		return web.ErrTooManyCodes
	case errors.Is(err, store.ErrNotEnrolled):
		return web.ErrNotEnrolled
	case errors.Is(err, store.ErrEnrolled):
		return web.ErrEnrolled
	}
	return err
}

func (m *messages) Lookup(ctx context.Context, token string) (web.Message, error) {
	a, err := m.s.st.Lookup(ctx, token)
	if err != nil {
		return web.Message{}, webErr(err)
	}
	name, addr := senderParts(a.Sender)
	msg := web.Message{
		ID: a.MessageID, SenderName: name, SenderAddr: addr, Recipient: a.Recipient,
		ReplyAll: m.s.cfg.ReplyAll, Expires: a.Expires,
	}
	if m.s.cfg.ReplyAll {
		meta, err := m.s.st.Message(ctx, a.MessageID)
		if err != nil {
			return web.Message{}, webErr(err)
		}
		msg.Others = slices.DeleteFunc(meta.Recipients, func(r string) bool { return r == a.Recipient })
	}
	return msg, nil
}

// senderParts splits "Name <addr>" for the landing page (Name) and the
// reply (addr); a bare address is both; text that does not parse is shown
// as it is and replied to as it is.
func senderParts(sender string) (name, addr string) {
	a, err := mail.ParseAddress(sender)
	if err != nil {
		s := strings.TrimSpace(sender)
		return s, s
	}
	if a.Name == "" {
		return a.Address, a.Address
	}
	return a.Name, a.Address
}

func (m *messages) Open(ctx context.Context, token string) (io.ReadCloser, error) {
	_, rc, err := m.s.st.OpenToken(ctx, token)
	return rc, webErr(err)
}

func (m *messages) IssueCode(ctx context.Context, token string) (string, time.Time, error) {
	code, exp, err := m.s.st.IssueCode(ctx, token)
	return code, exp, webErr(err)
}

func (m *messages) CheckCode(ctx context.Context, token, code string) error {
	return webErr(m.s.st.CheckCode(ctx, token, code))
}

func (m *messages) Locked(ctx context.Context, token string) (bool, error) {
	locked, err := m.s.st.Locked(ctx, token)
	return locked, webErr(err)
}

func (m *messages) FailSource(ctx context.Context, source string) error {
	return webErr(m.s.st.FailSource(ctx, source))
}

func (m *messages) SourceLocked(ctx context.Context, source string) (bool, error) {
	locked, err := m.s.st.SourceLocked(ctx, source)
	return locked, webErr(err)
}

func (m *messages) TOTPEnrolled(ctx context.Context, token string) (bool, error) {
	on, err := m.s.st.TOTPEnrolled(ctx, token)
	return on, webErr(err)
}

func (m *messages) EnrolTOTP(ctx context.Context, token string, secret []byte, code string) error {
	return webErr(m.s.st.EnrolTOTP(ctx, token, secret, code))
}

func (m *messages) CheckTOTP(ctx context.Context, token, code string) error {
	return webErr(m.s.st.CheckTOTP(ctx, token, code))
}

// storeKinds maps the web events the store logs through Record. Verified
// and failed attempts (and the TOTP's) are absent: CheckCode logged them in its own
// transaction; a lockout is a failed event there.
var storeKinds = map[web.EventType]store.EventKind{
	web.EventOpened:     store.EventOpened,
	web.EventCodeSent:   store.EventCodeSent,
	web.EventDownloaded: store.EventDownloaded,
	web.EventReplied:    store.EventReplied,
}

// Record logs ev in the store (when it is a store kind) and passes it to
// the EventSink. The token must still resolve to ev's message and
// recipient, so the web cannot log for someone else.
func (m *messages) Record(ctx context.Context, token string, ev web.Event) error {
	a, err := m.s.st.Lookup(ctx, token)
	if err != nil {
		return webErr(err)
	}
	if a.MessageID != ev.MessageID || a.Recipient != ev.Recipient {
		return errors.New("portal: event does not match its token")
	}
	var serr error
	if kind, ok := storeKinds[ev.Type]; ok {
		serr = m.s.st.Record(ctx, a.MessageID, a.Recipient, kind)
	}
	m.s.emit(Event{Time: ev.Time, MessageID: a.MessageID, Recipient: a.Recipient, Kind: string(ev.Type), Part: ev.Part})
	return serr
}

// codeMailer hands the web's code email to the gateway's Mailer.
type codeMailer struct{ m Mailer }

func (c codeMailer) SendCode(ctx context.Context, msg web.Message, code string, expires time.Time) error {
	return c.m.SendCode(ctx, msg.Recipient, code, expires)
}
