package relay

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sealgate/sealgate/envelope"
	"github.com/sealgate/sealgate/gateway/dane"
	"github.com/sealgate/sealgate/gateway/mtasts"
	"github.com/sealgate/sealgate/gateway/relay/smtpclient"
	"github.com/sealgate/sealgate/gateway/relay/tlspolicy"
	"github.com/sealgate/sealgate/internal/tlslevel"
)

// ErrNotFound is returned by queue operations for an unknown message ID.
var ErrNotFound = errors.New("relay: message not found")

// MessageWriter writes a new message into the store (used for DSNs).
type MessageWriter interface {
	io.Writer
	ID() string
	Commit(env *envelope.Envelope) error
	Abort() error
}

// Store is the durable message store the relay works on; in the gateway
// it is an adapter over *spool.Spool.
type Store interface {
	Envelope(id string) (*envelope.Envelope, error)
	OpenBody(id string) (io.ReadCloser, error)
	OpenCopy(id, name string) (io.ReadCloser, error)
	SaveState(id string, state []byte) error // durable when it returns
	LoadState(id string) ([]byte, error)     // (nil, nil) if never saved
	Remove(id string) error
	NewMessage() (MessageWriter, error) // for DSNs
}

// Copy is one outbound variant of a message for a group of recipients.
type Copy struct {
	Name       string   `json:"name,omitempty"` // "" = the original body; else Store.OpenCopy(id, Name)
	Recipients []string `json:"recipients"`
	// MinTLS is "" (per-domain policy) or "encrypt"/"verify": a floor the
	// domain policy cannot lower.
	MinTLS string `json:"min_tls,omitempty"`
}

// Options configures a Relay. Zero values get the documented defaults.
type Options struct {
	Hostname                         string                    // EHLO name and MAILER-DAEMON@Hostname for DSNs
	Smarthost                        string                    // "host:port"; empty = deliver by MX
	SmarthostTLS                     tlslevel.Level            // none|may|encrypt|verify|implicit (default may)
	SmarthostUser, SmarthostPassword string                    // optional AUTH PLAIN (only over TLS)
	TLSPolicy                        map[string]tlslevel.Level // "example.org" or ".example.org" -> none|may|encrypt|verify|dane|dane-only|mta-sts
	DefaultTLS                       tlslevel.Level            // default "may"; same levels as TLSPolicy
	RootCAs                          *x509.CertPool            // nil = system roots
	Resolver                         string                    // DNS server "127.0.0.1:53"; "" = /etc/resolv.conf
	MXPort                           int                       // default 25
	MaxLifetime                      time.Duration             // default 120h; then bounce 4.4.7
	RetryMin, RetryMax               time.Duration             // default 1m, 1h
	MaxConcurrency                   int                       // default 20
	MaxPerDomain                     int                       // default 5
	ConnectTimeout, CommandTimeout   time.Duration             // default 30s, 5m
	Logger                           *slog.Logger
	Registerer                       prometheus.Registerer // may be nil
	Now                              func() time.Time      // nil = time.Now

	// DSNMinTLS is the TLS floor of the DSNs the relay writes (they carry
	// the original's headers, with RET=FULL its whole text): "" (domain
	// policy), "encrypt" or "verify". The gateway sets "encrypt".
	DSNMinTLS tlslevel.Level

	// DelayWarning, when > 0, sends the sender one "delayed" DSN (RFC 3464
	// Action: delayed) for a recipient still queued this long after the
	// message arrived, when its NOTIFY allows DELAY (or is absent). 0: off,
	// as in Postfix (delay_warning_time).
	DelayWarning time.Duration

	// ResolverTrusted believes the resolver's DNSSEC AD bit even when it is
	// not on loopback (it validates and the path to it is safe).
	ResolverTrusted bool

	// BeforeAttempt, if set, is called before each attempt connects (the
	// gateway writes and fsyncs the audit log's attempt record); an error
	// means the attempt is not made and its recipients stay queued.
	BeforeAttempt func(AttemptStart) error
	// OnAttempt, if set, is told every recipient's attempt outcome before
	// the state that relies on it is saved (the gateway writes the audit
	// log's delivery records). An error keeps the outcome pending on the
	// recipient (saved with its state): the message does not leave the
	// queue, no DSN is sent and no new attempt is made for the recipient
	// until OnAttempt accepts it.
	OnAttempt func(Attempt) error
	// OnDSN, if set, is told about every DSN queued.
	OnDSN func(DSNEvent)
	// Healthy, if set, is asked before attempts start; an error pauses
	// all delivery (nothing may leave that cannot be recorded).
	Healthy func() error

	// MTASTS, if set, applies recipient domains' MTA-STS policies
	// (RFC 8461) to MX delivery. nil = off.
	MTASTS *mtasts.Client
	// DANE, if set, looks up TLSA records of MX hosts (RFC 7672) through
	// a DNSSEC-validating resolver. nil = off.
	DANE dane.Resolver
	// MemoryPath is the downgrade memory's bbolt file; "" = off.
	MemoryPath string
	// MemoryWindow is how long a proven verified TLS delivery binds the
	// domain (default 30 days).
	MemoryWindow time.Duration
	// HonorTLSRequiredNo lets "TLS-Required: No" (RFC 8689 §5) relax the
	// recipient domain's policy to "may" for copies without MinTLS.
	HonorTLSRequiredNo bool
	// Sign, if set, writes every outgoing copy (DSNs included) to w: a
	// DKIM-Signature header, then the message. open re-opens the copy, so
	// the message is read twice and never held in memory.
	Sign func(w io.Writer, open func() (io.ReadCloser, error)) error
}

