package smtpclient

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/sealgate/sealgate/gateway/dane"
	"github.com/sealgate/sealgate/gateway/relay/tlspolicy"
	"github.com/sealgate/sealgate/internal/tlslevel"
)

// TLSInfo is what a session's TLS achieved.
type TLSInfo struct {
	Version, Cipher string // "" = plaintext
	VerNum          uint16 // tls.VersionTLS12 ...
	Verified        bool
	PeerSHA256      string // hex SHA-256 of the peer's leaf certificate
	// Auth is how the server was authenticated: "" (not), verified,
	// dane, mta-sts.
	Auth string
	// Failure is a TLSRPT result type recorded without deferring (MTA-STS
	// testing mode).
	Failure string
}

// checkPeer authenticates the server after the handshake, before any
// command: DANE when the plan has TLSA records, PKIX against the name at
// verify; under MTA-STS testing a failure is recorded, not enforced; the
// downgrade memory also holds the TLS version.
func (d *dial) checkPeer(cs tls.ConnectionState) *Error {
	pkixErr := d.c.verifyPKIX(cs, d.name)
	d.ti = infoOf(cs, pkixErr == nil)
	switch {
	case d.plan.DANE != nil:
		// RFC 7672 §3: DANE authenticates; PKIX does not matter.
		if err := dane.Verify(d.plan.DANE, cs, d.name); err != nil {
			return d.tlsFail(tlspolicy.FailTLSAInvalid, "certificate does not match the DANE TLSA records", err)
		}
		d.ti.Verified, d.ti.Auth = true, "dane"
	case d.plan.Level == tlslevel.Verify:
		if pkixErr != nil {
			return d.tlsFail(tlspolicy.ClassifyCertErr(pkixErr), "certificate verification failed: "+pkixErr.Error(), pkixErr)
		}
		d.ti.Auth = d.plan.Auth
		if d.ti.Auth == "" {
			d.ti.Auth = "verified"
		}
	case pkixErr == nil:
		d.ti.Auth = "verified" // opportunistic, but it would have passed
	}
	if d.plan.STSMismatch {
		// The MX host is not in the testing-mode policy (FilterMX counted it).
		d.ti.Failure = tlspolicy.FailValidation
	}
	if d.plan.STSTesting && pkixErr != nil {
		// RFC 8461 §5: testing mode delivers and reports.
		d.ti.Failure = tlspolicy.ClassifyCertErr(pkixErr)
		d.c.cfg.Count(d.plan.Domain, d.ti.Failure)
	}
	if d.plan.Memory && cs.Version < d.plan.MinVersion {
		return d.tlsFail(tlspolicy.FailValidation, fmt.Sprintf("TLS version %s below the %s this domain proved", tls.VersionName(cs.Version), tls.VersionName(d.plan.MinVersion)), nil)
	}
	return nil
}

// tlsConfig verifies the chain against RootCAs and name when verify is
// set (implicit TLS to the smarthost); otherwise it accepts any
// certificate and checkPeer checks it after the handshake.
func (c *Client) tlsConfig(name string, verify bool) *tls.Config {
	return &tls.Config{
		ServerName:         name,
		RootCAs:            c.cfg.RootCAs,
		InsecureSkipVerify: !verify,
		MinVersion:         tls.VersionTLS12,
		ClientSessionCache: c.sessions,
	}
}

// verifyPKIX checks the peer's chain against RootCAs and name.
func (c *Client) verifyPKIX(cs tls.ConnectionState, name string) error {
	if len(cs.PeerCertificates) == 0 {
		return errors.New("relay: no peer certificate")
	}
	inter := x509.NewCertPool()
	for _, cert := range cs.PeerCertificates[1:] {
		inter.AddCert(cert)
	}
	_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{DNSName: name, Roots: c.cfg.RootCAs, Intermediates: inter})
	return err
}

func infoOf(cs tls.ConnectionState, verified bool) TLSInfo {
	ti := TLSInfo{Version: tls.VersionName(cs.Version), VerNum: cs.Version, Cipher: tls.CipherSuiteName(cs.CipherSuite), Verified: verified}
	if len(cs.PeerCertificates) > 0 {
		sum := sha256.Sum256(cs.PeerCertificates[0].Raw)
		ti.PeerSHA256 = hex.EncodeToString(sum[:])
	}
	return ti
}
