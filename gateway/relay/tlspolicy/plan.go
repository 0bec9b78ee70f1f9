package tlspolicy

import (
	"fmt"

	"github.com/sealgate/sealgate/gateway/dane"
	"github.com/sealgate/sealgate/gateway/mtasts"
	"github.com/sealgate/sealgate/internal/tlslevel"
)

// Plan is what one connection to one host must achieve.
type Plan struct {
	// Level is what the connection enforces: none|may|encrypt|verify|implicit.
	Level tlslevel.Level
	// DANE, when set, authenticates the server by these usable TLSA
	// records (RFC 7672 §3) instead of PKIX; Level is verify.
	DANE []dane.TLSA
	// Auth names a session that passed level verify: verified, mta-sts.
	Auth string
	// STSTesting: MTA-STS testing mode; failures are recorded, not enforced.
	STSTesting bool
	// STSMismatch: under testing mode, this MX host is not one the policy
	// lists; delivered anyway, and the session records the failure.
	STSMismatch bool
	// Memory: the downgrade memory is in force; MinVersion is the least
	// TLS version the domain proved.
	Memory     bool
	MinVersion uint16
	// RequireTLS: RFC 8689, the next hop must advertise REQUIRETLS.
	RequireTLS bool
	// Domain is the recipient domain for metrics and memory ("" for the
	// smarthost).
	Domain string
}

// Key names the requirements, for the connection pool: a session is only
// reused for the very same checks.
func (p Plan) Key() string {
	k := p.Level.String() + "/" + p.Auth
	if p.DANE != nil {
		k += "/dane"
	}
	if p.Memory {
		k += fmt.Sprintf("/mem%x", p.MinVersion)
	}
	if p.RequireTLS {
		k += "/requiretls"
	}
	return k
}

// DANE modes of a Domain.
const (
	daneUse      = "use"      // if published
	daneRequired = "required" // dane-only
)

// Domain is the recipient domain's policy for one attempt, before the
// per-host parts (DANE) are looked up. The smarthost's is just Base,
// Floor and Require.
type Domain struct {
	Name  string
	Admin tlslevel.Level // TLSPolicy entry, "" if none
	Base  tlslevel.Level // none|may|encrypt|verify for hosts without DANE/MTA-STS
	// daneMode: "" (off), daneUse, daneRequired.
	daneMode string
	sts      *mtasts.Policy // enforce or testing, nil if none applies
	memory   *Record        // active downgrade memory
	Floor    tlslevel.Level // Copy.MinTLS / REQUIRETLS
	Require  bool           // REQUIRETLS
	relaxed  bool           // TLS-Required: No honoured
	MXSecure bool           // the MX answer was DNSSEC-secure (RFC 7672 §2.2.1)
}

// Want is what the message and its copy ask, on top of the domain.
type Want struct {
	Floor         tlslevel.Level // the copy's MinTLS; "" = the domain's policy
	RequireTLS    bool           // the message's REQUIRETLS
	TLSRequiredNo bool           // the message's "TLS-Required: No"
	// Report: a TLSRPT report, which RFC 8460 §5.3 wants delivered despite
	// any TLS failure (it carries no PHI); relaxed like TLS-Required: No.
	Report bool
}

// STSPolicy is the MTA-STS policy (enforce or testing) applied to the
// domain, nil if none: what a TLSRPT report names.
func (d Domain) STSPolicy() *mtasts.Policy { return d.sts }
