package relay

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sealgate/sealgate/envelope"
	"github.com/sealgate/sealgate/gateway/dsn"
	"github.com/sealgate/sealgate/gateway/spool"
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
// every settle (DSN, removal) that is due. It returns the earliest future
// NextAttempt, or zero if none.
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
	var next time.Time
	for _, m := range r.msgs {
		if m.deleted {
			continue
		}
		queued, unreported := 0, 0
		groups := make(map[groupKey][]*rcpt)
		var order []groupKey
		for _, rc := range m.st.Recipients {
			switch {
			case rc.Status == StatusQueued:
				queued++
				if rc.inflight || m.st.Held {
					continue
				}
				if rc.NextAttempt.After(now) {
					if next.IsZero() || rc.NextAttempt.Before(next) {
						next = rc.NextAttempt
					}
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
				continue // a finishing job kicks the scheduler
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
		if !m.settling && m.inflight == 0 && !now.Before(m.settleAfter) && (unreported > 0 || queued == 0) {
			m.settling = true
			r.jobs.Add(1)
			go r.settle(m)
		}
	}
	return next
}

func (r *Relay) destOf(addr string) string {
	if r.opts.Smarthost != "" {
		return smarthostDest
	}
	return domainOf(addr)
}

func domainOf(addr string) string {
	i := strings.LastIndexByte(addr, '@')
	if i < 0 {
		return ""
	}
	return strings.ToLower(strings.TrimSuffix(addr[i+1:], "."))
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
		// Not attempted at all: no connection, no attempt counted. The
		// audit log is failing; Healthy pauses dispatch until it is back.
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
		return
	}
	res := r.deliverGroup(r.jobCtx, m, c, k.dest, addrs)

	m.saveMu.Lock()
	var attempts []Attempt
	var delayed []dsn.RecipientReport
	r.mu.Lock()
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
	r.mu.Unlock()
	// The outcome records are durable before the state is saved (a crash
	// between the two only repeats the delivery, with its own records).
	recorded := make([]bool, len(attempts))
	for i, a := range attempts {
		recorded[i] = r.recordOutcome(a)
	}
	err := r.saveLocked(m, func() bool {
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

// release ends a group job's claim on the limits; r.mu held.
func (r *Relay) release(m *msg, k groupKey) {
	m.inflight--
	r.running--
	if r.perDest[k.dest]--; r.perDest[k.dest] <= 0 {
		delete(r.perDest, k.dest)
	}
	if m.deleted && m.inflight == 0 && !m.settling {
		delete(r.msgs, m.st.ID)
	}
}

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
		lg.Info("relay: delivered")
		return
	}
	rc.LastCode, rc.LastEnhanced, rc.LastReply = e.Code, e.Enhanced, e.Msg
	switch {
	case e.Permanent:
		rc.Status = StatusBounced
		r.m.outcome(StatusBounced)
		lg.Warn("relay: bounced", "code", e.Code, "enhanced", e.Enhanced)
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

// settle sends the DSN due for recipients in a final state, records that
// durably, and removes the message once no recipient is queued.
func (r *Relay) settle(m *msg) {
	defer r.jobs.Done()
	ok := r.report(m)
	r.mu.Lock()
	done := ok && !m.deleted && m.inflight == 0
	for _, rc := range m.st.Recipients {
		if rc.Status == StatusQueued || !rc.Reported {
			done = false
		}
	}
	if !done {
		m.settling = false
		if m.deleted && m.inflight == 0 {
			delete(r.msgs, m.st.ID)
		}
		if !ok {
			// Try again later rather than spin.
			m.settleAfter = r.now().Add(r.opts.RetryMin)
			time.AfterFunc(r.opts.RetryMin, r.kick)
		}
		r.mu.Unlock()
		r.kick()
		return
	}
	r.mu.Unlock()
	// settling stays true: nothing else touches m while it is removed.
	m.saveMu.Lock()
	err := r.store.Remove(m.st.ID)
	m.saveMu.Unlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	// Already gone (an operator's delete raced us) is as good as removed.
	if err != nil && !errors.Is(err, spool.ErrNotFound) {
		r.log.Error("relay: remove finished message failed", "msg_id", m.st.ID, "err", err)
		m.settling = false
		m.settleAfter = r.now().Add(r.opts.RetryMin)
		time.AfterFunc(r.opts.RetryMin, r.kick)
		return
	}
	delete(r.msgs, m.st.ID)
	r.log.Info("relay: finished", "msg_id", m.st.ID)
}

// report writes and submits one DSN for the unreported final recipients
// of m, then marks them reported durably. It reports success.
func (r *Relay) report(m *msg) bool {
	// Nothing is reported or removed while an outcome is unrecorded.
	if !r.recordPending(m, m.st.Recipients) {
		return false
	}
	r.mu.Lock()
	var todo []*rcpt
	var reports []dsn.RecipientReport
	env := m.env
	for _, rc := range m.st.Recipients {
		if rc.Status == StatusQueued || rc.Reported {
			continue
		}
		todo = append(todo, rc)
		if !r.dsnDue(env, rc) {
			continue
		}
		er := envRecipient(env, rc.Addr)
		reports = append(reports, dsnRecipient(rc.RecipientState, er.ORCPT, actionOf(rc)))
	}
	r.mu.Unlock()
	if len(todo) == 0 {
		return true
	}
	if len(reports) > 0 {
		if err := r.sendDSN(m, reports); err != nil {
			r.log.Error("relay: DSN failed", "msg_id", m.st.ID, "err", err)
			return false
		}
	}
	m.saveMu.Lock()
	err := r.saveLocked(m, func() bool {
		for _, rc := range todo {
			rc.Reported = true
		}
		// Without a DSN sent, "reported" is only a memo: after a crash the
		// same recipients again owe nothing. With one, it keeps a restart
		// from sending the DSN twice.
		return len(reports) > 0
	})
	m.saveMu.Unlock()
	if err != nil {
		// The DSN is queued; a crash now may send it twice, never zero times.
		r.log.Error("relay: saving DSN state failed", "msg_id", m.st.ID, "err", err)
		return false
	}
	return true
}

// dsnDue reports whether rc, in a final state, owes the sender a DSN.
func (r *Relay) dsnDue(env *envelope.Envelope, rc *rcpt) bool {
	if rc.Status == StatusQueued || rc.Reported {
		return false
	}
	if env.From == "" || env.DSN {
		return false // RFC 3461 §6.2: never to <>, never about a DSN
	}
	return dsn.Wanted(envRecipient(env, rc.Addr).Notify, actionOf(rc))
}

func actionOf(rc *rcpt) string {
	if rc.Status == StatusDelivered {
		return dsn.ActionDelivered
	}
	return dsn.ActionFailed
}

func envRecipient(env *envelope.Envelope, addr string) envelope.Recipient {
	for _, er := range env.Recipients {
		if strings.EqualFold(er.Addr, addr) {
			return er
		}
	}
	return envelope.Recipient{Addr: addr}
}

func dsnRecipient(rs RecipientState, orcpt, action string) dsn.RecipientReport {
	rr := dsn.RecipientReport{
		OriginalRecipient: orcpt,
		FinalRecipient:    rs.Addr,
		Action:            action,
		RemoteMTA:         rs.RemoteHost,
		LastAttempt:       rs.LastAttempt,
	}
	switch {
	case rs.Status == StatusExpired:
		rr.Status = "4.4.7" // RFC 3463: delivery time expired
	case rs.LastEnhanced != "":
		rr.Status = rs.LastEnhanced
	case rs.Status == StatusDelivered:
		rr.Status = "2.0.0"
	default:
		rr.Status = "5.0.0"
	}
	if action == dsn.ActionFailed && rr.Status[0] == '2' {
		rr.Status = "5.0.0"
	}
	if rs.LastCode != 0 {
		rr.DiagnosticCode = strings.TrimSpace(fmt.Sprintf("%d %s %s", rs.LastCode, rs.LastEnhanced, rs.LastReply))
		rr.DiagnosticCode = strings.Join(strings.Fields(rr.DiagnosticCode), " ")
	}
	return rr
}

// sendDSN writes the DSN into the store, commits it and submits it.
func (r *Relay) sendDSN(m *msg, reports []dsn.RecipientReport) error {
	env := m.env
	rep := dsn.Report{
		ReportingMTA: r.opts.Hostname,
		EnvID:        env.EnvID,
		Arrival:      m.st.Received,
		To:           env.From,
		Date:         r.now(),
		Ret:          env.Ret,
		Recipients:   reports,
	}
	if env.RequireTLS {
		// RFC 8689 §5: the DSN may travel without REQUIRETLS, so it must
		// not carry the message content: headers only.
		rep.Ret = "HDRS"
	}
	orig, err := r.store.OpenBody(m.st.ID)
	if err != nil {
		return fmt.Errorf("relay: DSN for %s: open original: %w", m.st.ID, err)
	}
	defer orig.Close()
	w, err := r.store.NewMessage()
	if err != nil {
		return fmt.Errorf("relay: DSN for %s: %w", m.st.ID, err)
	}
	cw := &countWriter{w: w}
	if err := dsn.Write(cw, rep, orig); err != nil {
		w.Abort()
		return fmt.Errorf("relay: DSN for %s: %w", m.st.ID, err)
	}
	denv := &envelope.Envelope{
		ID:         w.ID(),
		Received:   r.now(),
		From:       "",
		Recipients: []envelope.Recipient{{Addr: env.From, Notify: []string{"NEVER"}}},
		Size:       cw.n,
		SMTPUTF8:   env.SMTPUTF8,
		Body8Bit:   env.Body8Bit || env.SMTPUTF8,
		DSN:        true,
	}
	if err := w.Commit(denv); err != nil {
		return fmt.Errorf("relay: DSN for %s: commit: %w", m.st.ID, err)
	}
	// A crash here leaves a committed DSN without state: Restore says it
	// needs processing and the gateway submits it then.
	if err := r.Submit(w.ID(), []Copy{{Recipients: []string{env.From}, MinTLS: r.opts.DSNMinTLS.String()}}); err != nil {
		return fmt.Errorf("relay: DSN for %s: %w", m.st.ID, err)
	}
	r.log.Info("relay: DSN queued", "msg_id", m.st.ID, "dsn_id", w.ID(), "recipients", len(reports))
	if r.opts.OnDSN != nil {
		ev := DSNEvent{MsgID: m.st.ID, DSNMsgID: w.ID(), To: env.From}
		for _, rr := range reports {
			ev.Recipients = append(ev.Recipients, strings.TrimPrefix(rr.FinalRecipient, "rfc822;"))
			ev.Actions = append(ev.Actions, rr.Action)
		}
		r.opts.OnDSN(ev)
	}
	return nil
}

type countWriter struct {
	w interface{ Write([]byte) (int, error) }
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// metrics are optional Prometheus collectors.
type metrics struct {
	outcomes    *prometheus.CounterVec
	tlsFailures *prometheus.CounterVec
	downgrades  *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer, depth func() int) (*metrics, error) {
	m := &metrics{outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sealgate_relay_attempts_total",
		Help: "Delivery attempts by outcome per recipient (delivered, deferred, bounced, expired).",
	}, []string{"outcome"}),
		tlsFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sealgate_relay_tls_failures_total",
			Help: "TLS failures by recipient domain and RFC 8460 (TLSRPT) result type.",
		}, []string{"domain", "result_type"}),
		downgrades: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sealgate_relay_tls_downgrades_total",
			Help: "Attempts deferred because a domain that proved verified TLS offered less.",
		}, []string{"domain"}),
	}
	if reg == nil {
		return m, nil
	}
	g := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "sealgate_relay_queue_depth",
		Help: "Messages in the outbound queue.",
	}, func() float64 { return float64(depth()) })
	for _, c := range []prometheus.Collector{m.outcomes, m.tlsFailures, m.downgrades, g} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("relay: register metrics: %w", err)
		}
	}
	return m, nil
}

func (m *metrics) outcome(o string) { m.outcomes.WithLabelValues(o).Inc() }

func (m *metrics) tlsFailure(domain, resultType string) {
	if domain != "" && resultType != "" {
		m.tlsFailures.WithLabelValues(domain, resultType).Inc()
	}
}
