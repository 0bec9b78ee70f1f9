package smime

import (
	"crypto/x509"
	"encoding/asn1"
)

// oidSMIMECapabilities is the SMIMECapabilities attribute (RFC 8551
// §2.5.2), also carried as a certificate extension (RFC 4262).
var oidSMIMECapabilities = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 15}

// maxCapabilities bounds a harvested SMIMECapabilities value: real ones are
// a few hundred bytes.
const maxCapabilities = 8 << 10

type smimeCapability struct {
	Algorithm  asn1.ObjectIdentifier
	Parameters asn1.RawValue `asn1:"optional"`
}

// Why KeyTransportFor chose what it chose, for the audit record.
const (
	WhyCertificate = "certificate lists RSAES-OAEP"
	WhyHarvested   = "recipient's signed mail lists RSAES-OAEP"
	WhyDefault     = "configured default"
)

// KeyTransportFor returns the key transport to use for cert and why:
// RSAES-OAEP when the certificate's SMIMECapabilities extension (RFC 4262)
// or harvested, the DER SMIMECapabilities value from the recipient's own
// signed mail (RFC 8551 §2.5.2), lists rsaesOAEP; otherwise def ("" means
// KeyTransportPKCS1v15). A recipient that announces OAEP has a client that
// reads it; nothing else tells us, and PKCS#1 v1.5 is the form every client
// opens (doc.go has the matrix). Unparsable capabilities count as none.
func KeyTransportFor(cert *x509.Certificate, harvested []byte, def string) (transport, why string) {
	if cert != nil {
		for _, ext := range cert.Extensions {
			if ext.Id.Equal(oidSMIMECapabilities) && listsOAEP(ext.Value) {
				return KeyTransportOAEP, WhyCertificate
			}
		}
	}
	if listsOAEP(harvested) {
		return KeyTransportOAEP, WhyHarvested
	}
	if def == "" {
		def = KeyTransportPKCS1v15
	}
	return def, WhyDefault
}

// listsOAEP reports whether der, an SMIMECapabilities SEQUENCE, lists
// id-RSAES-OAEP (RFC 4055 §2.1; the parameters name hashes we do not
// restrict: we always write SHA-256, which RFC 8551 §2.3 requires readers
// of OAEP to support).
func listsOAEP(der []byte) bool {
	if len(der) == 0 || len(der) > maxCapabilities {
		return false
	}
	var caps []smimeCapability
	if rest, err := asn1.Unmarshal(der, &caps); err != nil || len(rest) != 0 {
		return false
	}
	for _, c := range caps {
		if c.Algorithm.Equal(oidRSAESOAEP) {
			return true
		}
	}
	return false
}
