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
//	outbox/<id>/chain/<key>\x00<seq>   every pending delivery with an order key, by key then Add order
//	outbox/<id>/sched/<due><seq>       only the deliveries that may go next: the oldest of
//	                                   each order key, and every one without a key; due is
//	                                   8 bytes of Unix nanoseconds (0: at once)
//
// seq comes from the q bucket's sequence, so cursor order is Add order.
// Lease walks sched from the start and stops at the first delivery not yet
// due: its cost is what is due (plus what is leased), not the backlog, so
// an endpoint that is down with a million events queued costs nothing
// between its retries. Succeed moves the key's next delivery into sched.
var (
	bktEndpoints = []byte("endpoints")
	bktStates    = []byte("states")
	bktOutbox    = []byte("outbox")
	bktQ         = []byte("q")
	bktBody      = []byte("body")
	bktIDs       = []byte("ids")
	bktDone      = []byte("done")
	bktChain     = []byte("chain")
	bktSched     = []byte("sched")
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

// outbox is one endpoint's buckets.
type outbox struct{ q, body, ids, done, chain, sched *bolt.Bucket }

// openOutbox returns an endpoint's outbox, creating it if create; nil if
// there is none and create is false.
func openOutbox(tx *bolt.Tx, id string, create bool) (*outbox, error) {
	ob := tx.Bucket(bktOutbox)
	eb := ob.Bucket([]byte(id))
	if eb == nil {
		if !create {
			return nil, nil
		}
		var err error
		if eb, err = ob.CreateBucket([]byte(id)); err != nil {
			return nil, err
		}
		for _, name := range [][]byte{bktQ, bktBody, bktIDs, bktDone, bktChain, bktSched} {
			if _, err = eb.CreateBucket(name); err != nil {
				return nil, err
			}
		}
	}
	return &outbox{eb.Bucket(bktQ), eb.Bucket(bktBody), eb.Bucket(bktIDs), eb.Bucket(bktDone),
		eb.Bucket(bktChain), eb.Bucket(bktSched)}, nil
}

func chainKey(key string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(append([]byte(key), 0), seq)
}

func schedKey(due time.Time, seq uint64) []byte {
	var ns uint64
	if !due.IsZero() && due.UnixNano() > 0 {
		ns = uint64(due.UnixNano())
	}
	return binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, ns), seq)
}

func schedTime(k []byte) time.Time {
	ns := binary.BigEndian.Uint64(k[:8])
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, int64(ns))
}

// firstOfKey returns the seq of the oldest pending delivery of key.
func (o *outbox) firstOfKey(key string) (uint64, bool) {
	prefix := append([]byte(key), 0)
	k, _ := o.chain.Cursor().Seek(prefix)
	if k == nil || !bytes.HasPrefix(k, prefix) || len(k) != len(prefix)+8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(k[len(prefix):]), true
}

func (o *outbox) meta(seq uint64) (meta, bool, error) {
	v := o.q.Get(seqKey(seq))
	if v == nil {
		return meta{}, false, nil
	}
	var m meta
	if err := json.Unmarshal(v, &m); err != nil {
		return m, false, fmt.Errorf("record %d: %w", seq, err)
	}
	return m, true, nil
}

