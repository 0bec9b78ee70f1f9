package store

import (
	"context"
	"errors"
	"io"
	"time"
)

// Errors callers may test with errors.Is. None carries a token, an address
// or any message content.
var (
	// ErrNotFound is the only answer to a token or id that does not lead to
	// a live message: unknown, wrong, expired, revoked and swept look alike.
	ErrNotFound = errors.New("store: not found")
	// ErrLocked means too many failed verification attempts for a token.
	ErrLocked = errors.New("store: locked after too many failed attempts")
	// ErrTooManyCodes refuses a code: the hourly allowance is used up.
	ErrTooManyCodes = errors.New("store: too many codes requested, try later")
	// ErrBadCode is a wrong, used or expired one-time code.
	ErrBadCode = errors.New("store: wrong or expired code")
	// ErrNotEnrolled is a TOTP check for an address with no authenticator.
	ErrNotEnrolled = errors.New("store: no authenticator enrolled")
	// ErrEnrolled refuses a second enrolment: only an operator reset
	// (ResetTOTP) may replace an authenticator.
	ErrEnrolled = errors.New("store: authenticator already enrolled")
	// ErrCorrupt is stored data that does not authenticate or parse.
	ErrCorrupt = errors.New("store: stored data corrupt")
)

// State is a portal message's life stage.
type State string

const (
	Active  State = "active"
	Revoked State = "revoked"
	Expired State = "expired"
)

// PutMeta describes a message to store. It has no subject and no body
// text on purpose: those live only inside the sealed message.
type PutMeta struct {
	Sender     string
	Recipients []string
	// Expires is when the message stops being readable; zero means the
	// store's default lifetime from now.
	Expires time.Time
}

// Grant is one recipient's access token. Token is shown once, here; the
// store keeps only its SHA-256.
type Grant struct {
	Recipient string
	Token     string
}

// Receipt is what Put returns.
type Receipt struct {
	ID     string
	Grants []Grant
}

// Access is what a valid token resolves to: one recipient of one message.
type Access struct {
	MessageID string
	Recipient string
	Sender    string
	Created   time.Time
	Expires   time.Time
	State     State
}

// Meta is a stored message's index record, for operators (CLI list/show).
type Meta struct {
	ID         string
	Sender     string
	Recipients []string
	Created    time.Time
	Expires    time.Time
	State      State
	RevokedBy  string    `json:",omitempty"`
	RevokedAt  time.Time `json:",omitzero"`
	Size       int64     // plaintext bytes
}

// EventKind names a recipient-facing event. The set is closed so the log
// can never carry free text.
type EventKind string

const (
	EventNotified   EventKind = "notified"
	EventCodeSent   EventKind = "code_sent"
	EventVerified   EventKind = "verified"
	EventFailed     EventKind = "failed"
	EventOpened     EventKind = "opened"
	EventDownloaded EventKind = "downloaded"
	EventReplied    EventKind = "replied"
	EventExpired    EventKind = "expired"
	EventRevoked    EventKind = "revoked"
	// EventTOTPEnrolled and EventTOTPVerified are the second factor's;
	// its wrong codes are EventFailed like the email code's.
	EventTOTPEnrolled EventKind = "totp_enrolled"
	EventTOTPVerified EventKind = "totp_verified"
)

// Event is one entry of a message's per-recipient event log.
type Event struct {
	Time      time.Time
	MessageID string
	Recipient string
	Kind      EventKind
}

// Store is the portal's storage. Every method's state change is durable
// when it returns, and nothing in the contract assumes one process: ids
// and tokens are random, not counters; single-use and lockout checks are
// atomic read-modify-writes that a database backend does in one
// transaction; time comes from the caller's clock, not from process state.
type Store interface {
	// Put seals body (RFC 5322 bytes, streamed) under a fresh data key and
	// returns the message id and one token per recipient.
	Put(ctx context.Context, meta PutMeta, body io.Reader) (Receipt, error)
	// Lookup resolves a token of a live message, else ErrNotFound.
	Lookup(ctx context.Context, token string) (Access, error)
	// Open streams the decrypted message of a live id, else ErrNotFound.
	// A read error (ErrCorrupt) means the rest must be discarded.
	Open(ctx context.Context, id string) (io.ReadCloser, error)
	// OpenToken is Lookup then Open of that token's own message: the
	// recipient-facing path, which cannot name another message.
	OpenToken(ctx context.Context, token string) (Access, io.ReadCloser, error)
	// Message and List show index records, including revoked and expired
	// tombstones.
	Message(ctx context.Context, id string) (Meta, error)
	List(ctx context.Context) ([]Meta, error)
	// Revoke shreds the message now: its key and file are deleted.
	Revoke(ctx context.Context, id, by string) error
	// Extend moves a live message's expiry.
	Extend(ctx context.Context, id string, until time.Time) error
	// Sweep shreds every message expired at now; it returns how many.
	Sweep(ctx context.Context, now time.Time) (int, error)

	// IssueCode makes a new one-time code for token, replacing any other.
	IssueCode(ctx context.Context, token string) (code string, expires time.Time, err error)
	// CheckCode consumes a correct code; a wrong one counts as a failure.
	// Either way it logs the verified or failed event itself.
	CheckCode(ctx context.Context, token, code string) error
	// Fail counts (and logs) a failed attempt of another factor
	// (passphrase, TOTP).
	Fail(ctx context.Context, token string) error
	// Locked reports whether token is locked out.
	Locked(ctx context.Context, token string) (bool, error)
	// FailSource counts a failure from a source (an IP address, say)
	// across all tokens; SourceLocked reports its lockout.
	FailSource(ctx context.Context, source string) error
	SourceLocked(ctx context.Context, source string) (bool, error)

	// TOTPEnrolled reports whether the token's recipient address (case
	// folded; every message to it) has an authenticator enrolled.
	TOTPEnrolled(ctx context.Context, token string) (bool, error)
	// EnrolTOTP enrols secret for the token's address if code is its
	// current TOTP, and logs totp_enrolled; ErrEnrolled if one exists. A
	// wrong code counts a failure like CheckTOTP's.
	EnrolTOTP(ctx context.Context, token string, secret []byte, code string) error
	// CheckTOTP accepts the address's current TOTP (one step of skew each
	// way) once: a code of a step already used is refused. A wrong or
	// replayed code counts toward the token's lockout (ErrBadCode, or
	// ErrLocked when it locks), in the same transaction as its event.
	CheckTOTP(ctx context.Context, token, code string) error
	// ResetTOTP removes address's authenticator (operator action), so
	// the recipient can enrol a new one; false if none was enrolled.
	ResetTOTP(ctx context.Context, address string) (bool, error)

	// Record appends an event for a recipient of a message.
	Record(ctx context.Context, id, recipient string, kind EventKind) error
	// Events lists a message's events, oldest first.
	Events(ctx context.Context, id string) ([]Event, error)

	Close() error
}
