package relay

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sealgate/sealgate/gateway/dane"
	"github.com/sealgate/sealgate/gateway/mtasts"
	"github.com/sealgate/sealgate/internal/loopmark"
	"github.com/sealgate/sealgate/internal/tlslevel"
)

// Copy is one outbound variant of a message for a group of recipients.
type Copy struct {
	Name       string   `json:"name,omitempty"` // "" = the original body; else Store.OpenCopy(id, Name)
	Recipients []string `json:"recipients"`
	// MinTLS is "" (per-domain policy) or "encrypt"/"verify": a floor the
	// domain policy cannot lower.
	MinTLS tlslevel.Level `json:"min_tls,omitempty"`
	// Hold, when not "", holds this copy's recipients (no method could
	// protect them as policy requires) until an operator releases the
	// message; the other copies are delivered meanwhile. It is the reason
	// queue list/show gives, and carries no message content.
	Hold string `json:"hold,omitempty"`
	// Method is the protection method the copy was made for, when another
	// may replace it at delivery time: "tls" (MethodTLS, verified TLS) sends
	// its recipients to Options.Fallback when the next hop cannot give
	// verified TLS. "" never falls back. "pgp" and "smime" copies are
	// end-to-end encrypted: with Options.Marker they leave stamped with a
	// loop mark (internal/loopmark), so they are not encrypted again if
	// they come back through sealgate.
	Method string `json:"method,omitempty"`
	// TLSReport marks the copy of a TLSRPT report (SubmitReport): RFC 8460
	// §5.3 wants it delivered despite TLS failures and never reported on.
	TLSReport bool `json:"tlsrpt,omitempty"`
}

// MethodTLS marks a copy made for the verified-TLS method (Copy.Method).
const MethodTLS = "tls"

// Options configures a Relay. Zero values get the documented defaults.
type Options struct {
	Hostname                         string                    // EHLO name and MAILER-DAEMON@Hostname for DSNs
	Smarthost                        string                    // "host:port"; empty = deliver by MX
	SmarthostTLS                     tlslevel.Level            // none|may|encrypt|verify|implicit (default may)
	SmarthostUser, SmarthostPassword string                    // optional AUTH PLAIN (only over TLS)
	TLSPolicy                        map[string]tlslevel.Level // "example.org" or ".example.org" -> none|may|encrypt|verify|dane|dane-only|mta-sts
	DefaultTLS                       tlslevel.Level            // default "may"; same levels as TLSPolicy
	RootCAs                          *x509.CertPool            // nil = system roots
	Resolver                         string                    // DNS server "127.0.0.1:53"; "" = every /etc/resolv.conf nameserver (internal/dnsq)
	MXPort                           int                       // default 25
	MaxLifetime                      time.Duration             // default 120h; then bounce 4.4.7
	RetryMin, RetryMax               time.Duration             // default 1m, 1h
	MaxConcurrency                   int                       // default 20
	MaxPerDomain                     int                       // default 5
	ConnectTimeout, CommandTimeout   time.Duration             // default 30s, 5m
	Logger                           *slog.Logger
	Registerer                       prometheus.Registerer // may be nil
	Now                              func() time.Time      // nil = time.Now

	// DSNMinTLS is the TLS floor of the DSNs the relay writes (they carry
	// the original's headers, with RET=FULL its whole text): "" (domain
	// policy), "encrypt" or "verify". The gateway sets "encrypt".
	DSNMinTLS tlslevel.Level

	// DelayWarning, when > 0, sends the sender one "delayed" DSN (RFC 3464
	// Action: delayed) for a recipient still queued this long after the
	// message arrived, when its NOTIFY allows DELAY (or is absent). 0: off,
	// as in Postfix (delay_warning_time).
	DelayWarning time.Duration

	// ResolverTrusted believes the resolver's DNSSEC AD bit even when it is
	// not on loopback (it validates and the path to it is safe).
	ResolverTrusted bool

	// BeforeAttempt, if set, is called before each attempt connects (the
	// gateway writes and fsyncs the audit log's attempt record); an error
	// means the attempt is not made and its recipients stay queued.
	BeforeAttempt func(AttemptStart) error
	// OnAttempt, if set, is told every recipient's attempt outcome before
	// the state that relies on it is saved (the gateway writes the audit
	// log's delivery records). An error keeps the outcome pending on the
	// recipient (saved with its state): the message does not leave the
	// queue, no DSN is sent and no new attempt is made for the recipient
	// until OnAttempt accepts it.
	OnAttempt func(Attempt) error
	// OnDSN, if set, is told about every DSN queued.
	OnDSN func(DSNEvent)
	// OnTLSSession, if set, is told the TLS outcome of every new session
	// to a recipient domain's MX host, and of every TLS policy failure
	// that kept one from being made (TLSRPT, RFC 8460). It is called on
	// the delivery path: it must not block.
	OnTLSSession func(TLSSession)
	// Healthy, if set, is asked before attempts start; an error pauses
	// all delivery (nothing may leave that cannot be recorded).
	Healthy func() error

	// MTASTS, if set, applies recipient domains' MTA-STS policies
	// (RFC 8461) to MX delivery. nil = off.
	MTASTS *mtasts.Client
	// DANE, if set, looks up TLSA records of MX hosts (RFC 7672) through
	// a DNSSEC-validating resolver. nil = off.
	DANE dane.Resolver
	// MemoryPath is the downgrade memory's bbolt file; "" = off.
	MemoryPath string
	// MemoryWindow is how long a proven verified TLS delivery binds the
	// domain (default 30 days).
	MemoryWindow time.Duration
	// HonorTLSRequiredNo lets "TLS-Required: No" (RFC 8689 §5) relax the
	// recipient domain's policy to "may" for copies without MinTLS.
	HonorTLSRequiredNo bool
	// Sign, if set, writes every outgoing copy (DSNs included) to w: a
	// DKIM-Signature header, then the message. open re-opens the copy, so
	// the message is read twice and never held in memory.
	Sign func(w io.Writer, open func() (io.ReadCloser, error)) error

	// Fallback, if set, takes the recipients of a Copy.Method "tls" copy
	// whose next hop could not give verified TLS (STARTTLS missing or
	// refused, a certificate or TLSA mismatch, a downgrade): they are held,
	// durably, with the reason "fallback: verified TLS failed: <type>", and
	// handed to Fallback (failed "tls", reason the RFC 8460 type) on a
	// goroutine of their own, outside the relay's locks. It serves them
	// (ServeHeld) or keeps them held (KeepHeld); an error hands them again
	// after min(RetryMin, 30s), and so does a restart (Restore). nil: those
	// recipients are deferred like any TLS failure.
	Fallback func(ctx context.Context, id string, rcpts []string, failed, reason string) error
	// HoldLifetime is how long after arrival a recipient held for want of a
	// method (Copy.Hold, or a failed fallback) may wait; then it bounces
	// with 5.7.10 (could not be delivered securely). A whole message held
	// (Hold, SubmitHeld) is never bounced by it. Default MaxLifetime.
	HoldLifetime time.Duration
	// Marker, when set, stamps pgp and smime copies with a loop mark. Every
	// copy loses any mark it carries first, so a mark forged upstream never
	// leaves.
	Marker *loopmark.Marker
}

