package tracker

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/sealgate/sealgate/gateway/api"
	"github.com/sealgate/sealgate/gateway/audit"
)

// errBadRecord marks a record whose data does not decode: it is skipped
// (logged by seq and type), never retried forever.
var errBadRecord = errors.New("tracker: undecodable record data")

// view is the index as one batch sees it: the batch's changes over the
// store. With no store (Replay) it is all there is.
type view struct {
	base    Store
	entries map[string]*Entry // nil value: known to be absent
	portals map[string]string
	changed []*Entry
	seen    map[*Entry]bool
}

func newView(base Store) *view {
	return &view{base: base, entries: map[string]*Entry{}, portals: map[string]string{}, seen: map[*Entry]bool{}}
}

func (v *view) entry(id string) (*Entry, error) {
	if id == "" {
		return nil, nil
	}
	if e, ok := v.entries[id]; ok || v.base == nil {
		return e, nil
	}
	e, err := v.base.Entry(id)
	if err != nil {
		return nil, err
	}
	v.entries[id] = e
	return e, nil
}

func (v *view) portalMsg(pid string) (string, error) {
	if id, ok := v.portals[pid]; ok || v.base == nil {
		return id, nil
	}
	return v.base.PortalMsg(pid)
}

// touch records e as changed by this batch.
func (v *view) touch(e *Entry) {
	if v.base != nil && !v.seen[e] {
		v.seen[e] = true
		v.changed = append(v.changed, e)
	}
}

// Methods the process stage writes for a recipient that waits for an
// operator (gateway/process: plan.go, encrypt.go).
func heldMethod(m string) bool {
	switch m {
	case "held", "none", "quarantine", "blocked":
		return true
	}
	return false
}

// decidable: a (new) decision may still change this recipient's status.
func decidable(status string) bool {
	switch status {
	case StatusQueued, StatusDeferred, StatusHeld, StatusBlocked:
		return true
	}
	return false
}

// Portal events, by the audit record's event name: the recipient status,
// the webhook event, and a rank so a late record (a second notification)
// never moves a recipient back.
var portalSteps = map[string]struct {
	status, event string
	rank          int
}{
	"notified":              {StatusPortalNotified, EventPortalNotified, 1},
	"opened":                {StatusPortalOpened, EventPortalOpened, 2},
	"verified":              {StatusPortalVerified, EventPortalVerified, 3},
	"attachment_downloaded": {StatusPortalDownloaded, EventPortalDownloaded, 4},
	"replied":               {StatusPortalReplied, EventPortalReplied, 5},
	"expired":               {StatusPortalExpired, EventPortalExpired, 6},
	"revoked":               {StatusPortalRevoked, EventPortalRevoked, 6},
}

func portalRank(status string) int {
	for _, s := range portalSteps {
		if s.status == status {
			return s.rank
		}
	}
	return 0
}

// derive applies r to v and returns its events, IDs set. Records about
// messages v has no entry for are ignored; so is a record already applied
// (its seq is not past the entry's), so a state never goes back.
func derive(v *view, r audit.Record) ([]Event, error) {
	var evs []Event
	var err error
	switch r.Type {
	case audit.TypeReceived:
		evs, err = deriveReceived(v, r)
	case audit.TypeDecision, audit.TypeAttempt, audit.TypeDelivery, audit.TypeQueueOp:
		var e *Entry
		if e, err = v.entry(r.MsgID); err != nil || e == nil || r.Seq <= e.Seq {
			return nil, err
		}
		switch r.Type {
		case audit.TypeDecision:
			evs, err = deriveDecision(e, r)
		case audit.TypeAttempt:
			err = deriveAttempt(e, r)
		case audit.TypeDelivery:
			evs, err = deriveDelivery(e, r)
		case audit.TypeQueueOp:
			err = deriveQueueOp(e, r)
		}
		if err == nil {
			stamp(v, e, r)
		}
	case audit.TypePortal:
		evs, err = derivePortal(v, r)
	}
	if err != nil {
		return nil, err
	}
	for i := range evs {
		evs[i].ID = fmt.Sprintf("evt_%d", r.Seq)
		if len(evs) > 1 {
			evs[i].ID = fmt.Sprintf("evt_%d_%d", r.Seq, i)
		}
		evs[i].Time = r.Time
		evs[i].MsgID = evs[i].Data.MsgID
		evs[i].Recipient = evs[i].Data.Recipient
	}
	return evs, nil
}

