package smtpd

import (
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sealgate/sealgate/envelope"
	"github.com/sealgate/sealgate/internal/passhash"
	"github.com/sealgate/sealgate/internal/smtpaddr"
)

// Options configure one ingress listener. Zero limits mean the default noted
// beside each field.
type Options struct {
	Name        string      // listener name, goes into Envelope.Listener and logs
	Hostname    string      // our name in greeting and Received
	TLSConfig   *tls.Config // nil: no STARTTLS. MinVersion is raised to TLS 1.2 on a copy.
	ImplicitTLS bool        // TLS from the first byte (port 465 style); Serve wraps the plain listener
	// RequireTLS refuses MAIL with 530 5.7.0 until STARTTLS (RFC 3207 §4;
	// Postfix's smtpd_tls_security_level = encrypt). AUTH is never offered
	// without TLS anyway. Needs TLSConfig.
	RequireTLS bool

	// Who may relay (any one suffices).
	AllowNets []netip.Prefix // client IP allowlist
	// Users maps an SMTP AUTH user to a password hash: an argon2id PHC string
	// ("$argon2id$v=19$m=...,t=...,p=...$salt$hash") or bcrypt ("$2a$", "$2b$", "$2y$"),
	// as internal/passhash reads them; New refuses any other string.
	Users map[string]string
	// ClientCertSHA256 lists allowed client certificate fingerprints (SHA-256
	// of the leaf DER; hex, case- and colon-insensitive).
	ClientCertSHA256 []string
	// ClientCertNames lists allowed client certificate subject CNs or DNS
	// SANs (exact, case-insensitive). Requires TLSConfig.ClientCAs: a name
	// is only worth something on a certificate that chains to a CA we trust.
	ClientCertNames []string

	MaxMessageBytes int64         // (50 MiB) advertised in SIZE; over it: 552 5.3.4
	MaxRecipients   int           // (1000) over it: 452 4.5.3
	MaxLineLength   int           // (4096; RFC 5321 asks for >= 1000)
	CommandTimeout  time.Duration // (5m) idle between commands
	DataTimeout     time.Duration // (10m) whole DATA transfer
	MaxConns        int           // (500) total; over: 421 4.7.0 and close
	MaxConnsPerIP   int           // (50); over: 421 4.7.0 and close
	AuthFailLimit   int           // (5) failed AUTHs per IP per 5 min, then 454 4.7.0 / 421 4.7.0
	MaxReceived     int           // (30) more Received headers than this: 554 5.4.6 (loop)
	MaxSessionTime  time.Duration // (1h) absolute connection lifetime; then 421 4.7.0 at the next command
	MaxCommands     int           // (10000) commands per connection; then 421 4.7.0

	Logger     *slog.Logger
	Registerer prometheus.Registerer // nil: no metrics

	// SenderDomains, when set, limits MAIL FROM to these domains
	// ("example.org" exactly, ".example.org" for subdomains), and refuses
	// the null sender: shared provider IPs and certificates (Microsoft 365,
	// Google) must not let other tenants relay through us.
	SenderDomains []string

	// BeforeCommit, if set, is called with the final envelope just before
	// the spool commit: the gateway makes the audit log's "received" record
	// durable there, so no spooled message lacks one. An error refuses the
	// message with 451 4.3.0 and nothing is spooled.
	BeforeCommit func(env *envelope.Envelope) error

	// OnReject, if set, is told about every refusal (for the audit log).
	OnReject func(Rejection)
	// Healthy, if set, is asked at MAIL FROM; an error refuses the
	// transaction with 451 4.3.0: mail we could not record or store is
	// better left with the sender.
	Healthy func() error
}

func (o *Options) onReject(r Rejection) {
	if o.OnReject != nil {
		o.OnReject(r)
	}
}

const (
	defaultMaxMessageBytes = 50 << 20
	defaultMaxRecipients   = 1000
	defaultMaxLineLength   = 4096
	defaultCommandTimeout  = 5 * time.Minute
	defaultDataTimeout     = 10 * time.Minute
	defaultMaxConns        = 500
	defaultMaxConnsPerIP   = 50
	defaultAuthFailLimit   = 5
	defaultMaxReceived     = 30
	defaultMaxSessionTime  = time.Hour
	defaultMaxCommands     = 10000
	authFailWindow         = 5 * time.Minute
)

// config is the validated, defaulted form of Options that sessions read. It
// is immutable once built and swapped whole by Update.
type config struct {
	opts      Options
	tls       *tls.Config // our copy, nil without TLS
	users     map[string]passhash.Hash
	certFPs   map[string]bool // lower-case hex, no colons
	certNames map[string]bool // lower-case
	log       *slog.Logger
}

