package keystore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// Kind is the kind of key material in an Entry.
type Kind string

// The kinds of entries.
const (
	SMIME Kind = "smime"
	PGP   Kind = "pgp"
)

// Entry is one recipient certificate or OpenPGP public key.
type Entry struct {
	Kind Kind `json:"kind"`
	// Fingerprint is the SHA-256 of the certificate DER (lowercase hex) or
	// the OpenPGP primary key fingerprint (uppercase hex).
	Fingerprint string `json:"fingerprint"`
	// Addresses are the lowercased email addresses the entry is for.
	Addresses []string `json:"addresses"`
	// NotAfter is the certificate or primary key expiry; zero means none.
	NotAfter time.Time `json:"not_after,omitzero"`
	// Source is where it came from: "local:<file name>", "wkd:advanced",
	// "wkd:direct" or "harvest". Callers record it with every use.
	Source   string    `json:"source"`
	Imported time.Time `json:"imported"`
	// Data is the DER certificate or the binary transferable public key.
	// Lookup results share it with the store's cache: do not modify it.
	Data []byte `json:"data,omitempty"`
}

// Options configures a Store.
type Options struct {
	// Dir holds keys.db; it is created (0700) if missing.
	Dir string
	// Lookup is the order sources are asked: "local", "wkd". Empty means
	// local only.
	Lookup []string
	WKD    WKDOptions
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// OpenTimeout bounds the wait for the database file lock, which one
	// process holds at a time; zero means 2s.
	OpenTimeout time.Duration
}

// WKDOptions configures Web Key Directory lookups.
type WKDOptions struct {
	// Timeout bounds one lookup (both methods together); zero means 5s.
	Timeout time.Duration
	// PositiveTTL and NegativeTTL are how long found keys and "no key"
	// answers are cached; zero means 24h and 1h.
	PositiveTTL, NegativeTTL time.Duration
	// Client is the HTTP client; nil means a default one. Tests inject one
	// that trusts their roots and dials 127.0.0.1.
	Client *http.Client
	// Backoff is how long a domain is left alone after a failed lookup; it
	// doubles with each further failure, up to 64 times. Zero means 5m.
	Backoff time.Duration
}

// Refusal is an item Import did not take, and why.
type Refusal struct {
	Item   string `json:"item"`
	Reason string `json:"reason"`
}

// ImportResult reports what one Import call did.
type ImportResult struct {
	Imported []Entry
	Refused  []Refusal
}

// ErrUnavailable is wrapped by Lookup errors when a remote source failed
// for now (timeout, network, server error, or the domain is backing off).
// Asking again later may give a different answer.
var ErrUnavailable = errors.New("keystore: key source temporarily unavailable")

// Store is the recipient key store. It is safe for concurrent use.
type Store struct {
	db     *bolt.DB
	lookup []string
	wkd    WKDOptions
	client *http.Client
	log    *slog.Logger
	now    func() time.Time

	mu      sync.Mutex
	backoff map[string]domainBackoff // by lowercased domain

	// cache holds decoded local lookups (misses too). Only one process
	// opens the database at a time, so every write goes through this
	// Store, which bumps gen and empties the cache.
	cacheMu sync.RWMutex
	cache   map[string][]Entry
	gen     uint64
}

// maxCached bounds the lookup cache; when full it starts over.
const maxCached = 50000

var (
	bucketEntries = []byte("entries") // kind:fingerprint -> JSON Entry
	bucketAddr    = []byte("byaddr")  // addr \x00 kind:fingerprint -> ""
	bucketWKD     = []byte("wkd")     // addr -> JSON wkdRecord
)

