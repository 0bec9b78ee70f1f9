package webhook

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Defaults for the zero values of Options.
const (
	DefaultConcurrency       = 4
	DefaultTimeout           = 15 * time.Second
	DefaultRetryMin          = 5 * time.Second
	DefaultRetryMax          = 6 * time.Hour
	DefaultDisableAfter      = 72 * time.Hour
	DefaultRememberDelivered = 7 * 24 * time.Hour
)

const (
	// responseLimit: a receiver's answer is read this far (so the
	// connection can be reused) and discarded.
	responseLimit = 64 << 10
	// idlePoll bounds every sleep, so deliveries that become due without
	// a wake-up (another node's Add, a clock set by a test) still go.
	idlePoll = 30 * time.Second
	// forgetEvery is how often the memory of old deliveries is pruned.
	forgetEvery = time.Hour
)

// Options configure a Dispatcher. Store is required.
type Options struct {
	Store     Store
	Endpoints []Endpoint // from the config file; API endpoints come from Store

	// Client sends the requests; the lead's carries the CA pool. Its
	// redirect policy is replaced: a 3xx is a failure, never followed.
	Client     *http.Client
	Logger     *slog.Logger
	Registerer prometheus.Registerer // nil: no metrics

	Concurrency  int           // attempts in flight per endpoint (4)
	Timeout      time.Duration // per attempt, response headers included (15s)
	RetryMin     time.Duration // first retry delay (5s)
	RetryMax     time.Duration // longest retry delay (6h)
	DisableAfter time.Duration // only failures for this long disables the endpoint (72h)
	// RememberDelivered is how long an event ID delivered to an endpoint
	// is remembered, so that the producer re-adding it after a crash does
	// not send it again (7 days). Replay sends it anyway.
	RememberDelivered time.Duration

	AllowLoopbackHTTP bool // http:// to 127.0.0.1, ::1, localhost (tests)

	// OnDisabled is called once when an endpoint is disabled (the lead
	// writes an audit record). It must not block for long.
	OnDisabled func(ep Endpoint, reason string)
	Now        func() time.Time // the clock for timestamps and schedules
}

// Dispatcher delivers the outbox: one worker per enabled endpoint, each
// with up to Concurrency attempts in flight, never two events of the same
// OrderKey at once, and the later one only after the earlier succeeded.
type Dispatcher struct {
	o       Options
	store   Store
	client  *http.Client
	log     *slog.Logger
	now     func() time.Time
	results *prometheus.CounterVec

	ctx      context.Context // in-flight attempts; cancelled by a Stop that runs out of time
	cancel   context.CancelFunc
	stopping chan struct{}
	wg       sync.WaitGroup

	mu      sync.Mutex
	eps     map[string]*endpoint
	started bool
	stopped bool
}

type endpoint struct {
	id    string   // ep.ID, which never changes: read without d.mu
	ep    Endpoint // Disabled* fields are kept in state, not here
	keys  [][]byte
	state EndpointState
	wake  chan struct{} // capacity 1: "look at the outbox again"
	quit  chan struct{} // closed when the endpoint is removed
}

// EndpointStatus is an endpoint as `webhooks list` shows it. Secrets are
// never included.
type EndpointStatus struct {
	Endpoint
	Pending      int
	FailingSince time.Time
	LastSuccess  time.Time
	LastFailure  time.Time
	LastStatus   int
	LastError    string
}

