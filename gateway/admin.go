package gateway

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sealgate/sealgate/config"
)

// probeLoop retries a failed audit log and a failed spool: mail is
// refused while either is failed, so no new record or message would come
// along to find the disk back.
func (g *Gateway) probeLoop() {
	defer g.wg.Done()
	t := time.NewTicker(2 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-g.stopCh:
			return
		case <-t.C:
			if g.audit.Healthy() != nil {
				if err := g.audit.Probe(); err == nil {
					g.log.Info("audit log writable again; taking and delivering mail")
				}
			}
			if g.spool.Healthy() != nil {
				if err := g.spool.Probe(); err == nil {
					g.log.Info("spool writable again; taking and delivering mail")
				}
			}
		}
	}
}

func (g *Gateway) startAdmin(cfg *config.Config) error {
	if cfg.Admin.Listen == "" {
		return nil
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(g.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeHealth(w, g.healthy())
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		err := g.healthy()
		if err == nil && !g.ready.Load() {
			err = errors.New("starting")
		}
		writeHealth(w, err)
	})
	ln, err := net.Listen("tcp", cfg.Admin.Listen)
	if err != nil {
		return fmt.Errorf("gateway: admin.listen: %w", err)
	}
	g.adminAddr = ln.Addr().String()
	g.admin = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go g.admin.Serve(ln)
	return nil
}

func writeHealth(w http.ResponseWriter, err error) {
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		json.NewEncoder(w).Encode(map[string]string{"status": "degraded", "error": err.Error()})
		return
	}
	json.NewEncoder(w).Encode(map[string]string{"status": "ok"})
}
