package store

import (
	"context"
	"crypto/cipher"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/sealgate/sealgate/crypto/seal"
	"github.com/sealgate/sealgate/internal/secretfile"
	bolt "go.etcd.io/bbolt"
)

// Defaults for Options' zero values.
const (
	DefaultLifetime    = 30 * 24 * time.Hour
	DefaultCodeLife    = 10 * time.Minute
	DefaultMaxFailures = 5
	DefaultLockout     = 15 * time.Minute
	DefaultRetention   = 90 * 24 * time.Hour
	DefaultMaxCodes    = 5
)

// Options configure a DirStore. KEK is required.
type Options struct {
	KEK         KeyWrapper
	Lifetime    time.Duration // default expiry of a message
	CodeLife    time.Duration // life of a one-time code
	MaxFailures int           // failed attempts before lockout
	MaxCodes    int           // codes per token per hour
	Lockout     time.Duration // how long a lockout lasts
	// Retention keeps tombstones (state and events, no content) of revoked
	// and expired messages this long after their expiry.
	Retention time.Duration
	// SourceFailures is the failures one source may make per Lockout.
	SourceFailures int
	Now            func() time.Time
}

// DirStore is the embedded Store: sealed files plus a bbolt index under
// one directory. bbolt locks its file, so one process owns a DirStore;
// several gateway nodes need a database-backed Store.
type DirStore struct {
	dir  string
	db   *bolt.DB
	idx  cipher.AEAD // seals the addresses in index records
	amac []byte      // names an address in the index: HMAC, never the address
	opts Options
}

var _ Store = (*DirStore)(nil)

// New opens (creating if needed) the store in dir and finishes any work a
// crash interrupted: temp files and orphans go, shredding completes.
func New(dir string, opts Options) (*DirStore, error) {
	if opts.KEK == nil {
		return nil, errors.New("store: no key-encryption key configured")
	}
	opts = withDefaults(opts)
	for _, d := range []string{dir, filepath.Join(dir, "msgs"), filepath.Join(dir, "keys")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
	}
	db, err := bolt.Open(filepath.Join(dir, "index.db"), 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("store: open index: %w", err)
	}
	s := &DirStore{dir: dir, db: db, opts: opts}
	if s.idx, s.amac, err = loadIndexKey(context.Background(), db, opts.KEK); err != nil {
		db.Close()
		return nil, err
	}
	if err := s.init(); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func withDefaults(o Options) Options {
	if o.Lifetime <= 0 {
		o.Lifetime = DefaultLifetime
	}
	if o.CodeLife <= 0 {
		o.CodeLife = DefaultCodeLife
	}
	if o.MaxFailures <= 0 {
		o.MaxFailures = DefaultMaxFailures
	}
	if o.Lockout <= 0 {
		o.Lockout = DefaultLockout
	}
	if o.Retention <= 0 {
		o.Retention = DefaultRetention
	}
	if o.MaxCodes <= 0 {
		o.MaxCodes = DefaultMaxCodes
	}
	if o.SourceFailures <= 0 {
		o.SourceFailures = DefaultSourceFailures
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

func (s *DirStore) init() error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketMsgs, bucketTokens, bucketVerify, bucketEvents, bucketSources, bucketTOTP} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: init index: %w", err)
	}
	return s.recover()
}

// Close closes the index.
func (s *DirStore) Close() error { return s.db.Close() }

func (s *DirStore) now() time.Time { return s.opts.Now().UTC() }

func (s *DirStore) msgPath(id string) string { return filepath.Join(s.dir, "msgs", id) }
func (s *DirStore) keyPath(id string) string { return filepath.Join(s.dir, "keys", id) }

