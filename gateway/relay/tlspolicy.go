package relay

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"

	"github.com/sealgate/sealgate/envelope"
	"github.com/sealgate/sealgate/gateway/dane"
	"github.com/sealgate/sealgate/gateway/mtasts"
	"github.com/sealgate/sealgate/internal/tlslevel"
)

// TLSRPT result types (RFC 8460 §4.3.2.1, §4.3.2.2), used for
// TLSFailure and the sealgate_relay_tls_failures_total metric.
const (
	FailSTARTTLS        = "starttls-not-supported"
	FailHostMismatch    = "certificate-host-mismatch"
	FailExpired         = "certificate-expired"
	FailNotTrusted      = "certificate-not-trusted"
	FailValidation      = "validation-failure"
	FailTLSAInvalid     = "tlsa-invalid"
	FailDNSSECInvalid   = "dnssec-invalid"
	FailDANERequired    = "dane-required"
	FailSTSFetch        = "sts-policy-fetch-error"
	FailSTSInvalid      = "sts-policy-invalid"
	FailSTSWebPKIInvald = "sts-webpki-invalid"
)

// tlsPlan is what one connection to one host must achieve.
type tlsPlan struct {
	// level is what connect enforces: none|may|encrypt|verify|implicit.
	level tlslevel.Level
	// dane, when set, authenticates the server by these usable TLSA
	// records (RFC 7672 §3) instead of PKIX; level is "verify".
	dane []dane.TLSA
	// auth names a session that passed level "verify": verified, mta-sts.
	auth string
	// stsTesting: MTA-STS testing mode; failures are recorded, not enforced.
	stsTesting bool
	// memory: the downgrade memory is in force; minVersion is the least
	// TLS version the domain proved.
	memory     bool
	minVersion uint16
	// requireTLS: RFC 8689, the next hop must advertise REQUIRETLS.
	requireTLS bool
	// domain is the recipient domain for metrics and memory ("" for the
	// smarthost).
	domain string
}

// key names the requirements, for the connection pool: a session is only
// reused for the very same checks.
func (p tlsPlan) key() string {
	k := p.level.String() + "/" + p.auth
	if p.dane != nil {
		k += "/dane"
	}
	if p.memory {
		k += fmt.Sprintf("/mem%x", p.minVersion)
	}
	if p.requireTLS {
		k += "/requiretls"
	}
	return k
}

// domainPolicy is the recipient domain's policy for one attempt, before
// the per-host parts (DANE) are looked up.
type domainPolicy struct {
	domain string
	admin  tlslevel.Level // TLSPolicy entry, "" if none
	base   tlslevel.Level // none|may|encrypt|verify for hosts without DANE/MTA-STS
	// daneMode: "" (off), "use" (if published), "required" (dane-only).
	daneMode string
	sts      *mtasts.Policy // enforce or testing, nil if none applies
	memory   *TLSRecord     // active downgrade memory
	floor    tlslevel.Level // Copy.MinTLS / REQUIRETLS
	require  bool           // REQUIRETLS
	relaxed  bool           // TLS-Required: No honoured
	mxSecure bool           // the MX answer was DNSSEC-secure (RFC 7672 §2.2.1)
}

// adminLevel is the TLSPolicy entry for domain: exact, then the longest
// ".suffix"; "" if none.
func (r *Relay) adminLevel(domain string) tlslevel.Level {
	if l, ok := r.opts.TLSPolicy[domain]; ok {
		return l
	}
	best, bestLen := tlslevel.Level(""), 0
	for k, l := range r.opts.TLSPolicy {
		if strings.HasPrefix(k, ".") && strings.HasSuffix(domain, strings.ToLower(k)) && len(k) > bestLen {
			best, bestLen = l, len(k)
		}
	}
	return best
}

// policyFor returns the admin level for a recipient domain: exact match,
// then the longest ".suffix" match, then DefaultTLS.
func (r *Relay) policyFor(domain string) tlslevel.Level {
	if l := r.adminLevel(domain); l != "" {
		return l
	}
	return r.opts.DefaultTLS
}

