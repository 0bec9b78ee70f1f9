package tlspolicy

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/sealgate/sealgate/gateway/dane"
	"github.com/sealgate/sealgate/gateway/mtasts"
	"github.com/sealgate/sealgate/internal/smtpaddr"
	"github.com/sealgate/sealgate/internal/tlslevel"
)

// Config is what a Policy knows. The relay fills it from its Options.
type Config struct {
	Admin              map[string]tlslevel.Level // "example.org" or ".example.org" -> level
	Default            tlslevel.Level            // for domains without an Admin entry
	MTASTS             *mtasts.Client            // nil = off
	DANE               dane.Resolver             // nil = off
	MXPort             int                       // for TLSA names (_25._tcp.host)
	HonorTLSRequiredNo bool
	Memory             *Memory       // downgrade memory; nil = off
	MemoryWindow       time.Duration // how long a proven delivery binds the domain
	Now                func() time.Time
	Log                *slog.Logger
	// Count is told of every TLS failure by domain and RFC 8460 type.
	Count func(domain, failure string)
	// LookupMX and Probe serve CanVerify: the MX hosts of a domain (with
	// whether the answer was DNSSEC-secure, and whether a failure is
	// permanent), and a verified-TLS probe of one host.
	LookupMX func(ctx context.Context, domain string) (hosts []string, secure, permanent bool, err error)
	Probe    func(ctx context.Context, host string) bool
}

// Policy resolves TLS requirements; safe for concurrent use.
type Policy struct {
	cfg  Config
	caps *capCache
}