func buildConfig(o Options) (*config, error) {
	var errs []error
	if o.Name == "" {
		errs = append(errs, errors.New("smtpd: Name is empty"))
	}
	if o.Hostname == "" {
		errs = append(errs, errors.New("smtpd: Hostname is empty"))
	}
	if o.ImplicitTLS && o.TLSConfig == nil {
		errs = append(errs, errors.New("smtpd: ImplicitTLS needs a TLSConfig"))
	}
	if o.RequireTLS && o.TLSConfig == nil {
		errs = append(errs, errors.New("smtpd: RequireTLS needs a TLSConfig"))
	}
	if o.MaxMessageBytes < 0 || o.MaxRecipients < 0 || o.MaxLineLength < 0 || o.CommandTimeout < 0 ||
		o.DataTimeout < 0 || o.MaxConns < 0 || o.MaxConnsPerIP < 0 || o.AuthFailLimit < 0 || o.MaxReceived < 0 ||
		o.MaxSessionTime < 0 || o.MaxCommands < 0 {
		errs = append(errs, errors.New("smtpd: limits must not be negative"))
	}
	if o.MaxLineLength > 0 && o.MaxLineLength < 1000 {
		errs = append(errs, fmt.Errorf("smtpd: MaxLineLength %d is below the RFC 5321 minimum of 1000", o.MaxLineLength))
	}
	setDefault(&o.MaxMessageBytes, defaultMaxMessageBytes)
	setDefault(&o.MaxRecipients, defaultMaxRecipients)
	setDefault(&o.MaxLineLength, defaultMaxLineLength)
	setDefault(&o.CommandTimeout, defaultCommandTimeout)
	setDefault(&o.DataTimeout, defaultDataTimeout)
	setDefault(&o.MaxConns, defaultMaxConns)
	setDefault(&o.MaxConnsPerIP, defaultMaxConnsPerIP)
	setDefault(&o.AuthFailLimit, defaultAuthFailLimit)
	setDefault(&o.MaxReceived, defaultMaxReceived)
	setDefault(&o.MaxSessionTime, defaultMaxSessionTime)
	setDefault(&o.MaxCommands, defaultMaxCommands)

	c := &config{
		users:     make(map[string]passhash.Hash, len(o.Users)),
		certFPs:   make(map[string]bool),
		certNames: make(map[string]bool),
		log:       o.Logger,
	}
	if c.log == nil {
		c.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	for _, p := range o.AllowNets {
		if !p.IsValid() {
			errs = append(errs, fmt.Errorf("smtpd: AllowNets: invalid prefix %v", p))
		}
	}
	for user, h := range o.Users {
		ph, err := passhash.Parse(h)
		if err != nil {
			errs = append(errs, fmt.Errorf("smtpd: Users[%q]: %w", user, err))
			continue
		}
		c.users[user] = ph
	}
	for _, fp := range o.ClientCertSHA256 {
		n := normalizeFingerprint(fp)
		if b, err := hex.DecodeString(n); err != nil || len(b) != 32 {
			errs = append(errs, fmt.Errorf("smtpd: ClientCertSHA256: %q is not a hex SHA-256 fingerprint", fp))
			continue
		}
		c.certFPs[n] = true
	}
	for _, n := range o.ClientCertNames {
		c.certNames[strings.ToLower(n)] = true
	}
	if (len(c.certFPs) > 0 || len(c.certNames) > 0) && o.TLSConfig == nil {
		errs = append(errs, errors.New("smtpd: client certificate rules need a TLSConfig"))
	}
	if len(c.certNames) > 0 && o.TLSConfig != nil && o.TLSConfig.ClientCAs == nil {
		// Without a CA anyone can mint a self-signed certificate with any name.
		errs = append(errs, errors.New("smtpd: ClientCertNames need TLSConfig.ClientCAs"))
	}
	if len(c.users) > 0 && o.TLSConfig == nil {
		errs = append(errs, errors.New("smtpd: Users need a TLSConfig (AUTH is offered only over TLS)"))
	}
	if o.TLSConfig != nil {
		t := o.TLSConfig.Clone()
		if t.MinVersion < tls.VersionTLS12 {
			t.MinVersion = tls.VersionTLS12
		}
		if len(t.Certificates) == 0 && t.GetCertificate == nil && t.GetConfigForClient == nil {
			errs = append(errs, errors.New("smtpd: TLSConfig has no certificate"))
		}
		// Ask for a client certificate so M365 connectors can present
		// one; verify its chain when the caller gave us CAs.
		if t.ClientAuth == tls.NoClientCert {
			if t.ClientCAs != nil {
				t.ClientAuth = tls.VerifyClientCertIfGiven
			} else {
				t.ClientAuth = tls.RequestClientCert
			}
		}
		c.tls = t
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	c.opts = o
	return c, nil
}

func setDefault[T comparable](p *T, def T) {
	var zero T
	if *p == zero {
		*p = def
	}
}

func normalizeFingerprint(s string) string {
	return strings.ToLower(strings.NewReplacer(":", "", " ", "").Replace(strings.TrimSpace(s)))
}

// senderAllowed applies Options.SenderDomains to a parsed MAIL FROM
// address: its real domain, never a guess from the last "@".
func (o *Options) senderAllowed(from smtpaddr.Address) bool {
	if len(o.SenderDomains) == 0 {
		return true
	}
	if from.IsNull() || from.IsLiteral() {
		return false
	}
	dom := strings.ToLower(from.Domain)
	if a, err := from.ASCIIDomain(); err == nil {
		dom = strings.ToLower(a)
	}
	for _, d := range o.SenderDomains {
		if a, err := smtpaddr.DomainToASCII(d); err == nil {
			d = a // compare A-labels with A-labels
		}
		d = strings.ToLower(d)
		if strings.HasPrefix(d, ".") {
			if strings.HasSuffix(dom, d) {
				return true
			}
		} else if dom == d {
			return true
		}
	}
	return false
}
