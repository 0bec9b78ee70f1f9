package tlslevel

import (
	"fmt"
	"slices"
	"strings"
)

// Level is a TLS requirement for one outbound connection, or an admin map
// entry that resolves to one. The zero value "" means "no requirement of
// its own" (a Copy without a floor, a domain without a map entry).
type Level string

// The ordered levels, weakest first.
const (
	None    Level = "none"    // never start TLS
	May     Level = "may"     // STARTTLS when offered; plaintext after a failed handshake
	Encrypt Level = "encrypt" // TLS required, any certificate
	Verify  Level = "verify"  // TLS required, certificate verified (PKIX or DANE)
)

// Implicit is the smarthost's TLS from the first byte, verified; it ranks
// with Verify.
const Implicit Level = "implicit"

// Admin map sources: resolved per MX host at attempt time.
const (
	DANE     Level = "dane"      // DANE when published (RFC 7672), else may
	DANEOnly Level = "dane-only" // DANE required
	MTASTS   Level = "mta-sts"   // an MTA-STS enforce policy required (RFC 8461)
)

// The sets of levels each setting accepts, in the order error messages
// list them.
var (
	ordered   = []Level{None, May, Encrypt, Verify}
	admin     = []Level{None, May, Encrypt, Verify, DANE, DANEOnly, MTASTS}
	smarthost = []Level{None, May, Encrypt, Verify, Implicit}
	all       = []Level{None, May, Encrypt, Verify, Implicit, DANE, DANEOnly, MTASTS}
)

// Ordered returns the ordered levels (a connection's requirement), weakest
// first: what default_tls and a Copy's floor may be.
func Ordered() []Level { return slices.Clone(ordered) }

// Admin returns the levels an admin map (TLSPolicy) entry may name.
func Admin() []Level { return slices.Clone(admin) }

// Smarthost returns the levels the smarthost's setting may name.
func Smarthost() []Level { return slices.Clone(smarthost) }

// All returns every level Parse accepts.
func All() []Level { return slices.Clone(all) }

// Parse returns the level named s, exactly as spelled in config files.
func Parse(s string) (Level, error) { return ParseIn(s, all) }

// ParseIn returns the level named s if it is one of allowed; the error
// lists allowed.
func ParseIn(s string, allowed []Level) (Level, error) {
	l := Level(s)
	if !slices.Contains(allowed, l) {
		return "", fmt.Errorf("unknown level %q (known: %s)", s, Join(allowed))
	}
	return l, nil
}

// Join lists levels as "none, may, encrypt, verify".
func Join(levels []Level) string {
	s := make([]string, len(levels))
	for i, l := range levels {
		s[i] = string(l)
	}
	return strings.Join(s, ", ")
}

// String returns the name as config files spell it.
func (l Level) String() string { return string(l) }

// Rank orders the ordered levels (none 0 ... verify 3, implicit with
// verify); ok is false for "" and the admin map sources, which have no
// rank until resolved.
func (l Level) Rank() (rank int, ok bool) {
	if l == Implicit {
		return 3, true
	}
	i := slices.Index(ordered, l)
	if i < 0 {
		return 0, false
	}
	return i, true
}

// Encrypts reports whether l refuses plaintext: encrypt, verify, implicit.
func (l Level) Encrypts() bool {
	r, ok := l.Rank()
	return ok && r >= 2
}

// Raise returns the stricter of level and floor. An empty floor changes
// nothing, implicit is kept (it already verifies), and a floor without a
// rank (a damaged state file) counts as verify.
func Raise(level, floor Level) Level {
	if level == Implicit || floor == "" {
		return level
	}
	fr, ok := floor.Rank()
	if !ok {
		floor, fr = Verify, 3
	}
	lr, ok := level.Rank()
	if !ok {
		lr = 0 // as the old level table did: an unranked level counts as none
	}
	if fr > lr {
		return floor
	}
	return level
}
