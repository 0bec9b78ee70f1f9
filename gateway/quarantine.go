package gateway

import (
	"path/filepath"

	"github.com/sealgate/sealgate/gateway/audit"
)

// quarantineStatus is the DSN status for a message the spool found damaged:
// RFC 3463 X.3.0, a mail system problem, permanent (the bytes are gone).
const (
	quarantineStatus     = "5.3.0"
	quarantineDiagnostic = "554 5.3.0 message damaged in the gateway's storage; not delivered, please send it again"
)

// reportQuarantined reports each message Recover moved to quarantine/ and
// not yet reported (this start's, and any a crash kept from being
// reported): an audit record, the metric, and a DSN to the sender when the
// envelope still authenticates. Only then is it marked reported, so a crash
// midway reports it again (a duplicate, never a silent loss). A failure
// leaves it for the next start: it never stops this one.
func (g *Gateway) reportQuarantined() {
	ids, err := g.spool.Unreported()
	if err != nil {
		g.log.Error("cannot list quarantined messages", "err", err)
		return
	}
	for _, id := range ids {
		env, envErr := g.spool.QuarantinedEnvelope(id)
		rec := audit.Quarantined{File: filepath.Join("quarantine", id), EnvelopeReadable: envErr == nil}
		ev := audit.Event{Type: audit.TypeQuarantined, MsgID: id}
		if envErr == nil {
			rec.From, rec.Recipients = env.From, env.Addrs()
			ev.MessageID = env.MessageID
		}
		ev.Data = rec
		if g.record(ev) != nil {
			continue // record() logged it; reported at the next start
		}
		g.metrics.quarantined.Inc()
		g.log.Error("torn or corrupt message quarantined on start; it will not be delivered", "msg_id", id,
			"dir", filepath.Join(g.spool.Dir(), "quarantine"), "envelope_readable", envErr == nil)
		if envErr == nil {
			if _, err := g.relay.ReportLost(env, quarantineStatus, quarantineDiagnostic); err != nil {
				g.log.Error("cannot queue the DSN for a quarantined message; retried at the next start", "msg_id", id, "err", err)
				continue
			}
		}
		if err := g.spool.MarkReported(id); err != nil {
			g.log.Error("cannot mark a quarantined message reported; it is reported again at the next start", "msg_id", id, "err", err)
		}
	}
}
