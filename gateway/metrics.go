package gateway

import "github.com/prometheus/client_golang/prometheus"

// gatewayMetrics are the counters of the wiring itself (the stage counts
// decisions, the relay deliveries).
type gatewayMetrics struct {
	// quarantined counts spool files quarantined at start (torn or corrupt).
	quarantined prometheus.Counter
}

func newGatewayMetrics(reg prometheus.Registerer) *gatewayMetrics {
	m := &gatewayMetrics{
		quarantined: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sealgate_spool_quarantined_total", Help: "Spooled messages found torn or corrupt at start and moved to quarantine/ (never delivered).",
		}),
	}
	reg.MustRegister(m.quarantined)
	return m
}
