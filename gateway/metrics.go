package gateway

import (
	"runtime"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// gatewayMetrics are the counters of the wiring itself (the stage counts
// decisions, the relay deliveries).
type gatewayMetrics struct {
	// quarantined counts spool files quarantined at start (torn or corrupt).
	quarantined prometheus.Counter
	// portalEvents counts secure-portal events by kind (a closed set).
	portalEvents *prometheus.CounterVec
}

// portalEventKinds are the values of sealgate_portal_events_total's event
// label, all present at 0 from the start: the portal's event kinds less
// their "portal." prefix, as the audit log names them.
var portalEventKinds = []string{"deposited", "notified", "opened", "code_sent", "verified", "code_failed", "locked",
	"attachment_downloaded", "replied", "totp_enrolled", "totp_verified", "totp_reset", "revoked", "expired", "extended"}

func newGatewayMetrics(reg prometheus.Registerer, version string) *gatewayMetrics {
	if version == "" {
		version = "dev"
	}
	m := &gatewayMetrics{
		quarantined: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sealgate_spool_quarantined_total", Help: "Spooled messages found torn or corrupt at start and moved to quarantine/ (never delivered).",
		}),
		portalEvents: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sealgate_portal_events_total", Help: "Secure portal events by kind: deposited, notified, opened, code_sent, verified, code_failed, locked, replied, revoked, expired, ...",
		}, []string{"event"}),
	}
	for _, k := range portalEventKinds {
		m.portalEvents.WithLabelValues(k)
	}
	// The usual info metric: value 1, the facts in its labels, so a
	// dashboard can join on it or show which version runs where.
	info := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "sealgate_build_info", Help: "Always 1; labels give the sealgate version and the Go version it was built with.",
		ConstLabels: prometheus.Labels{"version": version, "goversion": runtime.Version()},
	})
	info.Set(1)
	reg.MustRegister(m.quarantined, m.portalEvents, info)
	return m
}

// portalEvent counts one portal event; a kind outside the known set is
// counted as "other", so the label stays bounded.
func (m *gatewayMetrics) portalEvent(kind string) {
	for _, k := range portalEventKinds {
		if k == kind {
			m.portalEvents.WithLabelValues(k).Inc()
			return
		}
	}
	m.portalEvents.WithLabelValues("other").Inc()
}

// registry is the gateway's Prometheus registry, remembering what was
// registered so a test can check that dashboards and alert rules name
// only real series (a vector with no children yet is not in a scrape).
type registry struct {
	*prometheus.Registry
	mu    sync.Mutex
	descs []*prometheus.Desc
}

func newRegistry() *registry { return &registry{Registry: prometheus.NewRegistry()} }

func (r *registry) Register(c prometheus.Collector) error {
	if err := r.Registry.Register(c); err != nil {
		return err
	}
	ch := make(chan *prometheus.Desc, 16)
	go func() { c.Describe(ch); close(ch) }()
	r.mu.Lock()
	defer r.mu.Unlock()
	for d := range ch {
		r.descs = append(r.descs, d)
	}
	return nil
}

func (r *registry) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		if err := r.Register(c); err != nil {
			panic(err)
		}
	}
}

// metricNames returns the registered metric family names. Desc has no
// accessor for its name; its String form is stable ("Desc{fqName: ...").
func (r *registry) metricNames() map[string]bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	names := map[string]bool{}
	for _, d := range r.descs {
		s := d.String()
		const key = `fqName: "`
		if i := strings.Index(s, key); i >= 0 {
			rest := s[i+len(key):]
			if j := strings.IndexByte(rest, '"'); j > 0 {
				names[rest[:j]] = true
			}
		}
	}
	return names
}
