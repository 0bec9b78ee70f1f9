package mtasts

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Mode is the policy mode of RFC 8461 §3.2.
type Mode string

// Policy modes (RFC 8461 §5).
const (
	ModeEnforce Mode = "enforce"
	ModeTesting Mode = "testing"
	ModeNone    Mode = "none"
)

// MaxPolicySize is the largest policy body accepted (RFC 8461 §3.3: 64 KiB).
const MaxPolicySize = 64 * 1024

// MaxMaxAge is the largest max_age allowed (RFC 8461 §3.2: 31557600 s, about a year).
const MaxMaxAge = 31557600 * time.Second

// Policy is a parsed MTA-STS policy (RFC 8461 §3.2).
type Policy struct {
	Version string        // always "STSv1"
	Mode    Mode          // enforce, testing or none
	MX      []string      // lower-case patterns; "*.example.net" allowed
	MaxAge  time.Duration // how long the policy may be cached
	ID      string        // the id of the TXT record it was fetched under (set by Lookup)
	Fetched time.Time     // when it was fetched (set by Lookup)
}

// Expired reports whether the policy's max_age has passed at now
// (RFC 8461 §5.1: only unexpired cached policies are applied).
func (p *Policy) Expired(now time.Time) bool {
	return !now.Before(p.Fetched.Add(p.MaxAge))
}

// ErrPolicySyntax is wrapped by every ParsePolicy error.
var ErrPolicySyntax = errors.New("mtasts: policy syntax error")

func syntaxErrorf(line int, format string, args ...any) error {
	return fmt.Errorf("%w: line %d: %s", ErrPolicySyntax, line, fmt.Sprintf(format, args...))
}

// ParsePolicy parses a policy body (RFC 8461 §3.2):
//
//	sts-policy-record = sts-policy-field *WSP *(sts-policy-term sts-policy-field *WSP) [sts-policy-term]
//	sts-policy-term   = LF / CRLF
//	sts-policy-field  = name ":" *WSP value
//
// Field names and the version, mode and max_age values are case-sensitive
// (%s in the ABNF). "version: STSv1", "mode" and "max_age" (at most 31557600)
// are required; at least one "mx" unless the mode is "none". For a field given
// twice the first occurrence counts, except "mx", which may repeat (§3.2).
// Unknown fields are ignored. Line terminators are LF or CRLF; a bare CR is
// refused.
func ParsePolicy(body []byte) (*Policy, error) {
	if len(body) > MaxPolicySize {
		return nil, fmt.Errorf("%w: policy larger than %d bytes", ErrPolicySyntax, MaxPolicySize)
	}
	s := string(body)
	// One optional final terminator (ABNF: [sts-policy-term]).
	if strings.HasSuffix(s, "\r\n") {
		s = s[:len(s)-2]
	} else if strings.HasSuffix(s, "\n") {
		s = s[:len(s)-1]
	}
	p := &Policy{}
	seen := map[string]bool{}
	for i, line := range strings.Split(s, "\n") {
		n := i + 1
		line = strings.TrimSuffix(line, "\r")
		if strings.ContainsRune(line, '\r') {
			return nil, syntaxErrorf(n, "bare CR")
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			return nil, syntaxErrorf(n, "missing colon")
		}
		if !validFieldName(name) {
			return nil, syntaxErrorf(n, "invalid field name %q", name)
		}
		value = strings.Trim(value, " \t")
		if value == "" {
			return nil, syntaxErrorf(n, "empty value for %q", name)
		}
		dup := seen[name]
		seen[name] = true
		switch name {
		case "version":
			if value != "STSv1" {
				return nil, syntaxErrorf(n, "unsupported version %q", value)
			}
			p.Version = value
		case "mode":
			m := Mode(value)
			if m != ModeEnforce && m != ModeTesting && m != ModeNone {
				return nil, syntaxErrorf(n, "unknown mode %q", value)
			}
			if !dup {
				p.Mode = m
			}
		case "max_age":
			// sts-policy-max-age-value = 1*10(DIGIT)
			if len(value) > 10 || strings.Trim(value, "0123456789") != "" {
				return nil, syntaxErrorf(n, "invalid max_age %q", value)
			}
			secs, err := strconv.ParseInt(value, 10, 64)
			if err != nil || secs > int64(MaxMaxAge/time.Second) {
				return nil, syntaxErrorf(n, "max_age %q out of range (0..31557600)", value)
			}
			if !dup {
				p.MaxAge = time.Duration(secs) * time.Second
			}
		case "mx":
			pat := strings.ToLower(value)
			if !validMXPattern(pat) {
				return nil, syntaxErrorf(n, "invalid mx pattern %q", value)
			}
			p.MX = append(p.MX, pat)
		default:
			// sts-policy-extension: ignored, but its value must be printable.
			for _, c := range value {
				if c < ' ' && c != '\t' || c == 0x7f {
					return nil, syntaxErrorf(n, "control character in %q", name)
				}
			}
		}
	}
	for _, req := range []string{"version", "mode", "max_age"} {
		if !seen[req] {
			return nil, fmt.Errorf("%w: missing field %q", ErrPolicySyntax, req)
		}
	}
	if len(p.MX) == 0 && p.Mode != ModeNone {
		return nil, fmt.Errorf("%w: mode %s requires at least one mx", ErrPolicySyntax, p.Mode)
	}
	return p, nil
}

