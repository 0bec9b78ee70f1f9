package apikey

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

var bucketKeys = []byte("api_keys") // id -> record (JSON)

// lastUsedEvery bounds last-used writes to one per key per minute: a
// bbolt commit is an fsync, too dear for every request.
const lastUsedEvery = time.Minute

// record is a Key as stored: with the secret's hash, never the secret.
type record struct {
	Key
	Hash []byte `json:"hash"`
}

// Bolt is the embedded Store, in a bbolt file.
type Bolt struct {
	db     *bolt.DB
	ownsDB bool
	now    func() time.Time

	mu       sync.Mutex
	lastSeen map[string]time.Time // id -> last LastUsed written
}

// OpenBolt opens (creating it if needed) a key file at path.
func OpenBolt(path string) (*Bolt, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, fmt.Errorf("apikey: %s is locked by another process (a running daemon whose control socket this command cannot reach?)", path)
		}
		return nil, fmt.Errorf("apikey: %w", err) // names the path already
	}
	s, err := NewBolt(db, nil)
	if err != nil {
		db.Close()
		return nil, err
	}
	s.ownsDB = true
	return s, nil
}

// NewBolt keeps keys in their own bucket of an open db (which the caller
// closes). now is the clock; nil means time.Now.
func NewBolt(db *bolt.DB, now func() time.Time) (*Bolt, error) {
	if now == nil {
		now = time.Now
	}
	err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucketKeys)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("apikey: create bucket: %w", err)
	}
	return &Bolt{db: db, now: now, lastSeen: map[string]time.Time{}}, nil
}

// Close closes the file if OpenBolt opened it.
func (s *Bolt) Close() error {
	if s.ownsDB {
		return s.db.Close()
	}
	return nil
}

// Create implements Store.
func (s *Bolt) Create(name string, scopes []string, expires time.Time) (string, Key, error) {
	now := s.now().UTC()
	if err := ValidateRequest(name, scopes, expires, now); err != nil {
		return "", Key{}, err
	}
	id, token, hash, err := newToken()
	if err != nil {
		return "", Key{}, err
	}
	scopes = slices.Clone(scopes)
	slices.Sort(scopes)
	k := Key{ID: id, Name: name, Scopes: slices.Compact(scopes), Created: now}
	if !expires.IsZero() {
		k.Expires = expires.UTC()
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketKeys)
		if b.Get([]byte(id)) != nil {
			return errors.New("apikey: key ID collision") // 80 random bits: never, but never overwrite
		}
		return put(b, record{Key: k, Hash: hash[:]})
	})
	if err != nil {
		return "", Key{}, fmt.Errorf("apikey: store key: %w", err)
	}
	return token, k, nil
}

// List implements Store.
func (s *Bolt) List() ([]Key, error) {
	var keys []Key
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketKeys).ForEach(func(_, v []byte) error {
			var r record
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("apikey: corrupt record: %w", err)
			}
			keys = append(keys, r.Key)
			return nil
		})
	})
	slices.SortFunc(keys, func(a, b Key) int { return a.Created.Compare(b.Created) })
	return keys, err
}

// Revoke implements Store. Revoking twice keeps the first time.
func (s *Bolt) Revoke(id string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketKeys)
		r, err := get(b, id)
		if err != nil {
			return err
		}
		if !r.Revoked.IsZero() {
			return nil
		}
		r.Revoked = s.now().UTC()
		return put(b, r)
	})
}

// Authenticate implements Store. The secret is checked before the key's
// state, so revoked and expired are only told to a holder of the secret
// (and then the Key comes back with the error).
func (s *Bolt) Authenticate(token string) (Key, error) {
	id, hash, ok := parseToken(token)
	if !ok {
		return Key{}, ErrUnknown
	}
	var r record
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		r, err = get(tx.Bucket(bucketKeys), id)
		return err
	})
	if err != nil {
		return Key{}, err
	}
	if !hashMatches(r.Hash, hash) {
		return Key{}, ErrUnknown
	}
	now := s.now().UTC()
	if err := check(r.Key, now); err != nil {
		return r.Key, err // the holder of the secret: audit the refusal under its key
	}
	if s.touchDue(id, now) {
		r.LastUsed = now
		err := s.db.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketKeys)
			cur, err := get(b, id)
			if err != nil {
				return err
			}
			cur.LastUsed = now
			return put(b, cur)
		})
		if err != nil {
			// Last-used is informational: a failed write must not refuse a
			// valid key.
			s.mu.Lock()
			delete(s.lastSeen, id)
			s.mu.Unlock()
		}
	}
	return r.Key, nil
}

// touchDue says whether last-used should be written now, and if so
// records that it is.
func (s *Bolt) touchDue(id string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if last, ok := s.lastSeen[id]; ok && now.Sub(last) < lastUsedEvery {
		return false
	}
	s.lastSeen[id] = now
	return true
}

func get(b *bolt.Bucket, id string) (record, error) {
	v := b.Get([]byte(id))
	if v == nil {
		return record{}, ErrUnknown
	}
	var r record
	if err := json.Unmarshal(v, &r); err != nil {
		return record{}, fmt.Errorf("apikey: corrupt record: %w", err)
	}
	return r, nil
}

func put(b *bolt.Bucket, r record) error {
	v, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return b.Put([]byte(r.ID), v)
}
