package web

import (
	"context"
	"errors"
	"io"
	"time"
)

// ErrNotFound is what Messages returns for a token that is unknown, expired
// or revoked: the portal treats the three alike so a link reveals nothing.
var ErrNotFound = errors.New("web: message not found")

// Message is the metadata the portal may show before verification. It holds
// no subject and no body.
type Message struct {
	ID          string    // store ID: opaque, no PHI
	SenderName  string    // display name shown on the landing page
	SenderAddr  string    // where a reply goes
	Recipient   string    // the address the one-time code is mailed to
	Others      []string  // other recipients of the original, for reply-all
	ReplyAll    bool      // policy allows reply-all
	Expires     time.Time // after this Lookup returns ErrNotFound
	LockedUntil time.Time // code entry refused until then (too many failures)
}

// CodeCheck is the outcome of one code attempt.
type CodeCheck struct {
	OK       bool // hash matched an unexpired code, which is now spent
	Failures int  // consecutive failures for this message, this one included
}

// Messages is the portal store as the web UI sees it. Implementations must
// be safe for concurrent use and may be shared by several nodes, so the code
// state lives here, not in the web process.
type Messages interface {
	// Lookup finds a message by the SHA-256 of its link token.
	Lookup(ctx context.Context, tokenHash [32]byte) (Message, error)
	// Open returns the message as RFC 5322 bytes, decrypted as it streams.
	Open(ctx context.Context, id string) (io.ReadCloser, error)
	// SetCode replaces the message's one-time code (a keyed hash) and its
	// expiry.
	SetCode(ctx context.Context, id string, codeHash [32]byte, expires time.Time) error
	// CheckCode compares atomically: a match spends the code and resets the
	// failure count; a miss or an expired code counts a failure.
	CheckCode(ctx context.Context, id string, codeHash [32]byte, now time.Time) (CodeCheck, error)
	// Lock refuses codes for id until the given time and drops its code.
	Lock(ctx context.Context, id string, until time.Time) error
	// Record stores an event in the audit trail.
	Record(ctx context.Context, ev Event) error
}

// Mailer sends the one-time code to the message's recipient address.
type Mailer interface {
	SendCode(ctx context.Context, m Message, code string) error
}

// Replies takes a reply, an RFC 5322 message, into the pipeline, which
// protects it by policy like any other PHI mail.
type Replies interface {
	Submit(ctx context.Context, from string, to []string, msg io.Reader) error
}

// EventType names a portal event. Values are stable: they go to the audit
// log and, later, to webhooks.
type EventType string

// Events the web UI records.
const (
	EventOpened     EventType = "portal.opened"
	EventCodeSent   EventType = "portal.code_sent"
	EventVerified   EventType = "portal.verified"
	EventFailed     EventType = "portal.code_failed"
	EventLocked     EventType = "portal.locked"
	EventDownloaded EventType = "portal.attachment_downloaded"
	EventReplied    EventType = "portal.replied"
)

// Event is one portal event: IDs and counts only, never PHI.
type Event struct {
	Type      EventType
	MessageID string
	Time      time.Time
	Part      int // attachment index for EventDownloaded
	Failures  int // for EventFailed and EventLocked
}
