package tlspolicy

import (
	"crypto/tls"
	"crypto/x509"
	"errors"

	"github.com/sealgate/sealgate/gateway/mtasts"
)

// TLSRPT result types (RFC 8460 §4.3.2.1, §4.3.2.2), used for a
// Failure's Type, the relay's TLSFailure and the
// sealgate_relay_tls_failures_total metric.
const (
	FailSTARTTLS        = "starttls-not-supported"
	FailHostMismatch    = "certificate-host-mismatch"
	FailExpired         = "certificate-expired"
	FailNotTrusted      = "certificate-not-trusted"
	FailValidation      = "validation-failure"
	FailTLSAInvalid     = "tlsa-invalid"
	FailDNSSECInvalid   = "dnssec-invalid"
	FailDANERequired    = "dane-required"
	FailSTSFetch        = "sts-policy-fetch-error"
	FailSTSInvalid      = "sts-policy-invalid"
	FailSTSWebPKIInvald = "sts-webpki-invalid"
)

// Failure is a TLS policy failure: the recipients are deferred (4.7.5),
// never sent in plaintext. It was counted (Config.Count) when made.
type Failure struct {
	Type string // RFC 8460 result type
	Host string // the MX host, "" for the whole domain
	Msg  string
	Err  error
}

// fail counts and returns a Failure for domain.
func (p *Policy) fail(domain, typ, host, msg string, err error) *Failure {
	if domain != "" {
		p.cfg.Count(domain, typ)
	}
	return &Failure{Type: typ, Host: host, Msg: msg, Err: err}
}

// stsFailure maps an MTA-STS lookup error to its TLSRPT type.
func stsFailure(err error) string {
	var ue x509.UnknownAuthorityError
	var he x509.HostnameError
	var ce x509.CertificateInvalidError
	var ve *tls.CertificateVerificationError
	switch {
	case errors.As(err, &ue), errors.As(err, &he), errors.As(err, &ce), errors.As(err, &ve):
		return FailSTSWebPKIInvald
	case errors.Is(err, mtasts.ErrPolicySyntax):
		return FailSTSInvalid
	}
	return FailSTSFetch
}

// ClassifyCertErr maps a certificate verification error to its TLSRPT
// type.
func ClassifyCertErr(err error) string {
	var he x509.HostnameError
	var ce x509.CertificateInvalidError
	var ue x509.UnknownAuthorityError
	switch {
	case errors.As(err, &he):
		return FailHostMismatch
	case errors.As(err, &ce) && ce.Reason == x509.Expired:
		return FailExpired
	case errors.As(err, &ue):
		return FailNotTrusted
	case errors.As(err, &ce):
		return FailNotTrusted
	}
	return FailValidation
}
