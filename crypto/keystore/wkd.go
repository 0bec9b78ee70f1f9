package keystore

import (
	"context"
	"crypto/sha1"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// maxWKDBytes caps a WKD response: a key or a few, never megabytes.
const maxWKDBytes = 256 << 10

// WKDURLs returns the advanced and direct method URLs for addr
// (draft-koch-openpgp-webkey-service §3.1): the local part is mapped to
// lowercase, hashed with SHA-1 and z-base-32 encoded; the domain is
// lowercased; the original local part is passed as the "l" parameter.
func WKDURLs(addr string) (advanced, direct string, err error) {
	addr = strings.TrimSpace(addr)
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 || at == len(addr)-1 {
		return "", "", fmt.Errorf("keystore: %q is not an email address", addr)
	}
	local, domain := addr[:at], strings.ToLower(addr[at+1:])
	if strings.ContainsAny(domain, "/?#@ \t") {
		return "", "", fmt.Errorf("keystore: %q is not an email address", addr)
	}
	sum := sha1.Sum([]byte(strings.ToLower(local)))
	hash := zbase32(sum[:])
	q := "?l=" + url.QueryEscape(local)
	advanced = "https://openpgpkey." + domain + "/.well-known/openpgpkey/" + domain + "/hu/" + hash + q
	direct = "https://" + domain + "/.well-known/openpgpkey/hu/" + hash + q
	return advanced, direct, nil
}

// zbase32 encodes b with the z-base-32 alphabet (RFC 6189 §5.1.6), 5 bits
// per character, most significant first.
func zbase32(b []byte) string {
	const alphabet = "ybndrfg8ejkmcpqxot1uwisza345h769"
	var sb strings.Builder
	var acc uint32
	bits := 0
	for _, c := range b {
		acc = acc<<8 | uint32(c)
		bits += 8
		for bits >= 5 {
			sb.WriteByte(alphabet[(acc>>(bits-5))&31])
			bits -= 5
		}
	}
	if bits > 0 {
		sb.WriteByte(alphabet[(acc<<(5-bits))&31])
	}
	return sb.String()
}

// wkdRecord is a cached WKD answer; no entries means "no key".
type wkdRecord struct {
	Expires time.Time `json:"expires"`
	Entries []Entry   `json:"entries,omitempty"`
}

type domainBackoff struct {
	until time.Time
	fails int
}

// wkdClient returns c, or a default client, that refuses redirects to
// anything but HTTPS.
func wkdClient(c *http.Client) *http.Client {
	var cc http.Client
	if c != nil {
		cc = *c
	} else {
		cc.Transport = &http.Transport{
			Proxy:               http.ProxyFromEnvironment,
			TLSClientConfig:     &tls.Config{MinVersion: tls.VersionTLS12},
			TLSHandshakeTimeout: 10 * time.Second,
			MaxIdleConnsPerHost: 2,
			IdleConnTimeout:     90 * time.Second,
		}
	}
	cc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Scheme != "https" {
			return errors.New("keystore: WKD redirect to non-HTTPS URL")
		}
		if len(via) >= 5 {
			return errors.New("keystore: WKD: too many redirects")
		}
		return nil
	}
	return &cc
}

