package gateway

import (
	"runtime"

	"github.com/prometheus/client_golang/prometheus"
)

// gatewayMetrics are the counters of the wiring itself (the stage counts
// decisions, the relay deliveries).
type gatewayMetrics struct {
	// quarantined counts spool files quarantined at start (torn or corrupt).
	quarantined prometheus.Counter
}

func newGatewayMetrics(reg prometheus.Registerer, version string) *gatewayMetrics {
	if version == "" {
		version = "dev"
	}
	m := &gatewayMetrics{
		quarantined: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sealgate_spool_quarantined_total", Help: "Spooled messages found torn or corrupt at start and moved to quarantine/ (never delivered).",
		}),
	}
	// The usual info metric: value 1, the facts in its labels, so a
	// dashboard can join on it or show which version runs where.
	info := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "sealgate_build_info", Help: "Always 1; labels give the sealgate version and the Go version it was built with.",
		ConstLabels: prometheus.Labels{"version": version, "goversion": runtime.Version()},
	})
	info.Set(1)
	reg.MustRegister(m.quarantined, info)
	return m
}
