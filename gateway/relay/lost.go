package relay

import (
	"fmt"

	"github.com/sealgate/sealgate/envelope"
	"github.com/sealgate/sealgate/gateway/dsn"
)

// ReportLost queues a failure DSN (RFC 3464) to the sender of a message
// that will never be delivered and is not in the queue, e.g. one the spool
// quarantined at start because its file is damaged. Every recipient whose
// NOTIFY wants failures is reported with status; the DSN carries no part
// of the original (it cannot be read, or trusted). It returns the DSN's
// ID, or "" when none is due (null sender, a DSN itself, NOTIFY=NEVER).
func (r *Relay) ReportLost(env *envelope.Envelope, status, diagnostic string) (string, error) {
	if env.From == "" || env.DSN {
		return "", nil // RFC 3461 §6.2: never to <>, never about a DSN
	}
	var reports []dsn.RecipientReport
	for _, er := range env.Recipients {
		if !dsn.Wanted(er.Notify, dsn.ActionFailed) {
			continue
		}
		reports = append(reports, dsn.RecipientReport{
			OriginalRecipient: er.ORCPT, FinalRecipient: er.Addr, Action: dsn.ActionFailed,
			Status: status, DiagnosticCode: diagnostic,
		})
	}
	if len(reports) == 0 {
		return "", nil
	}
	rep := dsn.Report{ReportingMTA: r.opts.Hostname, EnvID: env.EnvID, Arrival: env.Received, To: env.From,
		Date: r.now(), Ret: "HDRS", Recipients: reports}
	w, err := r.store.NewMessage()
	if err != nil {
		return "", fmt.Errorf("relay: DSN for %s: %w", env.ID, err)
	}
	cw := &countWriter{w: w}
	if err := dsn.Write(cw, rep, nil); err != nil {
		w.Abort()
		return "", fmt.Errorf("relay: DSN for %s: %w", env.ID, err)
	}
	denv := &envelope.Envelope{
		Received:   r.now(),
		Recipients: []envelope.Recipient{{Addr: env.From, Notify: []string{"NEVER"}}},
		Size:       cw.n,
		SMTPUTF8:   env.SMTPUTF8, // the sender's address may need it
		Body8Bit:   env.SMTPUTF8,
		DSN:        true,
	}
	if err := w.Commit(denv); err != nil {
		return "", fmt.Errorf("relay: DSN for %s: commit: %w", env.ID, err)
	}
	if err := r.Submit(w.ID(), []Copy{{Recipients: []string{env.From}, MinTLS: r.opts.DSNMinTLS}}); err != nil {
		return "", fmt.Errorf("relay: DSN for %s: %w", env.ID, err)
	}
	r.log.Info("relay: DSN queued for a lost message", "msg_id", env.ID, "dsn_id", w.ID(), "recipients", len(reports))
	if r.opts.OnDSN != nil {
		ev := DSNEvent{MsgID: env.ID, DSNMsgID: w.ID(), To: env.From}
		for _, rr := range reports {
			ev.Recipients = append(ev.Recipients, rr.FinalRecipient)
			ev.Actions = append(ev.Actions, rr.Action)
		}
		r.opts.OnDSN(ev)
	}
	return w.ID(), nil
}