// resolveDomain works out the domain-wide policy (RFC 8461 MTA-STS lookup
// included) for copy c of env to domain. A non-nil error defers or
// bounces every recipient.
func (r *Relay) resolveDomain(ctx context.Context, domain string, c Copy, env *envelope.Envelope) (domainPolicy, *DeliveryError) {
	dp := domainPolicy{domain: domain, admin: r.adminLevel(domain), floor: tlslevel.Level(c.MinTLS)}
	if env.RequireTLS {
		dp.require = true
		dp.floor = tlslevel.Raise(dp.floor, tlslevel.Verify)
	}
	// RFC 8689 §5: "TLS-Required: No" relaxes the recipient domain's
	// policy, only where the admin allows it and never over our own floor
	// for the copy (PHI copies always carry MinTLS).
	if env.TLSRequiredNo && r.opts.HonorTLSRequiredNo && c.MinTLS == "" && !env.RequireTLS {
		dp.relaxed = true
		dp.base = tlslevel.May
		return dp, nil
	}
	level := dp.admin
	if level == "" {
		level = r.opts.DefaultTLS
	}
	useSTS := r.opts.MTASTS != nil && dp.admin == "" || level == tlslevel.MTASTS
	switch level {
	case tlslevel.DANE:
		dp.daneMode, dp.base = "use", tlslevel.May
	case tlslevel.DANEOnly:
		dp.daneMode, dp.base = "required", tlslevel.Verify
	case tlslevel.MTASTS:
		dp.base = tlslevel.Verify
	default:
		dp.base = level
		if dp.admin == "" && r.opts.DANE != nil {
			dp.daneMode = "use"
		}
	}
	if useSTS {
		if r.opts.MTASTS == nil {
			return dp, r.tlsFail(domain, FailSTSFetch, "", "MTA-STS required but not enabled", nil)
		}
		p, err := r.opts.MTASTS.Lookup(ctx, domain)
		switch {
		case err != nil && (level == tlslevel.MTASTS || mtasts.IsTemporary(err)):
			// The TXT lookup failed and nothing is cached: the domain may
			// have a policy we cannot see; defer rather than guess.
			return dp, r.tlsFail(domain, stsFailure(err), "", "MTA-STS policy unavailable", err)
		case err != nil:
			// RFC 8461 §5.1: no usable policy (none cached): deliver as if
			// the domain had none; count it for TLSRPT.
			r.m.tlsFailure(domain, stsFailure(err))
			r.log.Info("relay: MTA-STS policy unavailable", "domain", domain, "err", err)
		case p != nil && (p.Mode == mtasts.ModeEnforce || p.Mode == mtasts.ModeTesting):
			dp.sts = p
		}
		if level == tlslevel.MTASTS && (dp.sts == nil || dp.sts.Mode != mtasts.ModeEnforce) {
			return dp, r.tlsFail(domain, FailSTSFetch, "", "MTA-STS enforce policy required, none published", nil)
		}
	}
	if r.mem != nil && level != tlslevel.None {
		if rec, ok := r.mem.get(domain); ok && r.now().Sub(rec.Proven) < r.opts.MemoryWindow {
			dp.memory = &rec
		}
	}
	return dp, nil
}

// stsFailure maps an MTA-STS lookup error to its TLSRPT type.
func stsFailure(err error) string {
	var ue x509.UnknownAuthorityError
	var he x509.HostnameError
	var ce x509.CertificateInvalidError
	var ve *tls.CertificateVerificationError
	switch {
	case errors.As(err, &ue), errors.As(err, &he), errors.As(err, &ce), errors.As(err, &ve):
		return FailSTSWebPKIInvald
	case errors.Is(err, mtasts.ErrPolicySyntax):
		return FailSTSInvalid
	}
	return FailSTSFetch
}

