// Package api is sealgate's REST API: HTTPS JSON on its own listener, API keys
// with scopes, rate limits and idempotency, over a Backend the gateway
// implements, so a message sent by API takes the same path as one sent by
// SMTP.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"time"
)

// Backend is the daemon as the REST API sees it. The gateway implements it;
// the API package owns HTTP, authentication, rate limits, idempotency and
// JSON, and nothing else. Every method is called with the caller's key ID
// in the context (KeyID) so the backend can audit who did what.
type Backend interface {
	// Submit stores one message durably (spooled, "received" audited) and
	// hands it to the processing stage, exactly as SMTP ingress does before
	// its 250. reserve, when not nil, is called with the new message's ID
	// after the body is stored and before it is committed: the idempotency
	// record is durable before the message can exist. A policy block is a
	// *BlockedError (the message was recorded and removed); a temporary
	// failure is ErrUnavailable (nothing was kept: the client may retry).
	Submit(ctx context.Context, sub Submission, reserve func(msgID string) error) (SubmitResult, error)
	// Exists says whether a message with this ID was committed (queued,
	// finished or still known to the message index).
	Exists(ctx context.Context, msgID string) (bool, error)

	// Message is one message's status; ErrNotFound when unknown.
	Message(ctx context.Context, msgID string) (MessageStatus, error)
	// Messages lists messages, newest first, one page at a time.
	Messages(ctx context.Context, q MessageQuery) (MessagePage, error)

	// Audit returns audit records in chain order, one page at a time.
	Audit(ctx context.Context, q AuditQuery) (AuditPage, error)
	// Summary is `sealgate audit report` for a time window.
	Summary(ctx context.Context, since, until time.Time) (json.RawMessage, error)

	// Admin operations. Op names and arguments are the control socket's
	// (`sealgate queue`, `sealgate portal`): list, show, hold, release,
	// reprocess, delete, flush; portal-list, portal-show, portal-revoke,
	// portal-extend. The result is JSON; ErrNotFound for an unknown ID,
	// *InvalidError for a request the operation refuses.
	Admin(ctx context.Context, op AdminOp) (json.RawMessage, error)

	// Recipient keys and certificates (`sealgate keys`).
	Keys(ctx context.Context, addr string) (json.RawMessage, error)
	ImportKey(ctx context.Context, data []byte) (json.RawMessage, error)
	RemoveKey(ctx context.Context, fingerprint string) error

	// PolicyValidate lints a policy document (YAML bytes) and returns every
	// problem; an empty list means it would load.
	PolicyValidate(ctx context.Context, doc []byte) ([]PolicyProblem, error)
	// PolicyTest runs the live policy (and the selector, read only) on a
	// message and returns the decision and its trace; nothing is sent or
	// stored.
	PolicyTest(ctx context.Context, from string, to []string, msg io.Reader) (json.RawMessage, error)

	// Webhook subscriptions made through the API (config ones are listed
	// too, read only).
	Webhooks(ctx context.Context) ([]Webhook, error)
	CreateWebhook(ctx context.Context, w WebhookRequest) (Webhook, error) // Webhook.Secret set once, here
	DeleteWebhook(ctx context.Context, id string) error
	TestWebhook(ctx context.Context, id string) (WebhookTestResult, error)
}

// Errors the backend returns; the API maps them to problem types.
var (
	ErrNotFound    = errors.New("api: not found")
	ErrUnavailable = errors.New("api: temporarily unavailable")
)

// BlockedError: the policy blocked the message (like SMTP's 550 5.7.1).
// Text is the admin's text, Rule the rule ID; neither carries PHI.
type BlockedError struct{ Rule, Text string }

func (e *BlockedError) Error() string { return "blocked by policy rule " + e.Rule + ": " + e.Text }

// InvalidError: the request is well-formed JSON but the operation refuses
// it (a release without --method, an address that is not one, ...). Field
// names the offending JSON field when there is one.
type InvalidError struct{ Field, Detail string }

func (e *InvalidError) Error() string { return e.Detail }

type keyIDCtx struct{}

// WithKeyID returns ctx carrying the authenticated API key's ID.
func WithKeyID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, keyIDCtx{}, id)
}

// KeyID is the API key ID that ctx carries ("" when none).
func KeyID(ctx context.Context) string {
	id, _ := ctx.Value(keyIDCtx{}).(string)
	return id
}

// Submission is one message for Submit: the envelope and the RFC 5322
// bytes (raw as sent, or built from JSON by the API).
type Submission struct {
	From       string   // envelope sender (MAIL FROM); "" is refused by the API
	Recipients []string // envelope recipients (to + cc + bcc), each once
	Message    io.Reader
	Tags       []string          // echoed in events; never PHI (documented)
	Metadata   map[string]string // echoed in events; never PHI (documented)
	// ForceEncrypt makes the message at least "encrypt": the policy may
	// decide stronger (block, quarantine), never weaker.
	ForceEncrypt bool
}

