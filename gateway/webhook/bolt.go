package webhook

import (
	"bytes"
	"context"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Bolt layout:
//
//	endpoints/<id>          sealed JSON Endpoint (API endpoints only: they hold secrets)
//	states/<id>             JSON EndpointState
//	outbox/<id>/q/<seq>     JSON meta: event ID, type, time, order key, attempts, schedule
//	outbox/<id>/body/<seq>  sealed body
//	outbox/<id>/ids/<evt>   seq: "already pending" in one lookup
//	outbox/<id>/done/<evt>  Unix nanoseconds of delivery: "already delivered" until Forget
//
// seq comes from the q bucket's sequence, so cursor order is Add order.
var (
	bktEndpoints = []byte("endpoints")
	bktStates    = []byte("states")
	bktOutbox    = []byte("outbox")
	bktQ         = []byte("q")
	bktBody      = []byte("body")
	bktIDs       = []byte("ids")
	bktDone      = []byte("done")
)

// meta is a pending delivery without its body, so Lease scans small values.
type meta struct {
	ID       string    `json:"id"`
	Type     string    `json:"t"`
	Time     time.Time `json:"at"`
	Key      string    `json:"k,omitempty"`
	Attempts int       `json:"n,omitempty"`
	Next     time.Time `json:"next,omitzero"`
	Status   int       `json:"s,omitempty"`
	Err      string    `json:"e,omitempty"`
}

// Bolt is the embedded Store: one bbolt file, fsynced on every commit.
// Concurrent Succeed and Fail calls share commits (bbolt's Batch).
type Bolt struct {
	db   *bolt.DB
	aead cipher.AEAD

	mu     sync.Mutex
	leases map[string]map[uint64]time.Time // endpoint -> seq -> held until
}

var _ Store = (*Bolt)(nil)

// OpenBolt opens (creating) the store at path. With aead not nil, event
// bodies and API endpoints (their secrets) are sealed with it, bound to
// where they are stored; nil stores them in the clear. Leases are kept in
// memory: the file lock makes this process the only user, and a restart
// ends every lease, so what was in flight is delivered again.
func OpenBolt(path string, aead cipher.AEAD) (*Bolt, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("webhook: open store %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bktEndpoints, bktStates, bktOutbox} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("webhook: init store %s: %w", path, err)
	}
	// Succeed and Fail wait for their batch: 2ms (not bbolt's 10ms) keeps
	// a delivery's commit short while concurrent ones still share fsyncs.
	db.MaxBatchDelay = 2 * time.Millisecond
	return &Bolt{db: db, aead: aead, leases: map[string]map[uint64]time.Time{}}, nil
}

// Close closes the file. Leases end with it.
func (s *Bolt) Close() error { return s.db.Close() }

func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

func (s *Bolt) seal(plain []byte, where string) ([]byte, error) {
	if s.aead == nil {
		return plain, nil
	}
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return s.aead.Seal(nonce, nonce, plain, []byte(where)), nil
}

// open returns a fresh slice: what bbolt returns lives in its mmap, valid
// only until the transaction ends (and the file is remapped as it grows).
func (s *Bolt) open(sealed []byte, where string) ([]byte, error) {
	if s.aead == nil {
		return bytes.Clone(sealed), nil
	}
	n := s.aead.NonceSize()
	if len(sealed) < n {
		return nil, fmt.Errorf("webhook: store: %s is too short to be sealed", where)
	}
	plain, err := s.aead.Open(nil, sealed[:n], sealed[n:], []byte(where))
	if err != nil {
		return nil, fmt.Errorf("webhook: store: %s does not authenticate", where)
	}
	return plain, nil
}

func bodyPlace(ep string, seq uint64) string { return fmt.Sprintf("webhook/body/%s/%d", ep, seq) }
func endpointPlace(ep string) string         { return "webhook/endpoint/" + ep }

// epBuckets returns an endpoint's outbox buckets, creating them if create.
// With create false and no outbox, q is nil.
func epBuckets(tx *bolt.Tx, id string, create bool) (q, body, ids, done *bolt.Bucket, err error) {
	ob := tx.Bucket(bktOutbox)
	eb := ob.Bucket([]byte(id))
	if eb == nil {
		if !create {
			return nil, nil, nil, nil, nil
		}
		if eb, err = ob.CreateBucket([]byte(id)); err != nil {
			return nil, nil, nil, nil, err
		}
		for _, name := range [][]byte{bktQ, bktBody, bktIDs, bktDone} {
			if _, err = eb.CreateBucket(name); err != nil {
				return nil, nil, nil, nil, err
			}
		}
	}
	return eb.Bucket(bktQ), eb.Bucket(bktBody), eb.Bucket(bktIDs), eb.Bucket(bktDone), nil
}

func (s *Bolt) Add(_ context.Context, eps []Endpoint, evs []Event, replay bool) error {
	// Update, not Batch: the producer waits for this, and a lone Batch
	// caller waits out MaxBatchDelay. Producers batch events themselves.
	err := s.db.Update(func(tx *bolt.Tx) error {
		for _, ep := range eps {
			var q, body, ids, done *bolt.Bucket
			for _, ev := range evs {
				if !ep.Wants(ev.Type) {
					continue
				}
				if q == nil {
					var err error
					if q, body, ids, done, err = epBuckets(tx, ep.ID, true); err != nil {
						return err
					}
				}
				if ids.Get([]byte(ev.ID)) != nil || (!replay && done.Get([]byte(ev.ID)) != nil) {
					continue
				}
				seq, err := q.NextSequence()
				if err != nil {
					return err
				}
				m, err := json.Marshal(meta{ID: ev.ID, Type: ev.Type, Time: ev.Time, Key: ev.OrderKey})
				if err != nil {
					return err
				}
				sealed, err := s.seal(ev.Body, bodyPlace(ep.ID, seq))
				if err != nil {
					return err
				}
				k := seqKey(seq)
				if err := errors.Join(q.Put(k, m), body.Put(k, sealed), ids.Put([]byte(ev.ID), k)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("webhook: store: add %d events: %w", len(evs), err)
	}
	return nil
}

func (s *Bolt) Lease(_ context.Context, id string, now time.Time, max int, hold time.Duration) ([]Delivery, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	held := s.leases[id]
	var ds []Delivery
	var next time.Time
	err := s.db.View(func(tx *bolt.Tx) error {
		q, body, _, _, err := epBuckets(tx, id, false)
		if q == nil || err != nil {
			return err
		}
		seen := map[string]bool{} // order keys with an older pending delivery
		c := q.Cursor()
		for k, v := c.First(); k != nil && len(ds) < max; k, v = c.Next() {
			var m meta
			if err := json.Unmarshal(v, &m); err != nil {
				return fmt.Errorf("outbox %s: record %x: %w", id, k, err)
			}
			if m.Key != "" {
				if seen[m.Key] {
					continue
				}
				seen[m.Key] = true
			}
			seq := binary.BigEndian.Uint64(k)
			if until, ok := held[seq]; ok && now.Before(until) {
				continue
			}
			if m.Next.After(now) {
				if next.IsZero() || m.Next.Before(next) {
					next = m.Next
				}
				continue
			}
			b, err := s.open(body.Get(k), bodyPlace(id, seq))
			if err != nil {
				return err
			}
			ds = append(ds, Delivery{
				Endpoint: id, Seq: seq,
				Event:    Event{ID: m.ID, Type: m.Type, Time: m.Time, OrderKey: m.Key, Body: b},
				Attempts: m.Attempts, NextAttempt: m.Next, LastStatus: m.Status, LastError: m.Err,
			})
		}
		return nil
	})
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("webhook: store: lease: %w", err)
	}
	if len(ds) > 0 && held == nil {
		held = map[uint64]time.Time{}
		s.leases[id] = held
	}
	for _, d := range ds {
		held[d.Seq] = now.Add(hold)
	}
	return ds, next, nil
}

func (s *Bolt) unlease(d Delivery) {
	s.mu.Lock()
	delete(s.leases[d.Endpoint], d.Seq)
	s.mu.Unlock()
}

func (s *Bolt) Release(_ context.Context, d Delivery) error {
	s.unlease(d)
	return nil
}

func (s *Bolt) Succeed(_ context.Context, d Delivery, at time.Time) error {
	err := s.db.Batch(func(tx *bolt.Tx) error {
		q, body, ids, done, err := epBuckets(tx, d.Endpoint, false)
		if q == nil || err != nil {
			return err // the endpoint was deleted meanwhile
		}
		k := seqKey(d.Seq)
		err = errors.Join(q.Delete(k), body.Delete(k), ids.Delete([]byte(d.Event.ID)),
			done.Put([]byte(d.Event.ID), binary.BigEndian.AppendUint64(nil, uint64(at.UnixNano()))))
		if err != nil {
			return err
		}
		_, err = updateState(tx, d.Endpoint, func(st *EndpointState) {
			st.LastSuccess = at
			st.FailingSince = time.Time{}
		})
		return err
	})
	if err != nil {
		return fmt.Errorf("webhook: store: record delivery of %s to %s: %w", d.Event.ID, d.Endpoint, err)
	}
	s.unlease(d)
	return nil
}

func (s *Bolt) Fail(_ context.Context, d Delivery, at, next time.Time) error {
	err := s.db.Batch(func(tx *bolt.Tx) error {
		q, _, _, _, err := epBuckets(tx, d.Endpoint, false)
		if q == nil || err != nil {
			return err
		}
		k := seqKey(d.Seq)
		if q.Get(k) == nil {
			return nil
		}
		m, err := json.Marshal(meta{ID: d.Event.ID, Type: d.Event.Type, Time: d.Event.Time, Key: d.Event.OrderKey,
			Attempts: d.Attempts + 1, Next: next, Status: d.LastStatus, Err: d.LastError})
		if err != nil {
			return err
		}
		if err := q.Put(k, m); err != nil {
			return err
		}
		_, err = updateState(tx, d.Endpoint, func(st *EndpointState) {
			st.LastFailure, st.LastStatus, st.LastError = at, d.LastStatus, d.LastError
			if st.FailingSince.IsZero() {
				st.FailingSince = at
			}
		})
		return err
	})
	if err != nil {
		return fmt.Errorf("webhook: store: record failure of %s to %s: %w", d.Event.ID, d.Endpoint, err)
	}
	s.unlease(d)
	return nil
}

func updateState(tx *bolt.Tx, id string, f func(*EndpointState)) (EndpointState, error) {
	b := tx.Bucket(bktStates)
	var st EndpointState
	if v := b.Get([]byte(id)); v != nil {
		if err := json.Unmarshal(v, &st); err != nil {
			return st, fmt.Errorf("state of %s: %w", id, err)
		}
	}
	f(&st)
	v, err := json.Marshal(st)
	if err != nil {
		return st, err
	}
	return st, b.Put([]byte(id), v)
}

func (s *Bolt) Pending(_ context.Context) (map[string]int, error) {
	n := map[string]int{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bktOutbox).ForEachBucket(func(id []byte) error {
			n[string(id)] = tx.Bucket(bktOutbox).Bucket(id).Bucket(bktQ).Stats().KeyN
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("webhook: store: pending: %w", err)
	}
	return n, nil
}

func (s *Bolt) Forget(_ context.Context, t time.Time) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		ob := tx.Bucket(bktOutbox)
		return ob.ForEachBucket(func(id []byte) error {
			done := ob.Bucket(id).Bucket(bktDone)
			var old [][]byte
			err := done.ForEach(func(k, v []byte) error {
				if len(v) == 8 && int64(binary.BigEndian.Uint64(v)) < t.UnixNano() {
					old = append(old, bytes.Clone(k))
				}
				return nil
			})
			for _, k := range old {
				err = errors.Join(err, done.Delete(k))
			}
			return err
		})
	})
	if err != nil {
		return fmt.Errorf("webhook: store: forget deliveries: %w", err)
	}
	return nil
}

func (s *Bolt) States(_ context.Context) (map[string]EndpointState, error) {
	out := map[string]EndpointState{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bktStates).ForEach(func(k, v []byte) error {
			var st EndpointState
			if err := json.Unmarshal(v, &st); err != nil {
				return fmt.Errorf("state of %s: %w", k, err)
			}
			out[string(k)] = st
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("webhook: store: states: %w", err)
	}
	return out, nil
}

func (s *Bolt) Disable(_ context.Context, id, reason string, at time.Time) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		_, err := updateState(tx, id, func(st *EndpointState) {
			st.Disabled, st.DisabledReason, st.DisabledAt = true, reason, at
		})
		return err
	})
	if err != nil {
		return fmt.Errorf("webhook: store: disable %s: %w", id, err)
	}
	return nil
}

