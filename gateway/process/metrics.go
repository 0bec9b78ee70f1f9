package process

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sealgate/sealgate/policy"
)

// metrics are the decision and encryption counters.
type metrics struct {
	decisions *prometheus.CounterVec
	methods   *prometheus.CounterVec
	findings  *prometheus.CounterVec
	held      prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
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
	}
	reg.MustRegister(m.decisions, m.methods, m.findings, m.held)
	return m
}

// count feeds the decision metrics: actions by rule, methods by recipient,
// holds, finding types. Labels are rule IDs and type names the admin wrote
// or the detectors define, never message content.
func (s *Stage) count(dec *policy.Decision, p plan) {
	m := s.metrics
	if m == nil {
		return
	}
	m.decisions.WithLabelValues(dec.Action, dec.Rule).Inc()
	for _, rm := range p.methods {
		m.methods.WithLabelValues(rm.Method).Inc()
	}
	if p.holdNote() != "" {
		m.held.Inc()
	}
	for typ, n := range dec.FindingCounts() {
		m.findings.WithLabelValues(typ).Add(float64(n))
	}
}