// Put implements Store. Files are written, fsynced and renamed, and their
// directories fsynced, before the index commit that makes them visible;
// a crash before the commit leaves orphans that New removes.
func (s *DirStore) Put(ctx context.Context, meta PutMeta, body io.Reader) (Receipt, error) {
	now := s.now()
	rec, err := s.newRecord(meta, now)
	if err != nil {
		return Receipt{}, err
	}
	grants, refs, err := newGrants(rec)
	if err != nil {
		return Receipt{}, err
	}
	for h := range refs {
		rec.TokenHashes = append(rec.TokenHashes, hex.EncodeToString([]byte(h)))
	}
	if err := s.writeFiles(ctx, &rec, body); err != nil {
		return Receipt{}, err
	}
	// Update, not Batch: Batch waits up to 10 ms for company, which
	// costs a lone Put five times its latency and gained nothing measured.
	err = s.db.Update(func(tx *bolt.Tx) error {
		if err := s.putRecord(tx, rec); err != nil {
			return err
		}
		for h, ref := range refs {
			if err := putJSON(tx.Bucket(bucketTokens), []byte(h), ref); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		s.removeFiles(rec.ID)
		return Receipt{}, fmt.Errorf("store: index %s: %w", rec.ID, err)
	}
	return Receipt{ID: rec.ID, Grants: grants}, nil
}

func (s *DirStore) newRecord(meta PutMeta, now time.Time) (record, error) {
	if len(meta.Recipients) == 0 {
		return record{}, errors.New("store: no recipients")
	}
	seen := make(map[string]bool, len(meta.Recipients))
	for i, r := range meta.Recipients {
		if r == "" || seen[r] {
			return record{}, fmt.Errorf("store: recipient %d empty or repeated", i)
		}
		seen[r] = true
	}
	expires := meta.Expires.UTC()
	if meta.Expires.IsZero() {
		expires = now.Add(s.opts.Lifetime)
	}
	if !expires.After(now) {
		return record{}, errors.New("store: expiry is not in the future")
	}
	id, err := newID()
	if err != nil {
		return record{}, err
	}
	return record{Meta: Meta{
		ID: id, Sender: meta.Sender, Recipients: append([]string(nil), meta.Recipients...),
		Created: now, Expires: expires, State: Active,
	}}, nil
}

// newGrants makes one token per recipient and records their hashes.
func newGrants(rec record) ([]Grant, map[string]tokenRef, error) {
	grants := make([]Grant, 0, len(rec.Recipients))
	refs := make(map[string]tokenRef, len(rec.Recipients))
	for i, r := range rec.Recipients {
		tok, err := newToken()
		if err != nil {
			return nil, nil, err
		}
		h := string(tokenHash(tok))
		refs[h] = tokenRef{ID: rec.ID, Rcpt: i}
		grants = append(grants, Grant{Recipient: r, Token: tok})
	}
	return grants, refs, nil
}

func (s *DirStore) writeFiles(ctx context.Context, rec *record, body io.Reader) error {
	dek, err := randomBytes(32)
	if err != nil {
		return err
	}
	defer clear(dek)
	wrapped, err := s.opts.KEK.Wrap(ctx, dek, dekAAD(rec.ID))
	if err != nil {
		return fmt.Errorf("store: wrap data key %s: %w", rec.ID, err)
	}
	size, err := writeSealed(ctx, s.msgPath(rec.ID), dek, sealContext(rec.ID), body)
	if err != nil {
		return fmt.Errorf("store: write %s: %w", rec.ID, err)
	}
	rec.Size = size
	if err := writeFileAtomic(s.keyPath(rec.ID), encodeKeyFile(wrapped)); err != nil {
		os.Remove(s.msgPath(rec.ID))
		return fmt.Errorf("store: write key %s: %w", rec.ID, err)
	}
	for _, d := range []string{"msgs", "keys"} {
		if err := syncDir(filepath.Join(s.dir, d)); err != nil {
			s.removeFiles(rec.ID)
			return fmt.Errorf("store: sync %s: %w", d, err)
		}
	}
	return nil
}

func (s *DirStore) removeFiles(id string) {
	shredFile(s.keyPath(id))
	os.Remove(s.msgPath(id))
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, data)
}

// Lookup implements Store.
func (s *DirStore) Lookup(_ context.Context, token string) (Access, error) {
	var acc Access
	err := s.db.View(func(tx *bolt.Tx) error {
		ref, rec, err := s.liveToken(tx, tokenHash(token))
		if err != nil {
			return err
		}
		acc = Access{MessageID: rec.ID, Recipient: rec.Recipients[ref.Rcpt], Sender: rec.Sender,
			Created: rec.Created, Expires: rec.Expires, State: rec.State}
		return nil
	})
	return acc, err
}

// liveToken resolves a token hash to its recipient and live message.
func (s *DirStore) liveToken(tx *bolt.Tx, h []byte) (tokenRef, record, error) {
	data := tx.Bucket(bucketTokens).Get(h)
	if data == nil {
		return tokenRef{}, record{}, ErrNotFound
	}
	ref, err := decodeJSON[tokenRef](data, "token record")
	if err != nil {
		return tokenRef{}, record{}, err
	}
	rec, err := s.liveRecord(tx, ref.ID)
	if err == nil && (ref.Rcpt < 0 || ref.Rcpt >= len(rec.Recipients)) {
		err = fmt.Errorf("%w: token record recipient", ErrCorrupt)
	}
	return ref, rec, err
}

// liveRecord returns an active, unexpired message, else ErrNotFound.
func (s *DirStore) liveRecord(tx *bolt.Tx, id string) (record, error) {
	rec, err := s.getRecord(tx, id)
	if err != nil {
		return record{}, err
	}
	if rec.State != Active || !s.now().Before(rec.Expires) {
		return record{}, ErrNotFound
	}
	return rec, nil
}

func (s *DirStore) getRecord(tx *bolt.Tx, id string) (record, error) {
	if !validID(id) {
		return record{}, ErrNotFound
	}
	data := tx.Bucket(bucketMsgs).Get([]byte(id))
	if data == nil {
		return record{}, ErrNotFound
	}
	return decodeRecord(s.idx, data)
}

func (s *DirStore) putRecord(tx *bolt.Tx, rec record) error {
	data, err := encodeRecord(s.idx, rec)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketMsgs).Put([]byte(rec.ID), data)
}

