package relay

import (
	"strings"
	"time"

	"github.com/sealgate/sealgate/gateway/dsn"
	"github.com/sealgate/sealgate/internal/smtpaddr"
)

// maxIdle caps the scheduler's sleep so a clock jump (or a test clock) is
// noticed without a kick.
const maxIdle = 30 * time.Second

// smarthostDest is the destination key for every smarthost delivery.
const smarthostDest = "smarthost"

func (r *Relay) schedule() {
	defer r.sched.Done()
	timer := time.NewTimer(maxIdle)
	defer timer.Stop()
	for {
		next := r.dispatch()
		wait := maxIdle
		if !next.IsZero() {
			wait = min(max(next.Sub(r.now()), time.Millisecond), maxIdle)
		}
		timer.Reset(wait)
		select {
		case <-r.stopCh:
			return
		case <-r.wake:
		case <-r.ping:
		case <-timer.C:
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
	}
}

type groupKey struct {
	copyIdx int
	dest    string
}

// dispatch starts every due delivery the concurrency limits allow and
// every settle (DSN, removal) that is due, looking only at the messages
// that may have some (wake.go). It returns when the next timed work is,
// or zero if none.
func (r *Relay) dispatch() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	select {
	case <-r.stopCh:
		return time.Time{}
	default:
	}
	now := r.now()
	if h := r.opts.Healthy; h != nil {
		if err := h(); err != nil {
			if !r.paused {
				r.log.Error("relay: delivery paused: the gateway cannot record what it does", "err", err)
			}
			r.paused = true
			return now.Add(time.Second)
		}
		if r.paused {
			r.log.Info("relay: delivery resumed")
			r.paused = false
		}
	}
	r.takeDue(now)
	// Messages that waited for a slot go first: new work must not
	// overtake them.
	r.dispatchBlocked(now)
	for _, m := range r.ready {
		m.ready = false
		if r.msgs[m.st.ID] != m || m.deleted {
			continue // forgotten, or waiting for its jobs to end
		}
		next, blocked := r.dispatchMsg(m, now)
		if blocked {
			r.block(m)
		}
		r.wakeAt(m, next)
	}
	clear(r.ready)
	r.ready = r.ready[:0]
	return r.nextWake()
}

