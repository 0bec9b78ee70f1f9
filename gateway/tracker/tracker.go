package tracker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sealgate/sealgate/gateway/api"
	"github.com/sealgate/sealgate/gateway/audit"
)

// Options configures New. AuditDir and Store are required.
type Options struct {
	AuditDir string
	Store    Store
	// Emit takes each batch's events before the batch's index changes are
	// committed; it must make them durable (the webhook outbox). An error
	// is retried with backoff, never skipped. nil: no events.
	Emit       func(evs []Event) error
	Logger     *slog.Logger
	Registerer prometheus.Registerer // lag gauges; may be nil
	// Retention: finished messages last updated longer ago are pruned from
	// the index. Default 30 days.
	Retention  time.Duration
	PruneEvery time.Duration    // default 1h
	MaxBatch   int              // records per batch, default 512
	Now        func() time.Time // nil = time.Now
}

// Tracker follows the audit log and keeps the message index and the
// webhook events that follow from it.
type Tracker struct {
	o      Options
	log    *slog.Logger
	lagSec prometheus.Gauge
	lagRec prometheus.Gauge

	mu      sync.Mutex
	applied uint64
	changed chan struct{} // closed and replaced when applied moves
	stop    context.CancelFunc
	done    chan struct{} // closed when Run returns; nil when not running
}