// stamp marks e as changed by r.
func stamp(v *view, e *Entry, r audit.Record) {
	e.Seq = r.Seq
	e.Status.Updated = r.Time
	if e.Status.MessageID == "" {
		e.Status.MessageID = r.MessageID
	}
	v.touch(e)
}

func decode(r audit.Record, into any) error {
	if err := json.Unmarshal(r.Data, into); err != nil {
		return fmt.Errorf("%w: seq %d (%s)", errBadRecord, r.Seq, r.Type)
	}
	return nil
}

func (e *Entry) event(typ string, rs *api.RecipientStatus) Event {
	d := EventData{MsgID: e.Status.ID, MessageID: e.Status.MessageID}
	if rs != nil {
		d.Recipient, d.Method, d.Status = rs.Address, rs.Method, rs.Status
	}
	return Event{Type: typ, Data: d}
}

func deriveReceived(v *view, r audit.Record) ([]Event, error) {
	if e, err := v.entry(r.MsgID); err != nil || e != nil || r.MsgID == "" {
		return nil, err // a duplicate received changes nothing
	}
	var d audit.Received
	if err := decode(r, &d); err != nil {
		return nil, err
	}
	e := &Entry{Status: api.MessageStatus{ID: r.MsgID, MessageID: r.MessageID, Received: r.Time, From: d.From,
		Source: d.Listener, Updated: r.Time, Recipients: []api.RecipientStatus{}}}
	// An API message names its key in the auth identity (gateway/apisubmit.go).
	e.Status.KeyID, _ = strings.CutPrefix(d.AuthUser, "api-key:")
	if e.Status.KeyID == d.AuthUser {
		e.Status.KeyID = ""
	}
	for _, a := range d.Recipients {
		if e.recipient(a) == nil {
			e.Status.Recipients = append(e.Status.Recipients, api.RecipientStatus{Address: a, Status: StatusQueued, Updated: r.Time})
		}
	}
	e.Seq = r.Seq
	v.entries[r.MsgID] = e
	v.touch(e)
	ev := e.event(EventAccepted, nil)
	ev.Data.Status = StatusQueued
	return []Event{ev}, nil
}

// deriveDecision: the action may carry " (held: why)" (gateway/auditing.go);
// block is for every recipient, quarantine holds every recipient, and an
// encrypt recipient without a usable method (method "none") is held alone.
func deriveDecision(e *Entry, r audit.Record) ([]Event, error) {
	var d audit.Decision
	if err := decode(r, &d); err != nil {
		return nil, err
	}
	base, _, held := strings.Cut(d.Action, " (held: ")
	st := &e.Status
	st.Action, st.Rule, st.Findings = base, d.Rule, d.Findings
	for _, m := range d.Recipients {
		if rs := e.recipient(m.Addr); rs != nil {
			rs.Method = m.Method
		}
	}
	withDecision := func(ev Event) Event {
		ev.Data.Rule, ev.Data.Action, ev.Data.Findings = d.Rule, base, d.Findings
		return ev
	}
	if base == "block" {
		for i := range st.Recipients {
			if rs := &st.Recipients[i]; decidable(rs.Status) {
				rs.Status, rs.Updated = StatusBlocked, r.Time
			}
		}
		ev := withDecision(e.event(EventBlocked, nil))
		ev.Data.Status = StatusBlocked
		return []Event{ev}, nil
	}
	hold := make([]bool, len(st.Recipients))
	some := false
	for i, rs := range st.Recipients {
		hold[i] = decidable(rs.Status) && (base == "quarantine" || heldMethod(rs.Method))
		some = some || hold[i]
	}
	if held && !some { // the whole message waits, whatever the methods say
		for i, rs := range st.Recipients {
			hold[i] = decidable(rs.Status)
		}
	}
	var evs []Event
	for i := range st.Recipients {
		rs := &st.Recipients[i]
		switch {
		case hold[i]:
			rs.Status, rs.Updated = StatusHeld, r.Time
			evs = append(evs, withDecision(e.event(EventHeld, rs)))
		case rs.Status == StatusHeld || rs.Status == StatusBlocked: // decided again (reprocess)
			rs.Status, rs.Updated = StatusQueued, r.Time
		}
	}
	return evs, nil
}

func deriveAttempt(e *Entry, r audit.Record) error {
	var d audit.Attempt
	if err := decode(r, &d); err != nil {
		return err
	}
	for _, a := range d.Recipients {
		if rs := e.recipient(a); rs != nil {
			if d.Attempt > 0 {
				rs.Attempts = max(rs.Attempts, d.Attempt)
			} else {
				rs.Attempts++
			}
		}
	}
	return nil
}

