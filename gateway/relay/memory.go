package relay

import (
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// TLSRecord is what the downgrade memory knows about a recipient domain:
// the strongest TLS a successful delivery proved, and the last downgrade
// seen since.
type TLSRecord struct {
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

// tlsMemory is the downgrade memory: a bbolt file keyed by domain, with
// an in-memory copy so the delivery path reads no disk.
type tlsMemory struct {
	db *bolt.DB

	mu    sync.Mutex
	cache map[string]TLSRecord
}

func openMemory(path string) (*tlsMemory, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("relay: tls memory %s: %w", path, err)
	}
	m := &tlsMemory{db: db, cache: make(map[string]TLSRecord)}
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(memBucket)
		if err != nil {
			return err
		}
		return b.ForEach(func(k, v []byte) error {
			var rec TLSRecord
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

func (m *tlsMemory) close() error { return m.db.Close() }

func (m *tlsMemory) get(domain string) (TLSRecord, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	rec, ok := m.cache[strings.ToLower(domain)]
	return rec, ok
}

func (m *tlsMemory) put(rec TLSRecord) error {
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

// proven records an authenticated delivery to domain. Within window the
// record keeps the best auth and version seen; an older record is
// replaced. Unchanged records are rewritten at most once per
// memoryRewrite.
func (m *tlsMemory) proven(domain, auth string, version uint16, now time.Time, window time.Duration) error {
	domain = strings.ToLower(domain)
	old, ok := m.get(domain)
	rec := TLSRecord{Domain: domain, Auth: auth, Version: version, VersionName: tls.VersionName(version), Proven: now}
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

// downgraded notes a downgrade attempt against domain.
func (m *tlsMemory) downgraded(domain string, now time.Time) error {
	rec, ok := m.get(domain)
	if !ok {
		return nil
	}
	rec.Downgrade = now
	return m.put(rec)
}

func (m *tlsMemory) reset(domain string) (bool, error) {
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

// ErrNoMemory is returned by ResetMemory when the relay runs without a
// downgrade memory (Options.MemoryPath "").
var ErrNoMemory = errors.New("relay: downgrade memory is off (relay.downgrade_memory)")

// ResetMemory forgets what domain has proven, so a domain that really
// dropped TLS (or changed certificates) is delivered to at its policy
// level again. The operator's `sealgate tls reset DOMAIN`.
func (r *Relay) ResetMemory(domain string) (existed bool, err error) {
	if r.mem == nil {
		return false, ErrNoMemory
	}
	existed, err = r.mem.reset(domain)
	if err == nil {
		r.caps.forget(domain)
		r.log.Warn("relay: tls memory reset", "domain", strings.ToLower(domain), "existed", existed)
	}
	return existed, err
}

// TLSState is what `sealgate tls show DOMAIN` prints.
type TLSState struct {
	Domain string `json:"domain"`
	// AdminLevel is the tls_policy entry that applies ("" = none).
	AdminLevel string `json:"admin_level,omitempty"`
	DefaultTLS string `json:"default_tls"`
	// Memory is the downgrade memory's record (nil = nothing proven or
	// memory off); MemoryActive says it is within the window.
	Memory       *TLSRecord `json:"memory,omitempty"`
	MemoryActive bool       `json:"memory_active"`
	MemoryOff    bool       `json:"memory_off,omitempty"`
	// Downgraded: a downgrade was seen after the last authenticated
	// delivery; the capability answer is false until the next one.
	Downgraded bool `json:"downgraded"`
	// Capability is the cached capability answer, if any.
	Capability *CapabilityAnswer `json:"capability,omitempty"`
}

// CapabilityAnswer is a cached CanVerifyTLS result.
type CapabilityAnswer struct {
	OK      bool      `json:"ok"`
	How     string    `json:"how,omitempty"`
	Expires time.Time `json:"expires"`
}

// ShowTLS reports what the relay knows about domain's TLS, without
// network access.
func (r *Relay) ShowTLS(domain string) TLSState {
	domain = strings.ToLower(strings.TrimSuffix(domain, "."))
	st := TLSState{Domain: domain, AdminLevel: r.adminLevel(domain).String(), DefaultTLS: r.opts.DefaultTLS.String(), MemoryOff: r.mem == nil}
	if r.mem != nil {
		if rec, ok := r.mem.get(domain); ok {
			st.Memory = &rec
			st.MemoryActive = r.now().Sub(rec.Proven) < r.opts.MemoryWindow
			st.Downgraded = st.MemoryActive && !rec.Downgrade.IsZero()
		}
	}
	if a, ok := r.caps.get(domain, r.now()); ok {
		st.Capability = &a
	}
	return st
}
