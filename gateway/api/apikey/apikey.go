// Package apikey issues and checks the REST API's keys.
//
// A token is "sg_<id>_<secret>": the ID names the key in lists, audit
// records and revocations; the secret (32 random bytes, base32) is shown
// once, at creation, and only its SHA-256 is stored. The secret is a
// high-entropy random value, not a password: nobody can guess 256 bits, so
// a slow KDF (argon2id, bcrypt) would only cost CPU on every request and
// add nothing. The comparison is constant-time all the same.
//
// Scopes: send (submit messages), read (message status, audit, reports),
// admin (queue, portal, keys, policy, webhooks, API keys). admin implies
// read; nothing implies send, so an operator's key cannot mail patients.
package apikey

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Scopes.
const (
	ScopeSend  = "send"
	ScopeRead  = "read"
	ScopeAdmin = "admin"
)

// Errors of Authenticate, Revoke and Create, to be tested with errors.Is.
var (
	// ErrUnknown: no such key, or the secret does not match (the two are
	// one error on purpose: a caller learns nothing about which IDs exist).
	ErrUnknown = errors.New("apikey: unknown key")
	ErrRevoked = errors.New("apikey: key revoked")
	ErrExpired = errors.New("apikey: key expired")
	// ErrInvalid: Create was given a bad name, scope or expiry.
	ErrInvalid = errors.New("apikey: invalid key request")
)

// Key is what the store keeps about one key: never the secret.
type Key struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	Scopes   []string  `json:"scopes"`
	Created  time.Time `json:"created"`
	Expires  time.Time `json:"expires,omitzero"`   // zero: never
	Revoked  time.Time `json:"revoked,omitzero"`   // zero: not revoked
	LastUsed time.Time `json:"last_used,omitzero"` // zero: never used
}

// Allows reports whether k may act in scope.
func (k Key) Allows(scope string) bool {
	if slices.Contains(k.Scopes, scope) {
		return true
	}
	return scope == ScopeRead && slices.Contains(k.Scopes, ScopeAdmin)
}

// Store keeps keys. The bbolt Bolt is the embedded one; a PostgreSQL
// store for several nodes can implement the same interface.
type Store interface {
	// Create makes a key and returns its token, the only time the secret
	// is seen. expires zero means the key never expires.
	Create(name string, scopes []string, expires time.Time) (token string, k Key, err error)
	// List returns every key, revoked and expired ones too, oldest first.
	List() ([]Key, error)
	// Revoke revokes a key for good; ErrUnknown when there is no such ID.
	Revoke(id string) error
	// Authenticate returns the key a token belongs to: ErrUnknown,
	// ErrRevoked or ErrExpired when it may not be used. With ErrRevoked
	// and ErrExpired the Key is returned too (the caller proved the
	// secret), so the refusal can be audited under its ID.
	Authenticate(token string) (Key, error)
}

const (
	tokenPrefix = "sg_"
	idBytes     = 10 // 16 base32 characters: unique enough for a key list
	secretBytes = 32
	maxName     = 100
)

// b32 is lower-case base32 without padding: no "_" in it, so the token
// splits unambiguously, and it survives copy and paste.
var b32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// newToken returns a fresh ID, token and the secret's hash.
func newToken() (id, token string, hash [32]byte, err error) {
	buf := make([]byte, idBytes+secretBytes)
	if _, err := rand.Read(buf); err != nil {
		return "", "", hash, fmt.Errorf("apikey: random: %w", err)
	}
	id = b32.EncodeToString(buf[:idBytes])
	secret := b32.EncodeToString(buf[idBytes:])
	return id, tokenPrefix + id + "_" + secret, sha256.Sum256([]byte(secret)), nil
}

// parseToken splits a token into its ID and the secret's hash; ok is
// false when it is not shaped like one of ours.
func parseToken(token string) (id string, hash [32]byte, ok bool) {
	rest, found := strings.CutPrefix(token, tokenPrefix)
	if !found {
		return "", hash, false
	}
	id, secret, found := strings.Cut(rest, "_")
	if !found || len(id) != b32.EncodedLen(idBytes) || len(secret) != b32.EncodedLen(secretBytes) {
		return "", hash, false
	}
	return id, sha256.Sum256([]byte(secret)), true
}

// hashMatches compares in constant time so the stored hash cannot be
// learned byte by byte from response times.
func hashMatches(stored []byte, got [32]byte) bool {
	return subtle.ConstantTimeCompare(stored, got[:]) == 1
}

// ValidateRequest checks Create's arguments; the error wraps ErrInvalid
// and names what is wrong.
func ValidateRequest(name string, scopes []string, expires, now time.Time) error {
	if strings.TrimSpace(name) == "" || len(name) > maxName {
		return fmt.Errorf("%w: name must be 1 to %d characters", ErrInvalid, maxName)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("%w: name has a control character", ErrInvalid)
		}
	}
	if len(scopes) == 0 {
		return fmt.Errorf("%w: at least one scope is needed (send, read, admin)", ErrInvalid)
	}
	for _, s := range scopes {
		switch s {
		case ScopeSend, ScopeRead, ScopeAdmin:
		default:
			return fmt.Errorf("%w: unknown scope (known: send, read, admin)", ErrInvalid)
		}
	}
	if !expires.IsZero() && !expires.After(now) {
		return fmt.Errorf("%w: expiry is in the past", ErrInvalid)
	}
	return nil
}

// check decides whether k may be used at now.
func check(k Key, now time.Time) error {
	if !k.Revoked.IsZero() {
		return ErrRevoked
	}
	if !k.Expires.IsZero() && !now.Before(k.Expires) {
		return ErrExpired
	}
	return nil
}
