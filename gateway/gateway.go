// Package gateway wires sealgate's stages into the daemon: SMTP ingress
// (smtpd) writes to the sealed spool, the processing stage (process) turns
// each message into a decision and outbound copies, the relay delivers them,
// and the control socket and admin HTTP listener let operators see and steer
// it. It is the only package that knows all the others; each stage talks to
// the next through a small interface, and the adapters live in stage.go and
// stores.go. It holds New, Start, Stop, Reload and that wiring, nothing else.
package gateway

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/sealgate/sealgate/config"
	"github.com/sealgate/sealgate/gateway/audit"
	"github.com/sealgate/sealgate/gateway/control"
	"github.com/sealgate/sealgate/gateway/dane"
	"github.com/sealgate/sealgate/gateway/dkim"
	"github.com/sealgate/sealgate/gateway/mtasts"
	"github.com/sealgate/sealgate/gateway/process"
	"github.com/sealgate/sealgate/gateway/relay"
	"github.com/sealgate/sealgate/gateway/smtpd"
	"github.com/sealgate/sealgate/gateway/spool"
	"github.com/sealgate/sealgate/gateway/tlsrpt"
	"github.com/sealgate/sealgate/gateway/webhook"
	"github.com/sealgate/sealgate/internal/dnsq"
	"github.com/sealgate/sealgate/internal/loopmark"
	"github.com/sealgate/sealgate/internal/tlslevel"
	"github.com/sealgate/sealgate/policy"
)

// Options are what the daemon needs beyond the config file.
type Options struct {
	Logger *slog.Logger
	// RelayRootCAs, when set, replaces the relay's CA pool (demo and tests).
	RelayRootCAs *x509.CertPool
	// Version is the binary's version for sealgate_build_info ("" = "dev").
	Version string
	// TLSRPTNow, when set, is the TLSRPT reporter's clock (tests move it
	// past midnight); nil = time.Now.
	TLSRPTNow func() time.Time
}

// Gateway is one running sealgate.
type Gateway struct {
	cfg   atomic.Pointer[config.Config]
	log   *slog.Logger
	reg   *registry
	spool *spool.Spool
	relay *relay.Relay
	audit *audit.Log

	mu        sync.Mutex
	servers   map[string]*smtpd.Server
	addrs     map[string]string
	ctl       *control.Server
	admin     *http.Server
	adminAddr string
	ready     atomic.Bool

	engine    atomic.Pointer[policy.Engine]
	stage     *process.Stage   // accepted message -> decision -> copies -> relay
	portal    *portalGlue      // nil unless portal.enabled
	marker    *loopmark.Marker // loop marks on the copies sealgate encrypts
	watcher   *policy.Watcher
	stsCache  *mtasts.FileCache
	metrics   *gatewayMetrics
	keyStores keyStores        // the key store's Finder (see keyFinder)
	events    *events          // message status index and webhooks; nil unless the API or a webhook is configured
	api       *apiGlue         // the REST API; nil unless api.enabled
	tlsrpt    *tlsrpt.Reporter // TLSRPT counts and reports; nil unless relay.tlsrpt.enabled

	stopCh chan struct{}
	wg     sync.WaitGroup

	rootCAs   *x509.CertPool
	tlsrptNow func() time.Time // Options.TLSRPTNow
	lock      *DataDirLock     // <data_dir>/lock, held from the start of Start to the end of Stop
}

// New checks cfg and prepares a gateway; Start opens and runs it.
func New(cfg *config.Config, opts Options) (*Gateway, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	g := &Gateway{
		log:     opts.Logger,
		reg:     newRegistry(),
		servers: map[string]*smtpd.Server{},
		addrs:   map[string]string{},
		stopCh:  make(chan struct{}),
		rootCAs: opts.RelayRootCAs,

		tlsrptNow: opts.TLSRPTNow,
	}
	g.cfg.Store(cfg)
	g.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	g.metrics = newGatewayMetrics(g.reg, opts.Version)
	return g, nil
}