// New checks the options, loads API endpoints and every endpoint's state
// from the store, and merges the config endpoints in. Nothing is sent
// before Start.
func New(o Options) (*Dispatcher, error) {
	if o.Store == nil {
		return nil, errors.New("webhook: Options.Store is nil")
	}
	if o.Client == nil {
		o.Client = &http.Client{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	defDur := func(d *time.Duration, def time.Duration) {
		if *d <= 0 {
			*d = def
		}
	}
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	defDur(&o.Timeout, DefaultTimeout)
	defDur(&o.RetryMin, DefaultRetryMin)
	defDur(&o.RetryMax, DefaultRetryMax)
	defDur(&o.DisableAfter, DefaultDisableAfter)
	defDur(&o.RememberDelivered, DefaultRememberDelivered)
	if o.RetryMax < o.RetryMin {
		return nil, fmt.Errorf("webhook: RetryMax %s is shorter than RetryMin %s", o.RetryMax, o.RetryMin)
	}

	client := *o.Client // a copy: the caller's client keeps its own policy
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	d := &Dispatcher{
		o: o, store: o.Store, client: &client, log: o.Logger, now: o.Now,
		stopping: make(chan struct{}),
		eps:      map[string]*endpoint{},
	}
	d.ctx, d.cancel = context.WithCancel(context.Background())

	ctx := context.Background()
	apis, err := d.store.APIEndpoints(ctx)
	if err != nil {
		return nil, err
	}
	states, err := d.store.States(ctx)
	if err != nil {
		return nil, err
	}
	for _, ep := range apis {
		e, err := d.newEndpoint(ep)
		if err != nil {
			// One bad stored endpoint must not stop the others; its
			// events stay in the outbox.
			d.log.Error("webhook: stored API endpoint is invalid; not delivering to it", "endpoint", ep.ID, "err", err)
			continue
		}
		e.state = states[ep.ID]
		d.eps[ep.ID] = e
	}
	if _, err := d.setConfig(o.Endpoints, states); err != nil {
		return nil, err
	}
	if err := d.registerMetrics(o.Registerer); err != nil {
		return nil, err
	}
	return d, nil
}

func (d *Dispatcher) newEndpoint(ep Endpoint) (*endpoint, error) {
	if err := ep.Validate(d.o.AllowLoopbackHTTP); err != nil {
		return nil, err
	}
	keys, err := parseSecrets(ep.Secrets)
	if err != nil {
		return nil, err
	}
	ep.Disabled, ep.DisabledReason, ep.DisabledAt = false, "", time.Time{}
	return &endpoint{id: ep.ID, ep: ep, keys: keys, wake: make(chan struct{}, 1), quit: make(chan struct{})}, nil
}

// Start launches the workers. Everything pending in the store, including
// what was in flight when the process last stopped, is sent again.
func (d *Dispatcher) Start() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.started || d.stopped {
		return
	}
	d.started = true
	for _, e := range d.eps {
		d.startWorker(e)
	}
	d.wg.Add(1)
	go d.forgetLoop()
}

// startWorker needs d.mu held.
func (d *Dispatcher) startWorker(e *endpoint) {
	if d.started && !d.stopped {
		d.wg.Add(1)
		go d.run(e)
	}
}

// Stop stops leasing and waits for attempts in flight. If ctx ends first,
// they are cancelled and released unrecorded: the receiver may have got
// them, and they will be sent again after a restart (at least once).
// The store stays open; the caller closes it.
func (d *Dispatcher) Stop(ctx context.Context) error {
	d.mu.Lock()
	if d.stopped {
		d.mu.Unlock()
		return nil
	}
	d.stopped = true
	close(d.stopping)
	d.mu.Unlock()

	done := make(chan struct{})
	go func() { d.wg.Wait(); close(done) }()
	select {
	case <-done:
		d.cancel()
		return nil
	case <-ctx.Done():
		d.cancel()
		<-done
		return fmt.Errorf("webhook: stop: %w: attempts in flight were abandoned and stay pending", ctx.Err())
	}
}

// eventIDPattern: the webhook-id is signed as "id.timestamp.body", so it
// must not contain a dot (spec: "Signature scheme").
var eventIDPattern = regexp.MustCompile(`^[A-Za-z0-9_:-]{1,128}$`)

func validateEvents(evs []Event) error {
	var errs []error
	for i, ev := range evs {
		if !eventIDPattern.MatchString(ev.ID) {
			errs = append(errs, fmt.Errorf("webhook: event %d: id: want 1 to 128 of A-Z a-z 0-9 _ : -", i))
		}
		if !slices.Contains(EventTypes, ev.Type) {
			errs = append(errs, fmt.Errorf("webhook: event %d: unknown type %q", i, ev.Type))
		}
		if len(ev.Body) == 0 {
			errs = append(errs, fmt.Errorf("webhook: event %d (%s): empty body", i, ev.ID))
		}
	}
	return errors.Join(errs...)
}

// Emit adds events to the outbox for every subscribed endpoint, disabled
// ones included (they get them after Enable), durably, then wakes the
// workers. An event already pending or recently delivered to an endpoint
// is not added again for it.
func (d *Dispatcher) Emit(evs []Event) error { return d.add(evs, false) }

// Replay is Emit for events that may have been delivered already: each
// is sent again to every subscribed endpoint where it is not pending.
func (d *Dispatcher) Replay(evs []Event) error { return d.add(evs, true) }

func (d *Dispatcher) add(evs []Event, replay bool) error {
	if len(evs) == 0 {
		return nil
	}
	if err := validateEvents(evs); err != nil {
		return err
	}
	d.mu.Lock()
	eps := make([]Endpoint, 0, len(d.eps))
	wakes := make([]chan struct{}, 0, len(d.eps))
	for _, e := range d.eps {
		eps = append(eps, e.ep)
		wakes = append(wakes, e.wake)
	}
	d.mu.Unlock()
	if err := d.store.Add(context.Background(), eps, evs, replay); err != nil {
		return err
	}
	for _, w := range wakes {
		poke(w)
	}
	return nil
}

func poke(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// run is one endpoint's worker: lease what is due into free slots, sleep
// until something is due, an attempt ends, or Emit or Enable wakes it.
//
// A slot is one HTTP request in flight. Recording its outcome (a commit)
// happens after the slot is free, so requests and fsyncs overlap; the
// delivery stays leased until recorded, so its message's next event
// still waits. Up to 4×Concurrency outcomes may be being recorded.
func (d *Dispatcher) run(e *endpoint) {
	defer d.wg.Done()
	id := e.id
	conc := d.o.Concurrency
	maxRecording := 4 * conc
	hold := d.o.Timeout + time.Minute // longer than any attempt: no double lease in one process
	posted := make(chan struct{}, conc)
	settled := make(chan struct{}, conc+maxRecording)
	inflight, recording, outstanding := 0, 0, 0
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-d.stopping:
		case <-e.quit:
		default:
			wait := idlePoll
			if inflight < conc && recording < maxRecording && !d.disabled(e) {
				now := d.now()
				ds, next, err := d.store.Lease(context.Background(), id, now, conc-inflight, hold)
				if err != nil {
					d.log.Error("webhook: lease failed", "endpoint", id, "err", err)
					wait = d.o.RetryMin
				}
				for _, dl := range ds {
					inflight++
					outstanding++
					go func() {
						d.attempt(e, dl, posted)
						settled <- struct{}{}
					}()
				}
				if !next.IsZero() {
					wait = min(wait, max(next.Sub(now), time.Millisecond))
				}
			}
			timer.Reset(wait)
			select {
			case <-e.wake:
			case <-posted:
				inflight--
				recording++
			case <-settled:
				recording--
				outstanding--
			case <-timer.C:
			case <-d.stopping:
			case <-e.quit:
			}
			continue
		}
		for outstanding > 0 {
			select {
			case <-posted:
			case <-settled:
				outstanding--
			}
		}
		return
	}
}