// New checks opts and registers the lag gauges.
func New(opts Options) (*Tracker, error) {
	if opts.AuditDir == "" || opts.Store == nil {
		return nil, errors.New("tracker: Options.AuditDir and Options.Store are required")
	}
	if opts.Retention <= 0 {
		opts.Retention = 30 * 24 * time.Hour
	}
	if opts.PruneEvery <= 0 {
		opts.PruneEvery = time.Hour
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 512
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	t := &Tracker{o: opts, log: opts.Logger, changed: make(chan struct{})}
	if t.log == nil {
		t.log = slog.New(slog.DiscardHandler)
	}
	t.lagSec = prometheus.NewGauge(prometheus.GaugeOpts{Name: "sealgate_tracker_lag_seconds",
		Help: "Age of the oldest audit record read but not yet applied to the message index (0 when caught up)."})
	t.lagRec = prometheus.NewGauge(prometheus.GaugeOpts{Name: "sealgate_tracker_lag_records",
		Help: "Audit records read but not yet applied to the message index."})
	if r := opts.Registerer; r != nil {
		for _, c := range []prometheus.Collector{t.lagSec, t.lagRec} {
			if err := r.Register(c); err != nil {
				return nil, fmt.Errorf("tracker: register metrics: %w", err)
			}
		}
	}
	return t, nil
}

// Run follows the audit log from the cursor until ctx is done (it returns
// ctx.Err()), or the log cannot be read.
//
// Per batch of records: derive the index changes and events, Emit the
// events, then commit the changes and the cursor in one transaction. A
// crash between the two derives and emits the same events (same IDs)
// again: at least once.
//
// On the very first start (no cursor) every retained record is indexed,
// but events are emitted only for records appended after that start, so
// an upgrade does not replay months of history to subscribers. The start
// is known as a time; the first record at or after it fixes it as a seq
// (Cursor.EmitAfter), so a later clock step cannot change what is emitted.
func (t *Tracker) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	t.mu.Lock()
	if t.done != nil {
		t.mu.Unlock()
		return errors.New("tracker: already running")
	}
	done := make(chan struct{})
	t.stop, t.done = cancel, done
	t.mu.Unlock()
	defer func() {
		t.mu.Lock()
		t.stop, t.done = nil, nil
		t.mu.Unlock()
		close(done)
	}()

	cur, err := t.o.Store.Cursor()
	if err != nil {
		return err
	}
	if cur.Started.IsZero() {
		cur.Started = t.o.Now().UTC()
		if err := t.o.Store.Commit(Changes{Cursor: cur}); err != nil {
			return err
		}
		t.log.Info("tracker: first start: indexing the retained audit log; events from now on", "started", cur.Started)
	}
	t.setApplied(cur.Applied)

	recs := make(chan audit.Record, 2*t.o.MaxBatch)
	followErr := make(chan error, 1)
	go func() {
		followErr <- audit.FollowFrom(ctx, t.o.AuditDir, cur.Applied, func(r audit.Record) error {
			select {
			case recs <- r:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	stopped := func(err error) error {
		cancel()
		ferr := <-followErr
		if err == nil {
			err = ferr
		}
		return err
	}
	t.prune()
	tick := time.NewTicker(t.o.PruneEvery)
	defer tick.Stop()
	for {
		var batch []audit.Record
		select {
		case <-ctx.Done():
			return stopped(ctx.Err())
		case err := <-followErr:
			if ctx.Err() == nil {
				t.log.Error("tracker: cannot follow the audit log", "err", err)
			}
			return err
		case <-tick.C:
			t.prune()
			continue
		case r := <-recs:
			batch = append(batch, r)
		}
	fill:
		for len(batch) < t.o.MaxBatch {
			select {
			case r := <-recs:
				batch = append(batch, r)
			default:
				break fill
			}
		}
		t.setLag(batch[0].Time, len(batch)+len(recs))
		if err := t.apply(ctx, &cur, batch); err != nil {
			return stopped(err)
		}
		if len(recs) == 0 {
			t.lagSec.Set(0)
			t.lagRec.Set(0)
		}
	}
}

func (t *Tracker) setLag(oldest time.Time, n int) {
	t.lagSec.Set(max(t.o.Now().Sub(oldest).Seconds(), 0))
	t.lagRec.Set(float64(n))
}

// apply derives, emits and commits one batch; it returns only when that is
// done or ctx is (with ctx.Err()).
func (t *Tracker) apply(ctx context.Context, cur *Cursor, batch []audit.Record) error {
	var (
		ch  Changes
		evs []Event
	)
	if err := t.retry(ctx, "derive", func() (err error) {
		ch, evs, err = t.derive(*cur, batch)
		return err
	}); err != nil {
		return err
	}
	if t.o.Emit != nil && len(evs) > 0 {
		if err := t.retry(ctx, "emit", func() error { return t.o.Emit(evs) }); err != nil {
			return err
		}
	}
	if err := t.retry(ctx, "commit", func() error { return t.o.Store.Commit(ch) }); err != nil {
		return err
	}
	*cur = ch.Cursor
	t.setApplied(cur.Applied)
	return nil
}

// derive turns a batch into index changes, the new cursor and the events
// to emit.
func (t *Tracker) derive(cur Cursor, batch []audit.Record) (Changes, []Event, error) {
	v := newView(t.o.Store)
	var emit []Event
	for _, r := range batch {
		if r.Seq <= cur.Applied {
			continue
		}
		if r.Seq > cur.Applied+1 && cur.Applied > 0 {
			// seq has no gaps: audit retention removed records before
			// they were applied (the tracker was down that long).
			t.log.Warn("tracker: audit records missing; their changes and events are lost", "from_seq", cur.Applied+1, "to_seq", r.Seq-1)
		}
		evs, err := derive(v, r)
		if errors.Is(err, errBadRecord) {
			t.log.Warn("tracker: skipping a record whose data does not decode", "seq", r.Seq, "type", r.Type)
		} else if err != nil {
			return Changes{}, nil, err
		}
		if !cur.EmitFixed && !r.Time.Before(cur.Started) {
			cur.EmitFixed, cur.EmitAfter = true, r.Seq-1
		}
		if cur.EmitFixed && r.Seq > cur.EmitAfter {
			emit = append(emit, evs...)
		}
		cur.Applied = r.Seq
	}
	return Changes{Entries: v.changed, Portals: v.portals, Cursor: cur}, emit, nil
}

// retry calls fn until it succeeds or ctx is done, backing off from 100ms
// to 30s.
func (t *Tracker) retry(ctx context.Context, what string, fn func() error) error {
	wait := 100 * time.Millisecond
	for n := 1; ; n++ {
		err := fn()
		if err == nil {
			return nil
		}
		t.log.Warn("tracker: "+what+" failed; retrying", "attempt", n, "retry_in", wait, "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 30*time.Second)
	}
}

func (t *Tracker) prune() {
	n, err := t.o.Store.Prune(t.o.Now().Add(-t.o.Retention))
	if err != nil {
		t.log.Error("tracker: prune failed", "err", err)
	} else if n > 0 {
		t.log.Info("tracker: pruned finished messages", "count", n)
	}
}

func (t *Tracker) setApplied(seq uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.applied = seq
	close(t.changed)
	t.changed = make(chan struct{})
}

// Wait returns once the records up to seq are applied to the index, or
// with ctx.Err().
func (t *Tracker) Wait(ctx context.Context, seq uint64) error {
	for {
		t.mu.Lock()
		applied, ch := t.applied, t.changed
		t.mu.Unlock()
		if applied >= seq {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Close stops Run and waits for it to return. It does not close the Store.
func (t *Tracker) Close() {
	t.mu.Lock()
	stop, done := t.stop, t.done
	t.mu.Unlock()
	if stop != nil {
		stop()
		<-done
	}
}

// Message is one message's status; api.ErrNotFound when unknown.
func (t *Tracker) Message(id string) (api.MessageStatus, error) {
	e, err := t.o.Store.Entry(id)
	if err != nil {
		return api.MessageStatus{}, err
	}
	if e == nil {
		return api.MessageStatus{}, api.ErrNotFound
	}
	return t.status(e)
}

// Messages lists messages newest first: received since q.Since, with a
// recipient in q.Status and/or the recipient q.Recipient, annotated with
// the tag key q.Tag.
func (t *Tracker) Messages(q api.MessageQuery) (api.MessagePage, error) {
	es, next, err := t.o.Store.List(q)
	if err != nil {
		return api.MessagePage{}, err
	}
	page := api.MessagePage{Messages: make([]api.MessageStatus, 0, len(es)), Next: next}
	for _, e := range es {
		st, err := t.status(e)
		if err != nil {
			return api.MessagePage{}, err
		}
		page.Messages = append(page.Messages, st)
	}
	return page, nil
}

// status is e's status with its annotation's source and key ID. The
// sealed tags and metadata are the caller's to open.
func (t *Tracker) status(e *Entry) (api.MessageStatus, error) {
	st := e.Status
	a, ok, err := t.o.Store.Annotation(st.ID)
	if err != nil {
		return api.MessageStatus{}, err
	}
	if ok && a.KeyID != "" {
		st.KeyID = a.KeyID
	}
	if ok {
		if a.Source != "" {
			st.Source = a.Source
		}
	}
	return st, nil
}

// Exists says whether the index knows the message.
func (t *Tracker) Exists(id string) bool {
	e, err := t.o.Store.Entry(id)
	if err != nil {
		t.log.Error("tracker: exists: store read failed", "msg_id", id, "err", err)
	}
	return e != nil
}

// Decided says whether the index holds a policy decision for id: a
// message that was received but refused before any decision (removed with
// a temporary error) was never sent.
func (t *Tracker) Decided(id string) bool {
	e, err := t.o.Store.Entry(id)
	if err != nil {
		t.log.Error("tracker: decided: store read failed", "msg_id", id, "err", err)
	}
	return e != nil && e.Status.Action != ""
}

// Annotate stores what the API knows about a message; durable on return.
// It may come before the message's received record is applied.
func (t *Tracker) Annotate(id string, a Annotation) error { return t.o.Store.Annotate(id, a) }

// Annotation returns a message's annotation.
func (t *Tracker) Annotation(id string) (Annotation, bool) {
	a, ok, err := t.o.Store.Annotation(id)
	if err != nil {
		t.log.Error("tracker: annotation: store read failed", "msg_id", id, "err", err)
	}
	return a, ok
}

// Replay derives again the events of every retained audit record since
// since and passes them to fn in batches, in order, with the IDs the
// first derivation gave them. The index is not touched: deriving starts
// from an empty in-memory state at the first retained record, so
// messages received before since are known to the events after it.
func (t *Tracker) Replay(ctx context.Context, since time.Time, fn func([]Event) error) error {
	v := newView(nil)
	var buf []Event
	err := audit.Scan(t.o.AuditDir, audit.Filter{}, func(r audit.Record) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		evs, err := derive(v, r)
		if errors.Is(err, errBadRecord) {
			t.log.Warn("tracker: replay: skipping a record whose data does not decode", "seq", r.Seq, "type", r.Type)
		} else if err != nil {
			return err
		}
		if !r.Time.Before(since) {
			buf = append(buf, evs...)
		}
		if len(buf) >= t.o.MaxBatch {
			err, buf = fn(buf), nil
			return err
		}
		return nil
	})
	if err == nil && len(buf) > 0 {
		err = fn(buf)
	}
	return err
}
