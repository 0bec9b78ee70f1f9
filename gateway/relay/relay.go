package relay

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/sealgate/sealgate/gateway/relay/smtpclient"
	"github.com/sealgate/sealgate/gateway/relay/tlspolicy"
)

// Relay is the outbound queue and delivery engine.
type Relay struct {
	opts  Options
	store Store
	log   *slog.Logger
	now   func() time.Time
	m     *metrics

	mu   sync.Mutex
	msgs map[string]*msg
	// What dispatch looks at instead of every message (wake.go).
	ready   []*msg
	timed   wakeHeap
	blocked []*msg // waiting for a delivery slot, oldest first from blockedHead
	// blockedHead is where blocked's line starts; slotFreed says a slot
	// freed since the last round (wake.go).
	blockedHead int
	slotFreed   bool
	running     int                // group deliveries in flight
	paused      bool               // Options.Healthy said no; logged once
	perDest     map[string]int     // connections in flight per destination
	pool        *smtpclient.Pool   // idle delivered-to connections for reuse
	client      *smtpclient.Client // dials sessions meeting a TLS plan

	mem      *tlspolicy.Memory // downgrade memory; nil = off
	tls      *tlspolicy.Policy // what TLS each connection must achieve
	closeMem sync.Once

	wake      chan struct{}
	ping      chan struct{} // Alive: the scheduler loop takes one when it is not stuck
	stopCh    chan struct{}
	startOnce sync.Once
	stopOnce  sync.Once
	started   bool
	jobs      sync.WaitGroup
	sched     sync.WaitGroup
	jobCtx    context.Context
	cancel    context.CancelFunc
}

// New checks opts, fills in defaults and returns a stopped Relay.
func New(opts Options, store Store) (*Relay, error) {
	if store == nil {
		return nil, errors.New("relay: nil store")
	}
	if opts.Hostname == "" {
		return nil, errors.New("relay: Hostname is required")
	}
	if err := opts.check(); err != nil {
		return nil, err
	}
	opts.fillDefaults()
	r := &Relay{
		opts:    opts,
		store:   store,
		log:     opts.Logger,
		now:     opts.Now,
		msgs:    make(map[string]*msg),
		perDest: make(map[string]int),
		wake:    make(chan struct{}, 1),
		ping:    make(chan struct{}),
		pool:    smtpclient.NewPool(opts.MaxPerDomain, smtpclient.DefaultIdleTimeout),
		stopCh:  make(chan struct{}),
	}
	m, err := newMetrics(opts.Registerer, r)
	if err != nil {
		return nil, err
	}
	r.m = m
	r.client = smtpclient.New(smtpclient.Config{Hostname: opts.Hostname, ConnectTimeout: opts.ConnectTimeout,
		CommandTimeout: opts.CommandTimeout, RootCAs: opts.RootCAs, Count: m.tlsFailure})
	if opts.MemoryPath != "" {
		if r.mem, err = tlspolicy.OpenMemory(opts.MemoryPath); err != nil {
			return nil, err
		}
	}
	r.tls = r.newTLSPolicy(r.mem)
	r.jobCtx, r.cancel = context.WithCancel(context.Background())
	return r, nil
}

// Start starts the scheduler. Messages submitted or restored before Start
// wait for it.
func (r *Relay) Start() {
	r.startOnce.Do(func() {
		r.mu.Lock()
		r.started = true
		r.mu.Unlock()
		r.sched.Add(1)
		go r.schedule()
	})
}

// Stop stops scheduling new attempts and waits for in-flight ones. When
// ctx ends first, their connections are closed: those recipients stay
// queued (counted as a failed attempt) and are retried after a restart.
func (r *Relay) Stop(ctx context.Context) error {
	r.stopOnce.Do(func() { close(r.stopCh) })
	r.sched.Wait()
	done := make(chan struct{})
	go func() { r.jobs.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		r.cancel()
		<-done
		err = ctx.Err()
	}
	r.pool.CloseAll()
	r.cancel()
	if r.mem != nil {
		r.closeMem.Do(func() {
			if cerr := r.mem.Close(); cerr != nil && err == nil {
				err = cerr
			}
		})
	}
	return err
}

// Alive answers nil when the scheduler loop takes a ping before ctx ends:
// the systemd watchdog's proof that delivery is not wedged (a stuck lock
// or a dead loop). It says nothing about whether deliveries succeed.
func (r *Relay) Alive(ctx context.Context) error {
	select {
	case r.ping <- struct{}{}:
		return nil
	case <-r.stopCh:
		return errors.New("relay: stopped")
	case <-ctx.Done():
		return errors.New("relay: the delivery scheduler does not answer")
	}
}

func (r *Relay) kick() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}