func (d *Dispatcher) disabled(e *endpoint) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return e.state.Disabled
}

// attempt sends one delivery, signals posted, and records the outcome.
func (d *Dispatcher) attempt(e *endpoint, dl Delivery, posted chan<- struct{}) {
	ctx := context.Background()
	d.mu.Lock()
	ep, keys := e.ep, e.keys
	d.mu.Unlock()
	log := d.log.With("endpoint", ep.ID, "event_id", dl.Event.ID, "type", dl.Event.Type, "msg_id", dl.Event.OrderKey, "attempt", dl.Attempts+1)

	status, retryAfter, err := d.post(d.ctx, ep.URL, keys, dl.Event.ID, dl.Event.Body)
	posted <- struct{}{}
	if d.ctx.Err() != nil {
		// Stopped mid-attempt: not the receiver's failure.
		_ = d.store.Release(ctx, dl)
		return
	}
	now := d.now()
	if err == nil {
		// The endpoint's health changes in memory before the store's
		// commit ends the lease, so the next attempt sees it.
		d.mu.Lock()
		e.state.LastSuccess, e.state.FailingSince = now, time.Time{}
		d.mu.Unlock()
		if err := d.store.Succeed(ctx, dl, now); err != nil {
			log.Error("webhook: delivered, but recording it failed; it will be sent again", "err", err)
			_ = d.store.Release(ctx, dl)
			return
		}
		d.count(ep.ID, "delivered")
		log.Debug("webhook: delivered", "status", status)
		return
	}

	d.count(ep.ID, "failed")
	dl.LastStatus, dl.LastError = status, err.Error()
	next := now.Add(d.backoff(dl.Attempts+1, retryAfter))

	// Decide on disabling before the failure is recorded (which ends the
	// lease): the worker must not lease again into a disabled endpoint.
	// Only the attempt that flips Disabled here disables.
	d.mu.Lock()
	st := &e.state
	if st.FailingSince.IsZero() {
		st.FailingSince = now
	}
	st.LastFailure, st.LastStatus, st.LastError = now, dl.LastStatus, dl.LastError
	since := st.FailingSince
	current := d.eps[ep.ID] == e // not deleted or replaced meanwhile
	disable := current && !st.Disabled && now.Sub(since) >= d.o.DisableAfter
	if disable {
		st.Disabled = true
	}
	d.mu.Unlock()

	if err := d.store.Fail(ctx, dl, now, next); err != nil {
		log.Error("webhook: recording a failed attempt failed", "err", err)
		_ = d.store.Release(ctx, dl)
	} else {
		log.Warn("webhook: attempt failed", "status", status, "err", dl.LastError, "next", next)
	}
	if disable {
		reason := fmt.Sprintf("only failed deliveries for %s (since %s); last: %s",
			now.Sub(since).Round(time.Second), since.UTC().Format(time.RFC3339), dl.LastError)
		d.disable(e, reason, now)
	}
}

