// Package smtpaddr is the one parser of SMTP envelope addresses for sealgate:
// RFC 5321 §4.1.2 paths and mailboxes, with the RFC 6531 §3.3 extensions
// for internationalised addresses.
//
//	Path            = "<" [ A-d-l ":" ] Mailbox ">"
//	Mailbox         = Local-part "@" ( Domain / address-literal )
//	Local-part      = Dot-string / Quoted-string
//	Dot-string      = Atom *("."  Atom)
//	Quoted-string   = DQUOTE *QcontentSMTP DQUOTE
//	Domain          = sub-domain *("." sub-domain)   ; sub-domain =/ U-label
//	address-literal = "[" ( IPv4 / "IPv6:" IPv6 / tag ":" dcontent ) "]"
//
// It refuses what does not parse instead of guessing: an address that two
// programs read differently (a quoted "@", a second "@") is how a sender
// domain check gets bypassed. String re-serialises a local part that is not
// a dot-string quoted, so the address that leaves is the one that was
// checked.
package smtpaddr

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// Errors, to be tested with errors.Is. Every error from this package wraps
// exactly one of them.
var (
	// ErrControl: a NUL or other control character (C0, DEL, C1).
	ErrControl = errors.New("control character in address")
	// ErrUTF8: bytes that are not valid UTF-8.
	ErrUTF8 = errors.New("malformed UTF-8 in address")
	// ErrSyntax: anything else that is not an RFC 5321 path or mailbox.
	ErrSyntax = errors.New("address syntax")
)

// Address is a parsed mailbox. The zero value is the null reverse-path <>.
type Address struct {
	// Local is the local part with quoting removed: for "a b"@x it is a b.
	Local string
	// Domain is the domain as written (a U-label domain stays UTF-8), or an
	// address literal with its brackets: "[192.0.2.1]", "[IPv6:2001:db8::1]".
	Domain string
}

// IsNull reports whether a is the null reverse-path <>.
func (a Address) IsNull() bool { return a.Local == "" && a.Domain == "" }

// IsLiteral reports whether the domain is an address literal.
func (a Address) IsLiteral() bool { return strings.HasPrefix(a.Domain, "[") }

// String is the mailbox in RFC 5321 form: the local part quoted when it is
// not a dot-string, so a quoted "@" never leaves unquoted. "" for <>.
func (a Address) String() string {
	if a.IsNull() {
		return ""
	}
	return quoteLocal(a.Local) + "@" + a.Domain
}

// NeedsSMTPUTF8 reports whether the address has non-ASCII characters and so
// may only travel with the SMTPUTF8 extension (RFC 6531 §3.4).
func (a Address) NeedsSMTPUTF8() bool { return !isASCII(a.Local) || !isASCII(a.Domain) }

// LocalASCII reports whether the local part is ASCII: then an A-label
// domain (ASCIIDomain) is enough to send the address without SMTPUTF8.
func (a Address) LocalASCII() bool { return isASCII(a.Local) }

// ASCIIDomain is the domain with U-labels converted to A-labels (IDNA 2008,
// UTS #46 lookup profile). Literals and ASCII domains come back unchanged.
func (a Address) ASCIIDomain() (string, error) {
	if a.IsLiteral() {
		return a.Domain, nil
	}
	return DomainToASCII(a.Domain)
}

// DomainToASCII converts a domain's U-labels to A-labels (IDNA 2008, UTS #46
// lookup profile, which also lower-cases); an ASCII domain is unchanged.
func DomainToASCII(d string) (string, error) {
	if isASCII(d) {
		return d, nil
	}
	a, err := idna.Lookup.ToASCII(d)
	if err != nil {
		return "", fmt.Errorf("%w: domain %s", ErrSyntax, err)
	}
	return a, nil
}

// Parse parses a bare mailbox, local@domain, with nothing around it.
func Parse(s string) (Address, error) {
	if err := checkBytes(s); err != nil {
		return Address{}, err
	}
	a, rest, err := parseMailbox(s)
	if err != nil {
		return Address{}, err
	}
	if rest != "" {
		return Address{}, fmt.Errorf("%w: unexpected %q after the domain", ErrSyntax, clip(rest))
	}
	return a, nil
}

// ParsePath parses a Path at the start of s ("<" [A-d-l ":"] mailbox ">"),
// as in RCPT TO, and returns what follows it (the ESMTP parameters). A
// source route (A-d-l) is parsed and reported, never used (RFC 5321 §4.1.2:
// it MUST be accepted syntactically, SHOULD be ignored); callers that do
// not relay along routes refuse it.
func ParsePath(s string) (a Address, routed bool, rest string, err error) {
	// Only the path is this parser's: the parameters after it are returned
	// unchecked, for the caller to judge.
	if end := pathEnd(s); end >= 0 {
		if err := checkBytes(s[:end+1]); err != nil {
			return Address{}, false, "", err
		}
	} else if err := checkBytes(s); err != nil {
		return Address{}, false, "", err
	}
	if !strings.HasPrefix(s, "<") {
		return Address{}, false, "", fmt.Errorf("%w: path must start with <", ErrSyntax)
	}
	s = s[1:]
	if strings.HasPrefix(s, "@") {
		i := strings.IndexByte(s, ':')
		if i < 0 {
			return Address{}, false, "", fmt.Errorf("%w: source route without ':'", ErrSyntax)
		}
		for _, hop := range strings.Split(s[:i], ",") {
			d, ok := strings.CutPrefix(hop, "@")
			if !ok || !validDomain(d) {
				return Address{}, false, "", fmt.Errorf("%w: bad source route", ErrSyntax)
			}
		}
		routed, s = true, s[i+1:]
	}
	a, s, err = parseMailbox(s)
	if err != nil {
		return Address{}, false, "", err
	}
	if !strings.HasPrefix(s, ">") {
		return Address{}, false, "", fmt.Errorf("%w: path must end with > right after the domain", ErrSyntax)
	}
	return a, routed, s[1:], nil
}

