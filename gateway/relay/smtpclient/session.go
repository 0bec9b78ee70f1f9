package smtpclient

import (
	"errors"
	"io"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Session is one open SMTP connection, past EHLO (and STARTTLS, if any).
// It is used by one delivery at a time.
type Session struct {
	cl  *smtp.Client
	TLS TLSInfo // what the connection's TLS achieved
	// LocalAddr is our end of the connection, host:port.
	LocalAddr string
	close     func()
	key       Key
	name      string // the server name, for errors

	authed bool // AUTH done on this connection
	reused bool

	timer *time.Timer // idle timer while pooled
}

// Key names what the session may be reused for.
func (s *Session) Key() Key { return s.key }

// Reused reports whether the session came from the pool.
func (s *Session) Reused() bool { return s.reused }

// Extension reports whether the server advertised ext in its last EHLO.
func (s *Session) Extension(ext string) bool {
	ok, _ := s.cl.Extension(ext)
	return ok
}

// Close drops the connection without QUIT.
func (s *Session) Close() { s.close() }

// Quit says QUIT (best effort, bounded by probeTimeout) and closes.
func (s *Session) Quit() {
	s.cl.CommandTimeout = min(s.cl.CommandTimeout, probeTimeout)
	s.cl.Quit() // best effort
	s.close()
}

// Auth does AUTH PLAIN once per connection, never without TLS. A
// credentials problem is ours to fix: the Error is never permanent.
func (s *Session) Auth(user, password string) *Error {
	if s.authed {
		return nil
	}
	if s.TLS.Version == "" {
		return &Error{Enhanced: "4.7.5", Msg: "refusing AUTH without TLS", Host: s.name}
	}
	if err := s.cl.Auth(sasl.NewPlainClient("", user, password)); err != nil {
		e := FromSMTP(err, s.name)
		e.Permanent = false
		return e
	}
	s.authed = true
	return nil
}

// Rcpt is one RCPT TO of a transaction.
type Rcpt struct {
	Addr string
	Opts *smtp.RcptOptions
}

// Reply is one recipient's outcome of a transaction: Err nil means the
// server took the message (Code, Enhanced, Text: its reply to DATA).
type Reply struct {
	Err      *Error
	Code     int
	Enhanced string // "2.0.0", "" when the server sent none
	Text     string
}

// splitEnhanced parses an RFC 3463 status code off the front of a reply
// text: go-smtp's client leaves it in the text of a success.
func splitEnhanced(text string) (enhanced, rest string) {
	code, rest, ok := strings.Cut(text, " ")
	if !ok {
		code, rest = text, ""
	}
	parts := strings.Split(code, ".")
	if len(parts) != 3 || len(parts[0]) != 1 || parts[0] < "2" || parts[0] > "5" {
		return "", text
	}
	for _, p := range parts[1:] {
		if p == "" || len(p) > 3 || strings.Trim(p, "0123456789") != "" {
			return "", text
		}
	}
	return code, rest
}

// Send runs one transaction: MAIL, one RCPT per recipient, DATA, with
// write writing the message. The DATA reply applies to the recipients
// RCPT accepted; out[i] is rcpts[i]'s outcome. reusable says the session
// is in a known state (no transaction open) and may carry the next one.
//
// An error while writing to the server is the server's (its reply, or
// temporary); any other error from write is local (4.3.0). Either way the
// final dot is not sent after a short message: the connection is
// dropped, which aborts the transaction.
func (s *Session) Send(from string, mo *smtp.MailOptions, rcpts []Rcpt, write func(io.Writer) error) (out []Reply, reusable bool) {
	cl := s.cl
	out = make([]Reply, len(rcpts))
	setAll := func(idx []int, e *Error) {
		for _, i := range idx {
			out[i] = Reply{Err: e}
		}
	}
	all := make([]int, len(rcpts))
	for i := range rcpts {
		all[i] = i
	}
	if err := cl.Mail(from, mo); err != nil {
		setAll(all, FromSMTP(err, s.name))
		return out, s.resetIfReply(err)
	}
	var accepted []int
	for i, rc := range rcpts {
		if err := cl.Rcpt(rc.Addr, rc.Opts); err != nil {
			out[i] = Reply{Err: FromSMTP(err, s.name)}
			continue
		}
		accepted = append(accepted, i)
	}
	if len(accepted) == 0 {
		return out, cl.Reset() == nil
	}
	wc, err := cl.Data()
	if err != nil {
		setAll(accepted, FromSMTP(err, s.name))
		return out, s.resetIfReply(err)
	}
	ew := &errWriter{w: wc}
	if err := write(ew); err != nil || ew.err != nil {
		// Never send the final dot after a short copy: that would commit
		// a truncated message. Dropping the connection aborts it.
		cl.Close()
		e := &Error{Enhanced: "4.3.0", Msg: "local error reading or signing message", Err: err}
		if ew.err != nil {
			e = FromSMTP(ew.err, s.name)
		}
		setAll(accepted, e)
		return out, false
	}
	resp, err := wc.CloseWithResponse()
	if err != nil {
		// The final reply ends the transaction (RFC 5321 §4.1.1.4): an
		// SMTP error here leaves the session clean.
		setAll(accepted, FromSMTP(err, s.name))
		var se *smtp.SMTPError
		return out, errors.As(err, &se) && se.Code != 421
	}
	for _, i := range accepted {
		enh, text := splitEnhanced(resp.StatusText)
		out[i] = Reply{Code: 250, Enhanced: enh, Text: text}
	}
	return out, true
}

// resetIfReply: an SMTP reply (not a network error) leaves the session
// usable once RSET ends the failed transaction.
func (s *Session) resetIfReply(err error) bool {
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code == 421 {
		return false
	}
	return s.cl.Reset() == nil
}

// errWriter remembers a write error so it is blamed on the remote.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	n, err := e.w.Write(p)
	if err != nil && e.err == nil {
		e.err = err
	}
	return n, err
}
