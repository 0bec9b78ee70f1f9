package keystore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// quietWindow is how long keys.db must have gone unmodified before lookups
// are answered from memory on an unchanged stat. A write sets the file's
// mtime to the current time, which a file system may round (coarse clock
// ticks, 2s on FAT): a write within that rounding of the previous one could
// leave the stat as it was. Once the last change is older than the window,
// any later write shows in the stat.
const quietWindow = 3 * time.Second

// Finder looks keys up in a store it does not hold open, so `sealgate keys`
// (another process) can change the store while the daemon runs. It is safe
// for concurrent use; one Finder per store per process.
//
// A local lookup costs one stat of keys.db when the answer is cached and
// the file has not changed since it was read; otherwise a read-only open
// (a shared file lock, a read transaction, no write and no fsync). Only
// the lookups that need WKD, and WithStore, open the store for writing. An
// import or removal by any process changes the file's stat, so the next
// lookup reads the store again.
type Finder struct {
	opts Options
	path string
	// mu serialises this process's opens: bbolt's file lock is per open
	// file, so two opens from here would poll each other's lock.
	mu sync.Mutex

	cacheMu sync.Mutex
	ver     fileVersion        // the stat the cached answers were read under
	cache   map[string][]Entry // by normalised address, misses too

	reads atomic.Int64 // read-only opens, for tests
}

// NewFinder checks opts and returns a Finder; it opens nothing yet.
func NewFinder(opts Options) (*Finder, error) {
	if opts.Dir == "" {
		return nil, errors.New("keystore: no directory")
	}
	if len(opts.Lookup) == 0 {
		opts.Lookup = []string{"local"}
	}
	for _, src := range opts.Lookup {
		if src != "local" && src != "wkd" {
			return nil, fmt.Errorf("keystore: %q is not a key source (known: local, wkd)", src)
		}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Finder{opts: opts, path: filepath.Join(opts.Dir, "keys.db"), cache: map[string][]Entry{}}, nil
}

// WithStore opens the store read-write for fn (import, list, remove) and
// closes it after.
func (f *Finder) WithStore(fn func(*Store) error) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := Open(f.opts)
	if err != nil {
		return err
	}
	defer s.Close()
	return fn(s)
}

// Lookup answers as Store.Lookup with the same Options would.
func (f *Finder) Lookup(ctx context.Context, addr string) ([]Entry, error) {
	a, err := NormalizeAddress(addr)
	if err != nil {
		return nil, err
	}
	if f.opts.Lookup[0] != "local" {
		return f.storeLookup(ctx, a)
	}
	local, err := f.local(a)
	if err != nil {
		return nil, err
	}
	// WKD supplies only PGP keys and is asked only when the store has none.
	if len(f.opts.Lookup) == 1 || hasKind(local, PGP) {
		return local, nil
	}
	return f.storeLookup(ctx, a)
}

// storeLookup is the read-write path: WKD answers are cached in the store.
func (f *Finder) storeLookup(ctx context.Context, addr string) ([]Entry, error) {
	var out []Entry
	err := f.WithStore(func(s *Store) error {
		var err error
		out, err = s.Lookup(ctx, addr)
		return err
	})
	return out, err
}

func (f *Finder) local(addr string) ([]Entry, error) {
	start := f.opts.Now()
	v, err := statVersion(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		// First use: Open creates the store, as it always did.
		if err := f.WithStore(func(*Store) error { return nil }); err != nil {
			return nil, err
		}
		v, err = statVersion(f.path)
	}
	if err != nil {
		return nil, fmt.Errorf("keystore: %w", err)
	}
	f.cacheMu.Lock()
	cached, ok := f.cache[addr]
	ok = ok && v == f.ver
	f.cacheMu.Unlock()
	if ok {
		return slices.Clone(cached), nil
	}
	out, err := f.readOnly(addr)
	if err != nil {
		return nil, err
	}
	// Cache only what was read under a quiet stat: then no later write can
	// leave the stat as v (see quietWindow). What was read after v was
	// taken is at least as new as v.
	if v.mtime < start.Add(-quietWindow).UnixNano() {
		f.cacheMu.Lock()
		if v != f.ver || len(f.cache) >= maxCached {
			clear(f.cache)
			f.ver = v
		}
		f.cache[addr] = slices.Clone(out)
		f.cacheMu.Unlock()
	}
	return out, nil
}

// readOnly reads addr's entries through a read-only open: a shared file
// lock, so a writer in another process waits only for this read.
func (f *Finder) readOnly(addr string) ([]Entry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads.Add(1)
	timeout := f.opts.OpenTimeout
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	db, err := bolt.Open(f.path, 0o600, &bolt.Options{ReadOnly: true, Timeout: timeout})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("keystore: key store %s busy (held by another process for writing)", f.path)
	}
	if err != nil {
		return nil, fmt.Errorf("keystore: open %s: %w", f.path, err)
	}
	defer db.Close()
	return readLocal(db, addr)
}

// readLocal returns addr's local entries, sorted (sortEntries). A store
// without buckets (never initialised) has none.
func readLocal(db *bolt.DB, addr string) ([]Entry, error) {
	var out []Entry
	prefix := []byte(addr + "\x00")
	err := db.View(func(tx *bolt.Tx) error {
		entries, idx := tx.Bucket(bucketEntries), tx.Bucket(bucketAddr)
		if entries == nil || idx == nil {
			return nil
		}
		c := idx.Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			v := entries.Get(k[len(prefix):])
			if v == nil {
				continue // index row without entry: ignore, Remove cleans up
			}
			var e Entry
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("keystore: entry %s: %w", k[len(prefix):], err)
			}
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sortEntries(out)
	return out, nil
}

// fileVersion is what a write to keys.db changes in its stat.
type fileVersion struct {
	size         int64
	mtime, ctime int64 // Unix nanoseconds
	dev, ino     uint64
}

func statVersion(path string) (fileVersion, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return fileVersion{}, err
	}
	v := fileVersion{size: fi.Size(), mtime: fi.ModTime().UnixNano()}
	sysVersion(fi, &v)
	return v, nil
}