// Start opens the spool, recovers every accepted, unfinished message, starts
// delivery and only then opens the listeners.
func (g *Gateway) Start() (err error) {
	cfg := g.cfg.Load()
	// Before anything else touches the data directory: a second daemon on
	// it would repair and rotate the first one's audit segment and spool.
	if g.lock, err = LockDataDir(cfg.DataDir); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			// Close whatever was opened, then the lock (Stop releases it).
			g.Stop(context.Background())
		}
	}()
	key, err := config.ReadKeyFile(cfg.Spool.KeyFile)
	if err != nil {
		return fmt.Errorf("gateway: spool key: %w", err)
	}
	eng, err := loadPolicy(cfg)
	if err != nil {
		return fmt.Errorf("gateway: policy: %w", err)
	}
	g.engine.Store(eng)
	if missing := eng.MissingHelpers(); len(missing) > 0 {
		g.log.Warn("content helpers not installed: the parts they read count as unscannable (tool_missing) and leave encrypted",
			"missing", strings.Join(missing, ","))
	}
	org, err := loadIdentities(cfg)
	if err != nil {
		return err
	}
	// The audit log first: nothing may happen before it can be recorded.
	if err := g.openAudit(cfg); err != nil {
		return err
	}
	g.spool, err = spool.Open(spool.Options{Dir: cfg.DataDir + "/spool", Key: key, Logger: g.log,
		CopyMemory: int64(cfg.Spool.CopyMemory)})
	if err != nil {
		return err
	}
	// The loop mark's key comes from the spool key (loopmark derives its
	// own from it), so nodes that share a spool key trust each other's marks.
	if g.marker, err = loopmark.New(key); err != nil {
		return err
	}
	ropts, err := g.relayOptions(cfg)
	if err != nil {
		return err
	}
	ropts.Marker = g.marker
	ropts.OnTLSSession = g.recordTLSSession
	g.relay, err = relay.New(ropts, relayStore{g.spool})
	if err != nil {
		return err
	}
	// Before the relay starts: it tells the reporter every session.
	if err := g.startTLSRPT(cfg, ropts.RootCAs); err != nil {
		return err
	}
	// sealgate_queue_depth (once duplicated as sealgate_relay_queue_depth)
	// is the total of the relay's sealgate_relay_queue_messages by state.
	g.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "sealgate_queue_depth", Help: "Messages in the queue (not yet delivered or bounced).",
	}, func() float64 { return float64(g.relay.Depth()) }))
	g.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "sealgate_spool_copy_memory_bytes", Help: "Bytes of outbound copies held in memory (spool.copy_memory is the ceiling); at the ceiling, further copies are written to files.",
	}, func() float64 { return float64(g.spool.MemoryCopyBytes()) }))
	g.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "sealgate_healthy", Help: "1 when the spool accepts writes, 0 when degraded.",
	}, func() float64 {
		if g.healthy() != nil {
			return 0
		}
		return 1
	}))

	toProcess, err := g.recoverSpool()
	if err != nil {
		return err
	}
	g.relay.Start()
	if err := g.startPortal(cfg); err != nil {
		return err
	}
	if err := g.startEvents(cfg, key); err != nil {
		return err
	}
	g.stage = g.newStage(org)
	g.stage.Start(4)
	g.wg.Add(1)
	go g.probeLoop()
	for _, id := range toProcess {
		g.stage.Enqueue(id)
	}

	if err := g.startAPI(cfg); err != nil {
		return err
	}
	if err := g.startAdmin(cfg); err != nil {
		return err
	}
	if cfg.Control.Socket != "" {
		g.ctl, err = control.Listen(cfg.Control.Socket, queueHandler{g}, g.log)
		if err != nil {
			return err
		}
		go g.ctl.Serve()
	}
	for _, l := range cfg.Listeners {
		if err := g.startListener(cfg, l); err != nil {
			return err
		}
	}
	if cfg.Policy.Watch && len(cfg.Policy.Paths) > 0 {
		w, err := policy.Watch(cfg.Policy.Paths, g.policyChanged)
		if err != nil {
			g.log.Warn("policy files cannot be watched; SIGHUP still reloads them", "err", err)
		} else {
			g.watcher = w
		}
	}
	g.ready.Store(true)
	g.log.Info("sealgate started", "policy_hash", g.engine.Load().Set().Hash, "listeners", g.ListenerAddrs(), "admin", g.adminAddr, "control", cfg.Control.Socket)
	return nil
}

