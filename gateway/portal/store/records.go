package store

import (
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// bbolt buckets. Keys are random ids and token hashes, never addresses.
var (
	bucketMsgs   = []byte("msgs")   // id -> record
	bucketTokens = []byte("tokens") // sha256(token) -> tokenRef
	bucketVerify = []byte("verify") // sha256(token) -> verifyState
	bucketEvents = []byte("events") // id 0x00 time[8] rand[4] -> Event
)

const (
	idBytes    = 16 // 128-bit random message ids
	tokenBytes = 32 // 256-bit tokens
)

// record is a message's index entry: Meta plus the token hashes needed to
// delete its tokens when it is shredded.
type record struct {
	Meta
	TokenHashes []string
}

// tokenRef names a recipient by position, so the token bucket holds no
// address.
type tokenRef struct {
	ID   string
	Rcpt int
}

// diskRecord is a record as index.db holds it: the addresses are sealed.
type diskRecord struct {
	ID          string
	Created     time.Time
	Expires     time.Time
	State       State
	RevokedAt   time.Time `json:",omitzero"`
	Size        int64
	TokenHashes []string `json:",omitempty"`
	Envelope    []byte   // sealJSON(envelope)
}

type envelope struct {
	Sender     string
	Recipients []string
	RevokedBy  string `json:",omitempty"`
}

// diskEvent is an event as stored: the message id is in its key and the
// recipient is a position in the record's list.
type diskEvent struct {
	Time time.Time
	Kind EventKind
	Rcpt int
}

type verifyState struct {
	CodeHash    []byte    `json:",omitempty"`
	CodeExpires time.Time `json:",omitzero"`
	Failures    int
	LockedUntil time.Time `json:",omitzero"`
	// Codes issued since CodesSince: each one is an email to the recipient.
	Codes      int
	CodesSince time.Time `json:",omitzero"`
	// TOTPFailures survive a correct email code, so fresh codes do not
	// buy more authenticator guesses; a correct TOTP or a lockout clears them.
	TOTPFailures int `json:",omitempty"`
}

func randomBytes(n int) ([]byte, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("store: random: %w", err)
	}
	return b, nil
}

func newID() (string, error) {
	b, err := randomBytes(idBytes)
	return hex.EncodeToString(b), err
}

func newToken() (string, error) {
	b, err := randomBytes(tokenBytes)
	return base64.RawURLEncoding.EncodeToString(b), err
}

// tokenHash is the only form of a token the store keeps.
func tokenHash(token string) []byte {
	h := sha256.Sum256([]byte("sealgate/portal/token\x00" + token))
	return h[:]
}

// validID accepts only the ids newID makes, so an id can name a file.
func validID(id string) bool {
	if len(id) != 2*idBytes {
		return false
	}
	for _, c := range []byte(id) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// dekAAD binds a wrapped data key to its message id.
func dekAAD(id string) []byte { return []byte("sealgate/portal/dek/v1\x00" + id) }

// sealContext binds a sealed file to its message id: swapped files fail.
func sealContext(id string) string { return "portal-message\x00" + id }

func encodeRecord(aead cipher.AEAD, rec record) ([]byte, error) {
	env, err := sealJSON(aead, rec.ID, envelope{rec.Sender, rec.Recipients, rec.RevokedBy})
	if err != nil {
		return nil, err
	}
	return json.Marshal(diskRecord{ID: rec.ID, Created: rec.Created, Expires: rec.Expires, State: rec.State,
		RevokedAt: rec.RevokedAt, Size: rec.Size, TokenHashes: rec.TokenHashes, Envelope: env})
}

func decodeRecord(aead cipher.AEAD, data []byte) (record, error) {
	var d diskRecord
	if err := json.Unmarshal(data, &d); err != nil {
		return record{}, fmt.Errorf("%w: index record: %v", ErrCorrupt, err)
	}
	if !validID(d.ID) {
		return record{}, fmt.Errorf("%w: index record id", ErrCorrupt)
	}
	switch d.State {
	case Active, Revoked, Expired:
	default:
		return record{}, fmt.Errorf("%w: index record state", ErrCorrupt)
	}
	var env envelope
	if err := openJSON(aead, d.ID, d.Envelope, &env); err != nil {
		return record{}, err
	}
	return record{Meta: Meta{ID: d.ID, Sender: env.Sender, Recipients: env.Recipients, Created: d.Created,
		Expires: d.Expires, State: d.State, RevokedBy: env.RevokedBy, RevokedAt: d.RevokedAt, Size: d.Size},
		TokenHashes: d.TokenHashes}, nil
}

func decodeJSON[T any](data []byte, what string) (T, error) {
	var v T
	if err := json.Unmarshal(data, &v); err != nil {
		return v, fmt.Errorf("%w: %s: %v", ErrCorrupt, what, err)
	}
	return v, nil
}

func eventKey(id string, t time.Time) ([]byte, error) {
	suffix, err := randomBytes(4)
	if err != nil {
		return nil, err
	}
	k := make([]byte, 0, len(id)+1+8+4)
	k = append(k, id...)
	k = append(k, 0)
	n := uint64(t.UnixNano())
	for i := 7; i >= 0; i-- {
		k = append(k, byte(n>>(8*i)))
	}
	return append(k, suffix...), nil
}

func knownEvent(k EventKind) bool {
	switch k {
	case EventNotified, EventCodeSent, EventVerified, EventFailed, EventOpened,
		EventDownloaded, EventReplied, EventExpired, EventRevoked, EventTOTPEnrolled, EventTOTPVerified:
		return true
	}
	return false
}