// Attempt is one recipient's outcome of one delivery attempt.
type Attempt struct {
	MsgID, MessageID string
	Recipient        string
	Outcome          string // delivered, deferred, bounced, expired
	Attempt          int
	RemoteHost       string
	Code             int
	Enhanced         string
	Reply            string
	TLSVersion       string
	TLSCipher        string
	TLSVerified      bool
	PeerCertSHA256   string
	// TLSAuth is how the server was authenticated: none, verified, dane,
	// mta-sts.
	TLSAuth string
	// TLSFailure is the TLSRPT result type (RFC 8460) when TLS failed, or
	// was recorded as failing under MTA-STS testing; "" otherwise.
	TLSFailure string
	// TLSDowngrade: the domain proved verified TLS before and offered
	// less now; the attempt was deferred (the gateway audits and alerts).
	TLSDowngrade bool
}

// AttemptStart describes a delivery attempt about to connect: one copy
// to one destination (a recipient domain, or "smarthost").
type AttemptStart struct {
	MsgID, MessageID string
	Recipients       []string
	Copy             string // Copy.Name; "" = the original body
	Destination      string
	Attempt          int // the highest attempt number among Recipients
}

// DSNEvent says a DSN about MsgID was queued as DSNMsgID.
type DSNEvent struct {
	MsgID, DSNMsgID, To string
	Recipients          []string
	Actions             []string
}

// Entry is a snapshot of one queued message.
type Entry struct {
	ID         string           `json:"id"`
	From       string           `json:"from"`
	Held       bool             `json:"held,omitempty"`
	HoldReason string           `json:"hold_reason,omitempty"`
	Received   time.Time        `json:"received"`
	Size       int64            `json:"size"`
	Recipients []RecipientState `json:"recipients"`
}

// Recipient statuses.
const (
	StatusQueued    = "queued"
	StatusDelivered = "delivered"
	StatusBounced   = "bounced"
	StatusExpired   = "expired"
)

// RecipientState is the delivery state of one recipient of one copy.
type RecipientState struct {
	Addr         string    `json:"addr"`
	Status       string    `json:"status"` // queued|delivered|bounced|expired
	Attempts     int       `json:"attempts"`
	LastCode     int       `json:"last_code,omitempty"`
	LastEnhanced string    `json:"last_enhanced,omitempty"`
	LastReply    string    `json:"last_reply,omitempty"`
	RemoteHost   string    `json:"remote_host,omitempty"`
	NextAttempt  time.Time `json:"next_attempt"`
	LastAttempt  time.Time `json:"last_attempt"`
	// Copy is the Copy.Name this recipient gets.
	Copy string `json:"copy,omitempty"`
	// TLS of the last attempt that reached a server ("" = plaintext).
	TLSVersion  string `json:"tls_version,omitempty"`
	TLSCipher   string `json:"tls_cipher,omitempty"`
	TLSVerified bool   `json:"tls_verified,omitempty"`
	TLSAuth     string `json:"tls_auth,omitempty"`    // verified, dane, mta-sts
	TLSFailure  string `json:"tls_failure,omitempty"` // RFC 8460 result type
}

// DeliveryError is the outcome of a failed attempt for one recipient
// (the SMTP client's error type, named as the relay's importers know it).
type DeliveryError = smtpclient.Error