// dispatchMsg starts m's due deliveries the limits allow, its held
// recipients' due work and its settle when due. It returns when m has
// timed work next (zero: none) and whether a delivery waits for a slot;
// r.mu held.
func (r *Relay) dispatchMsg(m *msg, now time.Time) (next time.Time, blocked bool) {
	soonest := func(t time.Time) {
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	if t := r.dispatchHeld(m, now); !t.IsZero() {
		soonest(t)
	}
	queued, unreported := 0, 0
	groups := make(map[groupKey][]*rcpt)
	var order []groupKey
	for _, rc := range m.st.Recipients {
		switch {
		case rc.Status == StatusQueued:
			queued++
			if rc.inflight || m.st.Held || rc.Held {
				continue
			}
			if rc.NextAttempt.After(now) {
				soonest(rc.NextAttempt)
				continue
			}
			k := groupKey{rc.CopyIdx, r.destOf(rc.Addr)}
			if _, ok := groups[k]; !ok {
				order = append(order, k)
			}
			groups[k] = append(groups[k], rc)
		case !rc.Reported:
			unreported++
		}
	}
	for _, k := range order {
		if r.running >= r.opts.MaxConcurrency || r.perDest[k.dest] >= r.opts.MaxPerDomain {
			blocked = true // a finishing job frees the slot and unblocks m
			continue
		}
		rcs := groups[k]
		for _, rc := range rcs {
			rc.inflight = true
		}
		r.running++
		r.perDest[k.dest]++
		m.inflight++
		r.jobs.Add(1)
		go r.runGroup(m, k, rcs)
	}
	// Wait for in-flight groups so one DSN covers one round of attempts.
	if !m.settling && m.inflight == 0 && (unreported > 0 || queued == 0) {
		if now.Before(m.settleAfter) {
			soonest(m.settleAfter)
		} else {
			m.settling = true
			r.jobs.Add(1)
			go r.settle(m)
		}
	}
	return next, blocked
}
func (r *Relay) destOf(addr string) string {
	if r.opts.Smarthost != "" {
		return smarthostDest
	}
	return domainOf(addr)
}

// domainOf is the destination domain of addr, lowercased and as its A-label
// (DNS, MTA-STS, DANE, the admin TLS map and connection pooling all use
// that one name, whatever form the address was written in).
func domainOf(addr string) string {
	i := strings.LastIndexByte(addr, '@')
	if i < 0 {
		return ""
	}
	return destDomain(addr[i+1:])
}

// destDomain is domain lowercased, without a final dot, as its A-label when
// it has one (an address literal stays as written).
func destDomain(domain string) string {
	d := strings.ToLower(strings.TrimSuffix(domain, "."))
	if a, err := smtpaddr.DomainToASCII(d); err == nil {
		return a
	}
	return d
}

// runGroup makes one attempt for recipients rcs of one copy to one
// destination and saves the outcome before anything relies on it. The
// attempt is recorded (BeforeAttempt) before any connection is made, and
// every outcome (OnAttempt) before the state that lets the message leave
// the queue: an outcome that cannot be recorded stays pending on the
// recipient, and the message stays queued until it is.
func (r *Relay) runGroup(m *msg, k groupKey, rcs []*rcpt) {
	defer r.jobs.Done()
	addrs := make([]string, len(rcs))
	for i, rc := range rcs {
		addrs[i] = rc.Addr
	}
	c := m.st.Copies[k.copyIdx]
	if err := r.recordBefore(m, c, k.dest, rcs); err != nil {
		r.notAttempted(m, k, rcs, err)
		return
	}
	res := r.deliverGroup(r.jobCtx, m, c, k.dest, addrs)

	m.saveMu.Lock()
	attempts, delayed := r.applyResults(m, rcs, res)
	// The outcome records are durable before the state is saved (a crash
	// between the two only repeats the delivery, with its own records).
	recorded := make([]bool, len(attempts))
	for i, a := range attempts {
		recorded[i] = r.recordOutcome(a)
	}
	err := r.saveOutcomes(m, k, rcs, attempts, recorded)
	m.saveMu.Unlock()
	if err != nil {
		// The outcome stays in memory; after a crash the recipients are
		// still queued on disk and are tried again (duplicate, not loss).
		r.log.Error("relay: saving delivery outcome failed", "msg_id", m.st.ID, "err", err)
	}
	if len(delayed) > 0 && err == nil {
		if derr := r.sendDSN(m, delayed); derr != nil {
			r.log.Error("relay: delay warning failed", "msg_id", m.st.ID, "err", derr)
		}
	}
	r.kick()
}

// notAttempted gives rcs back to the queue when the attempt record
// failed: no connection, no attempt counted. The audit log is failing;
// Healthy pauses dispatch until it is back.
func (r *Relay) notAttempted(m *msg, k groupKey, rcs []*rcpt, err error) {
	r.log.Error("relay: attempt not recorded; not connecting", "msg_id", m.st.ID, "err", err)
	r.mu.Lock()
	retry := r.now().Add(time.Second) // no spin if Healthy does not say so
	for _, rc := range rcs {
		rc.inflight = false
		if rc.NextAttempt.Before(retry) {
			rc.NextAttempt = retry
		}
	}
	r.release(m, k)
	r.mu.Unlock()
	time.AfterFunc(time.Second, r.kick)
}

// applyResults applies each recipient's result under r.mu and returns
// the attempts to record and the delay warnings now due.
func (r *Relay) applyResults(m *msg, rcs []*rcpt, res map[string]*result) (attempts []Attempt, delayed []dsn.RecipientReport) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	for _, rc := range rcs {
		r.apply(m, rc, res[rc.Addr], now)
		attempts = append(attempts, r.attemptOf(m, rc, res[rc.Addr]))
		if r.delayDue(m, rc, now) {
			// Marked (and saved) before it is sent: a crash may lose the
			// courtesy warning, never send it twice.
			rc.DelayWarned = true
			er := envRecipient(m.env, rc.Addr)
			rr := dsnRecipient(rc.RecipientState, er.ORCPT, dsn.ActionDelayed)
			if rr.Status == "" || rr.Status[0] != '4' {
				rr.Status = "4.0.0"
			}
			delayed = append(delayed, rr)
		}
	}
	return attempts, delayed
}

// saveOutcomes ends the attempt for rcs and saves the state when
// something must survive a crash; m.saveMu held.
func (r *Relay) saveOutcomes(m *msg, k groupKey, rcs []*rcpt, attempts []Attempt, recorded []bool) error {
	return r.saveLocked(m, func() bool {
		need := false
		for i, rc := range rcs {
			rc.inflight = false
			if !recorded[i] {
				a := attempts[i]
				rc.Unrecorded = &a
				need = true // the pending record must survive a crash
			}
			// A deferral (attempt count, next attempt) and a final status
			// that owes a DSN must survive a crash. A delivery that owes
			// nothing need not: losing it only means delivering again.
			if rc.Status == StatusQueued || r.dsnDue(m.env, rc) {
				need = true
			}
		}
		r.release(m, k)
		return need
	})
}

// release ends a group job's claim on the limits; r.mu held.
func (r *Relay) release(m *msg, k groupKey) {
	m.inflight--
	r.running--
	if r.perDest[k.dest]--; r.perDest[k.dest] <= 0 {
		delete(r.perDest, k.dest)
	}
	r.touch(m)
	r.unblock()
	if m.deleted && m.inflight == 0 && !m.settling {
		r.forget(m)
	}
}
