package config

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/sealgate/sealgate/internal/hookspec"
)

// API configures the REST API (docs/api.md): HTTPS JSON on its own
// listener, one more way into the same pipeline as SMTP.
type API struct {
	// Enabled opens the listener.
	Enabled bool `mapstructure:"enabled"`
	// Listen is the API's HTTPS address ("127.0.0.1:8444").
	Listen   string `mapstructure:"listen"`
	CertFile string `mapstructure:"cert_file"`
	KeyFile  string `mapstructure:"key_file"`
	// Rate and Burst limit each API key (requests per second); over them
	// the API answers 429 with Retry-After.
	Rate  float64 `mapstructure:"rate"`
	Burst int     `mapstructure:"burst"`
	// IdempotencyTTL is how long an Idempotency-Key is remembered.
	IdempotencyTTL time.Duration `mapstructure:"idempotency_ttl"`
	// MessageRetention is how long finished messages stay in the status
	// index (GET /v1/messages); the audit log keeps its own retention.
	MessageRetention time.Duration `mapstructure:"message_retention"`
}

// Webhooks configures event delivery (Standard Webhooks 1.0). Endpoints
// here are fixed by the file; more can be added through the API.
type Webhooks struct {
	Endpoints []WebhookEndpoint `mapstructure:"endpoints"`
	// Concurrency is the number of deliveries in flight per endpoint.
	Concurrency int `mapstructure:"concurrency"`
	// RetryMin and RetryMax bound the exponential backoff between attempts.
	RetryMin time.Duration `mapstructure:"retry_min"`
	RetryMax time.Duration `mapstructure:"retry_max"`
	// DisableAfter disables an endpoint that has only failed for this long;
	// its events wait in the outbox until `sealgate webhooks enable`.
	DisableAfter time.Duration `mapstructure:"disable_after"`
	// Timeout bounds one delivery (connect to response).
	Timeout time.Duration `mapstructure:"timeout"`
	// CAFile adds CA certificates for endpoints with a private CA.
	CAFile string `mapstructure:"ca_file"`
	// AllowLoopbackHTTP lets http:// URLs to a loopback address through
	// (tests, a receiver on the same host); everything else must be https.
	AllowLoopbackHTTP bool `mapstructure:"allow_loopback_http"`
}

// WebhookEndpoint is one subscription from the file.
type WebhookEndpoint struct {
	ID  string `mapstructure:"id"`
	URL string `mapstructure:"url"`
	// Events are event types, or message.*, portal.*, *.
	Events []string `mapstructure:"events"`
	// SecretFile holds the signing secret (whsec_…); a second line holds the
	// next one during a rotation (both signatures are sent).
	SecretFile string `mapstructure:"secret_file"`
}

// WebhookEventTypes are the events sealgate emits.
var WebhookEventTypes = hookspec.EventTypes

var endpointID = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

func (a *API) validate(add func(string, string, ...any)) {
	if !a.Enabled {
		return
	}
	hostPort(add, "api.listen", a.Listen)
	switch {
	case a.CertFile == "":
		add("api.cert_file", "must be set: the API serves HTTPS only")
	case a.KeyFile == "":
		add("api.key_file", "must be set: the API serves HTTPS only")
	default:
		if err := loadKeyPair(a.CertFile, a.KeyFile); err != nil {
			add("api.cert_file", "cannot load certificate and key: %v", err)
		} else if err := privateFile(a.KeyFile); err != nil {
			add("api.key_file", "%v", err)
		}
	}
	if a.Rate <= 0 {
		add("api.rate", "%v must be above 0 (requests per second per key; default 50)", a.Rate)
	}
	if a.Burst < 1 {
		add("api.burst", "%d must be at least 1 (default 100)", a.Burst)
	}
	if a.IdempotencyTTL < time.Hour {
		add("api.idempotency_ttl", "%v is too short (at least 1h; default 24h): a client retrying after an outage would send twice", a.IdempotencyTTL)
	}
	if a.MessageRetention < time.Hour {
		add("api.message_retention", "%v is too short (at least 1h; default 720h)", a.MessageRetention)
	}
}

func (w *Webhooks) validate(add func(string, string, ...any)) {
	seen := map[string]bool{}
	for i, e := range w.Endpoints {
		p := fmt.Sprintf("webhooks.endpoints[%d]", i)
		switch {
		case !endpointID.MatchString(e.ID):
			add(p+".id", "%q must be 1-63 lowercase letters, digits, - or _", e.ID)
		case seen[e.ID]:
			add(p+".id", "%q is used twice", e.ID)
		}
		seen[e.ID] = true
		if err := hookspec.CheckURL(e.URL, w.AllowLoopbackHTTP); err != nil {
			add(p+".url", "%v", err)
		}
		if len(e.Events) == 0 {
			add(p+".events", "must name at least one event type (or message.*, portal.*, *)")
		}
		for j, ev := range e.Events {
			if !hookspec.KnownFilter(ev) {
				add(fmt.Sprintf("%s.events[%d]", p, j), "unknown event type %q (known: %s, %s)", ev, strings.Join(hookspec.EventTypes, ", "), hookspec.Wildcards)
			}
		}
		if e.SecretFile == "" {
			add(p+".secret_file", "must be set: every delivery is signed (make one with `sealgate webhooks secret`)")
		} else if err := privateFile(e.SecretFile); err != nil {
			add(p+".secret_file", "%v", err)
		}
	}
	if w.Concurrency < 1 || w.Concurrency > 64 {
		add("webhooks.concurrency", "%d must be 1 to 64 (default 4)", w.Concurrency)
	}
	if w.RetryMin <= 0 || w.RetryMax < w.RetryMin {
		add("webhooks.retry_min", "%v..%v: retry_min must be above 0 and at most retry_max", w.RetryMin, w.RetryMax)
	}
	if w.DisableAfter < time.Minute {
		add("webhooks.disable_after", "%v is too short (at least 1m; default 72h)", w.DisableAfter)
	}
	if w.Timeout <= 0 || w.Timeout > 5*time.Minute {
		add("webhooks.timeout", "%v must be between 0 and 5m (default 15s)", w.Timeout)
	}
}
