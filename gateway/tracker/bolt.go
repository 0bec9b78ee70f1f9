package tracker

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/sealgate/sealgate/gateway/api"
)

// Buckets of the bbolt store.
var (
	bktMsgs    = []byte("msgs")    // msg ID -> Entry (JSON)
	bktByTime  = []byte("by_time") // received unix nanos (8 bytes, big endian) + msg ID -> nothing: newest first listing, oldest first pruning
	bktPortals = []byte("portals") // portal ID -> msg ID
	bktAnnots  = []byte("annots")  // msg ID -> storedAnnotation (JSON)
	bktMeta    = []byte("meta")    // "cursor" -> Cursor (JSON)
	keyCursor  = []byte("cursor")
)

// storedAnnotation dates an annotation so one whose message never came
// can be pruned.
type storedAnnotation struct {
	At time.Time  `json:"at"`
	A  Annotation `json:"a"`
}

// BoltStore is the embedded Store: one bbolt file.
type BoltStore struct {
	db  *bolt.DB
	now func() time.Time
}

// OpenBolt opens (creating) the store file at path.
func OpenBolt(path string) (*BoltStore, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("tracker: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bktMsgs, bktByTime, bktPortals, bktAnnots, bktMeta} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("tracker: init %s: %w", path, err)
	}
	return &BoltStore{db: db, now: time.Now}, nil
}

func (s *BoltStore) Close() error { return s.db.Close() }

func (s *BoltStore) Cursor() (Cursor, error) {
	var c Cursor
	err := s.db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bktMeta).Get(keyCursor); b != nil {
			return json.Unmarshal(b, &c)
		}
		return nil
	})
	if err != nil {
		return c, fmt.Errorf("tracker: read cursor: %w", err)
	}
	return c, nil
}

func (s *BoltStore) Entry(msgID string) (*Entry, error) {
	var e *Entry
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		e, err = getEntry(tx, msgID)
		return err
	})
	return e, err
}

func getEntry(tx *bolt.Tx, msgID string) (*Entry, error) {
	b := tx.Bucket(bktMsgs).Get([]byte(msgID))
	if b == nil {
		return nil, nil
	}
	e := new(Entry)
	if err := json.Unmarshal(b, e); err != nil {
		return nil, fmt.Errorf("tracker: entry %s: %w", msgID, err)
	}
	return e, nil
}

func (s *BoltStore) PortalMsg(portalID string) (string, error) {
	var id string
	err := s.db.View(func(tx *bolt.Tx) error {
		id = string(tx.Bucket(bktPortals).Get([]byte(portalID)))
		return nil
	})
	return id, err
}

func timeKey(t time.Time, msgID string) []byte {
	k := make([]byte, 8, 8+len(msgID))
	binary.BigEndian.PutUint64(k, uint64(t.UnixNano()))
	return append(k, msgID...)
}

func (s *BoltStore) Commit(c Changes) error {
	cur, err := json.Marshal(c.Cursor)
	if err != nil {
		return err
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		msgs, byTime, portals := tx.Bucket(bktMsgs), tx.Bucket(bktByTime), tx.Bucket(bktPortals)
		for _, e := range c.Entries {
			b, err := json.Marshal(e)
			if err != nil {
				return err
			}
			id := []byte(e.Status.ID)
			if msgs.Get(id) == nil {
				if err := byTime.Put(timeKey(e.Status.Received, e.Status.ID), nil); err != nil {
					return err
				}
			}
			if err := msgs.Put(id, b); err != nil {
				return err
			}
		}
		for pid, mid := range c.Portals {
			if err := portals.Put([]byte(pid), []byte(mid)); err != nil {
				return err
			}
		}
		return tx.Bucket(bktMeta).Put(keyCursor, cur)
	})
	if err != nil {
		return fmt.Errorf("tracker: commit through seq %d: %w", c.Cursor.Applied, err)
	}
	return nil
}

