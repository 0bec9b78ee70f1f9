package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"

	"github.com/sealgate/sealgate/gateway/api/apikey"
	"github.com/sealgate/sealgate/gateway/api/idempotency"
)

// Defaults for zero Options.
const (
	DefaultMaxMessageBytes = 25 << 20
	DefaultMaxRecipients   = 100
	DefaultRatePerSecond   = 50
	DefaultRateBurst       = 100
	// retryAfterUnavailable is what a 503 asks the client to wait: the
	// backend's trouble (spool full, shutting down) is rarely shorter.
	retryAfterUnavailable = 30
)

// Options configure a Server. Backend and Keys are required.
type Options struct {
	Backend     Backend
	Keys        apikey.Store
	Idempotency idempotency.Store // nil: an in-memory store (not crash-safe)
	Logger      *slog.Logger
	// Registerer receives the request metrics; nil registers nothing.
	Registerer prometheus.Registerer

	// MaxMessageBytes is the gateway's limits.max_message_size: the
	// largest raw body; a JSON body may be 4/3 of it (base64) + 64 KiB.
	MaxMessageBytes int64
	// MaxBatchBytes bounds a batch body, held in memory while its items
	// are submitted; 0 means one JSON body's limit, at least 32 MiB
	// (1000 messages of 32 KiB).
	MaxBatchBytes int64
	MaxRecipients int
	RateLimit     RateLimit
	// Hostname is the right-hand side of the Message-IDs of JSON
	// messages; "" means os.Hostname().
	Hostname string
	// OnCall is told about every authenticated route's call, for the
	// audit log. It is never given a body.
	OnCall func(Call)
	// Now is the clock for "since=24h" parameters; nil means time.Now.
	Now func() time.Time
}

// RateLimit is per API key: requests per second and burst. Zero values
// mean the defaults (50/s, burst 100); a negative PerSecond, no limit.
type RateLimit struct {
	PerSecond float64
	Burst     int
}

// Call is one API call as the audit log records it.
type Call struct {
	KeyID  string // "" when the caller did not authenticate
	Method string
	Route  string // the route pattern, e.g. "POST /v1/messages"
	Status int
	MsgIDs []string // messages the call submitted or replayed
}

// Server is the REST API's HTTP side.
type Server struct {
	opts     Options
	backend  Backend
	keys     apikey.Store
	idem     idempotency.Store
	locks    idempotency.Locks
	log      *slog.Logger
	mux      *http.ServeMux
	routes   []string // registered patterns, for the OpenAPI check
	metrics  *metrics
	jsonMax  int64
	limiters sync.Map // key ID -> *rate.Limiter
}

// New checks opts and builds the routes.
func New(opts Options) (*Server, error) {
	if opts.Backend == nil {
		return nil, errors.New("api: Options.Backend is required")
	}
	if opts.Keys == nil {
		return nil, errors.New("api: Options.Keys is required")
	}
	if opts.Idempotency == nil {
		opts.Idempotency = idempotency.NewMemory(idempotency.Options{})
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MaxMessageBytes <= 0 {
		opts.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if opts.MaxRecipients <= 0 {
		opts.MaxRecipients = DefaultMaxRecipients
	}
	if opts.RateLimit.PerSecond == 0 {
		opts.RateLimit.PerSecond = DefaultRatePerSecond
	}
	if opts.RateLimit.Burst <= 0 {
		opts.RateLimit.Burst = DefaultRateBurst
	}
	if opts.Hostname == "" {
		h, err := os.Hostname()
		if err != nil || h == "" {
			h = "localhost"
		}
		opts.Hostname = h
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	jsonMax := opts.MaxMessageBytes/3*4 + 64<<10
	if opts.MaxBatchBytes <= 0 {
		opts.MaxBatchBytes = max(jsonMax, 32<<20)
	}
	m, err := newMetrics(opts.Registerer)
	if err != nil {
		return nil, err
	}
	s := &Server{
		opts:    opts,
		backend: opts.Backend,
		keys:    opts.Keys,
		idem:    opts.Idempotency,
		log:     opts.Logger,
		mux:     http.NewServeMux(),
		metrics: m,
		jsonMax: jsonMax,
	}
	s.register()
	return s, nil
}

// Handler is the API's root handler.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serve) }

// handlerFunc is a route's handler: it writes a success itself and
// returns anything else for fail to answer.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// callState follows one request through the middleware.
type callState struct {
	route   string
	audited bool
	keyID   string
	mu      sync.Mutex
	msgIDs  []string
}

type callStateKey struct{}

// noteMessage records a message ID for the call's audit record.
func noteMessage(ctx context.Context, id string) {
	if cs, ok := ctx.Value(callStateKey{}).(*callState); ok && id != "" {
		cs.mu.Lock()
		cs.msgIDs = append(cs.msgIDs, id)
		cs.mu.Unlock()
	}
}

// serve is the outermost layer: panic recovery, unmatched routes as
// problems, metrics and the per-call audit hook.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w}
	cs := &callState{route: "unmatched"}
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.logPanic(r, cs.route, v)
			if !sw.wrote {
				writeProblem(sw, problem(ProbInternal, http.StatusInternalServerError, "the server failed on this request"))
			}
		}
		s.metrics.observe(cs.route, sw.status, time.Since(start))
		if cs.audited && s.opts.OnCall != nil {
			s.opts.OnCall(Call{KeyID: cs.keyID, Method: r.Method, Route: cs.route, Status: sw.status, MsgIDs: cs.msgIDs})
		}
	}()
	r = r.WithContext(context.WithValue(r.Context(), callStateKey{}, cs))
	if _, pattern := s.mux.Handler(r); pattern == "" {
		s.unmatched(sw, r)
		return
	}
	s.mux.ServeHTTP(sw, r)
}

