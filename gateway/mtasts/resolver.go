package mtasts

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// DNSResolver is a Resolver that asks one recursive resolver with
// github.com/miekg/dns. MTA-STS does not need DNSSEC (RFC 8461 §10.1 relies
// on HTTPS), so the AD bit is not consulted.
type DNSResolver struct {
	Server  string        // host:port, e.g. "127.0.0.1:53"
	Timeout time.Duration // per query; default 5s
}

// LookupTXT returns each TXT record's strings joined (RFC 7208 style, as
// RFC 8461 §3.1 expects for a record split into several strings).
// NXDOMAIN and NODATA give (nil, nil); SERVFAIL and other failures an error.
func (r *DNSResolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	if r.Server == "" {
		return nil, errors.New("mtasts: no DNS resolver configured")
	}
	name = dns.Fqdn(strings.ToLower(name))
	msg := new(dns.Msg)
	msg.SetQuestion(name, dns.TypeTXT)
	msg.RecursionDesired = true
	msg.SetEdns0(4096, false)
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	c := &dns.Client{Net: "udp", Timeout: timeout}
	resp, _, err := c.ExchangeContext(ctx, msg, r.Server)
	if err == nil && resp.Truncated {
		c.Net = "tcp"
		resp, _, err = c.ExchangeContext(ctx, msg, r.Server)
	}
	if err != nil {
		return nil, fmt.Errorf("mtasts: TXT lookup %s: %w", name, err)
	}
	switch resp.Rcode {
	case dns.RcodeSuccess:
	case dns.RcodeNameError:
		return nil, nil
	default:
		return nil, fmt.Errorf("mtasts: TXT lookup %s: %s", name, dns.RcodeToString[resp.Rcode])
	}
	var out []string
	for _, rr := range resp.Answer {
		if t, ok := rr.(*dns.TXT); ok {
			out = append(out, strings.Join(t.Txt, ""))
		}
	}
	return out, nil
}
