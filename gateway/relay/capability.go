package relay

import (
	"context"
	"errors"
	"net"
	"strconv"
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

type capCache struct {
	mu sync.Mutex
	m  map[string]CapabilityAnswer
}

func newCapCache() *capCache { return &capCache{m: make(map[string]CapabilityAnswer)} }

func (c *capCache) get(domain string, now time.Time) (CapabilityAnswer, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.m[domain]
	if !ok || !now.Before(a.Expires) {
		return CapabilityAnswer{}, false
	}
	return a, true
}

func (c *capCache) put(domain string, a CapabilityAnswer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[domain] = a
}

func (c *capCache) forget(domain string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, strings.ToLower(domain))
}

// CanVerifyTLS answers the encryption selector: can the relay guarantee
// verified TLS to domain now? From the admin map (verify, dane-only,
// mta-sts), DANE (secure usable TLSA for every MX host), MTA-STS
// (enforce), the downgrade memory (verified recently), else a short
// active probe of the first MX (EHLO, STARTTLS, certificate verified
// against the MX name, QUIT), bounded by ctx and 10 s. DNS and probe
// answers are cached for an hour (negative: 10 minutes). A domain in a
// downgrade state is false. how is "admin", "dane", "mta-sts", "memory"
// or "probe". It does network I/O: never call it on the SMTP reply path.
//
// With a smarthost, only the smarthost's level counts: true ("admin")
// when it is verify or implicit.
func (r *Relay) CanVerifyTLS(ctx context.Context, domain string) (ok bool, how string, err error) {
	domain = strings.ToLower(strings.TrimSuffix(domain, "."))
	now := r.now()
	if r.opts.Smarthost != "" {
		return r.opts.SmarthostTLS == tlslevel.Verify || r.opts.SmarthostTLS == tlslevel.Implicit, "admin", nil
	}
	var rec TLSRecord
	active := false
	if r.mem != nil {
		var found bool
		rec, found = r.mem.get(domain)
		active = found && now.Sub(rec.Proven) < r.opts.MemoryWindow
		if active && !rec.Downgrade.IsZero() {
			return false, "memory", nil // under attack, or the domain changed: an operator decides
		}
	}
	switch r.policyFor(domain) {
	case tlslevel.Verify, tlslevel.DANEOnly, tlslevel.MTASTS:
		return true, "admin", nil
	case tlslevel.None:
		return false, "admin", nil
	}
	if active {
		return true, "memory", nil
	}
	if a, ok := r.caps.get(domain, now); ok {
		return a.OK, a.How, nil
	}
	ctx, cancel := context.WithTimeout(ctx, probeCap)
	defer cancel()
	ok, how, err = r.capLookup(ctx, domain)
	if err != nil {
		return false, how, err
	}
	ttl := capNegativeTTL
	if ok {
		ttl = capPositiveTTL
	}
	r.caps.put(domain, CapabilityAnswer{OK: ok, How: how, Expires: now.Add(ttl)})
	return ok, how, nil
}

func (r *Relay) capLookup(ctx context.Context, domain string) (bool, string, error) {
	if r.opts.MTASTS != nil {
		if p, err := r.opts.MTASTS.Lookup(ctx, domain); err == nil && p != nil && p.Mode == mtasts.ModeEnforce {
			return true, "mta-sts", nil
		}
	}
	hosts, mxSecure, derr := r.lookupMXSecure(ctx, domain)
	if derr != nil {
		if derr.Permanent {
			return false, "probe", nil
		}
		return false, "probe", derr
	}
	if r.opts.DANE != nil && len(hosts) > 0 && mxSecure {
		all := true
		for _, h := range hosts {
			recs, secure, err := r.opts.DANE.LookupTLSA(ctx, h, r.opts.MXPort)
			if err != nil || !secure || len(dane.Usable(recs)) == 0 {
				all = false
				break
			}
		}
		if all {
			return true, "dane", nil
		}
	}
	return r.probe(ctx, hosts[0]), "probe", nil
}

// probe connects to host, says EHLO, STARTTLS and checks the certificate
// against the host name with RootCAs, then QUITs. No mail is sent.
func (r *Relay) probe(ctx context.Context, host string) bool {
	ips, err := r.lookupIPs(ctx, host)
	if err != nil || len(ips) == 0 {
		return false
	}
	addr := net.JoinHostPort(ips[0], strconv.Itoa(r.opts.MXPort))
	cl, _, closeFn, derr := r.connect(ctx, host, addr, tlsPlan{level: tlslevel.Verify})
	if derr != nil {
		return false
	}
	cl.CommandTimeout = min(cl.CommandTimeout, probeTimeout)
	cl.Quit()
	closeFn()
	return true
}

// remember records in the downgrade memory a delivery to domain that was
// authenticated (verified, DANE or MTA-STS); deliveries at level none
// never are.
func (r *Relay) remember(msgID, domain string, ti tlsInfo, out map[string]*result) {
	if r.mem == nil || ti.auth == "" || ti.verNum == 0 {
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
	if err := r.mem.proven(domain, ti.auth, ti.verNum, r.now(), r.opts.MemoryWindow); err != nil {
		r.log.Error("relay: tls memory update failed", "msg_id", msgID, "domain", domain, "err", err)
	}
}

// downgradeSeen alerts: log at warn, metric, memory (the capability
// answer turns false until an authenticated delivery or a reset).
func (r *Relay) downgradeSeen(msgID, domain string, e *DeliveryError) {
	r.m.downgrades.WithLabelValues(domain).Inc()
	r.log.Warn("relay: TLS downgrade detected", "msg_id", msgID, "domain", domain, "host", e.Host, "tls_failure", e.TLSFailure)
	r.caps.forget(domain)
	if r.mem != nil {
		if err := r.mem.downgraded(domain, r.now()); err != nil && !errors.Is(err, ErrNoMemory) {
			r.log.Error("relay: tls memory update failed", "msg_id", msgID, "domain", domain, "err", err)
		}
	}
}