// recoverSpool recovers the spool, reports what it quarantined, and gives
// each message back to the relay with its saved state; it returns the ones
// without state, which the stage must process (again).
func (g *Gateway) recoverSpool() ([]string, error) {
	ids, _, err := g.spool.Recover() // the quarantined ones: reportQuarantined
	if err != nil {
		return nil, fmt.Errorf("gateway: recover spool: %w", err)
	}
	g.reportQuarantined()
	var toProcess []string
	for _, id := range ids {
		need, err := g.relay.Restore(id)
		if err != nil {
			// Never leave an accepted message sitting unseen: plan it again
			// (a duplicate delivery at worst).
			g.log.Error("cannot restore queue state; the message is processed again", "msg_id", id, "err", err)
			need = true
		}
		if need {
			toProcess = append(toProcess, id)
		}
	}
	// The spool logged what it found ("spool: recovered"); this says what
	// the stage must plan again.
	g.log.Info("queue restored", "messages", len(ids), "to_process", len(toProcess))
	return toProcess, nil
}

func (g *Gateway) relayOptions(cfg *config.Config) (relay.Options, error) {
	r := cfg.Relay
	o := relay.Options{
		Hostname:       cfg.Hostname,
		Smarthost:      r.Smarthost,
		SmarthostTLS:   r.SmarthostTLS,
		SmarthostUser:  r.SmarthostAuth.Username,
		TLSPolicy:      r.TLSPolicy,
		DefaultTLS:     r.DefaultTLS,
		Resolver:       r.Resolver,
		MXPort:         r.MXPort,
		MaxLifetime:    r.MaxLifetime,
		HoldLifetime:   r.HoldLifetime,
		DelayWarning:   r.DelayWarning,
		DSNMinTLS:      tlslevel.Encrypt, // DSNs quote the original: never in the clear
		RetryMin:       r.RetryMin,
		RetryMax:       r.RetryMax,
		MaxConcurrency: r.MaxConcurrent,
		MaxPerDomain:   r.MaxPerDomain,
		ConnectTimeout: r.ConnectTimeout,
		CommandTimeout: r.CommandTimeout,
		Logger:         g.log,
		Registerer:     g.reg,
		RootCAs:        g.rootCAs,
		BeforeAttempt:  g.recordAttemptStart,
		OnAttempt:      g.recordAttempt,
		OnDSN:          g.recordDSN,
		Fallback:       g.fallback,
		Healthy:        g.healthy,
	}
	if r.SmarthostAuth.PasswordFile != "" {
		pw, err := os.ReadFile(r.SmarthostAuth.PasswordFile)
		if err != nil {
			return o, fmt.Errorf("gateway: relay.smarthost_auth.password_file: %w", err)
		}
		o.SmarthostPassword = strings.TrimSpace(string(pw))
	}
	if r.CAFile != "" && o.RootCAs == nil {
		pool, err := caPool("relay.ca_file", r.CAFile)
		if err != nil {
			return o, err
		}
		o.RootCAs = pool
	}
	// Enforced TLS (docs/tls.md). With a smarthost none of these apply.
	o.HonorTLSRequiredNo = r.HonorTLSRequiredNo
	if r.MTASTS {
		so := mtasts.Options{Resolver: &dnsq.Client{Server: r.Resolver}}
		if o.RootCAs != nil {
			so.Client = &http.Client{Transport: &http.Transport{
				TLSClientConfig:     &tls.Config{RootCAs: o.RootCAs, MinVersion: tls.VersionTLS12},
				TLSHandshakeTimeout: 10 * time.Second,
			}}
		}
		// Policies survive restarts: a fresh daemon must not forget them
		// while an attacker blocks the fetch (RFC 8461 §5.1).
		cache, err := mtasts.OpenFileCache(filepath.Join(cfg.DataDir, "mta-sts.db"))
		if err != nil {
			return o, err
		}
		g.stsCache = cache
		so.Store = cache
		o.MTASTS = mtasts.New(so)
	}
	if r.DANE {
		c := &dnsq.Client{Server: r.Resolver, Trusted: r.ResolverTrusted, Timeout: dane.DefaultDNSTimeout}
		if _, err := c.Servers(); err != nil {
			return o, fmt.Errorf("gateway: relay.dane: %w", err) // no resolver: refuse to start, as before
		}
		o.DANE = &dane.DNSResolver{DNS: c}
	}
	if r.DowngradeMemory {
		o.MemoryPath = filepath.Join(cfg.DataDir, "tls-memory.db")
	}
	o.ResolverTrusted = r.ResolverTrusted
	if len(cfg.DKIM.Keys) > 0 {
		signer, err := DKIMSigner(cfg)
		if err != nil {
			return o, err
		}
		// Every outgoing copy is signed last, after any encryption, so the
		// signature covers exactly what is sent.
		o.Sign = func(w io.Writer, open func() (io.ReadCloser, error)) error {
			_, err := signer.SignTo(w, open)
			return err
		}
	}
	return o, nil
}

