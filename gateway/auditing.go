package gateway

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/sealgate/sealgate/config"
	"github.com/sealgate/sealgate/envelope"
	"github.com/sealgate/sealgate/gateway/audit"
	"github.com/sealgate/sealgate/gateway/process"
	"github.com/sealgate/sealgate/gateway/relay"
	"github.com/sealgate/sealgate/gateway/smtpd"
	"github.com/sealgate/sealgate/policy"
)

// openAudit opens the write-ahead audit log from the config.
func (g *Gateway) openAudit(cfg *config.Config) error {
	key, err := config.ReadSigningKey(cfg.Audit.SigningKeyFile)
	if err != nil {
		return fmt.Errorf("gateway: audit.signing_key_file: %w", err)
	}
	opts := audit.Options{
		Dir:                cfg.Audit.Dir,
		SigningKey:         key,
		SegmentMaxBytes:    int64(cfg.Audit.SegmentMaxSize),
		CheckpointEvery:    cfg.Audit.CheckpointEvery,
		CheckpointInterval: cfg.Audit.CheckpointInterval,
		Retention:          cfg.Audit.Retention,
		Logger:             g.log,
		Registerer:         g.reg,
	}
	switch {
	case cfg.Audit.Syslog != "":
		u, err := url.Parse(cfg.Audit.Syslog)
		if err != nil {
			return fmt.Errorf("gateway: audit.syslog: %w", err)
		}
		addr := u.Host
		if u.Scheme == "unix" {
			addr = u.Path
		}
		fw, err := audit.NewSyslogForwarder(u.Scheme, addr, cfg.Hostname)
		if err != nil {
			return fmt.Errorf("gateway: audit.syslog: %w", err)
		}
		opts.Forward = fw
	case cfg.Audit.Stdout:
		opts.Forward = audit.NewWriterForwarder(os.Stdout)
	}
	g.audit, err = audit.Open(opts)
	return err
}

// healthy is nil when mail can be taken and delivered: the spool and the
// audit log both accept writes. Nothing may happen that is not recorded.
func (g *Gateway) healthy() error {
	return errors.Join(g.spool.Healthy(), g.audit.Healthy())
}

// record appends an audit event; the caller decides what a failure means.
func (g *Gateway) record(ev audit.Event) error {
	_, err := g.audit.Append(ev)
	if err != nil {
		g.log.Error("audit: cannot append", "type", ev.Type, "msg_id", ev.MsgID, "err", err)
	}
	return err
}

// recordReceived is smtpd's BeforeCommit: the "received" record is durable
// before the message is committed and answered 250.
func (g *Gateway) recordReceived(env *envelope.Envelope) error {
	return g.record(audit.Event{Type: audit.TypeReceived, MsgID: env.ID, MessageID: env.MessageID, Data: audit.Received{
		Listener: env.Listener, ClientIP: env.ClientIP, TLSVersion: env.TLSVersion, TLSCipher: env.TLSCipher,
		AuthUser: env.AuthUser, From: env.From, Recipients: env.Addrs(), Size: env.Size,
	}})
}

// recordRejected is smtpd's OnReject. A refusal that cannot be recorded is
// still a refusal: nothing happened to the message, so mail flow goes on.
func (g *Gateway) recordRejected(r smtpd.Rejection) {
	g.record(audit.Event{Type: audit.TypeRejected, MsgID: r.MsgID, Data: audit.Rejected{
		Stage: r.Stage, Code: r.Code, Enhanced: r.Enhanced, Reason: r.Reason,
		ClientIP: r.ClientIP, From: r.From, Recipients: r.Recipients,
	}})
}

// recordAttemptStart is the relay's BeforeAttempt: the attempt record is
// durable before the relay connects. It is a real append, not a look at a
// cached health flag: if it fails, nothing is sent.
func (g *Gateway) recordAttemptStart(a relay.AttemptStart) error {
	return g.record(audit.Event{Type: audit.TypeAttempt, MsgID: a.MsgID, MessageID: a.MessageID, Data: audit.Attempt{
		Recipients: a.Recipients, Destination: a.Destination, Copy: a.Copy, Attempt: a.Attempt,
	}})
}

// recordAttempt is the relay's OnAttempt. The delivery already happened;
// if the record cannot be written the relay keeps the message queued with
// the outcome pending and writes it once the log is back.
func (g *Gateway) recordAttempt(a relay.Attempt) error {
	auth := a.TLSAuth
	if auth == "" {
		auth = "none"
		if a.TLSVerified {
			auth = "verified"
		}
	}
	// "250 2.0.0 Ok: queued as X": code, enhanced code, text, each only
	// when there is one.
	var parts []string
	if a.Code != 0 {
		parts = append(parts, strconv.Itoa(a.Code))
	}
	for _, p := range []string{a.Enhanced, a.Reply} {
		if p = strings.TrimSpace(p); p != "" {
			parts = append(parts, p)
		}
	}
	reply := strings.Join(parts, " ")
	return g.record(audit.Event{Type: audit.TypeDelivery, MsgID: a.MsgID, MessageID: a.MessageID, Data: audit.Delivery{
		Recipient: a.Recipient, Outcome: a.Outcome, Attempt: a.Attempt, RemoteHost: a.RemoteHost, Reply: reply,
		TLSVersion: a.TLSVersion, TLSCipher: a.TLSCipher, PeerCertSHA256: a.PeerCertSHA256,
		TLSVerified: a.TLSVerified, TLSAuth: auth, TLSFailure: a.TLSFailure, TLSDowngrade: a.TLSDowngrade,
	}})
}

// recordDSN is the relay's OnDSN.
func (g *Gateway) recordDSN(e relay.DSNEvent) {
	action := ""
	if len(e.Actions) > 0 {
		action = e.Actions[0]
	}
	g.record(audit.Event{Type: audit.TypeDSNSent, MsgID: e.MsgID, Data: audit.DSNSent{
		DSNMsgID: e.DSNMsgID, To: e.To, Recipients: e.Recipients, Action: action,
	}})
}

// recordDecision writes the audit decision: rule, action, finding types
// and counts, and the method per recipient. Never matched text.
func (g *Gateway) recordDecision(env *envelope.Envelope, dec *policy.Decision, methods []process.Method, hold string) error {
	action := dec.Action
	if hold != "" {
		action += " (held: " + hold + ")"
	}
	var rms []audit.RecipientMethod
	for _, m := range methods {
		rms = append(rms, audit.RecipientMethod{Addr: m.Addr, Method: m.Method, Reason: m.Reason})
	}
	return g.record(audit.Event{Type: audit.TypeDecision, MsgID: env.ID, MessageID: env.MessageID, Data: audit.Decision{
		PolicyHash: dec.PolicyHash, Rule: dec.Rule, Action: action, Findings: dec.FindingCounts(), NotRead: dec.NotReadCounts(),
		Recipients: rms,
	}})
}

// recordNotice records the notice noticeID sent to env's sender about what
// the policy did (notify_sender).
func (g *Gateway) recordNotice(env *envelope.Envelope, noticeID string) error {
	return g.record(audit.Event{Type: audit.TypeDSNSent, MsgID: env.ID, Data: audit.DSNSent{
		DSNMsgID: noticeID, To: env.From, Action: "policy-notification"}})
}

// RecordReload writes the config_reload record for a SIGHUP.
func (g *Gateway) RecordReload(err error, hash string) {
	ev := audit.ConfigReload{OK: err == nil, ConfigHash: hash}
	if err != nil {
		ev.Error = err.Error()
	}
	g.record(audit.Event{Type: audit.TypeConfigReload, Data: ev})
}
