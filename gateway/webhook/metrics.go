package webhook

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are labelled by endpoint ID only (an ID matches [A-Za-z0-9_.-]
// and there are few): never by URL, whose query may hold a token.
var (
	pendingDesc = prometheus.NewDesc("sealgate_webhook_pending",
		"Events waiting in the outbox, per endpoint.", []string{"endpoint"}, nil)
	disabledDesc = prometheus.NewDesc("sealgate_webhook_endpoint_disabled",
		"1 if the endpoint is disabled after persistent failure.", []string{"endpoint"}, nil)
)

func (d *Dispatcher) registerMetrics(r prometheus.Registerer) error {
	if r == nil {
		return nil
	}
	d.results = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sealgate_webhook_deliveries_total",
		Help: "Delivery attempts by result: delivered (2xx) or failed.",
	}, []string{"endpoint", "result"})
	if err := r.Register(d.results); err != nil {
		return err
	}
	return r.Register(collector{d})
}

func (d *Dispatcher) count(endpoint, result string) {
	if d.results != nil {
		d.results.WithLabelValues(endpoint, result).Inc()
	}
}

// collector reads pending counts from the store at scrape time, so the
// gauge is right after a restart and across nodes sharing a store.
type collector struct{ d *Dispatcher }

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- pendingDesc
	ch <- disabledDesc
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	pending, err := c.d.store.Pending(context.Background())
	if err != nil {
		c.d.log.Error("webhook: pending counts unavailable", "err", err)
	}
	c.d.mu.Lock()
	defer c.d.mu.Unlock()
	for id, e := range c.d.eps {
		ch <- prometheus.MustNewConstMetric(pendingDesc, prometheus.GaugeValue, float64(pending[id]), id)
		v := 0.0
		if e.state.Disabled {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(disabledDesc, prometheus.GaugeValue, v, id)
	}
}