// logPanic logs where a handler panicked, never the request: a runtime
// error's text (index out of range, nil map) is safe, any other value
// might be made of request data, so only its type is logged.
func (s *Server) logPanic(r *http.Request, route string, v any) {
	what := fmt.Sprintf("%T", v)
	if re, ok := v.(runtime.Error); ok {
		what = re.Error()
	}
	s.log.Error("api: handler panicked", "route", route, "method", r.Method, "panic", what, "stack", string(debug.Stack()))
}

// unmatched turns the mux's own 404 and 405 answers into problems, with
// its Allow header; redirects (path cleaning) pass as they are.
func (s *Server) unmatched(w http.ResponseWriter, r *http.Request) {
	h, _ := s.mux.Handler(r)
	rec := &captureWriter{header: http.Header{}}
	h.ServeHTTP(rec, r)
	switch rec.status {
	case http.StatusNotFound:
		writeProblem(w, problem(ProbNotFound, http.StatusNotFound, "no such route"))
	case http.StatusMethodNotAllowed:
		w.Header().Set("Allow", rec.header.Get("Allow"))
		writeProblem(w, problem(ProbMethodNotAllowed, http.StatusMethodNotAllowed, "the route does not take this method"))
	default:
		for k, v := range rec.header {
			if k != "Content-Type" && k != "Content-Length" {
				w.Header()[k] = v
			}
		}
		w.WriteHeader(rec.status)
	}
}

// handle registers a route; scope "" means no authentication.
func (s *Server) handle(pattern, scope string, h handlerFunc) {
	s.routes = append(s.routes, pattern)
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		cs, _ := r.Context().Value(callStateKey{}).(*callState)
		if cs == nil { // the mux used without serve, as in a test
			cs = &callState{}
		}
		cs.route = pattern
		if scope != "" {
			cs.audited = true
			key, p := s.authorize(r, scope)
			cs.keyID = key.ID
			if p != nil {
				s.fail(w, r, p)
				return
			}
			r = r.WithContext(WithKeyID(r.Context(), key.ID))
		}
		if err := h(w, r); err != nil {
			s.fail(w, r, err)
		}
	})
}

// authorize authenticates the bearer token, applies the key's rate limit,
// then checks the scope. The key is returned whenever it is known, so a
// refused call is audited under it.
func (s *Server) authorize(r *http.Request, scope string) (apikey.Key, *Problem) {
	auth := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(auth, " ")
	if auth == "" {
		return apikey.Key{}, unauthorized(ProbUnauthorized, "send Authorization: Bearer <api key>", "")
	}
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return apikey.Key{}, unauthorized(ProbUnauthorized, "the Authorization header is not a bearer token", `error="invalid_request"`)
	}
	key, err := s.keys.Authenticate(strings.TrimSpace(token))
	switch {
	case errors.Is(err, apikey.ErrRevoked):
		return key, unauthorized(ProbKeyRevoked, "the API key was revoked", `error="invalid_token"`)
	case errors.Is(err, apikey.ErrExpired):
		return key, unauthorized(ProbKeyExpired, "the API key has expired", `error="invalid_token"`)
	case errors.Is(err, apikey.ErrUnknown):
		return key, unauthorized(ProbUnauthorized, "the API key is not valid", `error="invalid_token"`)
	case err != nil:
		s.log.Error("api: key store failed", "err", err)
		return key, unavailable("the key store is not available")
	}
	if p := s.rateLimit(key.ID); p != nil {
		return key, p
	}
	if !key.Allows(scope) {
		return key, problem(ProbForbiddenScope, http.StatusForbidden, "this route needs an API key with the "+scope+" scope")
	}
	return key, nil
}

