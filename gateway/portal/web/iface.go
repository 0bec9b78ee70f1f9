package web

import (
	"context"
	"errors"
	"io"
	"time"
)

// Errors Messages returns; the portal adapter maps the store's to these.
var (
	// ErrNotFound is the answer for a token that is unknown, expired or
	// revoked: the portal treats the three alike so a link reveals nothing.
	ErrNotFound = errors.New("web: message not found")
	// ErrBadCode is a wrong, used or expired one-time code.
	ErrBadCode = errors.New("web: wrong or expired code")
	// ErrLocked means the token is locked out after too many failures.
	ErrLocked = errors.New("web: locked after too many failed attempts")
	// ErrTooManyCodes refuses a code: the token's allowance is used up.
	ErrTooManyCodes = errors.New("web: too many codes requested")
	// ErrNotEnrolled is a TOTP check for an address with no authenticator.
	ErrNotEnrolled = errors.New("web: no authenticator enrolled")
	// ErrEnrolled refuses an enrolment: the address already has one.
	ErrEnrolled = errors.New("web: authenticator already enrolled")
)

// Message is what the portal may show about one recipient's access to a
// message before verification. It holds no subject and no body.
type Message struct {
	ID         string    // store message ID: opaque, no PHI, shared by all its recipients
	SenderName string    // display name shown on the landing page
	SenderAddr string    // where a reply goes
	Recipient  string    // this token's address: the code is mailed here
	Others     []string  // other recipients of the original, for reply-all
	ReplyAll   bool      // policy allows reply-all
	Expires    time.Time // after this Lookup returns ErrNotFound
}

// Messages is the portal store as the web UI sees it: everything is
// reached through a link token, which names one recipient of one message,
// so no call can name another message. Codes and their lockout live behind
// it (in the store, shared by nodes). Implementations must be safe for
// concurrent use.
type Messages interface {
	// Lookup resolves a token of a live message, else ErrNotFound.
	Lookup(ctx context.Context, token string) (Message, error)
	// Open streams the token's own message as RFC 5322 bytes, decrypted as
	// it streams; ErrNotFound once it is gone.
	Open(ctx context.Context, token string) (io.ReadCloser, error)
	// IssueCode makes a new one-time code for the token, replacing any
	// other; ErrLocked or ErrTooManyCodes refuse one.
	IssueCode(ctx context.Context, token string) (code string, expires time.Time, err error)
	// CheckCode spends a correct code (nil); a wrong, used or expired one
	// counts a failure (ErrBadCode, or ErrLocked when it locks the token).
	CheckCode(ctx context.Context, token, code string) error
	// Locked reports whether the token is locked out.
	Locked(ctx context.Context, token string) (bool, error)
	// FailSource counts a failed attempt from a client (its IP address)
	// across all tokens, so every node sees it; SourceLocked reports the
	// client's lockout.
	FailSource(ctx context.Context, source string) error
	SourceLocked(ctx context.Context, source string) (bool, error)
	// TOTPEnrolled reports whether the token's recipient address has an
	// authenticator app enrolled (for every message to that address).
	TOTPEnrolled(ctx context.Context, token string) (bool, error)
	// EnrolTOTP enrols secret for the token's address if code is its
	// current TOTP (ErrEnrolled if one is already); CheckTOTP accepts the
	// current TOTP once. Both count a wrong code like CheckCode
	// (ErrBadCode, or ErrLocked when it locks the token) and log the
	// attempt themselves.
	EnrolTOTP(ctx context.Context, token string, secret []byte, code string) error
	CheckTOTP(ctx context.Context, token, code string) error
	// Record stores an event of the token's recipient in the audit trail.
	Record(ctx context.Context, token string, ev Event) error
}

// Mailer sends the one-time code to the token's recipient address.
type Mailer interface {
	SendCode(ctx context.Context, m Message, code string, expires time.Time) error
}

// Replies takes a reply, an RFC 5322 message, into the pipeline, which
// protects it by policy like any other PHI mail.
type Replies interface {
	Submit(ctx context.Context, from string, to []string, msg io.Reader) error
}

// EventType names a portal event. Values are stable: they go to the audit
// log and, later, to webhooks.
type EventType string

// Events the web UI records. Verified and failed attempts are also logged
// by the store itself, in the transaction that checks the code.
const (
	EventOpened     EventType = "portal.opened"
	EventCodeSent   EventType = "portal.code_sent"
	EventVerified   EventType = "portal.verified"
	EventFailed     EventType = "portal.code_failed"
	EventLocked     EventType = "portal.locked"
	EventDownloaded EventType = "portal.attachment_downloaded"
	EventReplied    EventType = "portal.replied"
	// The second factor: a wrong TOTP is EventFailed like a wrong code.
	EventTOTPEnrolled EventType = "portal.totp_enrolled"
	EventTOTPVerified EventType = "portal.totp_verified"
)

// Event is one portal event: IDs, the recipient it concerns and an index,
// never content.
type Event struct {
	Type      EventType
	MessageID string
	Recipient string
	Time      time.Time
	Part      int // attachment index for EventDownloaded
}
