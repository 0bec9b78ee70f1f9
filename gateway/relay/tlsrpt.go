package relay

import (
	"fmt"
	"net"
	"strconv"

	"github.com/sealgate/sealgate/envelope"
	"github.com/sealgate/sealgate/gateway/relay/smtpclient"
	"github.com/sealgate/sealgate/gateway/relay/tlspolicy"
	"github.com/sealgate/sealgate/internal/tlslevel"
)

// TLSRPT policy types (RFC 8460 §4.4) of a TLSSession.
const (
	TLSPolicySTS  = "sts"
	TLSPolicyTLSA = "tlsa"
	TLSPolicyNone = "no-policy-found"
)

// TLSSession is the TLS outcome of one new SMTP session (or of a policy
// failure that stopped one) to an MX host of a recipient domain, for
// TLSRPT (Options.OnTLSSession). It holds names, addresses and policy
// text, nothing about a message.
type TLSSession struct {
	Domain       string   // the recipient (policy) domain
	PolicyType   string   // TLSPolicySTS, TLSPolicyTLSA, TLSPolicyNone
	PolicyString []string // sts: the policy's lines; tlsa: the TLSA records
	MXHost       []string // sts: the policy's mx patterns
	// Failure is the RFC 8460 result type; "" = the session met the policy.
	Failure     string
	SendingIP   string
	ReceivingMX string
	ReceivingIP string
}

// tlsSessions says whether sessions of this attempt are told to
// OnTLSSession: MX delivery only, and never the delivery of a report
// itself (RFC 8460 §5.3: no report about reports).
func (r *Relay) tlsSessions(c Copy, smarthost bool) bool {
	return r.opts.OnTLSSession != nil && !smarthost && !c.TLSReport
}

// stsSession fills the MTA-STS policy of dp into s.
func stsSession(s *TLSSession, dp tlspolicy.Domain) {
	sp := dp.STSPolicy()
	s.PolicyType = TLSPolicySTS
	if sp == nil {
		return // the policy could not be had (sts-policy-fetch-error …)
	}
	// RFC 8460 §4.4: policy-string is the policy, one line per element.
	s.PolicyString = append(s.PolicyString, "version: STSv1", "mode: "+string(sp.Mode))
	for _, mx := range sp.MX {
		s.PolicyString = append(s.PolicyString, "mx: "+mx)
	}
	s.PolicyString = append(s.PolicyString, "max_age: "+strconv.FormatInt(int64(sp.MaxAge.Seconds()), 10))
	s.MXHost = append(s.MXHost, sp.MX...)
}

// sessionPolicy is the policy one session to host was held to.
func sessionPolicy(dest string, dp tlspolicy.Domain, plan *tlspolicy.Plan, failure string) TLSSession {
	s := TLSSession{Domain: dest}
	switch {
	case plan != nil && plan.DANE != nil:
		s.PolicyType = TLSPolicyTLSA
		for _, rec := range plan.DANE {
			s.PolicyString = append(s.PolicyString, rec.String())
		}
	case failure == tlspolicy.FailTLSAInvalid || failure == tlspolicy.FailDNSSECInvalid || failure == tlspolicy.FailDANERequired:
		s.PolicyType = TLSPolicyTLSA
	case dp.STSPolicy() != nil || failure == tlspolicy.FailSTSFetch || failure == tlspolicy.FailSTSInvalid || failure == tlspolicy.FailSTSWebPKIInvald:
		stsSession(&s, dp)
	default:
		s.PolicyType = TLSPolicyNone
	}
	s.Failure = failure
	return s
}

func hostOf(addr string) string {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return addr
}

// sessionFailed tells OnTLSSession of a TLS failure that stopped a
// session (or, host "", every session to the domain); other failures
// (connect, DNS) are not about TLS and not told.
func (r *Relay) sessionFailed(dest string, dp tlspolicy.Domain, plan *tlspolicy.Plan, host, addr string, e *DeliveryError) {
	if e == nil || e.TLSFailure == "" {
		return
	}
	s := sessionPolicy(dest, dp, plan, e.TLSFailure)
	s.ReceivingMX, s.ReceivingIP, s.SendingIP = host, hostOf(addr), hostOf(e.LocalAddr)
	if s.ReceivingMX == "" {
		s.ReceivingMX = e.Host
	}
	r.opts.OnTLSSession(s)
}

// sessionOpened tells OnTLSSession of a new session: met the policy, or
// failed without being refused (MTA-STS testing, or no policy and no TLS).
// A session reused from the pool was told when it was opened; a session
// at level none, where we chose plaintext, is not told. fellBack: the
// handshake failed and the session went on in plaintext (level may).
func (r *Relay) sessionOpened(dest string, dp tlspolicy.Domain, plan tlspolicy.Plan, host, addr string, sess *smtpclient.Session, fellBack bool) {
	if sess.Reused() || plan.Level == tlslevel.None {
		return
	}
	failure := sess.TLS.Failure
	switch {
	case failure == "" && fellBack:
		failure = tlspolicy.FailValidation // RFC 8460 §4.3.2.1: the handshake failed
	case failure == "" && sess.TLS.Version == "":
		failure = tlspolicy.FailSTARTTLS // plaintext at may: not offered
	}
	s := sessionPolicy(dest, dp, &plan, failure)
	s.ReceivingMX, s.ReceivingIP, s.SendingIP = host, hostOf(addr), hostOf(sess.LocalAddr)
	r.opts.OnTLSSession(s)
}

// SubmitReport writes msg, a report sealgate made (a TLSRPT report,
// RFC 8460 §5.3: no PHI), into the store and queues it for rcpt: from the
// null sender, so nothing bounces back about it; its copy is delivered
// despite TLS failures and never reported on itself (Copy.TLSReport). Its
// state is saved before SubmitReport returns, so that survives a restart.
// It is signed (Options.Sign) and retried like any message.
func (r *Relay) SubmitReport(rcpt string, msg []byte) (string, error) {
	w, err := r.store.NewMessage()
	if err != nil {
		return "", fmt.Errorf("relay: report: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		w.Abort()
		return "", fmt.Errorf("relay: report: %w", err)
	}
	env := &envelope.Envelope{
		ID:         w.ID(),
		Received:   r.now(),
		Recipients: []envelope.Recipient{{Addr: rcpt, Notify: []string{"NEVER"}}},
		Size:       int64(len(msg)),
		// Made by sealgate, like a DSN: no DSN about it, and if a crash
		// loses its state the stage plans it as one (TLS required).
		DSN: true,
	}
	if err := w.Commit(env); err != nil {
		return "", fmt.Errorf("relay: report: commit: %w", err)
	}
	if err := r.Submit(w.ID(), []Copy{{Recipients: []string{rcpt}, TLSReport: true}}); err != nil {
		return "", fmt.Errorf("relay: report: %w", err)
	}
	return w.ID(), nil
}

// reportCopies reports whether a copy is a report's: its flag must be
// durable, or a restart would deliver and report it as any mail.
func reportCopies(copies []Copy) bool {
	for _, c := range copies {
		if c.TLSReport {
			return true
		}
	}
	return false
}
