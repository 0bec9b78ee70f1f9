package dnsq

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/miekg/dns"
)

// DefaultTimeout is the time one exchange with one server may take when
// Client.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// ResolvConf is where the nameservers come from when Client.Server is "".
const ResolvConf = "/etc/resolv.conf"

// Client asks recursive resolvers. The zero value asks the nameservers of
// /etc/resolv.conf with DefaultTimeout. A Client is a value without state:
// safe for concurrent use, cheap to build per call.
type Client struct {
	// Server is the one resolver to ask (host:port); "" = every nameserver
	// of ResolvConfPath, in order, read at each query.
	Server string
	// Trusted believes the AD bit from a resolver that is not on loopback:
	// set it only when that resolver validates DNSSEC and the path to it is
	// secure (RFC 7672 §2.1).
	Trusted bool
	// Timeout bounds one exchange with one server; default DefaultTimeout.
	Timeout time.Duration
	// ResolvConfPath overrides ResolvConf (tests).
	ResolvConfPath string

	port string // overrides resolv.conf's port 53 (tests in this package)
}

// Result says what kind of answer a lookup got.
type Result struct {
	// NXDomain: the name does not exist. No records and !NXDomain: NODATA.
	NXDomain bool
	// Secure: the answer (or the denial) was DNSSEC-validated by a resolver
	// we believe (see Trusted).
	Secure bool
	// Server is the host:port that answered.
	Server string
}

// RcodeError is an answer with an rcode other than NOERROR and NXDOMAIN
// (SERVFAIL, REFUSED, …): the name's records could not be had.
type RcodeError struct {
	Name   string
	Qtype  uint16
	Rcode  int
	Server string
}

func (e *RcodeError) Error() string {
	return fmt.Sprintf("dnsq: %s %s: %s from %s", dns.TypeToString[e.Qtype], e.Name, dns.RcodeToString[e.Rcode], e.Server)
}

// RcodeString is the rcode's name, e.g. "SERVFAIL".
func (e *RcodeError) RcodeString() string { return dns.RcodeToString[e.Rcode] }

// Trusted reports whether the AD bit of an answer from server (host:port)
// may be believed: the server is a loopback IP literal, or trusted is set
// (the admin vouches for it). This is the gateway's only copy of the rule.
func Trusted(server string, trusted bool) bool {
	if trusted {
		return true
	}
	host, _, err := net.SplitHostPort(server)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Servers is the list of resolvers c asks, in order: Server, or every
// nameserver of the resolv.conf file.
func (c *Client) Servers() ([]string, error) {
	if c.Server != "" {
		return []string{c.Server}, nil
	}
	path := c.ResolvConfPath
	if path == "" {
		path = ResolvConf
	}
	cfg, err := dns.ClientConfigFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("dnsq: resolv.conf: %w", err)
	}
	if len(cfg.Servers) == 0 {
		return nil, fmt.Errorf("dnsq: resolv.conf: no nameserver")
	}
	port := cfg.Port
	if c.port != "" {
		port = c.port
	}
	out := make([]string, len(cfg.Servers))
	for i, s := range cfg.Servers {
		out[i] = net.JoinHostPort(s, port)
	}
	return out, nil
}

// Query asks one question and returns the answer message with its Result.
// For NXDOMAIN the message is returned too (its Answer is empty). Any rcode
// other than NOERROR and NXDOMAIN is an *RcodeError.
func (c *Client) Query(ctx context.Context, name string, qtype uint16) (*dns.Msg, Result, error) {
	servers, err := c.Servers()
	if err != nil {
		return nil, Result{}, err
	}
	q := new(dns.Msg)
	q.SetQuestion(dns.Fqdn(name), qtype)
	q.RecursionDesired = true
	q.AuthenticatedData = true
	q.SetEdns0(4096, true) // DO: the AD bit says whether the resolver validated
	var errs []error
	for _, server := range servers {
		resp, err := c.exchange(ctx, q, server)
		if err != nil {
			errs = append(errs, err)
			if ctx.Err() != nil {
				break
			}
			continue // no answer: the next server may have one
		}
		return classify(resp, q.Question[0], server, c.Trusted)
	}
	return nil, Result{}, fmt.Errorf("dnsq: %s %s: %w", dns.TypeToString[qtype], name, errors.Join(errs...))
}

// exchange asks server over UDP, and over TCP again if the answer was
// truncated.
func (c *Client) exchange(ctx context.Context, q *dns.Msg, server string) (*dns.Msg, error) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	dc := &dns.Client{Net: "udp", Timeout: timeout}
	resp, _, err := dc.ExchangeContext(ctx, q, server)
	if err == nil && resp.Truncated {
		dc.Net = "tcp"
		resp, _, err = dc.ExchangeContext(ctx, q, server)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", server, err)
	}
	if resp.Id != q.Id {
		return nil, fmt.Errorf("%s: reply id mismatch", server)
	}
	return resp, nil
}

// classify applies the package's one reading of an answer (doc.go).
func classify(resp *dns.Msg, q dns.Question, server string, trusted bool) (*dns.Msg, Result, error) {
	res := Result{Server: server}
	switch resp.Rcode {
	case dns.RcodeSuccess:
	case dns.RcodeNameError:
		res.NXDomain = true
	default:
		return nil, res, &RcodeError{Name: q.Name, Qtype: q.Qtype, Rcode: resp.Rcode, Server: server}
	}
	res.Secure = resp.AuthenticatedData && Trusted(server, trusted)
	return resp, res, nil
}
