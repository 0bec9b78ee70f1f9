// Package idempotency remembers, per API key, which message an
// Idempotency-Key produced, so a retried request never sends twice.
//
// A record is (scope, key) → (request hash, message ID, created). The API
// writes it through Backend.Submit's reserve callback: after the message
// body is stored and before the message is committed. So after a crash
// either the record exists without a committed message (the retry submits
// again and overwrites it) or both exist (the retry replays the answer); a
// committed message without its record cannot happen.
//
// Put is durable when it returns (bbolt commits with fsync). Records expire
// after a TTL (24h by default): Get ignores expired ones and Prune deletes
// them. Locks serialises concurrent requests with one key in this process;
// several nodes would need the PostgreSQL store's row locks instead.
package idempotency

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// DefaultTTL is how long a key is remembered.
const DefaultTTL = 24 * time.Hour

// MaxKeyLen is the longest Idempotency-Key accepted.
const MaxKeyLen = 255

// Record is what one key produced.
type Record struct {
	RequestHash string    `json:"request_hash"` // RequestHash of the first request
	MsgID       string    `json:"msg_id"`
	Created     time.Time `json:"created"`
}

// Store keeps records. Scope is the API key ID: two clients never share a
// key space.
type Store interface {
	// Get returns the live record for (scope, key); ok is false when there
	// is none or it expired.
	Get(ctx context.Context, scope, key string) (r Record, ok bool, err error)
	// Put writes the record, replacing any; durable on return.
	Put(ctx context.Context, scope, key string, r Record) error
	// Prune deletes expired records and says how many.
	Prune(ctx context.Context) (int, error)
}

// ErrInvalidKey: an Idempotency-Key that is empty, too long or not
// printable ASCII.
var ErrInvalidKey = errors.New("idempotency: key must be 1 to 255 printable ASCII characters")

// ValidKey checks an Idempotency-Key header value.
func ValidKey(key string) error {
	if key == "" || len(key) > MaxKeyLen {
		return ErrInvalidKey
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x20 || key[i] > 0x7e {
			return ErrInvalidKey
		}
	}
	return nil
}

// RequestHash is the hex SHA-256 of a request's method, path (with its
// query), content type and body. Each field is length-prefixed so no two
// different requests share a preimage.
func RequestHash(method, path, contentType string, body []byte) string {
	h := sha256.New()
	for _, f := range [][]byte{[]byte(method), []byte(path), []byte(contentType), body} {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(f)))
		h.Write(n[:])
		h.Write(f)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Locks is a per-(scope, key) mutex: a second request with the key waits
// for the first to finish, then sees its record. The zero value is ready.
type Locks struct {
	mu sync.Mutex
	m  map[string]*lockEntry
}

type lockEntry struct {
	mu   sync.Mutex
	refs int
}

// Lock takes the lock for (scope, key) and returns its unlock. Entries are
// dropped when nobody holds or waits for them, so the map stays small.
func (l *Locks) Lock(scope, key string) (unlock func()) {
	name := scope + "\x00" + key
	l.mu.Lock()
	if l.m == nil {
		l.m = map[string]*lockEntry{}
	}
	e := l.m[name]
	if e == nil {
		e = &lockEntry{}
		l.m[name] = e
	}
	e.refs++
	l.mu.Unlock()
	e.mu.Lock()
	return func() {
		e.mu.Unlock()
		l.mu.Lock()
		e.refs--
		if e.refs == 0 {
			delete(l.m, name)
		}
		l.mu.Unlock()
	}
}

// RunPruner calls s.Prune every interval until ctx ends. Failures are
// logged and retried at the next tick: an expired record only costs space
// (Get already ignores it).
func RunPruner(ctx context.Context, s Store, interval time.Duration, log *slog.Logger) {
	if log == nil {
		log = slog.Default()
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			n, err := s.Prune(ctx)
			if err != nil {
				log.Warn("idempotency: prune failed", "err", err)
			} else if n > 0 {
				log.Debug("idempotency: pruned expired records", "count", n)
			}
		}
	}
}
