package relay

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sealgate/sealgate/envelope"
	"github.com/sealgate/sealgate/gateway/dsn"
)

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
		r.touch(m)
		if m.deleted && m.inflight == 0 {
			r.forget(m)
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
	if err != nil && !errors.Is(err, ErrNotFound) {
		r.log.Error("relay: remove finished message failed", "msg_id", m.st.ID, "err", err)
		m.settling = false
		m.settleAfter = r.now().Add(r.opts.RetryMin)
		r.touch(m)
		time.AfterFunc(r.opts.RetryMin, r.kick)
		return
	}
	r.forget(m)
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
	if env.RequireTLS || secureBounce(reports) {
		// RFC 8689 §5: the DSN may travel without REQUIRETLS, so it must
		// not carry the message content: headers only. Nor may a message
		// that could not be delivered securely come back whole.
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
	if err := r.Submit(w.ID(), []Copy{{Recipients: []string{env.From}, MinTLS: r.opts.DSNMinTLS}}); err != nil {
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
