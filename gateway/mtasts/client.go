package mtasts

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Resolver looks up TXT records. LookupTXT returns each record's strings
// joined into one string per record. It must return (nil, nil), or a
// *net.DNSError with IsNotFound set, when the name does not exist or has no
// TXT records (NXDOMAIN, NODATA); any other error is taken as a temporary
// lookup failure (SERVFAIL, timeout).
type Resolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
}

// Cache holds policies per domain (lower case, no trailing dot). A persistent
// implementation keeps policies across restarts (RFC 8461 §10.2).
// Implementations must be safe for concurrent use.
type Cache interface {
	Get(domain string) (*Policy, bool)
	Put(domain string, p *Policy)
}

// Options configure a Client.
type Options struct {
	Resolver Resolver
	// Client fetches policies over HTTPS. Tests inject roots and a dialer.
	// Lookup uses a copy whose CheckRedirect refuses every redirect (§3.3).
	// nil: a client with the system roots, no proxy, TLS 1.2 or later.
	Client *http.Client
	// Timeout bounds one policy fetch (RFC 8461 §3.3 suggests 60s); default 30s.
	Timeout time.Duration
	// Store is the policy cache; nil keeps policies in memory only.
	Store Cache
	// Now returns the current time; default time.Now.
	Now func() time.Time
}

// DefaultTimeout is the policy fetch timeout when Options.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// ErrFetch is wrapped by the error Lookup returns when a policy is announced
// in DNS but cannot be fetched or parsed and nothing usable is cached. RFC 8461
// §5.1: the sender then delivers as though the domain had no policy; the error
// is for logs and TLSRPT counts. It also wraps the cause: errors.Is(err,
// ErrPolicySyntax) means "sts-policy-invalid"; an x509 or
// *tls.CertificateVerificationError found with errors.As means
// "sts-webpki-invalid"; anything else is "sts-policy-fetch-error" (RFC 8460 §4.3).
var ErrFetch = errors.New("mtasts: fetching the policy failed")

// ErrTemporary is wrapped by the error Lookup returns when the TXT lookup
// failed (not "not found") and nothing usable is cached: the relay must defer.
var ErrTemporary = errors.New("mtasts: temporary DNS failure")

// IsTemporary reports whether err from Lookup means "try again later"
// (delivery must be deferred) rather than "no policy applies".
func IsTemporary(err error) bool {
	return errors.Is(err, ErrTemporary)
}

// Client discovers, fetches and caches MTA-STS policies. It is safe for
// concurrent use.
type Client struct {
	resolver Resolver
	http     *http.Client
	timeout  time.Duration
	cache    Cache
	now      func() time.Time
}

