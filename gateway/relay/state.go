package relay

import (
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/sealgate/sealgate/envelope"
	"github.com/sealgate/sealgate/gateway/relay/smtpclient"
)

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
	// Held: this recipient waits for an operator (Copy.Hold); the rest of
	// the message is delivered meanwhile.
	Held       bool   `json:"held,omitempty"`
	HoldReason string `json:"hold_reason,omitempty"`
	// Fallback is the method that failed at delivery ("tls") while this
	// held recipient waits for Options.Fallback to choose another.
	Fallback string `json:"fallback,omitempty"`
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
	// fallbackBusy: Options.Fallback has this recipient now;
	// fallbackAfter: not before this time again (after an error);
	fallbackBusy  bool
	fallbackAfter time.Time
	fallbackSeq   int // counts holdForFallback, so a newer hold is not cleared by an older call
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
	// Where the scheduler finds m (wake.go): ready, in the heap at
	// wakeAt (heapIdx-1), blocked on a delivery slot.
	ready, blocked bool
	wakeAt         time.Time
	heapIdx        int
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
	r.touch(m)
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
