package relay

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are optional Prometheus collectors.
type metrics struct {
	outcomes    *prometheus.CounterVec
	tlsFailures *prometheus.CounterVec
	downgrades  *prometheus.CounterVec
	fallbacks   *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer, depth func() int) (*metrics, error) {
	m := &metrics{outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sealgate_relay_attempts_total",
		Help: "Delivery attempts by outcome per recipient (delivered, deferred, bounced, expired).",
	}, []string{"outcome"}),
		tlsFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sealgate_relay_tls_failures_total",
			Help: "TLS failures by recipient domain and RFC 8460 (TLSRPT) result type.",
		}, []string{"domain", "result_type"}),
		downgrades: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sealgate_relay_tls_downgrades_total",
			Help: "Attempts deferred because a domain that proved verified TLS offered less.",
		}, []string{"domain"}),
		fallbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sealgate_relay_fallbacks_total",
			Help: "Recipients held for another method because the one their copy was made for failed at delivery.",
		}, []string{"failed"}),
	}
	if reg == nil {
		return m, nil
	}
	g := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "sealgate_relay_queue_depth",
		Help: "Messages in the outbound queue.",
	}, func() float64 { return float64(depth()) })
	for _, c := range []prometheus.Collector{m.outcomes, m.tlsFailures, m.downgrades, m.fallbacks, g} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("relay: register metrics: %w", err)
		}
	}
	return m, nil
}
func (m *metrics) outcome(o string) { m.outcomes.WithLabelValues(o).Inc() }
func (m *metrics) tlsFailure(domain, resultType string) {
	if domain != "" && resultType != "" {
		m.tlsFailures.WithLabelValues(domain, resultType).Inc()
	}
}
