package dane

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"
	"github.com/sealgate/sealgate/internal/dnsq"
)

// Resolver looks up the TLSA records of host:port. secure reports that the
// answer (or the denial of existence) was DNSSEC-validated by a resolver we
// trust. No records with a nil error means NXDOMAIN or NODATA.
type Resolver interface {
	LookupTLSA(ctx context.Context, host string, port int) (records []TLSA, secure bool, err error)
}

// DNSResolver looks up TLSA records with the gateway's DNS client, which
// asks the validating resolver(s) and applies the AD trust rule
// (dnsq.Trusted: loopback, or Client.Trusted).
type DNSResolver struct {
	DNS *dnsq.Client // nil: every lookup fails
}

// DefaultDNSTimeout is the query timeout the gateway gives the DANE
// resolver's client.
const DefaultDNSTimeout = 5 * time.Second

// LookupTLSA queries _PORT._tcp.HOST. TLSA (dnsq asks with RD, AD and DO,
// over UDP, over TCP when truncated). secure is the AD bit when the server
// is trusted, else false. NXDOMAIN and NODATA give (nil, secure, nil);
// SERVFAIL and every other failure give an error, on which the relay must
// defer (RFC 7672 §2.2).
func (r *DNSResolver) LookupTLSA(ctx context.Context, host string, port int) ([]TLSA, bool, error) {
	if r.DNS == nil {
		return nil, false, errors.New("dane: no DNS resolver configured")
	}
	if host == "" || port <= 0 || port > 65535 {
		return nil, false, fmt.Errorf("dane: invalid TLSA query for %q port %d", host, port)
	}
	name := "_" + strconv.Itoa(port) + "._tcp." + dns.Fqdn(strings.ToLower(host))
	if _, ok := dns.IsDomainName(name); !ok {
		return nil, false, fmt.Errorf("dane: invalid host name %q", host)
	}
	recs, res, err := r.DNS.TLSA(ctx, name)
	if err != nil {
		return nil, false, fmt.Errorf("dane: TLSA lookup %s: %w", name, err)
	}
	var records []TLSA
	for _, t := range recs {
		records = append(records, TLSA{Usage: t.Usage, Selector: t.Selector, MatchingType: t.MatchingType, Data: t.Data})
	}
	return records, res.Secure, nil
}