// disable records what attempt decided (e.state.Disabled is already set)
// and tells the lead.
func (d *Dispatcher) disable(e *endpoint, reason string, now time.Time) {
	if err := d.store.Disable(context.Background(), e.id, reason, now); err != nil {
		d.log.Error("webhook: disabling endpoint failed; it stays disabled until restart", "endpoint", e.id, "err", err)
	}
	d.mu.Lock()
	e.state.DisabledReason, e.state.DisabledAt = reason, now
	ep := e.ep
	ep.Disabled, ep.DisabledReason, ep.DisabledAt = true, reason, now
	d.mu.Unlock()
	d.log.Warn("webhook: endpoint disabled; its events stay queued until enabled", "endpoint", ep.ID, "reason", reason)
	if d.o.OnDisabled != nil {
		d.o.OnDisabled(ep, reason)
	}
}

// backoff is the delay after the n-th failed attempt: RetryMin doubled
// n-1 times up to RetryMax, then ±25% jitter so a crowd of retries
// spreads out (at the cap too), kept within [RetryMin, RetryMax]. A
// Retry-After from the receiver is honoured up to RetryMax.
func (d *Dispatcher) backoff(n int, retryAfter time.Duration) time.Duration {
	base := d.o.RetryMin
	for i := 1; i < n && base < d.o.RetryMax; i++ {
		base *= 2
	}
	base = min(base, d.o.RetryMax)
	delay := time.Duration(float64(base) * (0.75 + 0.5*mrand.Float64()))
	delay = max(delay, retryAfter)
	return min(max(delay, d.o.RetryMin), d.o.RetryMax)
}

// post makes one signed attempt. status is 0 when no response came.
func (d *Dispatcher) post(ctx context.Context, target string, keys [][]byte, id string, body []byte) (status int, retryAfter time.Duration, err error) {
	ctx, cancel := context.WithTimeout(ctx, d.o.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, 0, errors.New("cannot build a request for the endpoint URL")
	}
	// Signed afresh each attempt: a new timestamp, the same webhook-id.
	for k, v := range Headers(keys, id, d.now(), body) {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "sealgate-webhook")
	resp, err := d.client.Do(req)
	if err != nil {
		return 0, 0, transportError(ctx, err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, responseLimit))
	resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp.StatusCode, 0, nil
	}
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
		retryAfter = time.Duration(s) * time.Second
	}
	return resp.StatusCode, retryAfter, fmt.Errorf("HTTP status %d", resp.StatusCode)
}