// rcpt is a recipient's persisted state.
type rcpt struct {
	RecipientState
	CopyIdx int `json:"copy_idx"`
	// Reported: the DSN for this recipient's final status (or the decision
	// that none is due) is durable.
	Reported bool `json:"reported,omitempty"`
	// DelayWarned: the one delay warning (Options.DelayWarning) was sent.
	DelayWarned bool `json:"delay_warned,omitempty"`
	// Unrecorded is the last outcome while OnAttempt has not accepted it.
	Unrecorded *Attempt `json:"unrecorded,omitempty"`

	inflight bool
}

// queueState is what SaveState stores, as JSON.
type queueState struct {
	Version    int       `json:"version"`
	ID         string    `json:"id"`
	From       string    `json:"from"`
	Held       bool      `json:"held,omitempty"`
	HoldReason string    `json:"hold_reason,omitempty"`
	Received   time.Time `json:"received"`
	Size       int64     `json:"size"`
	Copies     []Copy    `json:"copies"`
	Recipients []*rcpt   `json:"recipients"`
}

// msg is one queued message in memory. Fields below saveMu are guarded
// by Relay.mu.
type msg struct {
	env *envelope.Envelope
	// saveMu orders SaveState calls for this message, so an older
	// snapshot never overwrites a newer one.
	saveMu   sync.Mutex
	st       queueState
	inflight int
	settling bool
	deleted  bool
	// settleAfter delays the next settle after a failed DSN or removal.
	settleAfter time.Time
}