// filterSTS keeps the MX hosts an MTA-STS enforce policy allows (RFC 8461
// §4.1), before any connection is made.
func (r *Relay) filterSTS(dp domainPolicy, hosts []string) ([]string, *DeliveryError) {
	if dp.sts == nil {
		return hosts, nil
	}
	var ok []string
	for _, h := range hosts {
		if dp.sts.MatchMX(h) {
			ok = append(ok, h)
		} else if dp.sts.Mode == mtasts.ModeTesting {
			// Testing: deliver anyway, report.
			r.m.tlsFailure(dp.domain, FailValidation)
			ok = append(ok, h)
		}
	}
	if len(ok) == 0 {
		return nil, r.tlsFail(dp.domain, FailValidation, "", "no MX host matches the MTA-STS policy", nil)
	}
	return ok, nil
}

// hostPlan completes dp for one MX host: DANE (RFC 7672), then MTA-STS,
// then the base level; then the floor, the downgrade memory and
// REQUIRETLS raise it.
func (r *Relay) hostPlan(ctx context.Context, dp domainPolicy, host string) (tlsPlan, *DeliveryError) {
	p := tlsPlan{level: dp.base, domain: dp.domain}
	if dp.relaxed {
		return p, nil
	}
	daneDone := false
	// RFC 7672 §2.2.1: TLSA records count only for MX hosts learned from a
	// secure MX answer; otherwise the host is treated as having none.
	if dp.daneMode != "" && r.opts.DANE != nil && !dp.mxSecure && dp.daneMode == "required" {
		return p, r.tlsFail(dp.domain, FailDNSSECInvalid, host, "DANE required, but the MX records are not DNSSEC-secure", nil)
	}
	if dp.daneMode != "" && r.opts.DANE != nil && dp.mxSecure {
		recs, secure, err := r.opts.DANE.LookupTLSA(ctx, host, r.opts.MXPort)
		switch {
		case err != nil:
			// RFC 7672 §2.2: a failed TLSA lookup makes the host unusable.
			return p, r.tlsFail(dp.domain, FailDNSSECInvalid, host, "DANE TLSA lookup failed", err)
		case secure && len(recs) > 0:
			if usable := dane.Usable(recs); len(usable) > 0 {
				p.dane, p.level, p.auth, daneDone = usable, tlslevel.Verify, "dane", true
			} else {
				// RFC 7672 §2.2: secure but unusable records still mean
				// mandatory (unauthenticated) TLS.
				p.level, daneDone = tlslevel.Raise(p.level, tlslevel.Encrypt), true
			}
		}
	}
	if dp.daneMode == "required" && p.dane == nil {
		return p, r.tlsFail(dp.domain, FailDANERequired, host, "DANE required, no usable secure TLSA records", nil)
	}
	if !daneDone && dp.sts != nil {
		if dp.sts.Mode == mtasts.ModeEnforce {
			// RFC 8461 §5: deliver only over TLS with a certificate valid
			// for the MX name (the host matched the policy already).
			p.level, p.auth = tlslevel.Raise(p.level, tlslevel.Verify), "mta-sts"
		} else {
			p.stsTesting = true
		}
	}
	p.level = tlslevel.Raise(p.level, dp.floor)
	if dp.memory != nil && p.level != tlslevel.None {
		p.memory, p.minVersion = true, dp.memory.Version
		p.level = tlslevel.Raise(p.level, tlslevel.Verify)
	}
	p.requireTLS = dp.require
	return p, nil
}

// tlsFail builds a deferral (4.7.5) for a TLS policy failure and counts it.
func (r *Relay) tlsFail(domain, failure, host, msg string, err error) *DeliveryError {
	if domain != "" {
		r.m.tlsFailure(domain, failure)
	}
	return &DeliveryError{Enhanced: "4.7.5", Msg: msg, Host: host, Err: err, TLSFailure: failure}
}

// classifyCertErr maps a verification error to its TLSRPT type.
func classifyCertErr(err error) string {
	var he x509.HostnameError
	var ce x509.CertificateInvalidError
	var ue x509.UnknownAuthorityError
	switch {
	case errors.As(err, &he):
		return FailHostMismatch
	case errors.As(err, &ce) && ce.Reason == x509.Expired:
		return FailExpired
	case errors.As(err, &ue):
		return FailNotTrusted
	case errors.As(err, &ce):
		return FailNotTrusted
	}
	return FailValidation
}
