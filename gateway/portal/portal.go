package portal

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sealgate/sealgate/gateway/portal/store"
	"github.com/sealgate/sealgate/gateway/portal/web"
)

// Defaults for Config's zero values.
const (
	DefaultExpiry     = 30 * 24 * time.Hour
	DefaultSweepEvery = 5 * time.Minute
)

// Config sets up a Service. Dir, KEK and PublicURL are required.
type Config struct {
	Dir           string           // the store's directory (0700), e.g. <data_dir>/portal
	KEK           store.KeyWrapper // wraps the per-message data keys
	DefaultExpiry time.Duration    // a deposit's life when it names none; default 30 days
	// PublicURL is the portal's https origin: links are
	// PublicURL + "/m/" + token.
	PublicURL string
	OrgName   string       // page header; default web's
	Key       []byte       // CSRF key; nodes behind one name share it; random when empty
	Log       *slog.Logger // nil: discard
	Now       func() time.Time
	// ReplyAll lets a recipient reply to the sender and the message's
	// other portal recipients; otherwise replies go to the sender only.
	ReplyAll   bool
	SweepEvery time.Duration // Run's interval; default 5 minutes
	// TOTP is the second factor policy: "off" (or ""), "optional" or
	// "required"; see web.TOTPMode.
	TOTP string

	// Store limits (zero: the store's defaults: 10 min, 5 per token, 15
	// min, 20 per client IP across tokens).
	CodeLife       time.Duration
	MaxFailures    int
	Lockout        time.Duration
	SourceFailures int
	// Web tunables (zero: web's defaults). IPFailures is web's in-memory
	// first line, per process, before the store's SourceFailures.
	IdleTimeout  time.Duration
	MaxSession   time.Duration
	IPFailures   int
	IPCodeSends  int
	MaxBodyBytes int64
}

// Mailer sends a one-time code to a recipient: the gateway builds and
// sends the email.
type Mailer interface {
	SendCode(ctx context.Context, to, code string, expires time.Time) error
}

// Replies takes a recipient's reply into the gateway's policy pipeline.
type Replies = web.Replies

// Service is the secure portal: the sealed store and the recipient web UI
// over it, with the lifecycle the gateway and the CLI drive.
type Service struct {
	cfg    Config
	st     store.Store
	web    *web.Server
	events EventSink
	log    *slog.Logger
	base   string // PublicURL without a trailing slash
}

// New opens the DirStore under cfg.Dir and builds the web handler over it.
// replies may be nil (no reply form); mailer and events are required.
func New(cfg Config, mailer Mailer, replies Replies, events EventSink) (*Service, error) {
	base, err := checkConfig(&cfg, mailer, events)
	if err != nil {
		return nil, err
	}
	st, err := store.New(cfg.Dir, store.Options{
		KEK: cfg.KEK, Lifetime: cfg.DefaultExpiry, CodeLife: cfg.CodeLife,
		MaxFailures: cfg.MaxFailures, Lockout: cfg.Lockout, SourceFailures: cfg.SourceFailures, Now: cfg.Now,
	})
	if err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg, st: st, events: events, log: cfg.Log, base: base}
	codeLife := cfg.CodeLife
	if codeLife <= 0 {
		codeLife = store.DefaultCodeLife
	}
	w, err := web.New(web.Config{
		Messages: &messages{s: s}, Mailer: codeMailer{mailer}, Replies: replies,
		Log: cfg.Log, OrgName: cfg.OrgName, Key: cfg.Key, Now: cfg.Now,
		CodeLife: codeLife, CodeDigits: store.CodeDigits, LockoutFor: cfg.Lockout,
		IdleTimeout: cfg.IdleTimeout, MaxSession: cfg.MaxSession,
		IPFailures: cfg.IPFailures, IPCodeSends: cfg.IPCodeSends, MaxBodyBytes: cfg.MaxBodyBytes,
		TOTP: web.TOTPMode(cfg.TOTP),
	})
	if err != nil {
		st.Close()
		return nil, err
	}
	s.web = w
	return s, nil
}