// Reload applies a new, already validated config: listener access rules
// and limits change for new connections. Listener addresses, TLS modes, the
// spool and relay settings need a restart; Reload says so in the log.
func (g *Gateway) Reload(cfg *config.Config) error {
	old := g.cfg.Load()
	// Build every listener's new options first: a reload applies whole or
	// not at all.
	type update struct {
		srv  *smtpd.Server
		opts smtpd.Options
	}
	var ups []update
	var errs []error
	seen := map[string]bool{}
	for _, l := range cfg.Listeners {
		seen[l.Name] = true
		g.mu.Lock()
		srv := g.servers[l.Name]
		g.mu.Unlock()
		if srv == nil {
			errs = append(errs, fmt.Errorf("gateway: new listener %q needs a restart", l.Name))
			continue
		}
		for _, ol := range old.Listeners {
			if ol.Name == l.Name && (ol.Listen != l.Listen || ol.TLS.Mode != l.TLS.Mode) {
				errs = append(errs, fmt.Errorf("gateway: listener %q: a new listen address or tls.mode needs a restart", l.Name))
			}
		}
		o, err := g.smtpdOptions(cfg, l)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ups = append(ups, update{srv, o})
	}
	for _, ol := range old.Listeners {
		if !seen[ol.Name] {
			errs = append(errs, fmt.Errorf("gateway: removing listener %q needs a restart", ol.Name))
		}
	}
	eng, err := loadPolicy(cfg)
	if err != nil {
		errs = append(errs, fmt.Errorf("gateway: policy: %w", err))
	}
	var hooks []webhook.Endpoint
	if g.events != nil {
		if hooks, err = configEndpoints(cfg); err != nil {
			errs = append(errs, err)
		}
	} else if len(cfg.Webhooks.Endpoints) > 0 {
		errs = append(errs, errors.New("gateway: the first webhooks.endpoints need a restart"))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if g.events != nil {
		// Endpoints, URLs, event lists and secrets (a rotation) apply now.
		if err := g.events.hooks.SetEndpoints(hooks); err != nil {
			return fmt.Errorf("gateway: webhooks: %w", err)
		}
	}
	if old := g.engine.Swap(eng); old.Set().Hash != eng.Set().Hash {
		g.log.Info("policy reloaded", "policy_hash", eng.Set().Hash)
	}
	for _, u := range ups {
		if err := u.srv.Update(u.opts); err != nil {
			// Options were validated above; Update only refuses a name or
			// ImplicitTLS change, both caught already.
			return err
		}
	}
	if fmt.Sprint(old.Relay) != fmt.Sprint(cfg.Relay) || old.DataDir != cfg.DataDir || old.Spool != cfg.Spool ||
		old.Hostname != cfg.Hostname || old.Log != cfg.Log || old.Admin != cfg.Admin || old.Control != cfg.Control ||
		fmt.Sprint(old.Audit) != fmt.Sprint(cfg.Audit) || fmt.Sprint(old.API) != fmt.Sprint(cfg.API) {
		g.log.Warn("config reloaded; changes to hostname, log, admin, control, relay (tls_policy, mta_sts, dane, downgrade_memory, honor_tls_required_no included), audit, data_dir and spool take effect after a restart; so do api and every webhooks key but endpoints")
	}
	g.cfg.Store(cfg)
	g.log.Info("config reloaded")
	return nil
}

// ListenerAddr is the bound address of the named listener.
func (g *Gateway) ListenerAddr(name string) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.addrs[name]
}

