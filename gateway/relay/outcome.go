package relay

import (
	"errors"
	"math/rand/v2"
	"time"

	"github.com/sealgate/sealgate/gateway/dsn"
)

// recordBefore writes the records still pending for rcs, then the attempt
// record, through the hooks; an error means no connection may be made.
// Each call is a real (durable) append, not a cached health flag.
func (r *Relay) recordBefore(m *msg, c Copy, dest string, rcs []*rcpt) error {
	if !r.recordPending(m, rcs) {
		return errors.New("relay: an earlier outcome is still not recorded")
	}
	if r.opts.BeforeAttempt == nil {
		return nil
	}
	r.mu.Lock()
	st := AttemptStart{MsgID: m.st.ID, MessageID: m.env.MessageID, Copy: c.Name, Destination: dest}
	for _, rc := range rcs {
		st.Recipients = append(st.Recipients, rc.Addr)
		st.Attempt = max(st.Attempt, rc.Attempts+1)
	}
	r.mu.Unlock()
	return r.opts.BeforeAttempt(st)
}

// recordOutcome hands one outcome to OnAttempt; false means it is not
// durable and must be retried before the message may leave the queue.
func (r *Relay) recordOutcome(a Attempt) bool {
	if r.opts.OnAttempt == nil {
		return true
	}
	if err := r.opts.OnAttempt(a); err != nil {
		r.log.Error("relay: outcome not recorded; the message stays queued until it is", "msg_id", a.MsgID, "outcome", a.Outcome, "err", err)
		return false
	}
	return true
}

// recordPending retries the outcome records of rcs that failed before and
// reports whether none is left. A cleared mark is not saved: after a crash
// the record is written again (a duplicate record, never a missing one).
func (r *Relay) recordPending(m *msg, rcs []*rcpt) bool {
	r.mu.Lock()
	var todo []*rcpt
	var atts []Attempt
	for _, rc := range rcs {
		if rc.Unrecorded != nil {
			todo = append(todo, rc)
			atts = append(atts, *rc.Unrecorded)
		}
	}
	r.mu.Unlock()
	for i, a := range atts {
		if !r.recordOutcome(a) {
			return false
		}
		r.mu.Lock()
		todo[i].Unrecorded = nil
		r.mu.Unlock()
	}
	return true
}

// delayDue says rc, still queued, owes the sender its one delay warning.
func (r *Relay) delayDue(m *msg, rc *rcpt, now time.Time) bool {
	if r.opts.DelayWarning <= 0 || rc.Status != StatusQueued || rc.DelayWarned {
		return false
	}
	if m.env.From == "" || m.env.DSN || now.Sub(m.st.Received) < r.opts.DelayWarning {
		return false
	}
	return dsn.Wanted(envRecipient(m.env, rc.Addr).Notify, dsn.ActionDelayed)
}

// attemptOf describes rc's latest outcome for OnAttempt; r.mu held.
func (r *Relay) attemptOf(m *msg, rc *rcpt, res *result) Attempt {
	a := Attempt{MsgID: m.st.ID, MessageID: m.env.MessageID, Recipient: rc.Addr, Attempt: rc.Attempts,
		RemoteHost: rc.RemoteHost, Code: rc.LastCode, Enhanced: rc.LastEnhanced, Reply: rc.LastReply,
		TLSVersion: rc.TLSVersion, TLSCipher: rc.TLSCipher, TLSVerified: rc.TLSVerified, Outcome: rc.Status}
	if rc.Status == StatusQueued {
		a.Outcome = "deferred"
	}
	a.TLSAuth, a.TLSFailure = rc.TLSAuth, rc.TLSFailure
	if a.TLSAuth == "" {
		a.TLSAuth = "none"
	}
	if res != nil {
		a.PeerCertSHA256 = res.tls.PeerSHA256
		a.TLSDowngrade = res.err != nil && res.err.Downgrade
	}
	return a
}

// apply records one attempt's outcome; r.mu held.
func (r *Relay) apply(m *msg, rc *rcpt, res *result, now time.Time) {
	rc.Attempts++
	rc.LastAttempt = now
	if res == nil {
		res = &result{err: &DeliveryError{Enhanced: "4.3.0", Msg: "no outcome recorded"}}
	}
	rc.RemoteHost = res.host
	rc.TLSVersion, rc.TLSCipher, rc.TLSVerified = res.tls.Version, res.tls.Cipher, res.tls.Verified
	rc.TLSAuth, rc.TLSFailure = res.tls.Auth, res.tls.Failure
	e := res.err
	if e != nil && e.TLSFailure != "" {
		rc.TLSFailure = e.TLSFailure
	}
	lg := r.log.With("msg_id", m.st.ID, "domain", domainOf(rc.Addr), "host", res.host, "attempt", rc.Attempts,
		"tls_version", res.tls.Version, "tls_cipher", res.tls.Cipher, "tls_verified", res.tls.Verified,
		"tls_auth", rc.TLSAuth, "tls_failure", rc.TLSFailure)
	if e == nil {
		rc.Status = StatusDelivered
		rc.LastCode, rc.LastEnhanced, rc.LastReply = res.code, res.enhanced, res.reply
		r.m.outcome(StatusDelivered)
		r.m.delivered(m.st.Received, now)
		lg.Info("relay: delivered")
		return
	}
	rc.LastCode, rc.LastEnhanced, rc.LastReply = e.Code, e.Enhanced, e.Msg
	switch {
	case e.Permanent:
		rc.Status = StatusBounced
		r.m.outcome(StatusBounced)
		lg.Warn("relay: bounced", "code", e.Code, "enhanced", e.Enhanced)
	case r.fallsBack(m, rc, e):
		r.holdForFallback(m, rc, e)
		r.m.outcome("deferred")
		lg.Warn("relay: verified TLS failed; recipient held for another method", "downgrade", e.Downgrade)
	case !now.Before(m.st.Received.Add(r.opts.MaxLifetime)):
		rc.Status = StatusExpired
		r.m.outcome(StatusExpired)
		lg.Warn("relay: expired", "code", e.Code, "enhanced", e.Enhanced)
	default:
		// The last attempt happens at the end of the lifetime, not after.
		rc.NextAttempt = now.Add(r.backoff(rc.Attempts))
		if end := m.st.Received.Add(r.opts.MaxLifetime); rc.NextAttempt.After(end) {
			rc.NextAttempt = end
		}
		r.m.outcome("deferred")
		lg.Info("relay: deferred", "code", e.Code, "enhanced", e.Enhanced, "next_attempt", rc.NextAttempt)
	}
}

// backoff is min(RetryMax, RetryMin*2^(attempt-1)) +/- 20% jitter.
func (r *Relay) backoff(attempt int) time.Duration {
	d := r.opts.RetryMin
	for i := 1; i < attempt && d < r.opts.RetryMax; i++ {
		d *= 2
	}
	d = min(d, r.opts.RetryMax)
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}