// checkConfig fills defaults and returns every problem at once.
func checkConfig(cfg *Config, mailer Mailer, events EventSink) (string, error) {
	var errs []error
	if cfg.Dir == "" {
		errs = append(errs, errors.New("portal: Dir is required"))
	}
	if cfg.KEK == nil {
		errs = append(errs, errors.New("portal: KEK is required"))
	}
	if mailer == nil || events == nil {
		errs = append(errs, errors.New("portal: a Mailer and an EventSink are required"))
	}
	u, err := url.Parse(cfg.PublicURL)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		errs = append(errs, fmt.Errorf("portal: PublicURL %q is not an https URL", cfg.PublicURL))
	}
	if _, err := web.ParseTOTPMode(cfg.TOTP); err != nil {
		errs = append(errs, fmt.Errorf("portal: %w", err))
	}
	if cfg.DefaultExpiry <= 0 {
		cfg.DefaultExpiry = DefaultExpiry
	}
	if cfg.SweepEvery <= 0 {
		cfg.SweepEvery = DefaultSweepEvery
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return strings.TrimRight(cfg.PublicURL, "/"), errors.Join(errs...)
}

// Grant is one recipient's way in: the link for its notification.
type Grant struct {
	Recipient string
	Link      string // PublicURL/m/<token>: a secret, for the notification only
	Expires   time.Time
}

// Receipt is what Deposit returns: the store id and one grant per
// recipient, in the order given.
type Receipt struct {
	ID     string
	Grants []Grant
}

// Deposit seals body (the RFC 5322 message, streamed) for rcpts. The
// caller links the receipt to its own message and then calls Notified as
// it sends the notices, so portal.notified comes after that link. sender is shown on the landing page before verification: "Name
// <addr>" shows Name, a bare address shows itself; replies go to addr.
// A zero expires means DefaultExpiry from now.
func (s *Service) Deposit(ctx context.Context, sender string, rcpts []string, expires time.Time, body io.Reader) (Receipt, error) {
	if expires.IsZero() {
		expires = s.cfg.Now().Add(s.cfg.DefaultExpiry)
	}
	rc, err := s.st.Put(ctx, store.PutMeta{Sender: sender, Recipients: rcpts, Expires: expires}, body)
	if err != nil {
		return Receipt{}, err
	}
	out := Receipt{ID: rc.ID, Grants: make([]Grant, 0, len(rc.Grants))}
	for _, g := range rc.Grants {
		out.Grants = append(out.Grants, Grant{Recipient: g.Recipient, Link: s.base + "/m/" + g.Token, Expires: expires.UTC()})
	}
	s.log.Info("portal: deposited", "msg_id", rc.ID, "recipients", len(rcpts))
	return out, nil
}

// Notified records portal.notified for each grant of a deposit: its
// notices are on their way.
func (s *Service) Notified(ctx context.Context, rc Receipt) {
	for _, g := range rc.Grants {
		if err := s.st.Record(ctx, rc.ID, g.Recipient, store.EventNotified); err != nil {
			s.log.Error("portal: record event", "msg_id", rc.ID, "kind", KindNotified, "err", err)
		}
		s.emit(Event{MessageID: rc.ID, Recipient: g.Recipient, Kind: KindNotified})
	}
}

// Handler is the recipient web UI, for the portal's own HTTPS listener.
func (s *Service) Handler() http.Handler { return s.web }

// HTTPServer wraps Handler in web's hardened http.Server (timeouts, error
// log) with tlsCfg, raised to TLS 1.2 if it allows less.
func (s *Service) HTTPServer(tlsCfg *tls.Config) *http.Server {
	srv := s.web.HTTPServer(tls.Certificate{})
	c := &tls.Config{}
	if tlsCfg != nil {
		c = tlsCfg.Clone()
	}
	if c.MinVersion < tls.VersionTLS12 {
		c.MinVersion = tls.VersionTLS12
	}
	srv.TLSConfig = c
	return srv
}

// Close closes the store. The caller stops the HTTP server first.
func (s *Service) Close() error { return s.st.Close() }
