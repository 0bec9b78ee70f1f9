package smtpclient

import (
	"errors"
	"fmt"
	"net/textproto"

	"github.com/emersion/go-smtp"
)

// Error is the outcome of a failed attempt for one recipient.
type Error struct {
	Permanent bool
	Code      int    // SMTP reply code; 0 if no reply (network, DNS, TLS)
	Enhanced  string // RFC 3463 "5.1.1"
	Msg       string
	Host      string // remote host, if any
	Err       error  // underlying error, if any
	// TLSFailure is the RFC 8460 result type of a TLS policy failure.
	TLSFailure string
	// Downgrade: the failure contradicts what the domain proved before.
	Downgrade bool
	// LocalAddr is our end of the connection (TLSRPT's sending-mta-ip),
	// when one was made.
	LocalAddr string
}

func (e *Error) Error() string {
	s := "relay: "
	if e.Host != "" {
		s += e.Host + ": "
	}
	if e.Code != 0 {
		s += fmt.Sprintf("%d ", e.Code)
	}
	if e.Enhanced != "" {
		s += e.Enhanced + " "
	}
	return s + e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// errTLSHandshake marks a failed handshake after STARTTLS was accepted:
// at level may the caller retries in plaintext once.
var errTLSHandshake = errors.New("relay: TLS handshake failed")

// IsHandshake reports whether e is a failed TLS handshake.
func (e *Error) IsHandshake() bool { return errors.Is(e.Err, errTLSHandshake) }

// FromSMTP turns a client error into an Error. Only a 5xx reply is
// permanent; unknown errors (network, protocol) are temporary.
func FromSMTP(err error, host string) *Error {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		e := &Error{Permanent: se.Code >= 500, Code: se.Code, Msg: se.Message, Host: host, Err: err}
		if ec := se.EnhancedCode; ec[0] > 0 {
			e.Enhanced = fmt.Sprintf("%d.%d.%d", ec[0], ec[1], ec[2])
		}
		return e
	}
	return &Error{Enhanced: "4.4.2", Msg: err.Error(), Host: host, Err: err}
}

func codeOf(err error) int {
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code
	}
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se.Code
	}
	return 0
}