// Relay is the outbound queue and delivery engine.
type Relay struct {
	opts  Options
	store Store
	log   *slog.Logger
	now   func() time.Time
	m     *metrics

	mu      sync.Mutex
	msgs    map[string]*msg
	running int                // group deliveries in flight
	paused  bool               // Options.Healthy said no; logged once
	perDest map[string]int     // connections in flight per destination
	pool    *smtpclient.Pool   // idle delivered-to connections for reuse
	client  *smtpclient.Client // dials sessions meeting a TLS plan

	mem      *tlspolicy.Memory // downgrade memory; nil = off
	tls      *tlspolicy.Policy // what TLS each connection must achieve
	closeMem sync.Once

	wake      chan struct{}
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
	if opts.SmarthostTLS == "" {
		opts.SmarthostTLS = tlslevel.May
	}
	if opts.DefaultTLS == "" {
		opts.DefaultTLS = tlslevel.May
	}
	var errs []error
	if _, err := tlslevel.ParseIn(opts.SmarthostTLS.String(), tlslevel.Smarthost()); err != nil {
		errs = append(errs, fmt.Errorf("relay: SmarthostTLS: %w", err))
	}
	if _, err := tlslevel.ParseIn(opts.DefaultTLS.String(), tlslevel.Admin()); err != nil {
		errs = append(errs, fmt.Errorf("relay: DefaultTLS: %w", err))
	}
	for d, l := range opts.TLSPolicy {
		if _, err := tlslevel.ParseIn(l.String(), tlslevel.Admin()); err != nil {
			errs = append(errs, fmt.Errorf("relay: TLSPolicy[%q]: %w", d, err))
		}
	}
	if opts.Smarthost != "" && !strings.Contains(opts.Smarthost, ":") {
		errs = append(errs, fmt.Errorf("relay: Smarthost: %q is not host:port", opts.Smarthost))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if opts.MXPort == 0 {
		opts.MXPort = 25
	}
	if opts.MaxLifetime <= 0 {
		opts.MaxLifetime = 120 * time.Hour
	}
	if opts.RetryMin <= 0 {
		opts.RetryMin = time.Minute
	}
	if opts.RetryMax <= 0 {
		opts.RetryMax = time.Hour
	}
	if opts.RetryMax < opts.RetryMin {
		opts.RetryMax = opts.RetryMin
	}
	if opts.MaxConcurrency <= 0 {
		opts.MaxConcurrency = 20
	}
	if opts.MaxPerDomain <= 0 {
		opts.MaxPerDomain = 5
	}
	if opts.ConnectTimeout <= 0 {
		opts.ConnectTimeout = 30 * time.Second
	}
	if opts.CommandTimeout <= 0 {
		opts.CommandTimeout = 5 * time.Minute
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MemoryWindow <= 0 {
		opts.MemoryWindow = 30 * 24 * time.Hour
	}
	r := &Relay{
		opts:    opts,
		store:   store,
		log:     opts.Logger,
		now:     opts.Now,
		msgs:    make(map[string]*msg),
		perDest: make(map[string]int),
		wake:    make(chan struct{}, 1),
		pool:    smtpclient.NewPool(opts.MaxPerDomain, smtpclient.DefaultIdleTimeout),
		stopCh:  make(chan struct{}),
	}
	m, err := newMetrics(opts.Registerer, r.Depth)
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

// Submit queues message id for delivery of copies and schedules an
// attempt at once. When a copy has a Name, the initial state (which names
// the stored copies) is durable before it returns. When every copy is the
// original body, nothing is saved: after a crash Restore finds no state,
// reports needsProcessing, and the gateway processes and submits the
// message again (at worst a duplicate delivery).
func (r *Relay) Submit(id string, copies []Copy) error {
	return r.submit(id, copies, "")
}

// SubmitHeld queues id held, as a quarantine: nothing is attempted until an
// operator releases it. The state is saved before it returns, so the hold
// survives a crash. reason is shown by `queue list/show` and must carry no
// message content.
func (r *Relay) SubmitHeld(id string, copies []Copy, reason string) error {
	if reason == "" {
		reason = "held"
	}
	return r.submit(id, copies, reason)
}

func (r *Relay) submit(id string, copies []Copy, holdReason string) error {
	env, err := r.store.Envelope(id)
	if err != nil {
		return fmt.Errorf("relay: submit %s: %w", id, err)
	}
	now := r.now()
	st := queueState{Version: 1, ID: id, From: env.From, Received: env.Received, Size: env.Size, Copies: copies,
		Held: holdReason != "", HoldReason: holdReason}
	if st.Received.IsZero() {
		st.Received = now
	}
	seen := make(map[string]bool)
	for ci, c := range copies {
		for _, a := range c.Recipients {
			key := c.Name + "\x00" + strings.ToLower(a)
			if seen[key] {
				continue
			}
			seen[key] = true
			st.Recipients = append(st.Recipients, &rcpt{
				RecipientState: RecipientState{Addr: a, Status: StatusQueued, NextAttempt: now, Copy: c.Name},
				CopyIdx:        ci,
			})
		}
	}
	if len(st.Recipients) == 0 {
		return fmt.Errorf("relay: submit %s: no recipients", id)
	}
	m := &msg{env: env, st: st}
	r.mu.Lock()
	if _, dup := r.msgs[id]; dup {
		r.mu.Unlock()
		return fmt.Errorf("relay: submit %s: already queued", id)
	}
	r.msgs[id] = m
	r.mu.Unlock()
	if namedCopies(copies) || st.Held {
		if err := r.save(m); err != nil {
			r.mu.Lock()
			delete(r.msgs, id)
			r.mu.Unlock()
			return err
		}
	}
	r.log.Info("relay: queued", "msg_id", id, "recipients", len(st.Recipients), "copies", len(copies), "held", st.Held, "hold_reason", holdReason)
	r.kick()
	return nil
}

// Restore loads the saved state of id into the queue. needsProcessing is
// true when no state was ever saved: the message was accepted but never
// submitted, so the gateway must process it and call Submit.
func (r *Relay) Restore(id string) (needsProcessing bool, err error) {
	raw, err := r.store.LoadState(id)
	if err != nil {
		return false, fmt.Errorf("relay: restore %s: %w", id, err)
	}
	if raw == nil {
		return true, nil
	}
	var st queueState
	if err := json.Unmarshal(raw, &st); err != nil {
		return false, fmt.Errorf("relay: restore %s: bad state: %w", id, err)
	}
	env, err := r.store.Envelope(id)
	if err != nil {
		return false, fmt.Errorf("relay: restore %s: %w", id, err)
	}
	for i, rc := range st.Recipients {
		if rc == nil || rc.CopyIdx < 0 || rc.CopyIdx >= len(st.Copies) {
			return false, fmt.Errorf("relay: restore %s: bad state: recipient %d", id, i)
		}
	}
	r.mu.Lock()
	if _, dup := r.msgs[id]; dup {
		r.mu.Unlock()
		return false, fmt.Errorf("relay: restore %s: already queued", id)
	}
	r.msgs[id] = &msg{env: env, st: st}
	r.mu.Unlock()
	r.log.Info("relay: restored", "msg_id", id, "recipients", len(st.Recipients))
	r.kick()
	return false, nil
}

// List returns a snapshot of the queue.
func (r *Relay) List() []Entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Entry, 0, len(r.msgs))
	for _, m := range r.msgs {
		if !m.deleted {
			out = append(out, m.entry())
		}
	}
	return out
}

// Show returns the snapshot of one message.
func (r *Relay) Show(id string) (Entry, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m, ok := r.msgs[id]
	if !ok || m.deleted {
		return Entry{}, ErrNotFound
	}
	return m.entry(), nil
}

func (m *msg) entry() Entry {
	e := Entry{ID: m.st.ID, From: m.st.From, Held: m.st.Held, HoldReason: m.st.HoldReason, Received: m.st.Received, Size: m.st.Size}
	for _, rc := range m.st.Recipients {
		e.Recipients = append(e.Recipients, rc.RecipientState)
	}
	return e
}

// Flush makes the queued recipients of id ("" = every message) due now,
// ignoring backoff. Held messages are left alone.
func (r *Relay) Flush(id string) error {
	r.mu.Lock()
	now := r.now()
	found := false
	for mid, m := range r.msgs {
		if (id != "" && mid != id) || m.deleted {
			continue
		}
		found = true
		if m.st.Held {
			continue
		}
		for _, rc := range m.st.Recipients {
			if rc.Status == StatusQueued && rc.NextAttempt.After(now) {
				rc.NextAttempt = now
			}
		}
	}
	r.mu.Unlock()
	if id != "" && !found {
		return ErrNotFound
	}
	r.kick()
	return nil
}

// Hold stops delivery attempts for id until Release. Durable.
func (r *Relay) Hold(id string) error { return r.setHeld(id, true) }

// Release undoes Hold and makes the message due now. Durable.
func (r *Relay) Release(id string) error { return r.setHeld(id, false) }

func (r *Relay) setHeld(id string, held bool) error {
	r.mu.Lock()
	m, ok := r.msgs[id]
	if !ok || m.deleted {
		r.mu.Unlock()
		return ErrNotFound
	}
	m.st.Held = held
	m.st.HoldReason = ""
	if held {
		m.st.HoldReason = "held by an operator"
	} else {
		now := r.now()
		for _, rc := range m.st.Recipients {
			if rc.Status == StatusQueued {
				rc.NextAttempt = now
			}
		}
	}
	r.mu.Unlock()
	if err := r.save(m); err != nil {
		return err
	}
	r.log.Info("relay: hold changed", "msg_id", id, "held", held)
	r.kick()
	return nil
}

// Delete removes id from the queue and the store without any DSN. An
// attempt already in flight may still deliver.
func (r *Relay) Delete(id string) error {
	r.mu.Lock()
	m, ok := r.msgs[id]
	if !ok || m.deleted {
		r.mu.Unlock()
		return ErrNotFound
	}
	r.mu.Unlock()
	m.saveMu.Lock()
	defer m.saveMu.Unlock()
	r.mu.Lock()
	m.deleted = true
	if m.inflight == 0 && !m.settling {
		delete(r.msgs, id)
	}
	r.mu.Unlock()
	if err := r.store.Remove(id); err != nil {
		return fmt.Errorf("relay: delete %s: %w", id, err)
	}
	r.log.Info("relay: deleted by operator", "msg_id", id)
	return nil
}

// Depth is the number of messages in the queue.
func (r *Relay) Depth() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, m := range r.msgs {
		if !m.deleted {
			n++
		}
	}
	return n
}

