// Package selector picks, per recipient, the best delivery method the
// recipient can receive among those the policy allows, in the policy's
// order: pgp when we hold a usable OpenPGP key, smime when we hold a usable
// certificate, tls (verified transport) when the policy accepts transport
// protection, portal when it exists. A recipient with no usable method gets
// none: the caller holds the message rather than send it weaker than the
// policy asks (fail closed).
//
// Keys are looked up through a KeyFinder (the key store, which may ask WKD):
// the caller runs the selector after the SMTP reply, never on it.
package selector

import (
	"context"
	"crypto/x509"
	"fmt"
	"strings"
	"time"

	"github.com/sealgate/sealgate/crypto/keystore"
	"github.com/sealgate/sealgate/crypto/pgp"
	"github.com/sealgate/sealgate/crypto/smime"
)

// Methods.
const (
	PGP    = "pgp"
	SMIME  = "smime"
	TLS    = "tls"
	Portal = "portal"
)

// KeyFinder finds recipients' keys and certificates (the key store).
type KeyFinder interface {
	Lookup(ctx context.Context, addr string) ([]keystore.Entry, error)
}

// TLSKnowledge answers whether verified TLS to a domain can be guaranteed
// now (the relay: admin map, DANE, MTA-STS, downgrade memory, a probe).
type TLSKnowledge interface {
	CanVerifyTLS(ctx context.Context, domain string) (ok bool, how string, err error)
}

// Selector chooses methods.
type Selector struct {
	Keys KeyFinder
	// TLS, when set, must confirm verified TLS before the tls method is
	// chosen; nil trusts the relay to defer when it cannot verify.
	TLS TLSKnowledge
	// Roots, when set, is the trust store S/MIME certificates must chain to;
	// nil accepts any certificate that passes the other checks (the admin
	// vouched for it by importing it).
	Roots *x509.CertPool
	// PortalAvailable says the secure portal can take messages.
	PortalAvailable bool
	Now             func() time.Time
	// Parsed, when set, keeps parsed keys and certificates across messages;
	// nil parses them for every Choose.
	Parsed *KeyCache
}

// Choice is the method for one recipient. Reason explains it (and every
// method that was skipped) without any message content.
type Choice struct {
	Addr   string
	Method string // "" when nothing the policy allows is possible
	Reason string
	Source string // where the key came from ("local:file", "wkd:advanced"), for the audit
	PGPKey *pgp.Key
	Cert   *x509.Certificate
}

// Choose returns the first method in methods that addr can receive. minE2E
// excludes tls (the policy demands end-to-end encryption).
func (s *Selector) Choose(ctx context.Context, addr string, methods []string, minE2E bool) Choice {
	now := time.Now()
	if s.Now != nil {
		now = s.Now()
	}
	c := Choice{Addr: addr}
	var skipped []string
	var entries []keystore.Entry
	var lookupErr error
	looked := false
	lookup := func() {
		if !looked && s.Keys != nil {
			entries, lookupErr = s.Keys.Lookup(ctx, addr)
			looked = true
			if lookupErr != nil {
				// Said whatever is chosen in the end: a recipient who went by
				// TLS or the portal because the key store failed must show it.
				skipped = append(skipped, "key lookup: "+lookupErr.Error())
			}
		}
	}
	for _, m := range methods {
		switch m {
		case PGP:
			lookup()
			if k, src, why := s.usablePGP(entries, addr, now); k != nil {
				c.Method, c.PGPKey, c.Source = PGP, k, src
				c.Reason = explain(skipped, "usable OpenPGP key "+k.Fingerprint())
				return c
			} else {
				skipped = append(skipped, "pgp: "+why)
			}
		case SMIME:
			lookup()
			if cert, src, why := s.usableCert(entries, addr, now); cert != nil {
				c.Method, c.Cert, c.Source = SMIME, cert, src
				c.Reason = explain(skipped, "usable S/MIME certificate")
				return c
			} else {
				skipped = append(skipped, "smime: "+why)
			}
		case TLS:
			if minE2E {
				skipped = append(skipped, "tls: policy requires end-to-end encryption")
				continue
			}
			how := "the relay defers unless it can verify"
			if s.TLS != nil {
				dom := addr[strings.LastIndexByte(addr, '@')+1:]
				ok, src, err := s.TLS.CanVerifyTLS(ctx, dom)
				if err != nil || !ok {
					why := "cannot guarantee verified TLS to " + dom + " now"
					if src != "" {
						why += " (" + src + ")"
					}
					if err != nil {
						why += ": " + err.Error()
					}
					skipped = append(skipped, "tls: "+why)
					continue
				}
				how = "known from " + src
			}
			c.Method = TLS
			c.Reason = explain(skipped, "verified TLS to the recipient's domain, "+how)
			return c
		case Portal:
			if !s.PortalAvailable {
				skipped = append(skipped, "portal: not available")
				continue
			}
			c.Method = Portal
			c.Reason = explain(skipped, "secure portal")
			return c
		default:
			skipped = append(skipped, m+": unknown method")
		}
	}
	c.Reason = "no usable method: " + strings.Join(skipped, "; ")
	return c
}

func explain(skipped []string, chosen string) string {
	if len(skipped) == 0 {
		return chosen
	}
	return chosen + " (" + strings.Join(skipped, "; ") + ")"
}

func (s *Selector) usablePGP(entries []keystore.Entry, addr string, now time.Time) (*pgp.Key, string, string) {
	why := "no key"
	for _, e := range entries {
		if e.Kind != keystore.PGP {
			continue
		}
		keys, err := s.Parsed.pgpKeys(e)
		if err != nil && len(keys) == 0 {
			why = "unreadable key: " + err.Error()
			continue
		}
		for _, k := range keys {
			if err := pgp.CheckRecipient(k, addr, now); err != nil {
				why = err.Error()
				continue
			}
			return k, e.Source, ""
		}
	}
	return nil, "", why
}

func (s *Selector) usableCert(entries []keystore.Entry, addr string, now time.Time) (*x509.Certificate, string, string) {
	why := "no certificate"
	for _, e := range entries {
		if e.Kind != keystore.SMIME {
			continue
		}
		cert, err := s.Parsed.cert(e)
		if err != nil {
			why = fmt.Sprintf("unreadable certificate: %v", err)
			continue
		}
		if err := smime.CheckRecipient(cert, addr, now, s.Roots, nil); err != nil {
			why = err.Error()
			continue
		}
		return cert, e.Source, ""
	}
	return nil, "", why
}
