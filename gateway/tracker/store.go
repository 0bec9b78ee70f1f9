package tracker

import (
	"strings"
	"time"

	"github.com/sealgate/sealgate/gateway/api"
)

// Store holds what the tracker derives: the message index, the cursor,
// portal links and the API's annotations. The tracker is its only writer
// of entries and cursor (one goroutine); Annotate may run concurrently.
// The embedded implementation is bbolt (OpenBolt); a shared SQL one can
// serve several nodes later.
type Store interface {
	// Cursor is where the index stands; the zero Cursor before the first start.
	Cursor() (Cursor, error)
	// Entry is one message's entry, nil when unknown.
	Entry(msgID string) (*Entry, error)
	// PortalMsg is the message a portal ID was deposited from, "" when unknown.
	PortalMsg(portalID string) (string, error)
	// Commit writes the changes and the cursor in one transaction.
	Commit(c Changes) error
	// List returns entries newest first (by received time) matching q,
	// at most q.Limit, and the cursor of the next page ("" on the last).
	// q.Tag matches an annotation's TagKeys.
	List(q api.MessageQuery) ([]*Entry, string, error)
	// Annotate stores a message's annotation durably, whether or not
	// its entry exists yet.
	Annotate(msgID string, a Annotation) error
	// Annotation returns a message's annotation.
	Annotation(msgID string) (Annotation, bool, error)
	// Prune removes finished entries last updated before cutoff, with their
	// portal links and annotations, and annotations older than cutoff whose
	// message never arrived. It returns the number of entries removed.
	Prune(cutoff time.Time) (int, error)
	Close() error
}

// Cursor is the tracker's position in the audit log.
type Cursor struct {
	Applied uint64    `json:"applied"` // last audit seq applied to the index
	Started time.Time `json:"started"` // first start of the tracker
	// EmitAfter: events are emitted for records after this seq. It is fixed
	// at the first record appended after Started (see Tracker.Run).
	EmitAfter uint64 `json:"emit_after,omitempty"`
	EmitFixed bool   `json:"emit_fixed,omitempty"`
}

// Changes is one batch of index changes, committed with its cursor.
type Changes struct {
	Entries []*Entry          // new or changed entries
	Portals map[string]string // new portal ID -> message ID links
	Cursor  Cursor
}

// Annotation is what the API knows about a message before it is committed.
type Annotation struct {
	Source  string   `json:"source,omitempty"` // "api"
	KeyID   string   `json:"key_id,omitempty"`
	TagKeys []string `json:"tag_keys,omitempty"` // opaque: HMACs of the tags, for the tag filter
	Sealed  []byte   `json:"sealed,omitempty"`   // tags and metadata sealed by the gateway; opaque here
}

// Entry is one message in the index: its status as the API shows it
// (without the annotation's fields) and what deriving needs.
type Entry struct {
	Status api.MessageStatus `json:"status"`
	Seq    uint64            `json:"seq"`              // last audit record applied to it
	Portal map[string]string `json:"portal,omitempty"` // recipient -> portal ID
}

// Recipient statuses beyond api.RecipientStatus's list.
const (
	StatusQueued           = "queued"
	StatusDelivered        = "delivered"
	StatusDeferred         = "deferred"
	StatusBounced          = "bounced"
	StatusHeld             = "held"
	StatusBlocked          = "blocked"
	StatusDeleted          = "deleted"
	StatusPortalNotified   = "portal_notified"
	StatusPortalOpened     = "portal_opened"
	StatusPortalVerified   = "portal_verified"
	StatusPortalDownloaded = "portal_downloaded"
	StatusPortalReplied    = "portal_replied"
	StatusPortalExpired    = "portal_expired"
	StatusPortalRevoked    = "portal_revoked"
)

// final says a recipient's story is over: nothing more will be sent or
// read. A portal message stays open until it expires or is revoked.
func final(status string) bool {
	switch status {
	case StatusDelivered, StatusBounced, StatusBlocked, StatusDeleted, StatusPortalExpired, StatusPortalRevoked:
		return true
	}
	return false
}

// Finished says every recipient's story is over: the entry may be pruned.
func (e *Entry) Finished() bool {
	for _, r := range e.Status.Recipients {
		if !final(r.Status) {
			return false
		}
	}
	return true
}

// recipient returns the entry's recipient addr (case-insensitive), or nil.
func (e *Entry) recipient(addr string) *api.RecipientStatus {
	for i := range e.Status.Recipients {
		if strings.EqualFold(e.Status.Recipients[i].Address, addr) {
			return &e.Status.Recipients[i]
		}
	}
	return nil
}

// Matches reports whether the entry passes q's status and recipient filters
// (Since, Tag and paging are the store's).
func (e *Entry) Matches(q api.MessageQuery) bool {
	if q.Status == "" && q.Recipient == "" {
		return true
	}
	for _, r := range e.Status.Recipients {
		if (q.Status == "" || r.Status == q.Status) && (q.Recipient == "" || strings.EqualFold(r.Address, q.Recipient)) {
			return true
		}
	}
	return false
}
