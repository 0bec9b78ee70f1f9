package audit

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	records prometheus.Counter
	errors  prometheus.Counter
	fsyncs  prometheus.Counter
	dropped prometheus.Counter
	healthy prometheus.Gauge
	latency prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		records: prometheus.NewCounter(prometheus.CounterOpts{Name: "sealgate_audit_records_total", Help: "Audit records written."}),
		errors:  prometheus.NewCounter(prometheus.CounterOpts{Name: "sealgate_audit_append_errors_total", Help: "Audit appends that failed."}),
		fsyncs:  prometheus.NewCounter(prometheus.CounterOpts{Name: "sealgate_audit_fsyncs_total", Help: "Audit segment fsyncs (one per group commit)."}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{Name: "sealgate_audit_forward_dropped_total", Help: "Audit lines not forwarded because the forward buffer was full."}),
		healthy: prometheus.NewGauge(prometheus.GaugeOpts{Name: "sealgate_audit_healthy", Help: "1 if the audit log is writable, 0 if appends are failing."}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "sealgate_audit_append_seconds", Help: "Time for an audit append to become durable.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16)}),
	}
	if reg == nil {
		return m, nil
	}
	m.records = register(reg, m.records).(prometheus.Counter)
	m.errors = register(reg, m.errors).(prometheus.Counter)
	m.fsyncs = register(reg, m.fsyncs).(prometheus.Counter)
	m.dropped = register(reg, m.dropped).(prometheus.Counter)
	m.healthy = register(reg, m.healthy).(prometheus.Gauge)
	m.latency = register(reg, m.latency).(prometheus.Histogram)
	return m, nil
}

// register reuses an already registered collector (a reopened log after a
// reload counts on in the same series).
func register(reg prometheus.Registerer, c prometheus.Collector) prometheus.Collector {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			return are.ExistingCollector
		}
	}
	return c
}
