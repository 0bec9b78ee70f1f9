package mtasts

import (
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// FileCache keeps policies across restarts (RFC 8461 §5.1: a cached policy
// is what protects a domain while an attacker blocks the policy fetch; a
// memory-only cache would forget every policy at each restart). Reads are
// served from memory; each Put is written through to a bbolt file.
type FileCache struct {
	db  *bolt.DB
	mem Cache
}

var policyBucket = []byte("mta-sts")

// OpenFileCache opens (creating) the cache file at path and loads it.
func OpenFileCache(path string) (*FileCache, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("mtasts: cache %s: %w", path, err)
	}
	c := &FileCache{db: db, mem: NewMemoryCache()}
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(policyBucket)
		if err != nil {
			return err
		}
		return b.ForEach(func(k, v []byte) error {
			var p Policy
			if json.Unmarshal(v, &p) == nil {
				c.mem.Put(string(k), &p)
			}
			return nil
		})
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("mtasts: cache %s: %w", path, err)
	}
	return c, nil
}

// Get returns the cached policy for domain.
func (c *FileCache) Get(domain string) (*Policy, bool) { return c.mem.Get(domain) }

// Put caches p in memory and on disk. A disk error only costs the policy's
// survival across a restart; it is not fatal to delivery.
func (c *FileCache) Put(domain string, p *Policy) {
	c.mem.Put(domain, p)
	raw, err := json.Marshal(p)
	if err != nil {
		return
	}
	c.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(policyBucket).Put([]byte(domain), raw)
	})
}

// Close closes the file.
func (c *FileCache) Close() error { return c.db.Close() }
