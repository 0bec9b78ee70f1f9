package relay

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"

	"github.com/sealgate/sealgate/gateway/relay/smtpclient"
	"github.com/sealgate/sealgate/gateway/relay/tlspolicy"
	"github.com/sealgate/sealgate/internal/tlslevel"
)

// The relay's TLS answers, by the types of package tlspolicy (kept here
// under their old names for the relay's importers).
type (
	TLSRecord        = tlspolicy.Record
	TLSState         = tlspolicy.State
	CapabilityAnswer = tlspolicy.Answer
)

// ErrNoMemory is returned by ResetMemory when the relay runs without a
// downgrade memory (Options.MemoryPath "").
var ErrNoMemory = tlspolicy.ErrNoMemory

// newTLSPolicy builds the relay's TLS policy from its options; mem may be
// nil (no downgrade memory).
func (r *Relay) newTLSPolicy(mem *tlspolicy.Memory) *tlspolicy.Policy {
	return tlspolicy.New(tlspolicy.Config{
		Admin:              r.opts.TLSPolicy,
		Default:            r.opts.DefaultTLS,
		MTASTS:             r.opts.MTASTS,
		DANE:               r.opts.DANE,
		MXPort:             r.opts.MXPort,
		HonorTLSRequiredNo: r.opts.HonorTLSRequiredNo,
		Memory:             mem,
		MemoryWindow:       r.opts.MemoryWindow,
		Now:                r.now,
		Log:                r.log,
		Count:              r.m.tlsFailure,
		LookupMX: func(ctx context.Context, domain string) ([]string, bool, bool, error) {
			hosts, secure, derr := r.lookupMXSecure(ctx, domain)
			if derr != nil {
				return nil, false, derr.Permanent, derr
			}
			return hosts, secure, false, nil
		},
		Probe: r.probe,
	})
}

// policyFor returns the admin level for a recipient domain: exact match,
// then the longest ".suffix" match, then DefaultTLS.
func (r *Relay) policyFor(domain string) tlslevel.Level { return r.tls.LevelFor(domain) }

// policyFail is the deferral (4.7.5) for a TLS policy failure.
func policyFail(f *tlspolicy.Failure) *DeliveryError {
	return &DeliveryError{Enhanced: "4.7.5", Msg: f.Msg, Host: f.Host, Err: f.Err, TLSFailure: f.Type}
}

// CanVerifyTLS answers the encryption selector: can the relay guarantee
// verified TLS to domain now? See tlspolicy.Policy.CanVerify: from the
// admin map, the downgrade memory, DANE, MTA-STS, else a short active
// probe of the first MX (EHLO, STARTTLS, certificate verified against the
// MX name, QUIT), bounded by ctx and 10 s, cached. how is "admin",
// "dane", "mta-sts", "memory" or "probe". It does network I/O: never call
// it on the SMTP reply path.
//
// With a smarthost, only the smarthost's level counts: true ("admin")
// when it is verify or implicit.
func (r *Relay) CanVerifyTLS(ctx context.Context, domain string) (ok bool, how string, err error) {
	domain = destDomain(domain)
	if r.opts.Smarthost != "" {
		return r.opts.SmarthostTLS == tlslevel.Verify || r.opts.SmarthostTLS == tlslevel.Implicit, "admin", nil
	}
	return r.tls.CanVerify(ctx, domain)
}

// probe connects to host, says EHLO, STARTTLS and checks the certificate
// against the host name with RootCAs, then QUITs. No mail is sent.
func (r *Relay) probe(ctx context.Context, host string) bool {
	ips, err := r.lookupIPs(ctx, host)
	if err != nil || len(ips) == 0 {
		return false
	}
	addr := net.JoinHostPort(ips[0], strconv.Itoa(r.opts.MXPort))
	sess, derr := r.client.Dial(ctx, host, addr, tlspolicy.Plan{Level: tlslevel.Verify})
	if derr != nil {
		return false
	}
	sess.Quit()
	return true
}

// remember records in the downgrade memory a delivery to domain that was
// authenticated (verified, DANE or MTA-STS); deliveries at level none
// never are.
func (r *Relay) remember(msgID, domain string, ti smtpclient.TLSInfo, out map[string]*result) {
	if r.mem == nil || ti.Auth == "" || ti.VerNum == 0 {
		return
	}
	delivered := false
	for _, res := range out {
		if res.err == nil {
			delivered = true
			break
		}
	}
	if !delivered {
		return
	}
	if err := r.tls.Remember(domain, ti.Auth, ti.VerNum); err != nil {
		r.log.Error("relay: tls memory update failed", "msg_id", msgID, "domain", domain, "err", err)
	}
}

// downgradeSeen alerts: log at warn, metric, memory (the capability
// answer turns false until an authenticated delivery or a reset).
func (r *Relay) downgradeSeen(msgID, domain string, e *DeliveryError) {
	r.m.downgrades.Inc()
	r.log.Warn("relay: TLS downgrade detected", "msg_id", msgID, "domain", domain, "host", e.Host, "tls_failure", e.TLSFailure)
	if err := r.tls.Downgraded(domain); err != nil && !errors.Is(err, ErrNoMemory) {
		r.log.Error("relay: tls memory update failed", "msg_id", msgID, "domain", domain, "err", err)
	}
}

// ResetMemory forgets what domain has proven, so a domain that really
// dropped TLS (or changed certificates) is delivered to at its policy
// level again. The operator's `sealgate tls reset DOMAIN`.
func (r *Relay) ResetMemory(domain string) (existed bool, err error) {
	existed, err = r.tls.ResetMemory(domain)
	if err == nil {
		r.log.Warn("relay: tls memory reset", "domain", strings.ToLower(domain), "existed", existed)
	}
	return existed, err
}

// ShowTLS reports what the relay knows about domain's TLS, without
// network access.
func (r *Relay) ShowTLS(domain string) TLSState {
	st := r.tls.State(domain)
	if r.opts.Smarthost != "" {
		st.Smarthost, st.SmarthostTLS = r.opts.Smarthost, r.opts.SmarthostTLS.String()
	}
	return st
}
