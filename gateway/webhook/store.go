package webhook

import (
	"context"
	"errors"
	"time"
)

// Event is one event as the producer built it. The outbox keeps it until
// every subscribed endpoint has acknowledged it.
type Event struct {
	ID       string    // webhook-id, e.g. evt_...; the receiver's idempotency key
	Type     string    // one of EventTypes
	Time     time.Time // when it happened (not when it is sent)
	OrderKey string    // sealgate message ID: per endpoint, one key's events go out in Add order
	Body     []byte    // the complete JSON payload, sent and signed as is
}

// Delivery is one event leased for one attempt to one endpoint.
type Delivery struct {
	Endpoint    string
	Seq         uint64 // the store's handle: Add order within the endpoint
	Event       Event
	Attempts    int // failed attempts so far
	NextAttempt time.Time
	LastStatus  int    // HTTP status of the last failure, 0 if none was received
	LastError   string // why the last attempt failed; never the body
}

// EndpointState is what the store remembers about an endpoint's health,
// for config endpoints as well as API ones (keyed by endpoint ID).
type EndpointState struct {
	Disabled       bool
	DisabledReason string    `json:",omitempty"`
	DisabledAt     time.Time `json:",omitzero"`
	FailingSince   time.Time `json:",omitzero"` // first failure after the last success
	LastSuccess    time.Time `json:",omitzero"`
	LastFailure    time.Time `json:",omitzero"`
	LastStatus     int       `json:",omitempty"`
	LastError      string    `json:",omitempty"`
}

// ErrNotFound: no such endpoint.
var ErrNotFound = errors.New("webhook: no such endpoint")

// Store is the durable side of webhooks: API-created endpoints, each
// endpoint's health, and the outbox. Every method is one transaction:
// when it returns nil its effect is durable; when it fails, nothing of it
// happened. Bolt is the embedded implementation; a shared database can
// implement the same for several nodes (Lease then needs a real lease
// column, which Bolt, single-process by its file lock, keeps in memory).
type Store interface {
	// Add records one pending delivery for each (endpoint in eps that
	// Wants the event's type, event). An event already pending for an
	// endpoint is skipped, and so is one delivered to it within the
	// store's memory of deliveries, unless replay.
	Add(ctx context.Context, eps []Endpoint, evs []Event, replay bool) error
	// Lease returns up to max deliveries of one endpoint that are due at
	// now and are the oldest pending delivery of their OrderKey, and holds
	// them for hold: no other Lease returns them meanwhile, nor the later
	// events of their keys. Deliveries of different keys come in no
	// particular order. next is the earliest time another delivery
	// becomes due (zero if none is waiting). Its cost should follow what
	// is due, not the size of the backlog.
	Lease(ctx context.Context, endpointID string, now time.Time, max int, hold time.Duration) (ds []Delivery, next time.Time, err error)
	// Succeed removes a delivered event from the outbox, remembers it was
	// delivered and records the success in the endpoint's state.
	Succeed(ctx context.Context, d Delivery, at time.Time) error
	// Fail records a failed attempt (d.Attempts+1, d.LastStatus,
	// d.LastError as given), reschedules it at next and records the
	// failure in the endpoint's state.
	Fail(ctx context.Context, d Delivery, at, next time.Time) error
	// Release ends a lease without an attempt having been made.
	Release(ctx context.Context, d Delivery) error
	// Pending counts pending deliveries per endpoint ID.
	Pending(ctx context.Context) (map[string]int, error)
	// Forget drops the memory of deliveries made before t.
	Forget(ctx context.Context, t time.Time) error

	// States returns every endpoint's state by ID.
	States(ctx context.Context) (map[string]EndpointState, error)
	// Disable marks an endpoint disabled; its outbox stays.
	Disable(ctx context.Context, endpointID, reason string, at time.Time) error
	// Enable clears the disabled mark and the failure streak, and makes
	// every pending delivery of the endpoint due at now.
	Enable(ctx context.Context, endpointID string, now time.Time) error

	// PutEndpoint creates or replaces an API endpoint.
	PutEndpoint(ctx context.Context, ep Endpoint) error
	// DeleteEndpoint removes an endpoint's definition, state and outbox.
	DeleteEndpoint(ctx context.Context, endpointID string) error
	// APIEndpoints lists the stored endpoints.
	APIEndpoints(ctx context.Context) ([]Endpoint, error)
}
