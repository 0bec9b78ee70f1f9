package smtpd

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics is nil-safe: a Server without a Registerer records nothing.
type metrics struct {
	connections *prometheus.CounterVec
	active      prometheus.Gauge
	accepted    *prometheus.CounterVec
	rejected    *prometheus.CounterVec
	latency     prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	if reg == nil {
		return nil, nil
	}
	m := &metrics{
		connections: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sealgate_smtpd_connections_total", Help: "SMTP connections accepted by the listener.",
		}, []string{"listener"}),
		active: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "sealgate_smtpd_active_connections", Help: "SMTP connections open now.",
		}),
		accepted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sealgate_smtpd_messages_accepted_total", Help: "Messages durably spooled and answered 250.",
		}, []string{"listener"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sealgate_smtpd_rejected_total", Help: "Commands or messages refused, by reason.",
		}, []string{"listener", "reason"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "sealgate_smtpd_accept_latency_seconds",
			Help:    "Time from DATA/BDAT start to durable commit.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 14),
		}),
	}
	var err error
	// Several listeners share one registry: reuse what another registered.
	m.connections, err = register(reg, m.connections)
	if err == nil {
		m.active, err = register(reg, m.active)
	}
	if err == nil {
		m.accepted, err = register(reg, m.accepted)
	}
	if err == nil {
		m.rejected, err = register(reg, m.rejected)
	}
	if err == nil {
		m.latency, err = register(reg, m.latency)
	}
	if err != nil {
		return nil, err
	}
	return m, nil
}

func register[T prometheus.Collector](reg prometheus.Registerer, c T) (T, error) {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(T); ok {
				return existing, nil
			}
		}
		return c, errors.New("smtpd: register metrics: " + err.Error())
	}
	return c, nil
}

func (m *metrics) conn(listener string) {
	if m != nil {
		m.connections.WithLabelValues(listener).Inc()
		m.active.Inc()
	}
}

func (m *metrics) connDone() {
	if m != nil {
		m.active.Dec()
	}
}

func (m *metrics) accept(listener string, seconds float64) {
	if m != nil {
		m.accepted.WithLabelValues(listener).Inc()
		m.latency.Observe(seconds)
	}
}

func (m *metrics) reject(listener, reason string) {
	if m != nil {
		m.rejected.WithLabelValues(listener, reason).Inc()
	}
}