func (s *Bolt) Add(_ context.Context, eps []Endpoint, evs []Event, replay bool) error {
	// Update, not Batch: the producer waits for this, and a lone Batch
	// caller waits out MaxBatchDelay. Producers batch events themselves.
	err := s.db.Update(func(tx *bolt.Tx) error {
		for _, ep := range eps {
			var o *outbox
			for _, ev := range evs {
				if !ep.Wants(ev.Type) {
					continue
				}
				if o == nil {
					var err error
					if o, err = openOutbox(tx, ep.ID, true); err != nil {
						return err
					}
				}
				if o.ids.Get([]byte(ev.ID)) != nil || (!replay && o.done.Get([]byte(ev.ID)) != nil) {
					continue
				}
				seq, err := o.q.NextSequence()
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
				if err := errors.Join(o.q.Put(k, m), o.body.Put(k, sealed), o.ids.Put([]byte(ev.ID), k)); err != nil {
					return err
				}
				// First of its key (or keyless): it may go at once.
				if _, waiting := o.firstOfKey(ev.OrderKey); ev.OrderKey == "" || !waiting {
					if err := o.sched.Put(schedKey(time.Time{}, seq), nil); err != nil {
						return err
					}
				}
				if ev.OrderKey != "" {
					if err := o.chain.Put(chainKey(ev.OrderKey, seq), nil); err != nil {
						return err
					}
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
		o, err := openOutbox(tx, id, false)
		if o == nil || err != nil {
			return err
		}
		c := o.sched.Cursor()
		for k, _ := c.First(); k != nil && len(ds) < max; k, _ = c.Next() {
			seq := binary.BigEndian.Uint64(k[8:])
			if due := schedTime(k); due.After(now) {
				next = due
				break
			}
			if until, ok := held[seq]; ok && now.Before(until) {
				continue
			}
			m, ok, err := o.meta(seq)
			if err != nil || !ok {
				return fmt.Errorf("outbox %s: scheduled %d: missing or bad record: %v", id, seq, err)
			}
			b, err := s.open(o.body.Get(seqKey(seq)), bodyPlace(id, seq))
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
		o, err := openOutbox(tx, d.Endpoint, false)
		if o == nil || err != nil {
			return err // the endpoint was deleted meanwhile
		}
		m, ok, err := o.meta(d.Seq)
		if !ok || err != nil {
			return err // already recorded (a batch retried, a lease that ran out)
		}
		k := seqKey(d.Seq)
		err = errors.Join(o.q.Delete(k), o.body.Delete(k), o.ids.Delete([]byte(m.ID)),
			o.sched.Delete(schedKey(m.Next, d.Seq)),
			o.done.Put([]byte(m.ID), binary.BigEndian.AppendUint64(nil, uint64(at.UnixNano()))))
		if err != nil {
			return err
		}
		if m.Key != "" {
			if err := o.chain.Delete(chainKey(m.Key, d.Seq)); err != nil {
				return err
			}
			// The key's next delivery may go now (or when its own
			// schedule, reset by Enable, says).
			if seq, ok := o.firstOfKey(m.Key); ok {
				nm, _, err := o.meta(seq)
				if err != nil {
					return err
				}
				if err := o.sched.Put(schedKey(nm.Next, seq), nil); err != nil {
					return err
				}
			}
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
		o, err := openOutbox(tx, d.Endpoint, false)
		if o == nil || err != nil {
			return err
		}
		old, ok, err := o.meta(d.Seq)
		if !ok || err != nil {
			return err
		}
		m := old
		m.Attempts, m.Next, m.Status, m.Err = d.Attempts+1, next, d.LastStatus, d.LastError
		v, err := json.Marshal(m)
		if err != nil {
			return err
		}
		err = errors.Join(o.q.Put(seqKey(d.Seq), v),
			o.sched.Delete(schedKey(old.Next, d.Seq)), o.sched.Put(schedKey(next, d.Seq), nil))
		if err != nil {
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
		o, err := openOutbox(tx, id, false)
		if o == nil || err != nil {
			return err
		}
		// Due now, backoff from the start: the receiver is back, and
		// waiting out a 6h retry step would help nobody.
		type rec struct{ k, v []byte }
		var recs []rec
		err = o.q.ForEach(func(k, v []byte) error {
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
			err = errors.Join(err, o.q.Put(r.k, r.v))
		}
		var heads [][]byte
		err = errors.Join(err, o.sched.ForEach(func(k, _ []byte) error {
			heads = append(heads, bytes.Clone(k))
			return nil
		}))
		for _, k := range heads {
			err = errors.Join(err, o.sched.Delete(k), o.sched.Put(schedKey(now, binary.BigEndian.Uint64(k[8:])), nil))
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
