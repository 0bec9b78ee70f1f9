package relay

import (
	"net"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func TestQueueMetricsSplitHeldAndDeferredWithTheirAges(t *testing.T) {
	// A smarthost that refuses connections: every attempt is deferred.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := l.Addr().String()
	l.Close()

	st := newMemStore()
	now := time.Now()
	old := testEnvelope("d1", "a@src.test", "b@dst.test")
	old.Received = now.Add(-2 * time.Hour)
	st.put(old, testBody)
	held := testEnvelope("h1", "a@src.test", "c@dst.test")
	held.Received = now.Add(-30 * time.Minute)
	st.put(held, testBody)

	reg := prometheus.NewRegistry()
	r := startRelay(t, Options{Smarthost: dead, SmarthostTLS: "none", RetryMin: time.Hour, RetryMax: time.Hour, Registerer: reg}, st)
	if err := r.Submit("d1", []Copy{{Recipients: []string{"b@dst.test"}}}); err != nil {
		t.Fatal(err)
	}
	if err := r.SubmitHeld("h1", []Copy{{Recipients: []string{"c@dst.test"}}}, "policy quarantine: rule q1"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "d1 deferred", func() bool { return r.QueueStats()[stateDeferred].Count == 1 })

	qs := r.QueueStats()
	if qs[stateHeld].Count != 1 || qs[stateActive].Count != 0 {
		t.Fatalf("queue stats %+v", qs)
	}
	if !qs[stateDeferred].Oldest.Equal(old.Received) || !qs[stateHeld].Oldest.Equal(held.Received) {
		t.Errorf("oldest: deferred %v held %v", qs[stateDeferred].Oldest, qs[stateHeld].Oldest)
	}
	// The scrape reports ages in seconds, and the held message is not in
	// the deferred count.
	ch := make(chan prometheus.Metric, 16)
	queueCollector{r}.Collect(ch)
	close(ch)
	if n := len(ch); n != 6 {
		t.Errorf("%d queue series, want 3 states x 2", n)
	}
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	ages := map[string]float64{}
	for _, f := range fams {
		if f.GetName() != "sealgate_relay_queue_oldest_seconds" {
			continue
		}
		for _, m := range f.Metric {
			ages[m.Label[0].GetValue()] = m.GetGauge().GetValue()
		}
	}
	if a := ages[stateDeferred]; a < 7200 || a > 7300 {
		t.Errorf("deferred oldest %v s, want about 7200", a)
	}
	if a := ages[stateHeld]; a < 1800 || a > 1900 {
		t.Errorf("held oldest %v s, want about 1800", a)
	}
	if a := ages[stateActive]; a != 0 {
		t.Errorf("active oldest %v s with no active message", a)
	}
}

func TestTLSFailureLabelsAreBounded(t *testing.T) {
	for in, want := range map[string][2]string{
		"certificate-expired":    {"certificate-expired", "starttls"},
		"dane-required":          {"dane-required", "dane"},
		"sts-policy-fetch-error": {"sts-policy-fetch-error", "mta-sts"},
		"sts-something-new":      {"other", "mta-sts"},
		"b@dst.test":             {"other", "starttls"},
	} {
		if rt, src := tlsFailureLabels(in); rt != want[0] || src != want[1] {
			t.Errorf("tlsFailureLabels(%q) = %s, %s; want %v", in, rt, src, want)
		}
	}
}