// Open opens (creating if needed) the store in opts.Dir.
func Open(opts Options) (*Store, error) {
	if opts.Dir == "" {
		return nil, errors.New("keystore: no directory")
	}
	lookup := opts.Lookup
	if len(lookup) == 0 {
		lookup = []string{"local"}
	}
	for _, src := range lookup {
		if src != "local" && src != "wkd" {
			return nil, fmt.Errorf("keystore: %q is not a key source (known: local, wkd)", src)
		}
	}
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("keystore: %w", err)
	}
	timeout := opts.OpenTimeout
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	path := filepath.Join(opts.Dir, "keys.db")
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("keystore: key store %s busy (is sealgate serve running? it holds the store open; stop it to change keys)", path)
	}
	if err != nil {
		return nil, fmt.Errorf("keystore: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketEntries, bucketAddr, bucketWKD} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("keystore: init %s: %w", path, err)
	}
	s := &Store{
		db:      db,
		lookup:  lookup,
		wkd:     opts.WKD,
		log:     opts.Logger,
		now:     opts.Now,
		backoff: map[string]domainBackoff{},
		cache:   map[string][]Entry{},
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.wkd.Timeout <= 0 {
		s.wkd.Timeout = 5 * time.Second
	}
	if s.wkd.PositiveTTL <= 0 {
		s.wkd.PositiveTTL = 24 * time.Hour
	}
	if s.wkd.NegativeTTL <= 0 {
		s.wkd.NegativeTTL = time.Hour
	}
	if s.wkd.Backoff <= 0 {
		s.wkd.Backoff = 5 * time.Minute
	}
	s.client = wkdClient(opts.WKD.Client)
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error {
	return s.db.Close()
}

// NormalizeAddress returns addr lowercased and trimmed of spaces and angle
// brackets, or an error if it does not look like local@domain. Local parts
// are compared case-insensitively: RFC 5321 says they are case-sensitive,
// but no real mail system treats them so, and a miss costs encryption.
func NormalizeAddress(addr string) (string, error) {
	a := strings.ToLower(strings.TrimSpace(addr))
	a = strings.TrimSuffix(strings.TrimPrefix(a, "<"), ">")
	at := strings.LastIndexByte(a, '@')
	if at <= 0 || at == len(a)-1 || strings.ContainsAny(a, " \t\r\n<>") {
		return "", fmt.Errorf("keystore: %q is not an email address", addr)
	}
	return a, nil
}

func entryKey(k Kind, fp string) []byte { return []byte(string(k) + ":" + fp) }

func addrKey(addr string, k Kind, fp string) []byte {
	return []byte(addr + "\x00" + string(k) + ":" + fp)
}

// Lookup returns the entries for addr from the sources in Options.Lookup,
// in that order. A later source is asked only for kinds the earlier ones
// did not supply; "wkd" supplies only PGP keys, so with [local, wkd] WKD is
// asked only when the store has no PGP key for addr. Local hits cost a
// read transaction (microseconds). A WKD lookup may take up to
// WKDOptions.Timeout or ctx's deadline: call Lookup off the SMTP reply path
// (the selector runs after the message is spooled and acknowledged).
//
// Entries are returned whatever their validity: callers check usability
// (expiry, revocation, key usage) at use time. If nothing was found and a
// source failed for now, the error wraps ErrUnavailable.
func (s *Store) Lookup(ctx context.Context, addr string) ([]Entry, error) {
	a, err := NormalizeAddress(addr)
	if err != nil {
		return nil, err
	}
	var out []Entry
	var errs []error
	for _, src := range s.lookup {
		switch src {
		case "local":
			local, err := s.localLookup(a)
			if err != nil {
				return nil, err
			}
			out = append(out, local...)
		case "wkd":
			if hasKind(out, PGP) {
				continue
			}
			found, err := s.wkdLookup(ctx, a)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			out = append(out, found...)
		}
	}
	if len(out) == 0 && len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

func hasKind(es []Entry, k Kind) bool {
	for _, e := range es {
		if e.Kind == k {
			return true
		}
	}
	return false
}

// invalidate drops cached lookups after a write.
func (s *Store) invalidate() {
	s.cacheMu.Lock()
	s.gen++
	clear(s.cache)
	s.cacheMu.Unlock()
}

func (s *Store) localLookup(addr string) ([]Entry, error) {
	s.cacheMu.RLock()
	cached, ok := s.cache[addr]
	gen := s.gen
	s.cacheMu.RUnlock()
	if ok {
		return slices.Clone(cached), nil
	}
	out, err := s.readLocal(addr)
	if err != nil {
		return nil, err
	}
	s.cacheMu.Lock()
	if s.gen == gen {
		if len(s.cache) >= maxCached {
			clear(s.cache)
		}
		s.cache[addr] = slices.Clone(out)
	}
	s.cacheMu.Unlock()
	return out, nil
}

func (s *Store) readLocal(addr string) ([]Entry, error) { return readLocal(s.db, addr) }

// sortEntries orders by kind, then latest expiry first (none counts as
// latest), then fingerprint, so callers that take the first get the
// longest-lived key.
func sortEntries(es []Entry) {
	sort.SliceStable(es, func(i, j int) bool {
		a, b := es[i], es[j]
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		if !a.NotAfter.Equal(b.NotAfter) {
			if a.NotAfter.IsZero() {
				return true
			}
			if b.NotAfter.IsZero() {
				return false
			}
			return a.NotAfter.After(b.NotAfter)
		}
		return a.Fingerprint < b.Fingerprint
	})
}

// List returns every local entry; with expiringWithin > 0, only those with
// an expiry before now+expiringWithin (already expired ones included),
// soonest first. WKD cache entries are not listed.
func (s *Store) List(expiringWithin time.Duration) ([]Entry, error) {
	limit := s.now().Add(expiringWithin)
	var out []Entry
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketEntries).ForEach(func(k, v []byte) error {
			var e Entry
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("keystore: entry %s: %w", k, err)
			}
			if expiringWithin > 0 && (e.NotAfter.IsZero() || e.NotAfter.After(limit)) {
				return nil
			}
			out = append(out, e)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	if expiringWithin > 0 {
		sort.SliceStable(out, func(i, j int) bool { return out[i].NotAfter.Before(out[j].NotAfter) })
	} else {
		sort.SliceStable(out, func(i, j int) bool {
			if out[i].Kind != out[j].Kind {
				return out[i].Kind < out[j].Kind
			}
			return out[i].Fingerprint < out[j].Fingerprint
		})
	}
	return out, nil
}

// Remove deletes local entries by fingerprint (hex, any case, colons and
// spaces ignored) or by address (every entry listing it, whole), and the
// WKD cache for that address. It returns how many entries it removed.
func (s *Store) Remove(fingerprintOrAddr string) (int, error) {
	arg := strings.TrimSpace(fingerprintOrAddr)
	n := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		if strings.Contains(arg, "@") {
			addr, err := NormalizeAddress(arg)
			if err != nil {
				return err
			}
			if err := tx.Bucket(bucketWKD).Delete([]byte(addr)); err != nil {
				return err
			}
			var keys [][]byte
			prefix := []byte(addr + "\x00")
			c := tx.Bucket(bucketAddr).Cursor()
			for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
				keys = append(keys, append([]byte(nil), k[len(prefix):]...))
			}
			for _, k := range keys {
				ok, err := deleteEntry(tx, k)
				if err != nil {
					return err
				}
				if ok {
					n++
				}
			}
			return nil
		}
		fp := strings.NewReplacer(":", "", " ", "").Replace(arg)
		if fp == "" {
			return errors.New("keystore: nothing to remove")
		}
		for _, k := range []Kind{SMIME, PGP} {
			for _, f := range []string{strings.ToLower(fp), strings.ToUpper(fp)} {
				ok, err := deleteEntry(tx, entryKey(k, f))
				if err != nil {
					return err
				}
				if ok {
					n++
				}
			}
		}
		return nil
	})
	s.invalidate()
	return n, err
}

// deleteEntry removes an entry and its address index rows.
func deleteEntry(tx *bolt.Tx, key []byte) (bool, error) {
	entries := tx.Bucket(bucketEntries)
	v := entries.Get(key)
	if v == nil {
		return false, nil
	}
	var e Entry
	if err := json.Unmarshal(v, &e); err == nil {
		idx := tx.Bucket(bucketAddr)
		for _, a := range e.Addresses {
			if err := idx.Delete(addrKey(a, e.Kind, e.Fingerprint)); err != nil {
				return false, err
			}
		}
	}
	return true, entries.Delete(key)
}

// put stores e, replacing an entry with the same fingerprint.
func put(tx *bolt.Tx, e Entry) error {
	key := entryKey(e.Kind, e.Fingerprint)
	if _, err := deleteEntry(tx, key); err != nil {
		return err
	}
	v, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if err := tx.Bucket(bucketEntries).Put(key, v); err != nil {
		return err
	}
	idx := tx.Bucket(bucketAddr)
	for _, a := range e.Addresses {
		if err := idx.Put(addrKey(a, e.Kind, e.Fingerprint), []byte{}); err != nil {
			return err
		}
	}
	return nil
}
