package portal

import (
	"time"

	"github.com/sealgate/sealgate/gateway/portal/web"
)

// Event kinds the Service reports. The web UI's are web's own values.
const (
	KindNotified   = "portal.notified"
	KindOpened     = string(web.EventOpened)
	KindCodeSent   = string(web.EventCodeSent)
	KindVerified   = string(web.EventVerified)
	KindCodeFailed = string(web.EventFailed)
	KindLocked     = string(web.EventLocked)
	KindDownloaded = string(web.EventDownloaded)
	KindReplied    = string(web.EventReplied)
	// The second factor; a wrong TOTP is KindCodeFailed.
	KindTOTPEnrolled = string(web.EventTOTPEnrolled)
	KindTOTPVerified = string(web.EventTOTPVerified)
	// KindTOTPReset concerns an address, not a message: MessageID is empty.
	KindTOTPReset = "portal.totp_reset"
	KindRevoked   = "portal.revoked"
	KindExpired   = "portal.expired"
	KindExtended  = "portal.extended"
)

// Event is one portal event for the audit log: who (the message id and the
// recipient it concerns), what (Kind) and when; never content.
type Event struct {
	Time      time.Time
	MessageID string
	Recipient string
	Kind      string
	Part      int // attachment index, for portal.attachment_downloaded
	// Failures is reserved for a failure count; the store does not report
	// one yet, so it is 0.
	Failures int
}

// EventSink takes the portal's events; the gateway writes them to the
// audit log. A failure is logged by message id and does not stop the
// portal: the store's own event log keeps the record either way.
type EventSink interface {
	PortalEvent(Event) error
}

func (s *Service) emit(ev Event) {
	if ev.Time.IsZero() {
		ev.Time = s.cfg.Now()
	}
	ev.Time = ev.Time.UTC()
	if err := s.events.PortalEvent(ev); err != nil {
		s.log.Error("portal: event sink", "msg_id", ev.MessageID, "kind", ev.Kind, "err", err)
	}
}
