package relay

import (
	"strings"
	"time"

	"github.com/sealgate/sealgate/gateway/dsn"
	"github.com/sealgate/sealgate/gateway/relay/tlspolicy"
)

// secureBounceStatus is the DSN status of a recipient that could not be
// delivered securely (RFC 5248 X.7.10, "encryption needed").
const secureBounceStatus = "5.7.10"

// secureBounceText is its diagnostic: no message content, no method detail.
const secureBounceText = "message could not be delivered securely: no secure delivery method for this recipient"

// fallbackTypes are the TLS failures of a server that answered but could
// not give verified TLS. DNS and policy-fetch failures (dnssec-invalid,
// sts-policy-fetch-error, ...) are not among them: those defer as before.
var fallbackTypes = map[string]bool{
	tlspolicy.FailSTARTTLS:     true,
	tlspolicy.FailHostMismatch: true,
	tlspolicy.FailExpired:      true,
	tlspolicy.FailNotTrusted:   true,
	tlspolicy.FailValidation:   true,
	tlspolicy.FailTLSAInvalid:  true,
}

// fallsBack says rc's failed attempt is a verified-TLS failure of a copy
// that another method may replace; r.mu held.
func (r *Relay) fallsBack(m *msg, rc *rcpt, e *DeliveryError) bool {
	if r.opts.Fallback == nil || e.Permanent || m.st.Copies[rc.CopyIdx].Method != MethodTLS {
		return false
	}
	return e.Downgrade || fallbackTypes[e.TLSFailure]
}

// fallbackReason names the failure without content: its RFC 8460 type.
func fallbackReason(e *DeliveryError) string {
	why := e.TLSFailure
	if why == "" {
		why = tlspolicy.FailValidation
	}
	if e.Downgrade {
		why += " (downgrade)"
	}
	return why
}

// holdForFallback holds rc until Options.Fallback has chosen another
// method for it; the caller saves the state (a queued recipient always
// is); r.mu held.
func (r *Relay) holdForFallback(m *msg, rc *rcpt, e *DeliveryError) {
	rc.Held = true
	rc.HoldReason = "fallback: verified TLS failed: " + fallbackReason(e)
	rc.Fallback = m.st.Copies[rc.CopyIdx].Method
	rc.fallbackAfter = time.Time{}
	rc.fallbackSeq++
	r.m.fallbacks.WithLabelValues(rc.Fallback).Inc()
}

// fallbackRetry is how long a failed Options.Fallback call waits.
func (r *Relay) fallbackRetry() time.Duration { return min(r.opts.RetryMin, 30*time.Second) }

