package idempotency

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

var bucketRecords = []byte("idempotency") // scope NUL key -> Record (JSON)

// Options configure a store.
type Options struct {
	TTL time.Duration    // how long a record lives; 0 means DefaultTTL
	Now func() time.Time // the clock; nil means time.Now
}

func (o Options) withDefaults() Options {
	if o.TTL <= 0 {
		o.TTL = DefaultTTL
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

func dbKey(scope, key string) []byte { return []byte(scope + "\x00" + key) }

// Bolt is the embedded Store, in a bbolt file.
type Bolt struct {
	db     *bolt.DB
	ownsDB bool
	opts   Options
}

// OpenBolt opens (creating it if needed) a record file at path.
func OpenBolt(path string, opts Options) (*Bolt, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("idempotency: open %s: %w", path, err)
	}
	s, err := NewBolt(db, opts)
	if err != nil {
		db.Close()
		return nil, err
	}
	s.ownsDB = true
	return s, nil
}

// NewBolt keeps records in their own bucket of an open db (which the
// caller closes).
func NewBolt(db *bolt.DB, opts Options) (*Bolt, error) {
	err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucketRecords)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("idempotency: create bucket: %w", err)
	}
	return &Bolt{db: db, opts: opts.withDefaults()}, nil
}

// Close closes the file if OpenBolt opened it.
func (s *Bolt) Close() error {
	if s.ownsDB {
		return s.db.Close()
	}
	return nil
}

// Get implements Store.
func (s *Bolt) Get(_ context.Context, scope, key string) (Record, bool, error) {
	var r Record
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketRecords).Get(dbKey(scope, key))
		if v == nil {
			return nil
		}
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("idempotency: corrupt record: %w", err)
		}
		ok = s.live(r)
		return nil
	})
	if err != nil || !ok {
		return Record{}, false, err
	}
	return r, true, nil
}

func (s *Bolt) live(r Record) bool { return s.opts.Now().Sub(r.Created) < s.opts.TTL }

// Put implements Store.
func (s *Bolt) Put(_ context.Context, scope, key string, r Record) error {
	v, err := json.Marshal(r)
	if err != nil {
		return err
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketRecords).Put(dbKey(scope, key), v)
	})
	if err != nil {
		return fmt.Errorf("idempotency: store record: %w", err)
	}
	return nil
}

// Prune implements Store.
func (s *Bolt) Prune(_ context.Context) (int, error) {
	n := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketRecords).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			var r Record
			// A record that does not decode is useless: prune it too.
			if json.Unmarshal(v, &r) == nil && s.live(r) {
				continue
			}
			if err := c.Delete(); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// Memory is a Store in a map, for tests and single-process tools; it
// forgets everything on exit, so it does not survive a crash.
type Memory struct {
	opts Options
	mu   sync.Mutex
	m    map[string]Record
}

// NewMemory returns an empty Memory store.
func NewMemory(opts Options) *Memory {
	return &Memory{opts: opts.withDefaults(), m: map[string]Record{}}
}

// Get implements Store.
func (s *Memory) Get(_ context.Context, scope, key string) (Record, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.m[string(dbKey(scope, key))]
	if !ok || s.opts.Now().Sub(r.Created) >= s.opts.TTL {
		return Record{}, false, nil
	}
	return r, true, nil
}

// Put implements Store.
func (s *Memory) Put(_ context.Context, scope, key string, r Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[string(dbKey(scope, key))] = r
	return nil
}

// Prune implements Store.
func (s *Memory) Prune(_ context.Context) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for k, r := range s.m {
		if s.opts.Now().Sub(r.Created) >= s.opts.TTL {
			delete(s.m, k)
			n++
		}
	}
	return n, nil
}
