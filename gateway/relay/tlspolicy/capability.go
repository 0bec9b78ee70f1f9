package tlspolicy

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/sealgate/sealgate/gateway/dane"
	"github.com/sealgate/sealgate/gateway/mtasts"
	"github.com/sealgate/sealgate/internal/tlslevel"
)

// Capability cache lifetimes and the probe's time cap.
const (
	capPositiveTTL = time.Hour
	capNegativeTTL = 10 * time.Minute
	probeCap       = 10 * time.Second
)

// Answer is a cached CanVerify result.
type Answer struct {
	OK      bool      `json:"ok"`
	How     string    `json:"how,omitempty"`
	Expires time.Time `json:"expires"`
}

type capCache struct {
	mu sync.Mutex
	m  map[string]Answer
}

func newCapCache() *capCache { return &capCache{m: make(map[string]Answer)} }

func (c *capCache) get(domain string, now time.Time) (Answer, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.m[domain]
	if !ok || !now.Before(a.Expires) {
		return Answer{}, false
	}
	return a, true
}

func (c *capCache) put(domain string, a Answer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[domain] = a
}

func (c *capCache) forget(domain string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, strings.ToLower(domain))
}

// CanVerify answers the encryption selector for MX delivery: can verified
// TLS to domain (lower case, no trailing dot) be guaranteed now? From the
// admin map (verify, dane-only, mta-sts), the downgrade memory (verified
// recently), DANE (secure usable TLSA for every MX host), MTA-STS
// (enforce), else a short probe of the first MX (Config.Probe), bounded
// by ctx and 10 s. DNS and probe answers are cached for an hour
// (negative: 10 minutes). A domain in a downgrade state is false. how is
// "admin", "dane", "mta-sts", "memory" or "probe".
func (p *Policy) CanVerify(ctx context.Context, domain string) (ok bool, how string, err error) {
	now := p.cfg.Now()
	var rec Record
	active := false
	if p.cfg.Memory != nil {
		var found bool
		rec, found = p.cfg.Memory.Get(domain)
		active = found && now.Sub(rec.Proven) < p.cfg.MemoryWindow
		if active && !rec.Downgrade.IsZero() {
			return false, "memory", nil // under attack, or the domain changed: an operator decides
		}
	}
	switch p.LevelFor(domain) {
	case tlslevel.Verify, tlslevel.DANEOnly, tlslevel.MTASTS:
		return true, "admin", nil
	case tlslevel.None:
		return false, "admin", nil
	}
	if active {
		return true, "memory", nil
	}
	if a, ok := p.caps.get(domain, now); ok {
		return a.OK, a.How, nil
	}
	ctx, cancel := context.WithTimeout(ctx, probeCap)
	defer cancel()
	ok, how, err = p.capLookup(ctx, domain)
	if err != nil {
		return false, how, err
	}
	ttl := capNegativeTTL
	if ok {
		ttl = capPositiveTTL
	}
	p.caps.put(domain, Answer{OK: ok, How: how, Expires: now.Add(ttl)})
	return ok, how, nil
}

func (p *Policy) capLookup(ctx context.Context, domain string) (bool, string, error) {
	if p.cfg.MTASTS != nil {
		if sp, err := p.cfg.MTASTS.Lookup(ctx, domain); err == nil && sp != nil && sp.Mode == mtasts.ModeEnforce {
			return true, "mta-sts", nil
		}
	}
	hosts, mxSecure, permanent, err := p.cfg.LookupMX(ctx, domain)
	if err != nil {
		if permanent {
			return false, "probe", nil
		}
		return false, "probe", err
	}
	if p.cfg.DANE != nil && len(hosts) > 0 && mxSecure {
		all := true
		for _, h := range hosts {
			recs, secure, err := p.cfg.DANE.LookupTLSA(ctx, h, p.cfg.MXPort)
			if err != nil || !secure || len(dane.Usable(recs)) == 0 {
				all = false
				break
			}
		}
		if all {
			return true, "dane", nil
		}
	}
	return p.cfg.Probe(ctx, hosts[0]), "probe", nil
}

// Remember records in the downgrade memory a delivery to domain that was
// authenticated (auth: verified, dane or mta-sts) at TLS version; nothing
// without a memory, an auth or a version.
func (p *Policy) Remember(domain, auth string, version uint16) error {
	if p.cfg.Memory == nil || auth == "" || version == 0 {
		return nil
	}
	return p.cfg.Memory.Proven(domain, auth, version, p.cfg.Now(), p.cfg.MemoryWindow)
}

// Downgraded notes a downgrade against domain: the capability answer
// turns false until an authenticated delivery or a reset.
func (p *Policy) Downgraded(domain string) error {
	p.caps.forget(domain)
	if p.cfg.Memory == nil {
		return nil
	}
	return p.cfg.Memory.Downgraded(domain, p.cfg.Now())
}

// ErrNoMemory is returned by ResetMemory when there is no downgrade
// memory.
var ErrNoMemory = errors.New("relay: downgrade memory is off (relay.downgrade_memory)")

// ResetMemory forgets what domain has proven, so a domain that really
// dropped TLS (or changed certificates) is delivered to at its policy
// level again.
func (p *Policy) ResetMemory(domain string) (existed bool, err error) {
	if p.cfg.Memory == nil {
		return false, ErrNoMemory
	}
	existed, err = p.cfg.Memory.Reset(domain)
	if err == nil {
		p.caps.forget(domain)
	}
	return existed, err
}

// State is what `sealgate tls show DOMAIN` prints.
type State struct {
	Domain string `json:"domain"`
	// AdminLevel is the tls_policy entry that applies ("" = none).
	AdminLevel string `json:"admin_level,omitempty"`
	DefaultTLS string `json:"default_tls"`
	// Smarthost, when set, carries all mail at SmarthostTLS: the domain's
	// own levels, DANE, MTA-STS and memory do not apply to it.
	Smarthost    string `json:"smarthost,omitempty"`
	SmarthostTLS string `json:"smarthost_tls,omitempty"`
	// Memory is the downgrade memory's record (nil = nothing proven or
	// memory off); MemoryActive says it is within the window.
	Memory       *Record `json:"memory,omitempty"`
	MemoryActive bool    `json:"memory_active"`
	MemoryOff    bool    `json:"memory_off,omitempty"`
	// Downgraded: a downgrade was seen after the last authenticated
	// delivery; the capability answer is false until the next one.
	Downgraded bool `json:"downgraded"`
	// Capability is the cached capability answer, if any.
	Capability *Answer `json:"capability,omitempty"`
}

// State reports what is known about domain's TLS, without network access.
func (p *Policy) State(domain string) State {
	domain = strings.ToLower(strings.TrimSuffix(domain, "."))
	st := State{Domain: domain, AdminLevel: p.AdminLevel(domain).String(), DefaultTLS: p.cfg.Default.String(), MemoryOff: p.cfg.Memory == nil}
	if p.cfg.Memory != nil {
		if rec, ok := p.cfg.Memory.Get(domain); ok {
			st.Memory = &rec
			st.MemoryActive = p.cfg.Now().Sub(rec.Proven) < p.cfg.MemoryWindow
			st.Downgraded = st.MemoryActive && !rec.Downgrade.IsZero()
		}
	}
	if a, ok := p.caps.get(domain, p.cfg.Now()); ok {
		st.Capability = &a
	}
	return st
}