// namedCopies reports whether a copy other than the original body is
// used: only then must the copy list survive a crash.
func namedCopies(copies []Copy) bool {
	for _, c := range copies {
		if c.Name != "" {
			return true
		}
	}
	return false
}

// save writes m's state durably. Snapshots are taken under saveMu, so
// saves of one message are applied in order.
func (r *Relay) save(m *msg) error {
	m.saveMu.Lock()
	defer m.saveMu.Unlock()
	return r.saveLocked(m, nil)
}

// saveLocked runs mutate (if any) under r.mu, then saves unless mutate
// says nothing needs to survive a crash; m.saveMu held.
func (r *Relay) saveLocked(m *msg, mutate func() (needSave bool)) error {
	r.mu.Lock()
	need := true
	if mutate != nil {
		need = mutate()
	}
	if m.deleted || !need {
		r.mu.Unlock()
		return nil
	}
	raw, err := json.Marshal(&m.st)
	r.mu.Unlock()
	if err != nil {
		return fmt.Errorf("relay: encode state %s: %w", m.st.ID, err)
	}
	if err := r.store.SaveState(m.st.ID, raw); err != nil {
		return fmt.Errorf("relay: save state %s: %w", m.st.ID, err)
	}
	return nil
}

func (r *Relay) kick() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}
