package smime

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Reasons a recipient certificate is unusable (UnusableError.Reason starts
// with one of these).
const (
	reasonExpired      = "expired"
	reasonNotYetValid  = "not yet valid"
	reasonKeyUsage     = "key usage does not allow key encipherment"
	reasonExtKeyUsage  = "extended key usage lacks emailProtection"
	reasonAddress      = "address not in certificate"
	reasonChain        = "chain does not verify to a trusted root"
	reasonKeyType      = "unsupported key type (only RSA and EC P-256/P-384 encrypt)"
	reasonCurve        = "unsupported EC curve (want P-256 or P-384)"
	reasonKeyAgreement = "key usage does not allow key agreement (EC recipients need keyAgreement)"
	reasonKeySize      = "RSA key shorter than 2048 bits"
)

// minRSABits refuses keys that no longer protect anything.
const minRSABits = 2048

// UnusableError says why a recipient certificate must not be used.
type UnusableError struct {
	Reason string
}

func (e *UnusableError) Error() string { return "smime: certificate unusable: " + e.Reason }

var oidEmailAddress = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}

// CheckRecipient reports whether cert may be used to encrypt to addr at
// now, returning *UnusableError naming the first rule that fails:
//   - now within NotBefore..NotAfter;
//   - the key is RSA of at least 2048 bits with keyEncipherment in
//     KeyUsage, or EC on P-256 or P-384 (ECDH, RFC 5753) with keyAgreement
//     in KeyUsage (an absent KeyUsage extension allows both);
//   - ExtKeyUsage includes emailProtection or anyExtendedKeyUsage, or is
//     absent;
//   - addr equals a SAN rfc822Name or a subject emailAddress. The comparison
//     is case-insensitive over the whole address, as mail clients do (local
//     parts are case-sensitive in RFC 5321 but nobody issues certificates
//     that differ only in case);
//   - if roots is non-nil, the chain verifies to roots at now for
//     emailProtection (intermediates may be nil).
func CheckRecipient(cert *x509.Certificate, addr string, now time.Time, roots *x509.CertPool, intermediates *x509.CertPool) error {
	if cert == nil {
		return &UnusableError{Reason: "no certificate"}
	}
	if now.Before(cert.NotBefore) {
		return &UnusableError{Reason: fmt.Sprintf("%s (from %s)", reasonNotYetValid, cert.NotBefore.UTC().Format(time.RFC3339))}
	}
	if now.After(cert.NotAfter) {
		return &UnusableError{Reason: fmt.Sprintf("%s (on %s)", reasonExpired, cert.NotAfter.UTC().Format(time.RFC3339))}
	}
	switch k := cert.PublicKey.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < minRSABits {
			return &UnusableError{Reason: fmt.Sprintf("%s (%d)", reasonKeySize, k.N.BitLen())}
		}
		// Go leaves KeyUsage zero when the extension is absent.
		if cert.KeyUsage != 0 && cert.KeyUsage&x509.KeyUsageKeyEncipherment == 0 {
			return &UnusableError{Reason: reasonKeyUsage}
		}
	case *ecdsa.PublicKey:
		// The curve and keyAgreement usage; Encrypt checks the same.
		if err := checkECRecipient(cert, k); err != nil {
			return err
		}
	case ed25519.PublicKey:
		return &UnusableError{Reason: reasonKeyType}
	default:
		return &UnusableError{Reason: fmt.Sprintf("unsupported key type %T", k)}
	}
	if len(cert.ExtKeyUsage) > 0 || len(cert.UnknownExtKeyUsage) > 0 {
		if !slices.Contains(cert.ExtKeyUsage, x509.ExtKeyUsageEmailProtection) && !slices.Contains(cert.ExtKeyUsage, x509.ExtKeyUsageAny) {
			return &UnusableError{Reason: reasonExtKeyUsage}
		}
	}
	if !certHasAddress(cert, addr) {
		return &UnusableError{Reason: reasonAddress}
	}
	if roots != nil {
		_, err := cert.Verify(x509.VerifyOptions{
			Roots:         roots,
			Intermediates: intermediates,
			CurrentTime:   now,
			KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection},
		})
		if err != nil {
			return &UnusableError{Reason: fmt.Sprintf("%s: %v", reasonChain, err)}
		}
	}
	return nil
}

func certHasAddress(cert *x509.Certificate, addr string) bool {
	addr = strings.TrimSpace(addr)
	if addr == "" {
		return false
	}
	for _, e := range cert.EmailAddresses {
		if strings.EqualFold(e, addr) {
			return true
		}
	}
	for _, n := range cert.Subject.Names {
		if n.Type.Equal(oidEmailAddress) {
			if s, ok := n.Value.(string); ok && strings.EqualFold(s, addr) {
				return true
			}
		}
	}
	return false
}
