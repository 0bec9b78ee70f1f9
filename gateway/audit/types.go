package audit

import (
	"encoding/json"
	"time"
)

// Record types. Later issues add portal and API events through the same writer.
const (
	TypeReceived     = "received"
	TypeRejected     = "rejected"
	TypeDecision     = "decision"
	TypeAttempt      = "attempt"
	TypeDelivery     = "delivery"
	TypeDSNSent      = "dsn_sent"
	TypeQueueOp      = "queue_op"
	TypeConfigReload = "config_reload"
	TypeRecovered    = "recovered"
	TypeQuarantined  = "quarantined"
	TypeCheckpoint   = "checkpoint"
	TypePortal       = "portal"
	TypeAPICall      = "api_call"
	TypeWebhook      = "webhook"
	TypeAPIKey       = "api_key"
	TypeTLSReport    = "tls_report"
)

// Event is what a caller appends. Data is one of the typed payloads below
// (or nil); it is marshalled as JSON. Never put a body, a subject, an
// attachment name or matched PHI text into it.
type Event struct {
	Type      string
	MsgID     string // sealgate's message ID
	MessageID string // RFC 5322 Message-ID, if known
	Data      any
}

// Record is one line of the log, as written (Append) or read (Scan, Follow).
type Record struct {
	Seq       uint64
	Time      time.Time
	Type      string
	MsgID     string
	MessageID string
	Data      json.RawMessage
	Prev      string
	Raw       []byte // the exact line without "\n"; its SHA-256 is the next record's Prev
}

// Received: the message was accepted into the spool (durable before 250).
type Received struct {
	Listener   string   `json:"listener,omitempty"`
	ClientIP   string   `json:"client_ip,omitempty"`
	TLSVersion string   `json:"tls_version,omitempty"`
	TLSCipher  string   `json:"tls_cipher,omitempty"`
	AuthUser   string   `json:"auth_user,omitempty"`
	From       string   `json:"from"`
	Recipients []string `json:"recipients"`
	Size       int64    `json:"size"`
}

// Rejected: a transaction or message was refused. Stage is one of
// connect, mail, rcpt, data, spool, audit.
type Rejected struct {
	Stage      string   `json:"stage"`
	Code       int      `json:"code"`
	Enhanced   string   `json:"enhanced,omitempty"`
	Reason     string   `json:"reason,omitempty"`
	ClientIP   string   `json:"client_ip,omitempty"`
	From       string   `json:"from,omitempty"`
	Recipients []string `json:"recipients,omitempty"`
}

// Decision: the policy outcome, durable before anything leaves.
type Decision struct {
	PolicyHash string         `json:"policy_hash,omitempty"`
	Rule       string         `json:"rule,omitempty"`
	Action     string         `json:"action"`
	Findings   map[string]int `json:"findings,omitempty"` // detector type -> count, never the matched text
	// NotRead counts parts skipped unread by reason (pictures while OCR is
	// off): the record never implies they were scanned.
	NotRead    map[string]int    `json:"not_read,omitempty"`
	Recipients []RecipientMethod `json:"recipients,omitempty"`
}

// RecipientMethod is the delivery method chosen for one recipient.
type RecipientMethod struct {
	Addr   string `json:"addr"`
	Method string `json:"method"`
	Reason string `json:"reason,omitempty"`
}

// Attempt: a delivery attempt is about to connect, durable before it
// does. Its outcome follows as one delivery record per recipient; an
// attempt without them means the outcome is unknown (a crash, or the log
// failed after the attempt): the message stayed queued and was tried again.
type Attempt struct {
	Recipients []string `json:"recipients"`
	// Destination is the recipient domain (MX delivery) or "smarthost".
	Destination string `json:"destination"`
	// Copy names the outbound copy ("" = the original message).
	Copy    string `json:"copy,omitempty"`
	Attempt int    `json:"attempt"`
}

// Delivery: one attempt's outcome for one recipient. Outcome is one of
// delivered, deferred, bounced, expired; TLSAuth one of none, verified,
// dane, mta-sts.
type Delivery struct {
	Recipient      string `json:"recipient"`
	Outcome        string `json:"outcome"`
	Attempt        int    `json:"attempt,omitempty"`
	RemoteHost     string `json:"remote_host,omitempty"`
	Reply          string `json:"reply,omitempty"`
	TLSVersion     string `json:"tls_version,omitempty"`
	TLSCipher      string `json:"tls_cipher,omitempty"`
	PeerCertSHA256 string `json:"peer_cert_sha256,omitempty"`
	TLSVerified    bool   `json:"tls_verified"`
	TLSAuth        string `json:"tls_auth,omitempty"`
	// TLSFailure is the RFC 8460 result type when TLS failed
	// (starttls-not-supported, certificate-host-mismatch, tlsa-invalid, ...).
	TLSFailure string `json:"tls_failure,omitempty"`
	// TLSDowngrade marks a domain that proved stronger TLS before and now
	// offers less: treated as an attack, the delivery was deferred.
	TLSDowngrade bool `json:"tls_downgrade,omitempty"`
}