// transportError drops the *url.Error wrapper: it quotes the URL, whose
// query may hold a token.
func transportError(ctx context.Context, err error) error {
	if ctx.Err() == context.DeadlineExceeded {
		return errors.New("no response within the timeout")
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// Endpoints lists every endpoint with its state and pending count, by ID.
func (d *Dispatcher) Endpoints() []EndpointStatus {
	pending, err := d.store.Pending(context.Background())
	if err != nil {
		d.log.Error("webhook: pending counts unavailable", "err", err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]EndpointStatus, 0, len(d.eps))
	for id, e := range d.eps {
		ep := e.ep
		ep.Secrets = nil
		ep.Disabled, ep.DisabledReason, ep.DisabledAt = e.state.Disabled, e.state.DisabledReason, e.state.DisabledAt
		out = append(out, EndpointStatus{
			Endpoint: ep, Pending: pending[id],
			FailingSince: e.state.FailingSince, LastSuccess: e.state.LastSuccess, LastFailure: e.state.LastFailure,
			LastStatus: e.state.LastStatus, LastError: e.state.LastError,
		})
	}
	slices.SortFunc(out, func(a, b EndpointStatus) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// lookup finds an endpoint by ID, or else by URL, and returns it with a
// copy of its definition and keys.
func (d *Dispatcher) lookup(idOrURL string) (*endpoint, Endpoint, [][]byte, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, ok := d.eps[idOrURL]
	for _, c := range d.eps {
		if !ok && c.ep.URL == idOrURL {
			e, ok = c, true
		}
	}
	if !ok {
		return nil, Endpoint{}, nil, false
	}
	return e, e.ep, e.keys, true
}

// Test sends one signed webhook.test event to an endpoint (by ID or URL),
// disabled or not, outside the outbox, and returns the HTTP status (0 if
// none came) and why it failed.
func (d *Dispatcher) Test(ctx context.Context, idOrURL string) (int, error) {
	_, ep, keys, ok := d.lookup(idOrURL)
	if !ok {
		return 0, ErrNotFound
	}
	id := "evt_test_" + randomID()
	body, err := json.Marshal(map[string]any{
		"type":      TestEventType,
		"timestamp": d.now().UTC().Format(time.RFC3339Nano),
		"data":      map[string]string{"endpoint_id": ep.ID},
	})
	if err != nil {
		return 0, err
	}
	status, _, err := d.post(ctx, ep.URL, keys, id, body)
	if err != nil {
		return status, fmt.Errorf("webhook: test %s: %w", ep.ID, err)
	}
	return status, nil
}

// Enable re-enables an endpoint: its pending events are due at once.
func (d *Dispatcher) Enable(id string) error {
	e, ep, _, ok := d.lookup(id)
	if !ok || ep.ID != id {
		return ErrNotFound
	}
	if err := d.store.Enable(context.Background(), id, d.now()); err != nil {
		return err
	}
	d.mu.Lock()
	e.state.Disabled, e.state.DisabledReason, e.state.DisabledAt = false, "", time.Time{}
	e.state.FailingSince = time.Time{}
	d.mu.Unlock()
	d.log.Info("webhook: endpoint enabled", "endpoint", id)
	poke(e.wake)
	return nil
}

// SetEndpoints replaces the config endpoints (a reload). Every problem is
// returned and nothing changes if there is one. A config endpoint that
// disappears keeps its outbox and state under its ID: if it comes back,
// its events flow again.
func (d *Dispatcher) SetEndpoints(config []Endpoint) error {
	states, err := d.store.States(context.Background())
	if err != nil {
		return err
	}
	removed, err := d.setConfig(config, states)
	if err != nil || len(removed) == 0 {
		return err
	}
	pending, err := d.store.Pending(context.Background())
	if err != nil {
		return nil // the reload itself succeeded
	}
	for _, id := range removed {
		if pending[id] > 0 {
			d.log.Warn("webhook: endpoint removed from the config; its events stay in the outbox and flow again if it returns",
				"endpoint", id, "pending", pending[id])
		}
	}
	return nil
}

// setConfig validates and installs config endpoints; it returns the IDs
// of the config endpoints it removed.
func (d *Dispatcher) setConfig(config []Endpoint, states map[string]EndpointState) (removed []string, err error) {
	var errs []error
	fresh := map[string]*endpoint{}
	for _, ep := range config {
		if ep.Source == "" {
			ep.Source = SourceConfig
		}
		if ep.Source != SourceConfig {
			errs = append(errs, fmt.Errorf("webhook: endpoint %q: source %q in config, want %q", ep.ID, ep.Source, SourceConfig))
			continue
		}
		if fresh[ep.ID] != nil {
			errs = append(errs, fmt.Errorf("webhook: endpoint %q: listed twice", ep.ID))
			continue
		}
		e, err := d.newEndpoint(ep)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		e.state = states[ep.ID]
		fresh[ep.ID] = e
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for id := range fresh {
		if old := d.eps[id]; old != nil && old.ep.Source == SourceAPI {
			errs = append(errs, fmt.Errorf("webhook: endpoint %q: config uses the ID of an API endpoint", id))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	for id, old := range d.eps {
		if old.ep.Source == SourceConfig && fresh[id] == nil {
			close(old.quit)
			delete(d.eps, id)
			removed = append(removed, id)
		}
	}
	for id, e := range fresh {
		if old := d.eps[id]; old != nil {
			// Same worker; new URL, events or secrets from the next attempt.
			old.ep, old.keys = e.ep, e.keys
			poke(old.wake)
			continue
		}
		d.eps[id] = e
		d.startWorker(e)
	}
	return removed, nil
}

// CreateEndpoint adds an API endpoint with a new secret. The returned
// Endpoint is the only time its secret is shown.
func (d *Dispatcher) CreateEndpoint(ctx context.Context, target string, events []string) (Endpoint, error) {
	secret, err := NewSecret()
	if err != nil {
		return Endpoint{}, err
	}
	ep := Endpoint{
		ID: "ep_" + randomID(), URL: target, Events: slices.Clone(events), Secrets: []string{secret},
		Source: SourceAPI, Created: d.now().UTC(),
	}
	e, err := d.newEndpoint(ep)
	if err != nil {
		return Endpoint{}, err
	}
	if err := d.store.PutEndpoint(ctx, ep); err != nil {
		return Endpoint{}, err
	}
	d.mu.Lock()
	d.eps[ep.ID] = e
	d.startWorker(e)
	d.mu.Unlock()
	return ep, nil
}

// RotateSecret gives an API endpoint a new secret, newest first, keeping
// the previous one so both sign until the receiver has switched; older
// ones are dropped. It returns the new secret.
func (d *Dispatcher) RotateSecret(ctx context.Context, id string) (string, error) {
	e, ep, _, ok := d.lookup(id)
	if !ok || ep.ID != id || ep.Source != SourceAPI {
		return "", ErrNotFound
	}
	secret, err := NewSecret()
	if err != nil {
		return "", err
	}
	ep.Secrets = []string{secret, ep.Secrets[0]}
	keys, err := parseSecrets(ep.Secrets)
	if err != nil {
		return "", err
	}
	if err := d.store.PutEndpoint(ctx, ep); err != nil {
		return "", err
	}
	d.mu.Lock()
	e.ep, e.keys = ep, keys
	d.mu.Unlock()
	return secret, nil
}

// DeleteEndpoint removes an API endpoint with its pending events.
// Config endpoints are removed by editing the config.
func (d *Dispatcher) DeleteEndpoint(ctx context.Context, id string) error {
	e, ep, _, ok := d.lookup(id)
	if !ok || ep.ID != id {
		return ErrNotFound
	}
	if ep.Source != SourceAPI {
		return fmt.Errorf("webhook: endpoint %q comes from the config file; remove it there", id)
	}
	if err := d.store.DeleteEndpoint(ctx, id); err != nil {
		return err
	}
	d.mu.Lock()
	if d.eps[id] == e {
		delete(d.eps, id)
		close(e.quit)
	}
	d.mu.Unlock()
	return nil
}

func (d *Dispatcher) forgetLoop() {
	defer d.wg.Done()
	t := time.NewTicker(forgetEvery)
	defer t.Stop()
	for {
		if err := d.store.Forget(context.Background(), d.now().Add(-d.o.RememberDelivered)); err != nil {
			d.log.Error("webhook: pruning delivered event IDs failed", "err", err)
		}
		select {
		case <-t.C:
		case <-d.stopping:
			return
		}
	}
}

func randomID() string {
	b := make([]byte, 10)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}
