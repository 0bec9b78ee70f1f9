package tlspolicy

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Record is what the downgrade memory knows about a recipient domain:
// the strongest TLS a successful delivery proved, and the last downgrade
// seen since.
type Record struct {
	Domain string `json:"domain"`
	// Auth is how the best delivery was authenticated: verified, dane or
	// mta-sts.
	Auth string `json:"auth"`
	// Version is the highest TLS version of an authenticated delivery
	// (tls.VersionTLS12 = 0x0303 ...), VersionName its name.
	Version     uint16    `json:"version"`
	VersionName string    `json:"version_name,omitempty"`
	Proven      time.Time `json:"proven"` // last authenticated delivery
	// Downgrade is the last attempt that found less than was proven;
	// zero when none since the last authenticated delivery.
	Downgrade time.Time `json:"downgrade,omitzero"`
}

var memBucket = []byte("tls-memory")

// memoryRewrite bounds how often an unchanged record is rewritten just to
// move Proven forward: one fsync per domain per hour, not per message.
const memoryRewrite = time.Hour

// Memory is the downgrade memory: a bbolt file keyed by domain, with an
// in-memory copy so the delivery path reads no disk.
type Memory struct {
	db *bolt.DB

	mu    sync.Mutex
	cache map[string]Record
}

// OpenMemory opens (or creates) the memory at path.
func OpenMemory(path string) (*Memory, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("relay: tls memory %s: %w", path, err)
	}
	m := &Memory{db: db, cache: make(map[string]Record)}
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(memBucket)
		if err != nil {
			return err
		}
		return b.ForEach(func(k, v []byte) error {
			var rec Record
			if json.Unmarshal(v, &rec) == nil {
				m.cache[string(k)] = rec
			}
			return nil
		})
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("relay: tls memory %s: %w", path, err)
	}
	return m, nil
}

// Close closes the bbolt file.
func (m *Memory) Close() error { return m.db.Close() }

// Get returns what domain proved, if anything.
func (m *Memory) Get(domain string) (Record, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	rec, ok := m.cache[strings.ToLower(domain)]
	return rec, ok
}

func (m *Memory) put(rec Record) error {
	raw, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	if err := m.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(memBucket).Put([]byte(rec.Domain), raw)
	}); err != nil {
		return fmt.Errorf("relay: tls memory: %w", err)
	}
	m.mu.Lock()
	m.cache[rec.Domain] = rec
	m.mu.Unlock()
	return nil
}

// authRank orders how a delivery was authenticated.
var authRank = map[string]int{"": 0, "none": 0, "verified": 1, "mta-sts": 2, "dane": 3}

// Proven records an authenticated delivery to domain. Within window the
// record keeps the best auth and version seen; an older record is
// replaced. Unchanged records are rewritten at most once per
// memoryRewrite.
func (m *Memory) Proven(domain, auth string, version uint16, now time.Time, window time.Duration) error {
	domain = strings.ToLower(domain)
	old, ok := m.Get(domain)
	rec := Record{Domain: domain, Auth: auth, Version: version, VersionName: tls.VersionName(version), Proven: now}
	if ok && now.Sub(old.Proven) < window {
		if authRank[old.Auth] > authRank[auth] {
			rec.Auth = old.Auth
		}
		if old.Version > version {
			rec.Version, rec.VersionName = old.Version, old.VersionName
		}
		if rec.Auth == old.Auth && rec.Version == old.Version && old.Downgrade.IsZero() && now.Sub(old.Proven) < memoryRewrite {
			return nil
		}
	}
	return m.put(rec)
}

// Downgraded notes a downgrade attempt against domain.
func (m *Memory) Downgraded(domain string, now time.Time) error {
	rec, ok := m.Get(domain)
	if !ok {
		return nil
	}
	rec.Downgrade = now
	return m.put(rec)
}

// Reset forgets domain; existed says there was a record.
func (m *Memory) Reset(domain string) (bool, error) {
	domain = strings.ToLower(domain)
	m.mu.Lock()
	_, ok := m.cache[domain]
	m.mu.Unlock()
	if err := m.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(memBucket).Delete([]byte(domain))
	}); err != nil {
		return false, fmt.Errorf("relay: tls memory: %w", err)
	}
	m.mu.Lock()
	delete(m.cache, domain)
	m.mu.Unlock()
	return ok, nil
}