// ListenerAddrs maps listener names to bound addresses.
func (g *Gateway) ListenerAddrs() map[string]string {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := map[string]string{}
	for k, v := range g.addrs {
		out[k] = v
	}
	return out
}

// AdminAddr is the bound admin HTTP address ("" when disabled).
func (g *Gateway) AdminAddr() string { return g.adminAddr }

// Relay exposes the queue (tests, demo).
func (g *Gateway) Relay() *relay.Relay { return g.relay }

// Stop closes listeners first (no new mail), then stops delivery. Mail in
// flight stays in the spool and is picked up on the next start.
func (g *Gateway) Stop(ctx context.Context) error {
	g.ready.Store(false)
	g.mu.Lock()
	for _, s := range g.servers {
		s.Close()
	}
	g.mu.Unlock()
	if g.ctl != nil {
		g.ctl.Close()
	}
	if g.watcher != nil {
		g.watcher.Close()
	}
	if g.admin != nil {
		g.admin.Close()
	}
	apiErr := g.api.stop(ctx) // no new sends before the stage stops
	select {
	case <-g.stopCh:
	default:
		close(g.stopCh)
	}
	// The portal before the stage: its replies go into the stage.
	perr := g.portal.stop(ctx)
	if g.stage != nil {
		g.stage.Stop()
	}
	g.wg.Wait()
	err := errors.Join(perr, apiErr)
	if g.relay != nil {
		err = errors.Join(err, g.relay.Stop(ctx))
	}
	// After the relay: its last sessions still count.
	err = errors.Join(err, g.stopTLSRPT())
	// After the relay: its last delivery records still become events.
	err = errors.Join(err, g.events.stop(ctx))
	if g.stsCache != nil {
		g.stsCache.Close()
	}
	if g.audit != nil {
		// Close writes a final signed checkpoint.
		err = errors.Join(err, g.audit.Close())
	}
	// Last: everything in the data directory is closed.
	if uerr := g.lock.Unlock(); uerr != nil {
		err = errors.Join(err, uerr)
	}
	g.lock = nil
	return err
}

// caPool is the system roots plus the PEM certificates in file (the
// config key), for a private CA next to the public ones.
func caPool(key, file string) (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("gateway: %s: %w", key, err)
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("gateway: %s: %s: no PEM certificate found", key, file)
	}
	return pool, nil
}

// DKIMSigner is the signer dkim.keys and dkim.headers describe: the one
// the relay signs every copy with, and `sealgate dkim test` too.
func DKIMSigner(cfg *config.Config) (*dkim.Signer, error) {
	var keys []*dkim.Key
	for i, k := range cfg.DKIM.Keys {
		key, err := dkim.LoadKey(k.Domain, k.Selector, k.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("gateway: dkim.keys[%d]: %w", i, err)
		}
		keys = append(keys, key)
	}
	return dkim.NewSigner(keys, cfg.DKIM.Headers), nil
}