// validFieldName: sts-policy-ext-name = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
func validFieldName(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case i > 0 && (c == '_' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return true
}

// validMXPattern: sts-policy-mx-value = ["*."] Domain, with Domain as in
// RFC 5321 §4.1.2 in A-labels (RFC 8461 §3.2: no U-labels).
func validMXPattern(s string) bool {
	s = strings.TrimPrefix(s, "*.")
	if s == "" || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// MatchMX reports whether host, an MX host name, is allowed by the policy
// (RFC 8461 §4.1). Comparison is case-insensitive and ignores a trailing dot.
// A pattern "*.example.com" matches exactly one extra leftmost label:
// mx1.example.com, but neither a.b.example.com nor example.com.
func (p *Policy) MatchMX(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if host == "" {
		return false
	}
	for _, pat := range p.MX {
		pat = strings.ToLower(strings.TrimSuffix(pat, "."))
		if suffix, ok := strings.CutPrefix(pat, "*"); ok && strings.HasPrefix(suffix, ".") {
			first, rest, found := strings.Cut(host, ".")
			if found && first != "" && "."+rest == suffix {
				return true
			}
			continue
		}
		if host == pat {
			return true
		}
	}
	return false
}

// parseRecord parses the TXT record at _mta-sts.DOMAIN (RFC 8461 §3.1):
//
//	sts-text-record = sts-version 1*(sts-field-delim sts-field) [sts-field-delim]
//	sts-version     = %s"v=STSv1"
//	sts-id          = %s"id=" 1*32(ALPHA / DIGIT)
//	sts-field-delim = *WSP ";" *WSP
//
// It returns the id. Extension fields are ignored; for a duplicate id the
// first one counts.
func parseRecord(txt string) (string, error) {
	fields := strings.Split(txt, ";")
	if strings.Trim(fields[0], " \t") != "v=STSv1" || !strings.HasPrefix(txt, "v=STSv1") {
		return "", errors.New("mtasts: record does not start with v=STSv1")
	}
	id := ""
	for i, f := range fields[1:] {
		f = strings.Trim(f, " \t")
		if f == "" {
			if i == len(fields)-2 {
				break // optional trailing delimiter
			}
			return "", errors.New("mtasts: empty field in record")
		}
		k, v, ok := strings.Cut(f, "=")
		if !ok || !validFieldName(k) || v == "" {
			return "", fmt.Errorf("mtasts: malformed field %q in record", f)
		}
		if k == "id" && id == "" {
			if len(v) > 32 || !isAlnum(v) {
				return "", fmt.Errorf("mtasts: invalid id %q", v)
			}
			id = v
		}
	}
	if id == "" {
		return "", errors.New("mtasts: record without id")
	}
	return id, nil
}

func isAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