// check sets the TLS levels' defaults (may) and returns every problem
// with the TLS levels and the smarthost address.
func (o *Options) check() error {
	if o.SmarthostTLS == "" {
		o.SmarthostTLS = tlslevel.May
	}
	if o.DefaultTLS == "" {
		o.DefaultTLS = tlslevel.May
	}
	var errs []error
	if _, err := tlslevel.ParseIn(o.SmarthostTLS.String(), tlslevel.Smarthost()); err != nil {
		errs = append(errs, fmt.Errorf("relay: SmarthostTLS: %w", err))
	}
	if _, err := tlslevel.ParseIn(o.DefaultTLS.String(), tlslevel.Admin()); err != nil {
		errs = append(errs, fmt.Errorf("relay: DefaultTLS: %w", err))
	}
	for d, l := range o.TLSPolicy {
		if _, err := tlslevel.ParseIn(l.String(), tlslevel.Admin()); err != nil {
			errs = append(errs, fmt.Errorf("relay: TLSPolicy[%q]: %w", d, err))
		}
	}
	if o.Smarthost != "" && !strings.Contains(o.Smarthost, ":") {
		errs = append(errs, fmt.Errorf("relay: Smarthost: %q is not host:port", o.Smarthost))
	}
	return errors.Join(errs...)
}

// fillDefaults gives zero values their documented defaults.
func (o *Options) fillDefaults() {
	if o.MXPort == 0 {
		o.MXPort = 25
	}
	if o.MaxLifetime <= 0 {
		o.MaxLifetime = 120 * time.Hour
	}
	if o.HoldLifetime <= 0 {
		o.HoldLifetime = o.MaxLifetime
	}
	if o.RetryMin <= 0 {
		o.RetryMin = time.Minute
	}
	if o.RetryMax <= 0 {
		o.RetryMax = time.Hour
	}
	if o.RetryMax < o.RetryMin {
		o.RetryMax = o.RetryMin
	}
	if o.MaxConcurrency <= 0 {
		o.MaxConcurrency = 20
	}
	if o.MaxPerDomain <= 0 {
		o.MaxPerDomain = 5
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = 30 * time.Second
	}
	if o.CommandTimeout <= 0 {
		o.CommandTimeout = 5 * time.Minute
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MemoryWindow <= 0 {
		o.MemoryWindow = 30 * 24 * time.Hour
	}
}
