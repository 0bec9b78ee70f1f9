package tracker

import (
	"time"

	"github.com/sealgate/sealgate/gateway/api"
)

// Event types, as webhook subscribers name them.
const (
	EventAccepted         = "message.accepted"
	EventBlocked          = "message.blocked"
	EventHeld             = "message.held"
	EventDelivered        = "message.delivered"
	EventDeferred         = "message.deferred"
	EventBounced          = "message.bounced"
	EventPortalNotified   = "portal.notified"
	EventPortalOpened     = "portal.opened"
	EventPortalVerified   = "portal.verified"
	EventPortalDownloaded = "portal.downloaded"
	EventPortalReplied    = "portal.replied"
	EventPortalExpired    = "portal.expired"
	EventPortalRevoked    = "portal.revoked"
)

// Event is one webhook event derived from one audit record. ID depends
// only on the record (evt_<seq>, or evt_<seq>_<n> when the record yields
// several), so deriving again after a crash gives the same IDs and
// receivers can dedupe.
type Event struct {
	ID        string
	Type      string
	Time      time.Time // the audit record's time
	MsgID     string
	Recipient string
	Data      EventData
}

// EventData is what subscribers get. Never a subject, a body or matched
// text: the audit log holds none.
type EventData struct {
	MsgID     string           `json:"msg_id"`
	MessageID string           `json:"message_id,omitempty"` // RFC 5322 Message-ID
	Recipient string           `json:"recipient,omitempty"`
	Method    string           `json:"method,omitempty"`
	Status    string           `json:"status,omitempty"`
	Attempt   int              `json:"attempt,omitempty"`
	Reply     string           `json:"reply,omitempty"`
	TLS       *api.TLSEvidence `json:"tls,omitempty"`
	Rule      string           `json:"rule,omitempty"`
	Action    string           `json:"action,omitempty"`
	Findings  map[string]int   `json:"findings,omitempty"` // detector type -> count
	PortalID  string           `json:"portal_id,omitempty"`
}