// wkdLookup answers from the cache, or asks the domain's WKD unless the
// domain is backing off after failures.
func (s *Store) wkdLookup(ctx context.Context, addr string) ([]Entry, error) {
	now := s.now()
	var rec wkdRecord
	var cached bool
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketWKD).Get([]byte(addr))
		if v == nil {
			return nil
		}
		if err := json.Unmarshal(v, &rec); err != nil {
			return nil // a broken cache row is a miss
		}
		cached = now.Before(rec.Expires)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("keystore: wkd cache: %w", err)
	}
	if cached {
		return rec.Entries, nil
	}
	domain := addr[strings.LastIndexByte(addr, '@')+1:]
	s.mu.Lock()
	b, backingOff := s.backoff[domain]
	s.mu.Unlock()
	if backingOff && now.Before(b.until) {
		return nil, fmt.Errorf("%w: wkd: %s backing off until %s", ErrUnavailable, domain, b.until.UTC().Format(time.RFC3339))
	}

	entries, err := s.wkdFetch(ctx, addr)
	if err != nil {
		s.mu.Lock()
		b := s.backoff[domain]
		b.fails++
		d := s.wkd.Backoff << min(b.fails-1, 6)
		b.until = s.now().Add(d)
		s.backoff[domain] = b
		s.mu.Unlock()
		s.log.Warn("keystore wkd lookup failed", "domain", domain, "fails", b.fails, "backoff", d.String(), "err", err)
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	s.mu.Lock()
	delete(s.backoff, domain)
	s.mu.Unlock()

	ttl := s.wkd.PositiveTTL
	if len(entries) == 0 {
		ttl = s.wkd.NegativeTTL
	}
	rec = wkdRecord{Expires: s.now().Add(ttl), Entries: entries}
	v, err := json.Marshal(rec)
	if err == nil {
		err = s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketWKD).Put([]byte(addr), v) })
	}
	if err != nil {
		// The answer is still good for this lookup.
		s.log.Warn("keystore wkd cache write failed", "domain", domain, "err", err)
	}
	s.log.Info("keystore wkd lookup", "domain", domain, "keys", len(entries))
	return entries, nil
}

// errNoAnswer marks a failure to reach a WKD host at all, as opposed to an
// HTTP answer; only then is the direct method tried after the advanced one.
type errNoAnswer struct{ err error }

func (e errNoAnswer) Error() string { return e.err.Error() }
func (e errNoAnswer) Unwrap() error { return e.err }

// wkdFetch asks the advanced method, and the direct one if the advanced
// host gave no HTTP answer (draft §3.1: the direct method is for domains
// without the openpgpkey subdomain; in practice that shows as a DNS
// failure or a host that does not serve TLS for it). An HTTP answer from
// the advanced host is authoritative, 404 included. No key (404, 410, or
// a response without a key for addr) is (nil, nil); errors are transient
// failures.
func (s *Store) wkdFetch(ctx context.Context, addr string) ([]Entry, error) {
	ctx, cancel := context.WithTimeout(ctx, s.wkd.Timeout)
	defer cancel()
	advanced, direct, err := WKDURLs(addr)
	if err != nil {
		return nil, err
	}
	entries, err := s.wkdGet(ctx, advanced, addr, "wkd:advanced")
	var na errNoAnswer
	if errors.As(err, &na) && ctx.Err() == nil {
		entries, err = s.wkdGet(ctx, direct, addr, "wkd:direct")
	}
	return entries, err
}

func (s *Store) wkdGet(ctx context.Context, u, addr, source string) ([]Entry, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("keystore: wkd: %w", err)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, errNoAnswer{fmt.Errorf("keystore: wkd %s: %w", source, err)}
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusOK:
	case resp.StatusCode == http.StatusNotFound, resp.StatusCode == http.StatusGone,
		resp.StatusCode == http.StatusForbidden, resp.StatusCode == http.StatusBadRequest:
		return nil, nil
	default:
		return nil, fmt.Errorf("keystore: wkd %s: HTTP %d", source, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxWKDBytes+1))
	if err != nil {
		return nil, fmt.Errorf("keystore: wkd %s: %w", source, err)
	}
	if len(body) > maxWKDBytes {
		s.log.Warn("keystore wkd response too large", "source", source, "limit", maxWKDBytes)
		return nil, nil
	}
	return s.wkdKeys(body, addr, source), nil
}

// wkdKeys parses a WKD response (binary keys; armored tolerated) and keeps
// keys with a user ID for addr (draft §3.1: others must be ignored).
func (s *Store) wkdKeys(body []byte, addr, source string) []Entry {
	p := &importer{now: s.now(), base: source, source: source, seen: map[string]int{}}
	p.parse(body)
	var out []Entry
	for _, e := range p.entries {
		if e.Kind == PGP && containsAddr(e.Addresses, addr) {
			out = append(out, e)
		}
	}
	if dropped := len(p.entries) - len(out); dropped > 0 || len(p.refused) > 0 {
		s.log.Info("keystore wkd keys dropped", "source", source, "other_address", dropped, "refused", len(p.refused))
	}
	sortEntries(out)
	return out
}

func containsAddr(addrs []string, a string) bool {
	for _, x := range addrs {
		if x == a {
			return true
		}
	}
	return false
}