// DSNSent: a delivery status notification was queued.
type DSNSent struct {
	DSNMsgID   string   `json:"dsn_msg_id"`
	To         string   `json:"to"`
	Recipients []string `json:"recipients,omitempty"`
	Action     string   `json:"action,omitempty"`
}

// TLSReport: a TLSRPT report (RFC 8460) about Domain's Day was sent to one
// of its rua destinations, or failed to be (Result "sent" or "failed").
// For a mailed report, the event's MsgID is the queued report message.
// It names domains, destinations and session counts: no PHI.
type TLSReport struct {
	Domain      string `json:"domain"`
	Day         string `json:"day"` // YYYY-MM-DD, UTC
	ReportID    string `json:"report_id"`
	Method      string `json:"method"`      // https or mailto
	Destination string `json:"destination"` // the rua URI
	Result      string `json:"result"`
	Error       string `json:"error,omitempty"`
	Successful  int64  `json:"successful_sessions"`
	Failed      int64  `json:"failed_sessions"`
}

// QueueOp: an operator held, released, deleted or flushed messages.
type QueueOp struct {
	Op     string `json:"op"`
	Actor  string `json:"actor,omitempty"`
	Method string `json:"method,omitempty"` // release: how held recipients are sent
	Result string `json:"result,omitempty"`
}

// Portal: something happened to a secure-portal message: deposited (MsgID
// is then the sealgate message it came from), notified, opened, code_sent,
// verified, code_failed, locked, attachment_downloaded, replied, expired,
// revoked, extended. It proves whether and when a recipient read it.
type Portal struct {
	Event     string `json:"event"`
	PortalID  string `json:"portal_id"`
	Recipient string `json:"recipient,omitempty"`
	Part      int    `json:"part,omitempty"`     // attachment index, for downloads
	Failures  int    `json:"failures,omitempty"` // consecutive wrong codes
	Actor     string `json:"actor,omitempty"`    // who revoked or extended
	Expires   string `json:"expires,omitempty"`  // RFC 3339, for deposited and extended
}

// ConfigReload: the configuration was (or failed to be) reloaded.
type ConfigReload struct {
	OK         bool   `json:"ok"`
	Error      string `json:"error,omitempty"`
	ConfigHash string `json:"config_hash,omitempty"`
}

// Recovered: Open found a torn tail and moved it into File.
type Recovered struct {
	File   string `json:"file"`
	Bytes  int64  `json:"bytes"`
	Reason string `json:"reason"`
}

// Quarantined: at start the spool found a message file torn or corrupt and
// moved it to File (relative to the spool directory); it is never
// delivered. From and Recipients come from its envelope when that still
// authenticates (EnvelopeReadable); the sender then gets a DSN, recorded
// as dsn_sent.
type Quarantined struct {
	File             string   `json:"file"`
	EnvelopeReadable bool     `json:"envelope_readable"`
	From             string   `json:"from,omitempty"`
	Recipients       []string `json:"recipients,omitempty"`
}

// Checkpoint carries the chain head signed with the Ed25519 key.
// Signature is base64 Ed25519 over checkpointMessage(HeadSeq, HeadHash);
// KeyID is the first 16 hex digits of SHA-256 of the public key.
type Checkpoint struct {
	HeadSeq         uint64 `json:"head_seq"`
	HeadHash        string `json:"head_hash"`
	KeyID           string `json:"key_id"`
	Signature       string `json:"signature"`
	Every           int    `json:"every"`
	IntervalSeconds int    `json:"interval_seconds"`
}

// APICall: one REST API request, by which key, with what outcome. Route is
// the pattern ("POST /v1/messages"), never the query or the body.
type APICall struct {
	KeyID  string   `json:"key_id,omitempty"`
	Route  string   `json:"route"`
	Status int      `json:"status"`
	MsgIDs []string `json:"msg_ids,omitempty"`
	// Problem is the problem type's last path segment on an error.
	Problem string `json:"problem,omitempty"`
}

// Webhook: an endpoint was disabled after persistent failure, enabled,
// added or removed, or events were replayed to it.
type Webhook struct {
	Event    string `json:"event"` // disabled, enabled, created, deleted, replayed
	Endpoint string `json:"endpoint"`
	Reason   string `json:"reason,omitempty"`
	Actor    string `json:"actor,omitempty"`
	Events   int    `json:"events,omitempty"` // replayed: how many
}

// APIKey: an API key was created or revoked (never the token).
type APIKey struct {
	Event  string   `json:"event"` // created, revoked
	KeyID  string   `json:"key_id"`
	Name   string   `json:"name,omitempty"`
	Scopes []string `json:"scopes,omitempty"`
	Actor  string   `json:"actor,omitempty"`
}
