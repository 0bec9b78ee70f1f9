package relay

import (
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// ResolverAddr is server, or the first nameserver of /etc/resolv.conf
// when server is "" (host:port either way): where the gateway points the
// DANE resolver.
func ResolverAddr(server string) (string, error) {
	r := &Relay{opts: Options{Resolver: server}}
	return r.resolverAddr()
}

// TXTResolver looks up TXT records with miekg/dns at Server ("" =
// /etc/resolv.conf): the MTA-STS client's resolver (mtasts.Resolver).
// A name without records is a *net.DNSError with IsNotFound; SERVFAIL
// and timeouts are other errors, which MTA-STS treats as temporary.
type TXTResolver struct {
	Server  string
	Timeout time.Duration // default 10s
}

// LookupTXT returns name's TXT strings, each record's strings joined.
func (t *TXTResolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	server, err := ResolverAddr(t.Server)
	if err != nil {
		return nil, err
	}
	q := new(dns.Msg)
	q.SetQuestion(dns.Fqdn(name), dns.TypeTXT)
	q.RecursionDesired = true
	c := &dns.Client{Timeout: t.Timeout}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	resp, _, err := c.ExchangeContext(ctx, q, server)
	if err == nil && resp.Truncated {
		c.Net = "tcp"
		resp, _, err = c.ExchangeContext(ctx, q, server)
	}
	if err != nil {
		return nil, fmt.Errorf("relay: dns TXT %s: %w", name, err)
	}
	switch resp.Rcode {
	case dns.RcodeSuccess:
	case dns.RcodeNameError:
		return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
	default:
		return nil, fmt.Errorf("relay: dns TXT %s: %s", name, dns.RcodeToString[resp.Rcode])
	}
	var out []string
	for _, rr := range resp.Answer {
		if txt, ok := rr.(*dns.TXT); ok {
			out = append(out, strings.Join(txt.Txt, ""))
		}
	}
	if len(out) == 0 {
		return nil, &net.DNSError{Err: "no TXT record", Name: name, IsNotFound: true}
	}
	return out, nil
}