// dispatchHeld starts, for m's recipients held alone, the fallback calls
// and hold-lifetime bounces that are due, and returns when the next one
// is (zero: none); r.mu held.
func (r *Relay) dispatchHeld(m *msg, now time.Time) (next time.Time) {
	if m.st.Held {
		return time.Time{} // an operator's or the policy's hold: theirs to end
	}
	deadline := m.st.Received.Add(r.opts.HoldLifetime)
	var expired []*rcpt
	calls := map[[2]string][]*rcpt{}
	var order [][2]string
	soonest := func(t time.Time) {
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	for _, rc := range m.st.Recipients {
		if rc.Status != StatusQueued || !rc.Held || rc.inflight || rc.fallbackBusy {
			continue
		}
		if !now.Before(deadline) {
			expired = append(expired, rc)
			continue
		}
		soonest(deadline)
		if rc.Fallback == "" || r.opts.Fallback == nil {
			continue
		}
		if now.Before(rc.fallbackAfter) {
			soonest(rc.fallbackAfter)
			continue
		}
		k := [2]string{rc.Fallback, strings.TrimPrefix(rc.HoldReason, "fallback: verified TLS failed: ")}
		if _, ok := calls[k]; !ok {
			order = append(order, k)
		}
		calls[k] = append(calls[k], rc)
	}
	if len(expired) > 0 {
		for _, rc := range expired {
			rc.inflight = true
		}
		m.inflight++
		r.jobs.Add(1)
		go r.bounceHeld(m, expired)
	}
	for _, k := range order {
		for _, rc := range calls[k] {
			rc.fallbackBusy = true
		}
		r.jobs.Add(1)
		go r.runFallback(m, k[0], k[1], calls[k])
	}
	return next
}

// runFallback hands rcs to Options.Fallback. On success those it neither
// served nor kept held are no longer waiting for it; on error they are
// handed again later.
func (r *Relay) runFallback(m *msg, failed, reason string, rcs []*rcpt) {
	defer r.jobs.Done()
	addrs := make([]string, len(rcs))
	seqs := make([]int, len(rcs))
	r.mu.Lock()
	for i, rc := range rcs {
		addrs[i], seqs[i] = rc.Addr, rc.fallbackSeq
	}
	r.mu.Unlock()
	err := r.opts.Fallback(r.jobCtx, m.st.ID, addrs, failed, reason)
	if err != nil {
		r.log.Error("relay: fallback failed; handed again later", "msg_id", m.st.ID, "recipients", len(rcs), "err", err)
	}
	m.saveMu.Lock()
	serr := r.saveLocked(m, func() bool {
		retry := r.now().Add(r.fallbackRetry())
		need := false
		for i, rc := range rcs {
			rc.fallbackBusy = false
			switch {
			case err != nil:
				rc.fallbackAfter = retry
			case rc.Fallback != "" && rc.fallbackSeq == seqs[i]:
				rc.Fallback = ""
				need = true
			}
		}
		return need
	})
	m.saveMu.Unlock()
	if serr != nil {
		r.log.Error("relay: saving fallback state failed", "msg_id", m.st.ID, "err", serr)
	}
	if err != nil {
		time.AfterFunc(r.fallbackRetry(), r.kick)
	}
	r.kick()
}

// bounceHeld bounces rcs, held past the hold lifetime, with 5.7.10: a
// recorded outcome like any bounce, then a DSN from settle.
func (r *Relay) bounceHeld(m *msg, rcs []*rcpt) {
	defer r.jobs.Done()
	m.saveMu.Lock()
	defer m.saveMu.Unlock()
	r.mu.Lock()
	now := r.now()
	var done []*rcpt
	var atts []Attempt
	for _, rc := range rcs {
		if rc.Status != StatusQueued || !rc.Held {
			continue // served or released meanwhile
		}
		rc.Status = StatusBounced
		rc.LastCode, rc.LastEnhanced, rc.LastReply = 550, secureBounceStatus, secureBounceText
		rc.LastAttempt, rc.RemoteHost = now, ""
		rc.Held, rc.Fallback = false, ""
		r.m.outcome(StatusBounced)
		done = append(done, rc)
		atts = append(atts, r.attemptOf(m, rc, nil))
	}
	r.mu.Unlock()
	if len(done) > 0 {
		r.log.Warn("relay: held recipients bounced: no secure method within the hold lifetime", "msg_id", m.st.ID, "recipients", len(done))
	}
	recorded := make([]bool, len(atts))
	for i, a := range atts {
		recorded[i] = r.recordOutcome(a)
	}
	err := r.saveLocked(m, func() bool {
		for i, rc := range done {
			if !recorded[i] {
				a := atts[i]
				rc.Unrecorded = &a
			}
		}
		for _, rc := range rcs {
			rc.inflight = false
		}
		m.inflight--
		if m.deleted && m.inflight == 0 && !m.settling {
			r.forget(m)
		}
		return len(done) > 0
	})
	if err != nil {
		r.log.Error("relay: saving held bounce failed", "msg_id", m.st.ID, "err", err)
	}
	r.kick()
}

// secureBounce says a DSN reports a recipient that could not be delivered
// securely: it then carries the original's header only, never its body.
func secureBounce(reports []dsn.RecipientReport) bool {
	for _, rr := range reports {
		if rr.Status == secureBounceStatus && strings.Contains(rr.DiagnosticCode, secureBounceText) {
			return true
		}
	}
	return false
}

// KeepHeld leaves the named held recipients of id held, with reason (no
// content), and no longer waiting for Options.Fallback: no method is left
// for them. Durable when it returns; the hold lifetime still bounces them.
func (r *Relay) KeepHeld(id string, addrs []string, reason string) error {
	r.mu.Lock()
	m, ok := r.msgs[id]
	if !ok || m.deleted {
		r.mu.Unlock()
		return ErrNotFound
	}
	changed := false
	for _, rc := range m.st.Recipients {
		if !rc.Held || rc.Status != StatusQueued || !containsFold(addrs, rc.Addr) {
			continue
		}
		rc.HoldReason, rc.Fallback = reason, ""
		changed = true
	}
	r.touch(m)
	r.mu.Unlock()
	if !changed {
		return nil
	}
	return r.save(m)
}

func containsFold(list []string, s string) bool {
	for _, a := range list {
		if strings.EqualFold(a, s) {
			return true
		}
	}
	return false
}