func deriveDelivery(e *Entry, r audit.Record) ([]Event, error) {
	var d audit.Delivery
	if err := decode(r, &d); err != nil {
		return nil, err
	}
	var status, typ string
	switch d.Outcome {
	case "delivered":
		status, typ = StatusDelivered, EventDelivered
	case "deferred":
		status, typ = StatusDeferred, EventDeferred
	case "bounced", "expired":
		status, typ = StatusBounced, EventBounced
	default:
		return nil, nil
	}
	rs := e.recipient(d.Recipient)
	if rs == nil || (rs.Status == StatusDelivered && status != StatusDelivered) {
		return nil, nil // delivered is not undone by a later try of another copy
	}
	rs.Status, rs.Reply, rs.Updated = status, d.Reply, r.Time
	rs.Attempts = max(rs.Attempts, d.Attempt)
	rs.TLS = &api.TLSEvidence{Version: d.TLSVersion, Cipher: d.TLSCipher, Verified: d.TLSVerified, Auth: d.TLSAuth,
		PeerCertSHA256: d.PeerCertSHA256, RemoteHost: d.RemoteHost}
	ev := e.event(typ, rs)
	ev.Data.Attempt, ev.Data.Reply, ev.Data.TLS = rs.Attempts, d.Reply, rs.TLS
	return []Event{ev}, nil
}

func deriveQueueOp(e *Entry, r audit.Record) error {
	var d audit.QueueOp
	if err := decode(r, &d); err != nil {
		return err
	}
	if d.Result != "ok" {
		return nil // the operation failed: nothing changed
	}
	for i := range e.Status.Recipients {
		rs := &e.Status.Recipients[i]
		from, to := "", ""
		switch d.Op {
		case "hold":
			if rs.Status == StatusQueued || rs.Status == StatusDeferred {
				from, to = rs.Status, StatusHeld
			}
		case "release":
			from, to = StatusHeld, StatusQueued
		case "delete":
			if !final(rs.Status) {
				from, to = rs.Status, StatusDeleted
			}
		}
		if to != "" && rs.Status == from {
			rs.Status, rs.Updated = to, r.Time
		}
	}
	return nil
}

// derivePortal: "deposited" names the sealgate message (MsgID) a portal
// message came from; later portal records name only the portal ID.
func derivePortal(v *view, r audit.Record) ([]Event, error) {
	var d audit.Portal
	if err := decode(r, &d); err != nil {
		return nil, err
	}
	msgID := r.MsgID
	if msgID == "" && d.PortalID != "" {
		var err error
		if msgID, err = v.portalMsg(d.PortalID); err != nil {
			return nil, err
		}
	}
	e, err := v.entry(msgID)
	if err != nil || e == nil || r.Seq <= e.Seq {
		return nil, err
	}
	if d.Event == "deposited" {
		rs := e.recipient(d.Recipient)
		if d.PortalID == "" || rs == nil {
			return nil, nil
		}
		if e.Portal == nil {
			e.Portal = map[string]string{}
		}
		e.Portal[strings.ToLower(rs.Address)] = d.PortalID
		v.portals[d.PortalID] = e.Status.ID
		if rs.Method == "" {
			rs.Method = "portal"
		}
		stamp(v, e, r)
		// The link means the notices are going out: it stands for
		// "notified", so the event does not hang on the portal's own
		// record (written just after, best effort; older logs have it
		// before the link). That record is then a no-op.
		step := portalSteps["notified"]
		if portalRank(rs.Status) >= step.rank {
			return nil, nil
		}
		rs.Status, rs.Updated = step.status, r.Time
		ev := e.event(step.event, rs)
		ev.Data.Status, ev.Data.PortalID = step.status, d.PortalID
		return []Event{ev}, nil
	}
	step, ok := portalSteps[d.Event]
	if !ok {
		return nil, nil // code_sent, code_failed, locked, extended, …: no status, no event
	}
	var evs []Event
	for i := range e.Status.Recipients {
		rs := &e.Status.Recipients[i]
		if d.Recipient != "" && !strings.EqualFold(rs.Address, d.Recipient) {
			continue
		}
		if d.Recipient == "" && e.Portal[strings.ToLower(rs.Address)] != d.PortalID {
			continue
		}
		if portalRank(rs.Status) <= step.rank {
			rs.Status, rs.Updated = step.status, r.Time
		}
		ev := e.event(step.event, rs)
		ev.Data.Status, ev.Data.PortalID = step.status, d.PortalID
		evs = append(evs, ev)
	}
	if len(evs) > 0 {
		stamp(v, e, r)
	}
	return evs, nil
}
