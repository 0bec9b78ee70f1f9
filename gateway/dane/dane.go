package dane

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Certificate usages (RFC 6698 §2.1.1, acronyms from RFC 7218).
const (
	UsagePKIXTA uint8 = 0
	UsagePKIXEE uint8 = 1
	UsageDANETA uint8 = 2
	UsageDANEEE uint8 = 3
)

// Selectors (RFC 6698 §2.1.2).
const (
	SelectorCert uint8 = 0
	SelectorSPKI uint8 = 1
)

// Matching types (RFC 6698 §2.1.3).
const (
	MatchFull   uint8 = 0
	MatchSHA256 uint8 = 1
	MatchSHA512 uint8 = 2
)

// TLSA is one TLSA resource record (RFC 6698 §2.1).
type TLSA struct {
	Usage, Selector, MatchingType uint8
	Data                          []byte
}

// String formats the record as in zone files, e.g. "3 1 1 ab12...".
func (r TLSA) String() string {
	return fmt.Sprintf("%d %d %d %x", r.Usage, r.Selector, r.MatchingType, r.Data)
}

// ErrNoUsableRecords: none of the records may be used for SMTP.
var ErrNoUsableRecords = errors.New("dane: no usable TLSA records")

// ErrNoMatch: usable records exist, but none matched the server's chain
// (TLSRPT result type "tlsa-invalid" / "validation-failure").
var ErrNoMatch = errors.New("dane: no TLSA record matched the server certificate")

// Usable returns the records usable for SMTP (RFC 7672 §3.1): DANE-TA(2) and
// DANE-EE(3) with a known selector and matching type and well-formed data.
// PKIX-TA(0) and PKIX-EE(1) are ignored for SMTP (RFC 7672 §3.1.3), as are
// unknown selectors and matching types (RFC 6698 §4.1).
func Usable(records []TLSA) []TLSA {
	var out []TLSA
	for _, r := range records {
		if r.Usage != UsageDANETA && r.Usage != UsageDANEEE {
			continue
		}
		if r.Selector != SelectorCert && r.Selector != SelectorSPKI {
			continue
		}
		switch r.MatchingType {
		case MatchFull:
			if len(r.Data) == 0 {
				continue
			}
		case MatchSHA256:
			if len(r.Data) != sha256.Size {
				continue
			}
		case MatchSHA512:
			if len(r.Data) != sha512.Size {
				continue
			}
		default:
			continue
		}
		out = append(out, r)
	}
	return out
}

// Matches reports whether cert matches the record's selector, matching type
// and data (RFC 6698 §2.1.2, §2.1.3), ignoring the usage.
func Matches(r TLSA, cert *x509.Certificate) bool {
	var b []byte
	switch r.Selector {
	case SelectorCert:
		b = cert.Raw
	case SelectorSPKI:
		b = cert.RawSubjectPublicKeyInfo
	default:
		return false
	}
	switch r.MatchingType {
	case MatchFull:
		return bytes.Equal(b, r.Data)
	case MatchSHA256:
		sum := sha256.Sum256(b)
		return bytes.Equal(sum[:], r.Data)
	case MatchSHA512:
		sum := sha512.Sum512(b)
		return bytes.Equal(sum[:], r.Data)
	}
	return false
}

// Verify checks the server chain in state against records for mxHost and
// returns nil when any usable record authenticates it (algorithm step 5 in
// the package comment). records must come from a secure lookup; the caller
// decides what an insecure or empty answer means. The error wraps
// ErrNoUsableRecords or ErrNoMatch.
func Verify(records []TLSA, state tls.ConnectionState, mxHost string) error {
	return verifyAt(records, state, mxHost, time.Now())
}

func verifyAt(records []TLSA, state tls.ConnectionState, mxHost string, now time.Time) error {
	usable := Usable(records)
	if len(usable) == 0 {
		return fmt.Errorf("%w (%d records, none DANE-TA/DANE-EE with known selector and matching type)", ErrNoUsableRecords, len(records))
	}
	certs := state.PeerCertificates
	if len(certs) == 0 {
		return fmt.Errorf("%w: server presented no certificate", ErrNoMatch)
	}
	leaf := certs[0]
	host := strings.ToLower(strings.TrimSuffix(mxHost, "."))
	var taProblems []string
	for _, r := range usable {
		switch r.Usage {
		case UsageDANEEE:
			// RFC 7672 §3.1.1: only the leaf is compared; its names,
			// validity period and issuer are not checked.
			if Matches(r, leaf) {
				return nil
			}
		case UsageDANETA:
			// RFC 7672 §3.1.2: the TA certificate is in the presented chain.
			for i, ta := range certs {
				if !Matches(r, ta) {
					continue
				}
				if err := chainsTo(certs, i, host, now); err != nil {
					taProblems = append(taProblems, err.Error())
					continue
				}
				return nil
			}
		}
	}
	if len(taProblems) > 0 {
		return fmt.Errorf("%w: DANE-TA certificate matched, but %s", ErrNoMatch, strings.Join(taProblems, "; "))
	}
	return fmt.Errorf("%w (%d usable records, %d certificates presented)", ErrNoMatch, len(usable), len(certs))
}

// chainsTo verifies that the leaf certs[0] chains to certs[ta] as the only
// root, with the other presented certificates as intermediates, that all
// are within their validity period at now, and that the leaf names host
// (RFC 7672 §3.2.2, §3.2.3).
func chainsTo(certs []*x509.Certificate, ta int, host string, now time.Time) error {
	roots := x509.NewCertPool()
	roots.AddCert(certs[ta])
	inter := x509.NewCertPool()
	for i, c := range certs[1:] {
		if i+1 != ta {
			inter.AddCert(c)
		}
	}
	_, err := certs[0].Verify(x509.VerifyOptions{
		DNSName:       host,
		Roots:         roots,
		Intermediates: inter,
		CurrentTime:   now,
		// RFC 7672 does not require the serverAuth key purpose; many
		// private-CA SMTP certificates lack it.
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if err != nil {
		return fmt.Errorf("chain to TA %q: %v", certs[ta].Subject.CommonName, err)
	}
	return nil
}

// VerifyConnection returns a function for tls.Config.VerifyConnection that
// applies Verify. Use it with InsecureSkipVerify: true, so that the standard
// PKIX check does not run first (DANE replaces it, RFC 7672 §3).
func VerifyConnection(records []TLSA, mxHost string) func(tls.ConnectionState) error {
	records = Usable(records)
	return func(cs tls.ConnectionState) error {
		return Verify(records, cs, mxHost)
	}
}