// SubmitResult is the answer to a submission: the message ID and, per
// recipient, the method the processing stage chose ("pending" when it had
// not decided within the API's wait).
type SubmitResult struct {
	ID         string             `json:"id"`
	MessageID  string             `json:"message_id,omitempty"` // RFC 5322 Message-ID
	Action     string             `json:"action,omitempty"`     // policy action, once decided
	Rule       string             `json:"rule,omitempty"`
	Recipients []PlannedRecipient `json:"recipients"`
}

// PlannedRecipient is one recipient's planned method.
type PlannedRecipient struct {
	Address string `json:"address"`
	Method  string `json:"method"` // pgp, smime, tls, portal, plain, held, pending
	Reason  string `json:"reason,omitempty"`
}

// MessageStatus is what GET /v1/messages/{id} answers.
type MessageStatus struct {
	ID         string            `json:"id"`
	MessageID  string            `json:"message_id,omitempty"`
	Received   time.Time         `json:"received"`
	From       string            `json:"from"`
	Source     string            `json:"source"` // smtp listener name, "api", "portal"
	KeyID      string            `json:"key_id,omitempty"`
	Action     string            `json:"action,omitempty"`
	Rule       string            `json:"rule,omitempty"`
	Findings   map[string]int    `json:"findings,omitempty"` // types and counts only
	Tags       []string          `json:"tags,omitempty"`
	Metadata   map[string]string `json:"metadata,omitempty"`
	Recipients []RecipientStatus `json:"recipients"`
	Updated    time.Time         `json:"updated"`
}

// RecipientStatus is one recipient's delivery state. Status is one of
// queued, delivered, deferred, bounced, held, blocked, portal_notified,
// portal_opened, portal_replied, portal_expired, portal_revoked.
type RecipientStatus struct {
	Address  string       `json:"address"`
	Method   string       `json:"method,omitempty"`
	Status   string       `json:"status"`
	Attempts int          `json:"attempts,omitempty"`
	Reply    string       `json:"reply,omitempty"` // the last SMTP reply, as audited
	TLS      *TLSEvidence `json:"tls,omitempty"`
	Updated  time.Time    `json:"updated"`
}

// TLSEvidence is what the relay saw when it delivered.
type TLSEvidence struct {
	Version        string `json:"version,omitempty"`
	Cipher         string `json:"cipher,omitempty"`
	Verified       bool   `json:"verified"`
	Auth           string `json:"auth,omitempty"` // none, verified, dane, mta-sts
	PeerCertSHA256 string `json:"peer_cert_sha256,omitempty"`
	RemoteHost     string `json:"remote_host,omitempty"`
}

// MessageQuery filters GET /v1/messages. Cursor is opaque (from the
// previous page's Next); Limit is 1..1000 (the API defaults it to 100).
type MessageQuery struct {
	Since     time.Time
	Status    string
	Recipient string
	Tag       string
	Cursor    string
	Limit     int
}

// MessagePage is one page; Next is "" on the last.
type MessagePage struct {
	Messages []MessageStatus `json:"messages"`
	Next     string          `json:"next,omitempty"`
}

// AuditQuery filters GET /v1/audit (the fields of `sealgate audit export`).
type AuditQuery struct {
	Since, Until    time.Time
	Types           []string
	MsgID           string
	RecipientDomain string
	Cursor          string
	Limit           int
}

// AuditPage is one page of audit records, each the log's own JSON line.
type AuditPage struct {
	Records []json.RawMessage `json:"records"`
	Next    string            `json:"next,omitempty"`
}

// AdminOp is one admin operation (see Backend.Admin).
type AdminOp struct {
	Op     string // list, show, hold, release, reprocess, delete, flush, portal-list, portal-show, portal-revoke, portal-extend
	ID     string
	Method string    // release: tls or portal
	Until  time.Time // portal-extend
}

// PolicyProblem is one lint finding, in the form `sealgate policy lint`
// prints: the path of the key and what is wrong.
type PolicyProblem struct {
	Line    int    `json:"line,omitempty"`
	Key     string `json:"key,omitempty"`
	Message string `json:"message"`
}

// Webhook is one subscription. Secret is set only in CreateWebhook's
// answer (shown once); Source is "config" or "api".
type Webhook struct {
	ID             string    `json:"id"`
	URL            string    `json:"url"`
	Events         []string  `json:"events"`
	Source         string    `json:"source"`
	Disabled       bool      `json:"disabled"`
	DisabledReason string    `json:"disabled_reason,omitempty"`
	Created        time.Time `json:"created,omitzero"`
	Secret         string    `json:"secret,omitempty"`
}

// WebhookRequest creates a subscription.
type WebhookRequest struct {
	URL    string   `json:"url"`
	Events []string `json:"events"`
}

// WebhookTestResult is the outcome of one signed test delivery.
type WebhookTestResult struct {
	Status   int    `json:"status"`
	Error    string `json:"error,omitempty"`
	Duration string `json:"duration"`
}
