package relay

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"sort"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// resolverAddr is Options.Resolver or the first nameserver in
// /etc/resolv.conf.
func (r *Relay) resolverAddr() (string, error) {
	if r.opts.Resolver != "" {
		return r.opts.Resolver, nil
	}
	cfg, err := dns.ClientConfigFromFile("/etc/resolv.conf")
	if err != nil {
		return "", fmt.Errorf("relay: resolv.conf: %w", err)
	}
	if len(cfg.Servers) == 0 {
		return "", fmt.Errorf("relay: resolv.conf: no nameserver")
	}
	return net.JoinHostPort(cfg.Servers[0], cfg.Port), nil
}

// query asks the resolver one question, over TCP again if the UDP answer
// was truncated.
func (r *Relay) query(ctx context.Context, name string, qtype uint16) (*dns.Msg, error) {
	server, err := r.resolverAddr()
	if err != nil {
		return nil, err
	}
	q := new(dns.Msg)
	q.SetQuestion(dns.Fqdn(name), qtype)
	q.RecursionDesired = true
	// Ask for DNSSEC status (DO); the AD bit of the answer says whether a
	// validating resolver found it secure (RFC 7672 §2.2.1 needs that for MX).
	q.SetEdns0(4096, true)
	c := &dns.Client{Timeout: 10 * time.Second}
	resp, _, err := c.ExchangeContext(ctx, q, server)
	if err == nil && resp.Truncated {
		c.Net = "tcp"
		resp, _, err = c.ExchangeContext(ctx, q, server)
	}
	if err != nil {
		return nil, fmt.Errorf("relay: dns %s %s: %w", dns.TypeToString[qtype], name, err)
	}
	return resp, nil
}

// mxSecure reports whether an answer is DNSSEC-validated and the resolver
// may be believed: it is on loopback or the admin marked it trusted.
func (r *Relay) mxSecure(resp *dns.Msg) bool {
	if resp == nil || !resp.AuthenticatedData {
		return false
	}
	if r.opts.ResolverTrusted {
		return true
	}
	server, err := r.resolverAddr()
	if err != nil {
		return false
	}
	host, _, err := net.SplitHostPort(server)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
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
	resp, err := r.query(ctx, domain, dns.TypeMX)
	if err != nil {
		return nil, false, &DeliveryError{Enhanced: "4.4.3", Msg: "MX lookup failed", Err: err}
	}
	switch resp.Rcode {
	case dns.RcodeSuccess:
	case dns.RcodeNameError:
		return nil, false, &DeliveryError{Permanent: true, Enhanced: "5.1.2", Msg: "recipient domain does not exist"}
	default:
		return nil, false, &DeliveryError{Enhanced: "4.4.3", Msg: "MX lookup failed: " + dns.RcodeToString[resp.Rcode]}
	}
	var mxs []*dns.MX
	for _, rr := range resp.Answer {
		if mx, ok := rr.(*dns.MX); ok {
			if mx.Mx == "." {
				// RFC 7505 §3: the domain accepts no mail.
				return nil, false, &DeliveryError{Permanent: true, Enhanced: "5.1.10", Msg: "recipient domain has a null MX"}
			}
			mxs = append(mxs, mx)
		}
	}
	if len(mxs) == 0 {
		return []string{strings.TrimSuffix(domain, ".")}, r.mxSecure(resp), nil // RFC 5321 §5.1 implicit MX
	}
	rand.Shuffle(len(mxs), func(i, j int) { mxs[i], mxs[j] = mxs[j], mxs[i] })
	sort.SliceStable(mxs, func(i, j int) bool { return mxs[i].Preference < mxs[j].Preference })
	hosts := make([]string, len(mxs))
	for i, mx := range mxs {
		hosts[i] = strings.TrimSuffix(mx.Mx, ".")
	}
	return hosts, r.mxSecure(resp), nil
}

// lookupIPs returns host's IPv4 then IPv6 addresses.
func (r *Relay) lookupIPs(ctx context.Context, host string) ([]string, error) {
	if ip := net.ParseIP(host); ip != nil {
		return []string{host}, nil
	}
	var ips []string
	var firstErr error
	for _, qt := range []uint16{dns.TypeA, dns.TypeAAAA} {
		resp, err := r.query(ctx, host, qt)
		if err != nil {
			firstErr = err
			continue
		}
		for _, rr := range resp.Answer {
			switch a := rr.(type) {
			case *dns.A:
				ips = append(ips, a.A.String())
			case *dns.AAAA:
				ips = append(ips, a.AAAA.String())
			}
		}
	}
	if len(ips) == 0 {
		if firstErr != nil {
			return nil, firstErr
		}
		return nil, fmt.Errorf("relay: %s has no address", host)
	}
	return ips, nil
}