// List walks by_time from the newest key (or from before the page
// cursor, which is the last key returned, base64url).
func (s *BoltStore) List(q api.MessageQuery) ([]*Entry, string, error) {
	limit := q.Limit
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	var from []byte
	if q.Cursor != "" {
		var err error
		if from, err = base64.RawURLEncoding.DecodeString(q.Cursor); err != nil || len(from) < 8 {
			return nil, "", fmt.Errorf("tracker: bad page cursor")
		}
	}
	var out []*Entry
	next := ""
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bktByTime).Cursor()
		var k []byte
		if from == nil {
			k, _ = c.Last()
		} else if k, _ = c.Seek(from); k == nil {
			k, _ = c.Last()
		}
		for ; k != nil; k, _ = c.Prev() {
			if from != nil && bytes.Compare(k, from) >= 0 {
				continue
			}
			if !q.Since.IsZero() && int64(binary.BigEndian.Uint64(k[:8])) < q.Since.UnixNano() {
				break
			}
			e, err := getEntry(tx, string(k[8:]))
			if err != nil {
				return err
			}
			if e == nil || !e.Matches(q) {
				continue
			}
			if q.Tag != "" {
				a, ok, err := getAnnotation(tx, string(k[8:]))
				if err != nil {
					return err
				}
				if !ok || !slices.Contains(a.TagKeys, q.Tag) {
					continue
				}
			}
			if len(out) == limit {
				next = base64.RawURLEncoding.EncodeToString(timeKey(out[len(out)-1].Status.Received, out[len(out)-1].Status.ID))
				return nil
			}
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	return out, next, nil
}

func (s *BoltStore) Annotate(msgID string, a Annotation) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		sa := storedAnnotation{At: s.now().UTC(), A: a}
		if old := tx.Bucket(bktAnnots).Get([]byte(msgID)); old != nil {
			var prev storedAnnotation
			if json.Unmarshal(old, &prev) == nil {
				sa.At = prev.At // pruning counts from the first annotation
			}
		}
		b, err := json.Marshal(sa)
		if err != nil {
			return err
		}
		return tx.Bucket(bktAnnots).Put([]byte(msgID), b)
	})
	if err != nil {
		return fmt.Errorf("tracker: annotate %s: %w", msgID, err)
	}
	return nil
}

func (s *BoltStore) Annotation(msgID string) (Annotation, bool, error) {
	var a Annotation
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		a, ok, err = getAnnotation(tx, msgID)
		return err
	})
	return a, ok, err
}

func getAnnotation(tx *bolt.Tx, msgID string) (Annotation, bool, error) {
	b := tx.Bucket(bktAnnots).Get([]byte(msgID))
	if b == nil {
		return Annotation{}, false, nil
	}
	var sa storedAnnotation
	if err := json.Unmarshal(b, &sa); err != nil {
		return Annotation{}, false, fmt.Errorf("tracker: annotation %s: %w", msgID, err)
	}
	return sa.A, true, nil
}

func (s *BoltStore) Prune(cutoff time.Time) (int, error) {
	n := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		msgs, byTime, portals, annots := tx.Bucket(bktMsgs), tx.Bucket(bktByTime), tx.Bucket(bktPortals), tx.Bucket(bktAnnots)
		// Keys are collected first: deleting under a bbolt cursor can skip
		// the next key.
		var gone [][]byte
		c := byTime.Cursor()
		// Updated is never before Received, so nothing received after
		// cutoff can qualify.
		for k, _ := c.First(); k != nil && int64(binary.BigEndian.Uint64(k[:8])) < cutoff.UnixNano(); k, _ = c.Next() {
			e, err := getEntry(tx, string(k[8:]))
			if err != nil {
				return err
			}
			if e == nil || (e.Finished() && e.Status.Updated.Before(cutoff)) {
				gone = append(gone, bytes.Clone(k))
			}
		}
		for _, k := range gone {
			id := k[8:]
			if e, _ := getEntry(tx, string(id)); e != nil {
				for _, pid := range e.Portal {
					if err := portals.Delete([]byte(pid)); err != nil {
						return err
					}
				}
				n++
			}
			if err := errors.Join(msgs.Delete(id), annots.Delete(id), byTime.Delete(k)); err != nil {
				return err
			}
		}
		var orphans [][]byte
		err := annots.ForEach(func(k, v []byte) error {
			var sa storedAnnotation
			if json.Unmarshal(v, &sa) == nil && sa.At.Before(cutoff) && msgs.Get(k) == nil {
				orphans = append(orphans, bytes.Clone(k))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range orphans {
			if err := annots.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("tracker: prune: %w", err)
	}
	return n, nil
}

var _ Store = (*BoltStore)(nil)