// Open implements Store. The stream authenticates chunk by chunk; a read
// error satisfies errors.Is(err, ErrCorrupt) and nothing unauthenticated
// is ever returned.
func (s *DirStore) Open(ctx context.Context, id string) (io.ReadCloser, error) {
	if err := s.db.View(func(tx *bolt.Tx) error {
		_, err := s.liveRecord(tx, id)
		return err
	}); err != nil {
		return nil, err
	}
	dek, err := s.dataKey(ctx, id)
	if err != nil {
		return nil, err
	}
	defer clear(dek)
	f, err := os.Open(s.msgPath(id))
	if err != nil {
		return nil, fmt.Errorf("%w: message file %s: %v", ErrCorrupt, id, err)
	}
	r, err := seal.NewReader(f, dek, sealContext(id))
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%w: message %s: %w", ErrCorrupt, id, err)
	}
	return &openReader{r: r, f: f, id: id}, nil
}

func (s *DirStore) dataKey(ctx context.Context, id string) ([]byte, error) {
	data, err := secretfile.Read(s.keyPath(id), int64(len(keyMagic)+2+maxWrapped)) // key material: private files only
	if err != nil {
		return nil, fmt.Errorf("%w: key file %s: %v", ErrCorrupt, id, err)
	}
	wrapped, err := parseKeyFile(data)
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", id, err)
	}
	dek, err := s.opts.KEK.Unwrap(ctx, wrapped, dekAAD(id))
	if err != nil {
		return nil, fmt.Errorf("%w: unwrap key %s: %w", ErrCorrupt, id, err)
	}
	return dek, nil
}

type openReader struct {
	r  io.Reader
	f  *os.File
	id string
}

func (o *openReader) Read(p []byte) (int, error) {
	n, err := o.r.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("%w: message %s: %w", ErrCorrupt, o.id, err)
	}
	return n, err
}

func (o *openReader) Close() error { return o.f.Close() }

// OpenToken implements Store.
func (s *DirStore) OpenToken(ctx context.Context, token string) (Access, io.ReadCloser, error) {
	acc, err := s.Lookup(ctx, token)
	if err != nil {
		return Access{}, nil, err
	}
	rc, err := s.Open(ctx, acc.MessageID)
	if err != nil {
		return Access{}, nil, err
	}
	return acc, rc, nil
}

// Message implements Store.
func (s *DirStore) Message(_ context.Context, id string) (Meta, error) {
	var m Meta
	err := s.db.View(func(tx *bolt.Tx) error {
		rec, err := s.getRecord(tx, id)
		m = rec.Meta
		return err
	})
	return m, err
}

// List implements Store, in id order (random, so effectively unordered).
func (s *DirStore) List(_ context.Context) ([]Meta, error) {
	var out []Meta
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMsgs).ForEach(func(_, v []byte) error {
			rec, err := decodeRecord(s.idx, v)
			if err != nil {
				return err
			}
			out = append(out, rec.Meta)
			return nil
		})
	})
	return out, err
}