func (s *Bolt) Enable(_ context.Context, id string, now time.Time) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		_, err := updateState(tx, id, func(st *EndpointState) {
			st.Disabled, st.DisabledReason, st.DisabledAt = false, "", time.Time{}
			st.FailingSince = time.Time{}
		})
		if err != nil {
			return err
		}
		q, _, _, _, err := epBuckets(tx, id, false)
		if q == nil || err != nil {
			return err
		}
		// Due now, backoff from the start: the receiver is back, and
		// waiting out a 6h retry step would help nobody.
		type rec struct{ k, v []byte }
		var recs []rec
		err = q.ForEach(func(k, v []byte) error {
			var m meta
			if err := json.Unmarshal(v, &m); err != nil {
				return err
			}
			m.Attempts, m.Next = 0, now
			nv, err := json.Marshal(m)
			recs = append(recs, rec{bytes.Clone(k), nv})
			return err
		})
		for _, r := range recs {
			err = errors.Join(err, q.Put(r.k, r.v))
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("webhook: store: enable %s: %w", id, err)
	}
	return nil
}

func (s *Bolt) PutEndpoint(_ context.Context, ep Endpoint) error {
	v, err := json.Marshal(ep)
	if err == nil {
		v, err = s.seal(v, endpointPlace(ep.ID))
	}
	if err == nil {
		err = s.db.Update(func(tx *bolt.Tx) error {
			return tx.Bucket(bktEndpoints).Put([]byte(ep.ID), v)
		})
	}
	if err != nil {
		return fmt.Errorf("webhook: store: put endpoint %s: %w", ep.ID, err)
	}
	return nil
}

func (s *Bolt) DeleteEndpoint(_ context.Context, id string) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bktEndpoints).Get([]byte(id)) == nil {
			return ErrNotFound
		}
		err := errors.Join(tx.Bucket(bktEndpoints).Delete([]byte(id)), tx.Bucket(bktStates).Delete([]byte(id)))
		if tx.Bucket(bktOutbox).Bucket([]byte(id)) != nil {
			err = errors.Join(err, tx.Bucket(bktOutbox).DeleteBucket([]byte(id)))
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("webhook: store: delete endpoint %s: %w", id, err)
	}
	s.mu.Lock()
	delete(s.leases, id)
	s.mu.Unlock()
	return nil
}

func (s *Bolt) APIEndpoints(_ context.Context) ([]Endpoint, error) {
	var eps []Endpoint
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bktEndpoints).ForEach(func(k, v []byte) error {
			plain, err := s.open(v, endpointPlace(string(k)))
			if err != nil {
				return err
			}
			var ep Endpoint
			if err := json.Unmarshal(plain, &ep); err != nil {
				return fmt.Errorf("endpoint %s: %w", k, err)
			}
			eps = append(eps, ep)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("webhook: store: endpoints: %w", err)
	}
	return eps, nil
}
