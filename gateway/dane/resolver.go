package dane

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// Resolver looks up the TLSA records of host:port. secure reports that the
// answer (or the denial of existence) was DNSSEC-validated by a resolver we
// trust. No records with a nil error means NXDOMAIN or NODATA.
type Resolver interface {
	LookupTLSA(ctx context.Context, host string, port int) (records []TLSA, secure bool, err error)
}

// DNSResolver asks one DNSSEC-validating recursive resolver.
type DNSResolver struct {
	Server string // host:port of the validating resolver, e.g. "127.0.0.1:53"
	// Trusted believes the AD bit from a non-loopback Server: set it only when
	// the path to the resolver is secure (RFC 7672 §2.1). A loopback Server
	// is trusted automatically.
	Trusted bool          // only IP literals count as loopback; "localhost" could resolve anywhere
	Timeout time.Duration // per query; default 5s
}

// DefaultDNSTimeout is DNSResolver's query timeout when Timeout is zero.
const DefaultDNSTimeout = 5 * time.Second

// LookupTLSA queries _PORT._tcp.HOST. TLSA with RD and the DO bit (EDNS0) set,
// over UDP with a retry over TCP when truncated. secure is the AD bit when
// the server is trusted (loopback or Trusted), else false. NXDOMAIN and
// NODATA give (nil, secure, nil); SERVFAIL and every other failure give an
// error, on which the relay must defer (RFC 7672 §2.2).
func (r *DNSResolver) LookupTLSA(ctx context.Context, host string, port int) ([]TLSA, bool, error) {
	if r.Server == "" {
		return nil, false, errors.New("dane: no DNS resolver configured")
	}
	if host == "" || port <= 0 || port > 65535 {
		return nil, false, fmt.Errorf("dane: invalid TLSA query for %q port %d", host, port)
	}
	name := "_" + strconv.Itoa(port) + "._tcp." + dns.Fqdn(strings.ToLower(host))
	if _, ok := dns.IsDomainName(name); !ok {
		return nil, false, fmt.Errorf("dane: invalid host name %q", host)
	}
	msg := new(dns.Msg)
	msg.SetQuestion(name, dns.TypeTLSA)
	msg.RecursionDesired = true
	// RFC 6840 §5.7: setting AD in the query asks for AD in the answer.
	msg.AuthenticatedData = true
	msg.SetEdns0(4096, true) // DO bit

	timeout := r.Timeout
	if timeout <= 0 {
		timeout = DefaultDNSTimeout
	}
	c := &dns.Client{Net: "udp", Timeout: timeout}
	resp, _, err := c.ExchangeContext(ctx, msg, r.Server)
	if err == nil && resp.Truncated {
		c.Net = "tcp"
		resp, _, err = c.ExchangeContext(ctx, msg, r.Server)
	}
	if err != nil {
		return nil, false, fmt.Errorf("dane: TLSA lookup %s: %w", name, err)
	}
	if resp.Id != msg.Id {
		return nil, false, fmt.Errorf("dane: TLSA lookup %s: reply id mismatch", name)
	}
	secure := resp.AuthenticatedData && r.trusted()
	switch resp.Rcode {
	case dns.RcodeSuccess:
	case dns.RcodeNameError:
		return nil, secure, nil
	default:
		return nil, false, fmt.Errorf("dane: TLSA lookup %s: %s", name, dns.RcodeToString[resp.Rcode])
	}
	var records []TLSA
	for _, rr := range resp.Answer {
		t, ok := rr.(*dns.TLSA)
		if !ok {
			continue // CNAMEs followed by the resolver
		}
		data, err := hex.DecodeString(t.Certificate)
		if err != nil {
			continue // unusable record, as an unknown matching type would be
		}
		records = append(records, TLSA{Usage: t.Usage, Selector: t.Selector, MatchingType: t.MatchingType, Data: data})
	}
	return records, secure, nil
}

func (r *DNSResolver) trusted() bool {
	if r.Trusted {
		return true
	}
	host, _, err := net.SplitHostPort(r.Server)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
