package relay

import (
	"crypto/tls"
	"strings"
	"sync"
	"testing"

	"github.com/sealgate/sealgate/gateway/relay/tlspolicy"
)

// sessions collects what OnTLSSession is told.
type sessions struct {
	mu  sync.Mutex
	got []TLSSession
}

func (s *sessions) add(x TLSSession) { s.mu.Lock(); s.got = append(s.got, x); s.mu.Unlock() }

func (s *sessions) of(domain string) []TLSSession {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []TLSSession
	for _, x := range s.got {
		if x.Domain == domain {
			out = append(out, x)
		}
	}
	return out
}

// TestTLSSessionsAreToldForTLSRPT: every new session to an MX host, and
// every policy failure before one, is told with the policy it was held
// to: sts with the policy text, no-policy-found; failures with the RFC
// 8460 result type, the MX name and both IPs.
func TestTLSSessionsAreToldForTLSRPT(t *testing.T) {
	mxOf := map[string]string{"enf.test": "mx1.enf.test", "nom.test": "mx.nom.test", "plain.test": "mx.plain.test"}
	cfg, _, pool := validCert(t, "mx1.enf.test", "mx.nom.test", "mx.plain.test")
	w := newWorld(t, cfg, mxOf)
	sts := stsClient(t, map[string]string{
		"enf.test": stsPolicy("enforce", "*.enf.test"),
		"nom.test": stsPolicy("enforce", "mail.elsewhere.test"),
	})
	var ss sessions
	r := startRelay(t, w.options(Options{MTASTS: sts, RootCAs: pool, OnTLSSession: ss.add}), w.st)
	w.send(t, r, "enf", "x@enf.test", "")
	w.attempt(t, "enf", "x@enf.test")
	w.send(t, r, "nom", "x@nom.test", "")
	w.attempt(t, "nom", "x@nom.test")
	w.send(t, r, "plain", "x@plain.test", "")
	w.attempt(t, "plain", "x@plain.test")

	enf := ss.of("enf.test")
	if len(enf) != 1 || enf[0].PolicyType != TLSPolicySTS || enf[0].Failure != "" || enf[0].ReceivingMX != "mx1.enf.test" ||
		enf[0].ReceivingIP != "127.0.0.1" || enf[0].SendingIP != "127.0.0.1" ||
		strings.Join(enf[0].PolicyString, "|") != "version: STSv1|mode: enforce|mx: *.enf.test|max_age: 86400" ||
		strings.Join(enf[0].MXHost, ",") != "*.enf.test" {
		t.Errorf("enforce, delivered: %+v", enf)
	}
	nom := ss.of("nom.test")
	if len(nom) != 1 || nom[0].PolicyType != TLSPolicySTS || nom[0].Failure != tlspolicy.FailValidation {
		t.Errorf("enforce, no MX matches: %+v", nom)
	}
	plain := ss.of("plain.test")
	if len(plain) != 1 || plain[0].PolicyType != TLSPolicyNone || plain[0].Failure != "" {
		t.Errorf("no policy, TLS: %+v", plain)
	}
}

// TestReportIsDeliveredDespiteTLSFailureAndNotReported: an MX without
// STARTTLS under an enforced MTA-STS policy: mail is deferred and told as
// starttls-not-supported; a TLSRPT report to the same domain is delivered
// (RFC 8460 §5.3), in plaintext, and not told; its state is durable.
func TestReportIsDeliveredDespiteTLSFailureAndNotReported(t *testing.T) {
	mxOf := map[string]string{"enf.test": "mx1.enf.test"}
	w := newWorld(t, nil, mxOf) // no STARTTLS
	sts := stsClient(t, map[string]string{"enf.test": stsPolicy("enforce", "*.enf.test")})
	var ss sessions
	r := startRelay(t, w.options(Options{MTASTS: sts, OnTLSSession: ss.add}), w.st)
	w.send(t, r, "m1", "x@enf.test", "")
	w.expectDeferred(t, "m1", "x@enf.test", tlspolicy.FailSTARTTLS)
	got := ss.of("enf.test")
	if len(got) != 1 || got[0].Failure != tlspolicy.FailSTARTTLS || got[0].PolicyType != TLSPolicySTS ||
		got[0].ReceivingMX != "mx1.enf.test" || got[0].ReceivingIP != "127.0.0.1" || got[0].SendingIP != "127.0.0.1" {
		t.Fatalf("told %+v", got)
	}
	id, err := r.SubmitReport("tlsrpt@enf.test", []byte("From: a@b.test\r\nSubject: Report Domain: enf.test\r\n\r\nreport\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if w.st.saveCount(id) == 0 {
		t.Error("report state not saved at submit")
	}
	a := w.attempt(t, id, "tlsrpt@enf.test")
	if a.Outcome != "delivered" || a.TLSVersion != "" {
		t.Fatalf("report: %+v, want delivered (in plaintext)", a)
	}
	if got := ss.of("enf.test"); len(got) != 1 {
		t.Errorf("the report's own session was told: %+v", got)
	}
	envs, _ := w.st.dsns()
	if len(envs) != 1 || envs[0].ID != id || envs[0].From != "" || !envs[0].DSN {
		t.Errorf("report envelopes %+v, want one from <> marked as made by sealgate", envs)
	}
}

// TestHandshakeFailureAtMayIsToldAsValidationFailure: at level may a
// failed handshake goes on in plaintext; the session is told as
// validation-failure, not starttls-not-supported (STARTTLS was offered).
func TestHandshakeFailureAtMayIsToldAsValidationFailure(t *testing.T) {
	cfg, _, _ := validCert(t, "mx.may.test")
	cfg.MinVersion, cfg.MaxVersion = tls.VersionTLS10, tls.VersionTLS11 // below our TLS 1.2 floor
	w := newWorld(t, cfg, map[string]string{"may.test": "mx.may.test"})
	var ss sessions
	r := startRelay(t, w.options(Options{OnTLSSession: ss.add}), w.st)
	w.send(t, r, "m", "x@may.test", "")
	if a := w.attempt(t, "m", "x@may.test"); a.Outcome != "delivered" || a.TLSVersion != "" {
		t.Fatalf("%+v, want delivered in plaintext", a)
	}
	got := ss.of("may.test")
	if len(got) != 1 || got[0].PolicyType != TLSPolicyNone || got[0].Failure != tlspolicy.FailValidation {
		t.Errorf("told %+v", got)
	}
}
