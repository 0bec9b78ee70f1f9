package tlsrpt

import (
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strings"
)

// ErrNoRecord: the domain publishes no (single, valid) TLSRPT record and
// takes no reports.
var ErrNoRecord = errors.New("tlsrpt: no TLSRPT record")

// maxRUA bounds the destinations of one record: a record naming hundreds
// would make us a traffic amplifier.
const maxRUA = 10

// ParseRecords picks the TLSRPT record among a name's TXT records and
// returns its rua URIs (RFC 8460 §3): records that do not start with
// "v=TLSRPTv1" are ignored; none, or more than one, means no reports.
// Each rua is a "mailto:" address or an "https:" URL; others are skipped.
func ParseRecords(txts []string) ([]*url.URL, error) {
	var rec string
	n := 0
	for _, t := range txts {
		if v, _, _ := strings.Cut(t, ";"); strings.TrimSpace(v) == "v=TLSRPTv1" {
			rec = t
			n++
		}
	}
	switch {
	case n == 0:
		return nil, ErrNoRecord
	case n > 1:
		return nil, fmt.Errorf("%w: %d records", ErrNoRecord, n)
	}
	var rua string
	seen := false
	for _, f := range strings.Split(rec, ";")[1:] {
		k, v, _ := strings.Cut(strings.TrimSpace(f), "=")
		if strings.TrimSpace(k) == "rua" && !seen {
			rua, seen = strings.TrimSpace(v), true
		}
	}
	if !seen || rua == "" {
		return nil, fmt.Errorf("%w: no rua", ErrNoRecord)
	}
	var out []*url.URL
	for _, s := range strings.Split(rua, ",") {
		u, err := parseRUA(strings.TrimSpace(s))
		if err != nil {
			continue
		}
		out = append(out, u)
		if len(out) == maxRUA {
			break
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no usable rua", ErrNoRecord)
	}
	return out, nil
}

// parseRUA accepts "mailto:addr" (one address, no header fields) and
// "https://host/..." URIs (RFC 8460 §3, "tlsrpt-uri").
func parseRUA(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, err
	}
	switch strings.ToLower(u.Scheme) {
	case "mailto":
		addr, err := url.PathUnescape(u.Opaque)
		if err != nil || addr == "" {
			return nil, fmt.Errorf("tlsrpt: bad mailto %q", s)
		}
		if _, err := mail.ParseAddress(addr); err != nil || strings.ContainsAny(addr, "<> ,") {
			return nil, fmt.Errorf("tlsrpt: bad mailto %q", s)
		}
		return &url.URL{Scheme: "mailto", Opaque: addr}, nil
	case "https":
		if u.Host == "" {
			return nil, fmt.Errorf("tlsrpt: bad https rua %q", s)
		}
		u.Scheme = "https"
		return u, nil
	}
	return nil, fmt.Errorf("tlsrpt: unsupported rua scheme %q", u.Scheme)
}
