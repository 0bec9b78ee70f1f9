// Package webhook delivers sealgate's events (message.*, portal.*) to
// subscriber URLs, signed per Standard Webhooks 1.0: a durable outbox, one
// worker per endpoint, retries for days.
//
// # Signing (sign.go)
//
// Each attempt carries webhook-id (the event ID, the same on every
// retry), webhook-timestamp (this attempt's Unix time) and
// webhook-signature: "v1," and the base64 HMAC-SHA256 of
// "id.timestamp.body" under each of the endpoint's secrets, newest first,
// space-separated, so a receiver in the middle of a rotation verifies with
// either. Secrets are whsec_ and base64 of 24 to 64 random bytes.
//
// # Durability contract
//
// When Emit returns nil, one pending delivery per subscribed endpoint is
// committed and fsynced (Store.Add). It stays in the outbox until that
// endpoint answers 2xx and the success is committed; nothing else removes
// it except deleting the endpoint. So after any crash, everything not
// recorded as delivered is sent again: at least once, never lost. The
// receiver deduplicates by webhook-id. An event ID already pending, or
// delivered within RememberDelivered, is not added again (a producer that
// re-emits after its own crash sends no duplicates); Replay adds it anyway.
//
// # Order
//
// Per endpoint, the events of one OrderKey (a sealgate message ID) go out
// one at a time in Add order: the next is leased only after the previous
// one's success is committed, so a receiver never sees "delivered" before
// "accepted", even across retries and restarts. Events of different
// messages go out concurrently, up to Options.Concurrency requests.
//
// # Retries and disabling
//
// A failure is anything but 2xx within Options.Timeout: 3xx (never
// followed), 4xx, 5xx, timeouts, refused connections. The next attempt is
// RetryMin doubled per failure, ±25% jitter, at most RetryMax; a
// Retry-After is honoured up to RetryMax. There is no attempt limit: an
// endpoint that has answered nothing but failures for DisableAfter (72h)
// is disabled, OnDisabled tells the lead, and its events, including new
// ones, wait in the outbox until Enable makes them all due at once.
//
// # What it never does
//
// It never logs, counts or returns a payload or a response body (the
// response is read up to 64 KiB and discarded), never a secret, and never
// a URL (its query may hold a token): logs and metrics name endpoints by
// ID, errors by status or transport error. It never sends to plain http
// except to loopback with AllowLoopbackHTTP.
//
// # Store
//
// Store is the interface a shared database would implement for several
// nodes; Bolt is the embedded one (one bbolt file; optional AEAD sealing
// of bodies and API endpoints). Config endpoints live in memory, passed to
// New and SetEndpoints; their state (disabled, failure streak) is stored
// by ID like an API endpoint's.
package webhook
