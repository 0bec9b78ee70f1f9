package dnsq

import (
	"context"
	"encoding/hex"
	"fmt"
	"net"
	"strings"

	"github.com/miekg/dns"
)

// MX is one mail exchanger. Host has no trailing dot; "." (RFC 7505 null
// MX) stays ".".
type MX struct {
	Host       string
	Preference uint16
}

// TLSA is one TLSA record (RFC 6698 §2.1) with its data decoded.
type TLSA struct {
	Usage, Selector, MatchingType uint8
	Data                          []byte
}

// MX returns name's MX records in answer order (CNAMEs followed by the
// resolver are skipped).
func (c *Client) MX(ctx context.Context, name string) ([]MX, Result, error) {
	resp, res, err := c.Query(ctx, name, dns.TypeMX)
	if err != nil {
		return nil, res, err
	}
	var out []MX
	for _, rr := range resp.Answer {
		if mx, ok := rr.(*dns.MX); ok {
			host := mx.Mx
			if host != "." {
				host = strings.TrimSuffix(host, ".")
			}
			out = append(out, MX{Host: host, Preference: mx.Preference})
		}
	}
	return out, res, nil
}

// TXT returns name's TXT records, each record's strings joined into one
// (RFC 7208 §3.3, RFC 8461 §3.1).
func (c *Client) TXT(ctx context.Context, name string) ([]string, Result, error) {
	resp, res, err := c.Query(ctx, name, dns.TypeTXT)
	if err != nil {
		return nil, res, err
	}
	var out []string
	for _, rr := range resp.Answer {
		if t, ok := rr.(*dns.TXT); ok {
			out = append(out, strings.Join(t.Txt, ""))
		}
	}
	return out, res, nil
}

// LookupTXT is TXT without the Result, in the shape of mtasts.Resolver.
// Unlike net.Resolver it returns (nil, nil) for NXDOMAIN and NODATA.
func (c *Client) LookupTXT(ctx context.Context, name string) ([]string, error) {
	txts, _, err := c.TXT(ctx, name)
	return txts, err
}

// TLSA returns name's TLSA records (name is the full owner name, e.g.
// "_25._tcp.mx.example."). A record whose data is not hex is left out, as
// an unusable record would be.
func (c *Client) TLSA(ctx context.Context, name string) ([]TLSA, Result, error) {
	resp, res, err := c.Query(ctx, name, dns.TypeTLSA)
	if err != nil {
		return nil, res, err
	}
	var out []TLSA
	for _, rr := range resp.Answer {
		t, ok := rr.(*dns.TLSA)
		if !ok {
			continue
		}
		data, err := hex.DecodeString(t.Certificate)
		if err != nil {
			continue
		}
		out = append(out, TLSA{Usage: t.Usage, Selector: t.Selector, MatchingType: t.MatchingType, Data: data})
	}
	return out, res, nil
}

// Addrs returns host's IPv4 then IPv6 addresses; an IP literal is returned
// as it is. No address at all is an error: the first lookup error if there
// was one, else one saying so.
func (c *Client) Addrs(ctx context.Context, host string) ([]string, error) {
	if ip := net.ParseIP(host); ip != nil {
		return []string{host}, nil
	}
	var ips []string
	var firstErr error
	for _, qt := range []uint16{dns.TypeA, dns.TypeAAAA} {
		resp, _, err := c.Query(ctx, host, qt)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
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
		return nil, fmt.Errorf("dnsq: %s has no address", host)
	}
	return ips, nil
}