// ParseReversePath is ParsePath that also accepts the null path <> (MAIL FROM).
func ParseReversePath(s string) (a Address, routed bool, rest string, err error) {
	if r, ok := strings.CutPrefix(s, "<>"); ok {
		return Address{}, false, r, nil
	}
	return ParsePath(s)
}

// pathEnd is the index of the ">" that closes the path at the start of s
// (one inside a quoted string does not count), or -1.
func pathEnd(s string) int {
	quoted := false
	for i := 0; i < len(s); i++ {
		switch {
		case quoted && s[i] == '\\':
			i++
		case s[i] == '"':
			quoted = !quoted
		case !quoted && s[i] == '>':
			return i
		}
	}
	return -1
}

// checkBytes refuses malformed UTF-8 and control characters anywhere in s,
// before any syntax: they must never be cut, escaped or passed on.
func checkBytes(s string) error {
	if !utf8.ValidString(s) {
		return ErrUTF8
	}
	for _, r := range s {
		if r < 0x20 || (r >= 0x7f && r < 0xa0) {
			return ErrControl
		}
	}
	return nil
}

func parseMailbox(s string) (Address, string, error) {
	var a Address
	var err error
	if strings.HasPrefix(s, `"`) {
		a.Local, s, err = parseQuoted(s)
	} else {
		a.Local, s, err = parseDotString(s)
	}
	if err != nil {
		return Address{}, "", err
	}
	if !strings.HasPrefix(s, "@") {
		return Address{}, "", fmt.Errorf("%w: local part must be followed by @domain", ErrSyntax)
	}
	s = s[1:]
	if strings.HasPrefix(s, "[") {
		i := strings.IndexByte(s, ']')
		if i < 0 || !validLiteral(s[1:i]) {
			return Address{}, "", fmt.Errorf("%w: bad address literal", ErrSyntax)
		}
		a.Domain, s = s[:i+1], s[i+1:]
		return a, s, nil
	}
	i := strings.IndexAny(s, "> \t")
	if i < 0 {
		i = len(s)
	}
	if !validDomain(s[:i]) {
		return Address{}, "", fmt.Errorf("%w: bad domain", ErrSyntax)
	}
	a.Domain, s = s[:i], s[i:]
	return a, s, nil
}

// parseDotString reads Atom *("." Atom); atext as RFC 5322 §3.2.3 plus
// UTF8-non-ascii (RFC 6531).
func parseDotString(s string) (string, string, error) {
	i := 0
	for i < len(s) && (isAtext(s[i]) || s[i] == '.') {
		i++
	}
	l := s[:i]
	if l == "" || strings.HasPrefix(l, ".") || strings.HasSuffix(l, ".") || strings.Contains(l, "..") {
		return "", "", fmt.Errorf("%w: local part is not a dot-string", ErrSyntax)
	}
	return l, s[i:], nil
}

// parseQuoted reads a Quoted-string and returns its content unescaped.
func parseQuoted(s string) (string, string, error) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			return b.String(), s[i+1:], nil
		case c == '\\':
			// quoted-pairSMTP = %d92 %d32-126
			if i+1 >= len(s) || s[i+1] < 32 || s[i+1] > 126 {
				return "", "", fmt.Errorf("%w: bad quoted pair", ErrSyntax)
			}
			i++
			b.WriteByte(s[i])
		case c >= 32 && c <= 126 || c >= 0x80:
			b.WriteByte(c)
		default:
			return "", "", fmt.Errorf("%w: bad character in quoted string", ErrSyntax)
		}
	}
	return "", "", fmt.Errorf("%w: unterminated quoted string", ErrSyntax)
}

func isAtext(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c >= 0x80:
		return true
	}
	return strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

// quoteLocal returns l as a Dot-string when it is one, else as a
// Quoted-string with " and \ escaped (RFC 5321 §4.1.2: prefer the
// unquoted form when it is equivalent).
func quoteLocal(l string) string {
	if _, rest, err := parseDotString(l); err == nil && rest == "" {
		return l
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(l); i++ {
		if l[i] == '"' || l[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(l[i])
	}
	b.WriteByte('"')
	return b.String()
}

// validDomain: sub-domain *("." sub-domain), LDH labels of 1-63 octets, or
// U-labels that IDNA accepts.
func validDomain(d string) bool {
	if d == "" || len(d) > 255 {
		return false
	}
	if !isASCII(d) {
		a, err := idna.Lookup.ToASCII(d)
		if err != nil {
			return false
		}
		d = a
	}
	for _, l := range strings.Split(d, ".") {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// validLiteral checks what is between the brackets of an address literal.
func validLiteral(lit string) bool {
	if v6, ok := strings.CutPrefix(lit, "IPv6:"); ok {
		a, err := netip.ParseAddr(v6)
		return err == nil && a.Is6() && a.Zone() == ""
	}
	if a, err := netip.ParseAddr(lit); err == nil {
		return a.Is4()
	}
	// General-address-literal = Standardized-tag ":" 1*dcontent; nothing
	// routes to one, so it is refused rather than carried along.
	return false
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func clip(s string) string {
	if len(s) > 20 {
		return s[:20] + "..."
	}
	return s
}