// New returns a Client. opts.Resolver is required.
func New(opts Options) *Client {
	c := &Client{
		resolver: opts.Resolver,
		timeout:  opts.Timeout,
		cache:    opts.Store,
		now:      opts.Now,
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.cache == nil {
		c.cache = NewMemoryCache()
	}
	if c.now == nil {
		c.now = time.Now
	}
	var hc http.Client
	if opts.Client != nil {
		hc = *opts.Client
	} else {
		hc.Transport = &http.Transport{
			Proxy:               nil, // a policy comes from mta-sts.DOMAIN itself, not a proxy's idea of it
			TLSClientConfig:     &tls.Config{MinVersion: tls.VersionTLS12},
			TLSHandshakeTimeout: 10 * time.Second,
			MaxIdleConns:        10,
			IdleConnTimeout:     30 * time.Second,
		}
	}
	// RFC 8461 §3.3: "HTTP 3xx redirects MUST NOT be followed".
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	hc.Jar = nil
	c.http = &hc
	return c
}

// Lookup returns the MTA-STS policy that applies to domain, following the
// algorithm in the package comment:
//
//	(policy, nil)  a policy applies (fresh, or cached and unexpired)
//	(nil, nil)     the domain has no MTA-STS policy
//	(nil, err)     IsTemporary(err): DNS failed and nothing is cached; defer.
//	               errors.Is(err, ErrFetch): announced but not fetchable and
//	               nothing cached; RFC 8461 §5.1 says deliver as without policy.
func (c *Client) Lookup(ctx context.Context, domain string) (*Policy, error) {
	domain = strings.ToLower(strings.TrimSuffix(domain, "."))
	if domain == "" {
		return nil, errors.New("mtasts: empty domain")
	}
	now := c.now()
	cached, haveCache := c.cache.Get(domain)
	if haveCache && (cached == nil || cached.Expired(now)) {
		cached, haveCache = nil, false
	}

	id, found, err := c.lookupRecord(ctx, domain)
	if err != nil {
		if haveCache {
			return cached, nil
		}
		return nil, fmt.Errorf("%w: _mta-sts.%s: %w", ErrTemporary, domain, err)
	}
	if !found {
		// RFC 8461 §5.1: a valid cached policy still applies.
		if haveCache {
			return cached, nil
		}
		return nil, nil
	}
	// RFC 8461 §3.1: an unchanged id means the cached policy is current.
	if haveCache && cached.ID == id {
		return cached, nil
	}

	p, err := c.fetch(ctx, domain)
	if err != nil {
		if haveCache {
			return cached, nil
		}
		return nil, fmt.Errorf("%w: %s: %w", ErrFetch, domain, err)
	}
	p.ID = id
	p.Fetched = now
	c.cache.Put(domain, p)
	return p, nil
}

// lookupRecord returns the id of the one valid STSv1 TXT record
// (RFC 8461 §3.1). found is false when there is none, more than one, or the
// one is malformed; err is set only for a lookup failure.
func (c *Client) lookupRecord(ctx context.Context, domain string) (id string, found bool, err error) {
	txts, err := c.resolver.LookupTXT(ctx, "_mta-sts."+domain+".")
	if err != nil {
		var de *net.DNSError
		if errors.As(err, &de) && de.IsNotFound {
			return "", false, nil
		}
		return "", false, err
	}
	var records []string
	for _, t := range txts {
		// Records not starting with "v=STSv1" are discarded (§3.1).
		if strings.HasPrefix(t, "v=STSv1") {
			records = append(records, t)
		}
	}
	if len(records) != 1 {
		return "", false, nil
	}
	id, err = parseRecord(records[0])
	if err != nil {
		return "", false, nil
	}
	return id, true, nil
}

// fetch gets and parses https://mta-sts.DOMAIN/.well-known/mta-sts.txt
// (RFC 8461 §3.3).
func (c *Client) fetch(ctx context.Context, domain string) (*Policy, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	url := "https://mta-sts." + domain + "/.well-known/mta-sts.txt"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	// §3.3: only 200; 3xx redirects are not followed.
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("http status %d", resp.StatusCode)
	}
	// §3.3: media type "text/plain"; parameters such as charset are allowed.
	mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || mt != "text/plain" {
		return nil, fmt.Errorf("content type %q is not text/plain", resp.Header.Get("Content-Type"))
	}
	// §3.3: policies larger than 64 KiB are refused, not truncated.
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxPolicySize+1))
	if err != nil {
		return nil, fmt.Errorf("reading policy: %w", err)
	}
	if len(body) > MaxPolicySize {
		return nil, fmt.Errorf("policy body larger than %d bytes", MaxPolicySize)
	}
	return ParsePolicy(body)
}

type memoryCache struct {
	mu sync.Mutex
	m  map[string]Policy
}

// NewMemoryCache returns a Cache kept in memory. It stores copies, so a
// caller that changes a returned policy does not change the cache.
func NewMemoryCache() Cache {
	return &memoryCache{m: map[string]Policy{}}
}

func (c *memoryCache) Get(domain string) (*Policy, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.m[domain]
	if !ok {
		return nil, false
	}
	p.MX = append([]string(nil), p.MX...)
	return &p, true
}

func (c *memoryCache) Put(domain string, p *Policy) {
	cp := *p
	cp.MX = append([]string(nil), p.MX...)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[domain] = cp
}
