package gateway

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/sealgate/sealgate/config"
	"github.com/sealgate/sealgate/gateway/api"
	"github.com/sealgate/sealgate/gateway/api/apikey"
	"github.com/sealgate/sealgate/gateway/api/idempotency"
	"github.com/sealgate/sealgate/gateway/audit"
)

// apiGlue is the REST API listener and the stores only it uses.
type apiGlue struct {
	keys   *apikey.Bolt
	idem   *idempotency.Bolt
	srv    *http.Server
	addr   string
	cancel context.CancelFunc
}

// startAPI opens the key and idempotency stores and the HTTPS listener.
// It runs after startEvents: the API reads the status index.
func (g *Gateway) startAPI(cfg *config.Config) error {
	if !cfg.API.Enabled {
		return nil
	}
	a := &apiGlue{}
	g.api = a // from here Stop closes what is open
	var err error
	if a.keys, err = apikey.OpenBolt(APIKeysPath(cfg.DataDir)); err != nil {
		return err
	}
	if a.idem, err = idempotency.OpenBolt(filepath.Join(cfg.DataDir, "idempotency.db"), idempotency.Options{TTL: cfg.API.IdempotencyTTL}); err != nil {
		return err
	}
	srv, err := api.New(api.Options{
		Backend: apiBackend{g}, Keys: a.keys, Idempotency: a.idem, Logger: g.log, Registerer: g.reg,
		MaxMessageBytes: int64(cfg.Limits.MaxMessageSize), MaxRecipients: cfg.Limits.MaxRecipients,
		RateLimit: api.RateLimit{PerSecond: cfg.API.Rate, Burst: cfg.API.Burst}, Hostname: cfg.Hostname,
		OnCall: g.recordAPICall,
	})
	if err != nil {
		return err
	}
	cert, err := tls.LoadX509KeyPair(cfg.API.CertFile, cfg.API.KeyFile)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.API.Listen)
	if err != nil {
		return err
	}
	a.addr = ln.Addr().String()
	a.srv = &http.Server{
		Handler:           srv.Handler(),
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute, // a 50 MB body over a slow link
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		// TLS handshake noise from scanners at Warn, not on stderr.
		ErrorLog: slog.NewLogLogger(g.log.With("listener", "api").Handler(), slog.LevelWarn),
	}
	go func() {
		if err := a.srv.ServeTLS(ln, "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
			g.log.Error("api: listener stopped", "err", err)
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	a.cancel = cancel
	go func() {
		t := time.NewTicker(time.Hour)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if _, err := a.idem.Prune(ctx); err != nil {
					g.log.Warn("api: idempotency prune failed", "err", err)
				}
			}
		}
	}()
	g.log.Info("api listening", "addr", a.addr)
	return nil
}

// stop closes the listener first (no new calls), then the stores.
func (a *apiGlue) stop(ctx context.Context) error {
	if a == nil {
		return nil
	}
	var err error
	if a.srv != nil {
		err = a.srv.Shutdown(ctx)
	}
	if a.cancel != nil {
		a.cancel()
	}
	if a.idem != nil {
		a.idem.Close()
	}
	if a.keys != nil {
		a.keys.Close()
	}
	return err
}

// APIAddr is the bound API address ("" when disabled).
func (g *Gateway) APIAddr() string {
	if g.api == nil {
		return ""
	}
	return g.api.addr
}

// recordAPICall writes the api_call record of one request.
func (g *Gateway) recordAPICall(c api.Call) {
	g.record(audit.Event{Type: audit.TypeAPICall, Data: audit.APICall{KeyID: c.KeyID, Route: c.Route, Status: c.Status, MsgIDs: c.MsgIDs}})
}
