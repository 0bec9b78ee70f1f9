package relay

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"sort"
	"strings"
	"time"

	"github.com/sealgate/sealgate/internal/dnsq"
)

// dns is the relay's DNS client: Options.Resolver (or every resolv.conf
// nameserver), AD believed from loopback or when ResolverTrusted.
func (r *Relay) dns() *dnsq.Client {
	return &dnsq.Client{Server: r.opts.Resolver, Trusted: r.opts.ResolverTrusted, Timeout: 10 * time.Second}
}

// lookupMXSecure returns the hosts to try for domain, best first (RFC 5321
// §5.1): MX targets by preference, equal ones shuffled; the domain itself
// when it has no MX (implicit MX). NXDOMAIN and null MX are permanent
// failures; anything else that goes wrong is temporary. It also says
// whether the MX answer (or the NODATA behind an implicit MX) was
// DNSSEC-secure: RFC 7672 §2.2.1 uses
// TLSA records only for MX hosts obtained securely, or an attacker could
// point the MX at a host whose TLSA records they publish.
func (r *Relay) lookupMXSecure(ctx context.Context, domain string) ([]string, bool, *DeliveryError) {
	if strings.HasPrefix(domain, "[") && strings.HasSuffix(domain, "]") {
		// Address literal (RFC 5321 §4.1.3): deliver to it directly.
		lit := strings.TrimPrefix(domain[1:len(domain)-1], "IPv6:")
		if net.ParseIP(lit) == nil {
			return nil, false, &DeliveryError{Permanent: true, Enhanced: "5.1.2", Msg: "bad address literal"}
		}
		return []string{lit}, false, nil
	}
	if domain == "" {
		return nil, false, &DeliveryError{Permanent: true, Enhanced: "5.1.3", Msg: "recipient address has no domain"}
	}
	mxs, res, err := r.dns().MX(ctx, domain)
	var rc *dnsq.RcodeError
	switch {
	case errors.As(err, &rc):
		return nil, false, &DeliveryError{Enhanced: "4.4.3", Msg: "MX lookup failed: " + rc.RcodeString()}
	case err != nil:
		return nil, false, &DeliveryError{Enhanced: "4.4.3", Msg: "MX lookup failed", Err: err}
	case res.NXDomain:
		return nil, false, &DeliveryError{Permanent: true, Enhanced: "5.1.2", Msg: "recipient domain does not exist"}
	}
	for _, mx := range mxs {
		if mx.Host == "." {
			// RFC 7505 §3: the domain accepts no mail.
			return nil, false, &DeliveryError{Permanent: true, Enhanced: "5.1.10", Msg: "recipient domain has a null MX"}
		}
	}
	if len(mxs) == 0 {
		return []string{strings.TrimSuffix(domain, ".")}, res.Secure, nil // RFC 5321 §5.1 implicit MX
	}
	rand.Shuffle(len(mxs), func(i, j int) { mxs[i], mxs[j] = mxs[j], mxs[i] })
	sort.SliceStable(mxs, func(i, j int) bool { return mxs[i].Preference < mxs[j].Preference })
	hosts := make([]string, len(mxs))
	for i, mx := range mxs {
		hosts[i] = mx.Host
	}
	return hosts, res.Secure, nil
}

// lookupIPs returns host's IPv4 then IPv6 addresses.
func (r *Relay) lookupIPs(ctx context.Context, host string) ([]string, error) {
	return r.dns().Addrs(ctx, host)
}