// New returns a Policy over cfg. cfg.Default must be set.
func New(cfg Config) *Policy {
	if cfg.Count == nil {
		cfg.Count = func(string, string) {}
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.Admin = aLabelKeys(cfg.Admin)
	return &Policy{cfg: cfg, caps: newCapCache()}
}

// aLabelKeys writes every Admin domain as its A-label, as the relay names
// destinations: an entry written "bücher.example" applies to mail for
// "xn--bcher-kva.example" and the other way round.
func aLabelKeys(admin map[string]tlslevel.Level) map[string]tlslevel.Level {
	out := make(map[string]tlslevel.Level, len(admin))
	for k, l := range admin {
		dot, d := "", strings.ToLower(k)
		if strings.HasPrefix(d, ".") {
			dot, d = ".", d[1:]
		}
		if a, err := smtpaddr.DomainToASCII(d); err == nil {
			d = a
		}
		out[dot+d] = l
	}
	return out
}

// AdminLevel is the Admin entry for domain: exact, then the longest
// ".suffix"; "" if none.
func (p *Policy) AdminLevel(domain string) tlslevel.Level {
	if l, ok := p.cfg.Admin[domain]; ok {
		return l
	}
	best, bestLen := tlslevel.Level(""), 0
	for k, l := range p.cfg.Admin {
		if strings.HasPrefix(k, ".") && strings.HasSuffix(domain, strings.ToLower(k)) && len(k) > bestLen {
			best, bestLen = l, len(k)
		}
	}
	return best
}

// LevelFor returns the admin level for a recipient domain: AdminLevel,
// else Default.
func (p *Policy) LevelFor(domain string) tlslevel.Level {
	if l := p.AdminLevel(domain); l != "" {
		return l
	}
	return p.cfg.Default
}

// ForDomain works out the domain-wide policy (RFC 8461 MTA-STS lookup
// included) for a delivery to domain. A non-nil Failure defers every
// recipient.
func (p *Policy) ForDomain(ctx context.Context, domain string, w Want) (Domain, *Failure) {
	dp := Domain{Name: domain, Admin: p.AdminLevel(domain), Floor: w.Floor}
	if w.RequireTLS {
		dp.Require = true
		dp.Floor = tlslevel.Raise(dp.Floor, tlslevel.Verify)
	}
	// RFC 8689 §5: "TLS-Required: No" relaxes the recipient domain's
	// policy, only where the admin allows it and never over our own floor
	// for the copy (PHI copies always carry MinTLS).
	if (w.Report || w.TLSRequiredNo && p.cfg.HonorTLSRequiredNo) && w.Floor == "" && !w.RequireTLS {
		dp.relaxed = true
		dp.Base = tlslevel.May
		return dp, nil
	}
	level := dp.Admin
	if level == "" {
		level = p.cfg.Default
	}
	p.setBase(&dp, level)
	if p.cfg.MTASTS != nil && dp.Admin == "" || level == tlslevel.MTASTS {
		if f := p.applySTS(ctx, &dp, level); f != nil {
			return dp, f
		}
	}
	if p.cfg.Memory != nil && level != tlslevel.None {
		if rec, ok := p.cfg.Memory.Get(domain); ok && p.cfg.Now().Sub(rec.Proven) < p.cfg.MemoryWindow {
			dp.memory = &rec
		}
	}
	return dp, nil
}

// setBase turns the admin level into a base level and a DANE mode.
func (p *Policy) setBase(dp *Domain, level tlslevel.Level) {
	switch level {
	case tlslevel.DANE:
		dp.daneMode, dp.Base = daneUse, tlslevel.May
	case tlslevel.DANEOnly:
		dp.daneMode, dp.Base = daneRequired, tlslevel.Verify
	case tlslevel.MTASTS:
		dp.Base = tlslevel.Verify
	default:
		dp.Base = level
		if dp.Admin == "" && p.cfg.DANE != nil {
			dp.daneMode = daneUse
		}
	}
}

// applySTS looks up the domain's MTA-STS policy into dp.
func (p *Policy) applySTS(ctx context.Context, dp *Domain, level tlslevel.Level) *Failure {
	domain := dp.Name
	if p.cfg.MTASTS == nil {
		return p.fail(domain, FailSTSFetch, "", "MTA-STS required but not enabled", nil)
	}
	sp, err := p.cfg.MTASTS.Lookup(ctx, domain)
	switch {
	case err != nil && (level == tlslevel.MTASTS || mtasts.IsTemporary(err)):
		// The TXT lookup failed and nothing is cached: the domain may
		// have a policy we cannot see; defer rather than guess.
		return p.fail(domain, stsFailure(err), "", "MTA-STS policy unavailable", err)
	case err != nil:
		// RFC 8461 §5.1: no usable policy (none cached): deliver as if
		// the domain had none; count it for TLSRPT.
		p.cfg.Count(domain, stsFailure(err))
		p.cfg.Log.Info("relay: MTA-STS policy unavailable", "domain", domain, "err", err)
	case sp != nil && (sp.Mode == mtasts.ModeEnforce || sp.Mode == mtasts.ModeTesting):
		dp.sts = sp
	}
	if level == tlslevel.MTASTS && (dp.sts == nil || dp.sts.Mode != mtasts.ModeEnforce) {
		return p.fail(domain, FailSTSFetch, "", "MTA-STS enforce policy required, none published", nil)
	}
	return nil
}

// FilterMX keeps the MX hosts an MTA-STS enforce policy allows (RFC 8461
// §4.1), before any connection is made.
func (p *Policy) FilterMX(dp Domain, hosts []string) ([]string, *Failure) {
	if dp.sts == nil {
		return hosts, nil
	}
	var ok []string
	for _, h := range hosts {
		if dp.sts.MatchMX(h) {
			ok = append(ok, h)
		} else if dp.sts.Mode == mtasts.ModeTesting {
			// Testing: deliver anyway, report.
			p.cfg.Count(dp.Name, FailValidation)
			ok = append(ok, h)
		}
	}
	if len(ok) == 0 {
		return nil, p.fail(dp.Name, FailValidation, "", "no MX host matches the MTA-STS policy", nil)
	}
	return ok, nil
}

// ForHost completes dp for one MX host: DANE (RFC 7672), then MTA-STS,
// then the base level; then the floor, the downgrade memory and
// REQUIRETLS raise it.
func (p *Policy) ForHost(ctx context.Context, dp Domain, host string) (Plan, *Failure) {
	pl := Plan{Level: dp.Base, Domain: dp.Name}
	if dp.relaxed {
		return pl, nil
	}
	daneDone, f := p.applyDANE(ctx, dp, host, &pl)
	if f != nil {
		return pl, f
	}
	if !daneDone && dp.sts != nil {
		if dp.sts.Mode == mtasts.ModeEnforce {
			// RFC 8461 §5: deliver only over TLS with a certificate valid
			// for the MX name (the host matched the policy already).
			pl.Level, pl.Auth = tlslevel.Raise(pl.Level, tlslevel.Verify), "mta-sts"
		} else {
			pl.STSTesting = true
			pl.STSMismatch = !dp.sts.MatchMX(host) // counted by FilterMX
		}
	}
	pl.Level = tlslevel.Raise(pl.Level, dp.Floor)
	if dp.memory != nil && pl.Level != tlslevel.None {
		pl.Memory, pl.MinVersion = true, dp.memory.Version
		pl.Level = tlslevel.Raise(pl.Level, tlslevel.Verify)
	}
	pl.RequireTLS = dp.Require
	return pl, nil
}

// applyDANE looks up host's TLSA records into pl when dp uses DANE;
// done says DANE decided the level.
func (p *Policy) applyDANE(ctx context.Context, dp Domain, host string, pl *Plan) (done bool, f *Failure) {
	// RFC 7672 §2.2.1: TLSA records count only for MX hosts learned from a
	// secure MX answer; otherwise the host is treated as having none.
	if dp.daneMode != "" && p.cfg.DANE != nil && !dp.MXSecure && dp.daneMode == daneRequired {
		return false, p.fail(dp.Name, FailDNSSECInvalid, host, "DANE required, but the MX records are not DNSSEC-secure", nil)
	}
	if dp.daneMode != "" && p.cfg.DANE != nil && dp.MXSecure {
		recs, secure, err := p.cfg.DANE.LookupTLSA(ctx, host, p.cfg.MXPort)
		switch {
		case err != nil:
			// RFC 7672 §2.2: a failed TLSA lookup makes the host unusable.
			return false, p.fail(dp.Name, FailDNSSECInvalid, host, "DANE TLSA lookup failed", err)
		case secure && len(recs) > 0:
			if usable := dane.Usable(recs); len(usable) > 0 {
				pl.DANE, pl.Level, pl.Auth, done = usable, tlslevel.Verify, "dane", true
			} else {
				// RFC 7672 §2.2: secure but unusable records still mean
				// mandatory (unauthenticated) TLS.
				pl.Level, done = tlslevel.Raise(pl.Level, tlslevel.Encrypt), true
			}
		}
	}
	if dp.daneMode == daneRequired && pl.DANE == nil {
		return done, p.fail(dp.Name, FailDANERequired, host, "DANE required, no usable secure TLSA records", nil)
	}
	return done, nil
}
