package gateway

import "github.com/prometheus/client_golang/prometheus"

// gatewayMetrics are the policy and encryption counters.
type gatewayMetrics struct {
	decisions *prometheus.CounterVec
	methods   *prometheus.CounterVec
	findings  *prometheus.CounterVec
	held      prometheus.Counter
	// quarantined counts spool files quarantined at start (torn or corrupt).
	quarantined prometheus.Counter
}

func newGatewayMetrics(reg prometheus.Registerer) *gatewayMetrics {
	m := &gatewayMetrics{
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sealgate_policy_decisions_total", Help: "Policy decisions by action and rule.",
		}, []string{"action", "rule"}),
		methods: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sealgate_delivery_methods_total", Help: "Recipients by the delivery method chosen (pgp, smime, tls-verified, tls-required, none, ...).",
		}, []string{"method"}),
		findings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sealgate_policy_findings_total", Help: "PHI findings by detector type (counts, never content).",
		}, []string{"type"}),
		held: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sealgate_policy_held_total", Help: "Messages held by policy (quarantine, or no usable encryption method).",
		}),
		quarantined: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sealgate_spool_quarantined_total", Help: "Spooled messages found torn or corrupt at start and moved to quarantine/ (never delivered).",
		}),
	}
	reg.MustRegister(m.decisions, m.methods, m.findings, m.held, m.quarantined)
	return m
}