func unauthorized(typ, detail, param string) *Problem {
	p := problem(typ, http.StatusUnauthorized, detail)
	challenge := `Bearer realm="sealgate"`
	if param != "" {
		challenge += ", " + param
	}
	p.challenge = challenge
	return p
}

func unavailable(detail string) *Problem {
	p := problem(ProbUnavailable, http.StatusServiceUnavailable, detail)
	p.retryAfter = retryAfterUnavailable
	return p
}

// rateLimit takes one token from the key's bucket; when it is empty the
// answer says how many whole seconds until the next token.
func (s *Server) rateLimit(keyID string) *Problem {
	if s.opts.RateLimit.PerSecond < 0 {
		return nil
	}
	v, ok := s.limiters.Load(keyID)
	if !ok {
		v, _ = s.limiters.LoadOrStore(keyID, rate.NewLimiter(rate.Limit(s.opts.RateLimit.PerSecond), s.opts.RateLimit.Burst))
	}
	lim := v.(*rate.Limiter)
	now := time.Now()
	res := lim.ReserveN(now, 1)
	delay := res.DelayFrom(now)
	if res.OK() && delay == 0 {
		return nil
	}
	res.CancelAt(now)
	p := problem(ProbRateLimited, http.StatusTooManyRequests, "the API key's request rate is exceeded")
	p.retryAfter = max(1, int(math.Ceil(delay.Seconds())))
	return p
}

// fail answers an error as a problem.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	p := s.problemFor(r.Context(), err)
	if p.challenge != "" {
		w.Header().Set("WWW-Authenticate", p.challenge)
	}
	writeProblem(w, p)
}

// problemFor maps an error: a *Problem is itself, the Backend's errors
// become their problems, anything else a logged 500.
func (s *Server) problemFor(ctx context.Context, err error) *Problem {
	var p *Problem
	var blocked *BlockedError
	var inv *InvalidError
	switch {
	case errors.As(err, &p):
	case errors.Is(err, ErrNotFound):
		p = problem(ProbNotFound, http.StatusNotFound, "no such object")
	case errors.Is(err, ErrUnavailable):
		p = unavailable("the gateway cannot take this request now; retry later")
	case errors.As(err, &blocked):
		p = problem(ProbMessageBlocked, http.StatusUnprocessableEntity, blocked.Text)
		p.Rule = blocked.Rule
	case errors.As(err, &inv):
		p = problem(ProbInvalidRequest, http.StatusUnprocessableEntity, inv.Detail)
		if inv.Field != "" {
			p.Errors = []FieldError{{Field: inv.Field, Detail: inv.Detail}}
		}
	default:
		cs, _ := ctx.Value(callStateKey{}).(*callState)
		route := ""
		if cs != nil {
			route = cs.route
		}
		s.log.Error("api: request failed", "route", route, "err", err)
		p = problem(ProbInternal, http.StatusInternalServerError, "the server failed on this request")
	}
	return p
}

// statusWriter remembers the status for metrics and the audit hook.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// captureWriter keeps the mux's fallback answer to be rewritten.
type captureWriter struct {
	header http.Header
	status int
}

func (c *captureWriter) Header() http.Header { return c.header }
func (c *captureWriter) WriteHeader(code int) {
	if c.status == 0 {
		c.status = code
	}
}
func (c *captureWriter) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	return len(b), nil
}

// metrics count requests by route pattern and status class: both sets
// are bounded (registered patterns plus "unmatched"; 1xx..5xx).
type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sealgate_api_requests_total",
			Help: "REST API requests by route pattern and status class.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "sealgate_api_request_duration_seconds",
			Help:    "REST API request duration by route pattern.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.requests, m.duration} {
			if err := reg.Register(c); err != nil {
				return nil, fmt.Errorf("api: register metrics: %w", err)
			}
		}
	}
	return m, nil
}

func (m *metrics) observe(route string, status int, d time.Duration) {
	if status == 0 {
		status = http.StatusOK
	}
	m.requests.WithLabelValues(route, strconv.Itoa(status/100)+"xx").Inc()
	m.duration.WithLabelValues(route).Observe(d.Seconds())
}
