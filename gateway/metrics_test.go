package gateway

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"

	"github.com/sealgate/sealgate/internal/capture"
	"github.com/sealgate/sealgate/internal/testtool"
)

// scrape GETs /metrics from a running gateway and parses it.
func scrape(t *testing.T, g *Gateway) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(httpGet(t, "http://"+g.AdminAddr()+"/metrics")))
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return fams
}

// series returns the metric of fam whose labels include want, or nil.
func series(fam *dto.MetricFamily, want map[string]string) *dto.Metric {
	if fam == nil {
		return nil
	}
	for _, m := range fam.Metric {
		got := map[string]string{}
		for _, l := range m.Label {
			got[l.GetName()] = l.GetValue()
		}
		ok := true
		for k, v := range want {
			ok = ok && got[k] == v
		}
		if ok {
			return m
		}
	}
	return nil
}

func TestMetricsAfterOneDeliveredMessage(t *testing.T) {
	sink := startSink(t, "127.0.0.1:0")
	env := writeConfig(t, sink.Addr(), "")
	g := startGateway(t, env)
	if err := send(env.Listen, "a@clinic.test", []string{"b@partner.test"}, testMessage("a@clinic.test", "b@partner.test", "m1")); err != nil {
		t.Fatal(err)
	}
	if !sink.WaitFor(20*time.Second, func(ms []capture.Message) bool { return len(ms) == 1 }) {
		t.Fatal("not delivered")
	}
	// The message leaves the queue just after the sink saw it.
	var fams map[string]*dto.MetricFamily
	waitFor(t, 10*time.Second, "empty queue in /metrics", func() bool {
		fams = scrape(t, g)
		// Series are collected concurrently: wait until all agree.
		d := series(fams["sealgate_queue_depth"], nil)
		if d == nil || d.GetGauge().GetValue() != 0 || fams["sealgate_relay_queue_messages"] == nil {
			return false
		}
		for _, m := range fams["sealgate_relay_queue_messages"].Metric {
			if m.GetGauge().GetValue() != 0 {
				return false
			}
		}
		return true
	})

	bi := series(fams["sealgate_build_info"], map[string]string{"version": "dev", "goversion": runtime.Version()})
	if bi == nil || bi.GetGauge().GetValue() != 1 {
		t.Errorf("sealgate_build_info{version=dev,goversion=%s} missing or not 1: %v", runtime.Version(), fams["sealgate_build_info"])
	}
	for _, state := range []string{"active", "deferred", "held"} {
		n := series(fams["sealgate_relay_queue_messages"], map[string]string{"state": state})
		age := series(fams["sealgate_relay_queue_oldest_seconds"], map[string]string{"state": state})
		if n == nil || age == nil {
			t.Errorf("state %s: queue_messages %v, oldest_seconds %v", state, n, age)
			continue
		}
		if n.GetGauge().GetValue() != 0 || age.GetGauge().GetValue() != 0 {
			t.Errorf("state %s after delivery: %v messages, oldest %v s; want 0, 0", state, n.GetGauge().GetValue(), age.GetGauge().GetValue())
		}
	}
	h := series(fams["sealgate_relay_delivery_seconds"], nil)
	if h == nil {
		t.Fatal("sealgate_relay_delivery_seconds missing")
	}
	if c, s := h.GetHistogram().GetSampleCount(), h.GetHistogram().GetSampleSum(); c != 1 || s <= 0 || s > 20 {
		t.Errorf("delivery latency: count %d sum %v s, want 1 observation in (0, 20] s", c, s)
	}
	if d := series(fams["sealgate_relay_attempts_total"], map[string]string{"outcome": "delivered"}); d == nil || d.GetCounter().GetValue() != 1 {
		t.Errorf("sealgate_relay_attempts_total{outcome=delivered} = %v, want 1", d)
	}
	if fams["sealgate_relay_queue_depth"] != nil {
		t.Error("sealgate_relay_queue_depth still exported beside sealgate_queue_depth")
	}
	// The delivered message's copy left memory with it.
	if m := series(fams["sealgate_spool_copy_memory_bytes"], nil); m == nil || m.GetGauge().GetValue() != 0 {
		t.Errorf("sealgate_spool_copy_memory_bytes after delivery = %v, want 0", m)
	}
	// No label may carry a recipient or its domain (unbounded, and PHI-adjacent).
	for name, fam := range fams {
		for _, m := range fam.Metric {
			for _, l := range m.Label {
				if l.GetName() == "domain" || strings.Contains(l.GetValue(), "partner.test") {
					t.Errorf("%s has label %s=%q", name, l.GetName(), l.GetValue())
				}
			}
		}
	}
}

// promName matches the sealgate_ metric names a PromQL text references, with
// histogram suffixes removed.
var promName = regexp.MustCompile(`\bsealgate_[a-z0-9_]+`)

func referencedMetrics(text string) []string {
	var out []string
	for _, n := range promName.FindAllString(text, -1) {
		if strings.HasSuffix(n, "_") {
			continue // a family in prose ("sealgate_api_*")
		}
		for _, suf := range []string{"_bucket", "_sum", "_count"} {
			if strings.HasSuffix(n, suf) && strings.HasSuffix(strings.TrimSuffix(n, suf), "_seconds") {
				n = strings.TrimSuffix(n, suf)
			}
		}
		out = append(out, n)
	}
	return out
}

// TestDeployFilesNameOnlyRegisteredMetrics parses the Grafana dashboard
// and the alert rules and checks each metric they name is registered by
// a running gateway, so a renamed metric cannot leave a silent panel or
// an alert that never fires. docs/operations.md is checked the same way.
func TestDeployFilesNameOnlyRegisteredMetrics(t *testing.T) {
	sink := startSink(t, "127.0.0.1:0")
	env := writeConfig(t, sink.Addr(), "")
	// Optional features register their metrics only when on: turn each on.
	cfg, _ := os.ReadFile(env.CfgPath)
	cfg = bytes.Replace(cfg, []byte("\nrelay:\n"), []byte("\nrelay:\n  tlsrpt: {enabled: true, organization: Clinic, contact: tlsrpt@clinic.test}\n"), 1)
	hooks := startHookReceiver(t, "127.0.0.1:0", env.Dir, "hook.secret")
	cfg = append(cfg, apiConfig(t, freeAddr(t), hooks.url)...)
	os.WriteFile(env.CfgPath, cfg, 0o600)
	g := startGateway(t, env)
	registered := g.reg.metricNames()
	for _, n := range []string{"sealgate_tlsrpt_reports_total", "sealgate_api_requests_total", "sealgate_webhook_deliveries_total"} {
		if !registered[n] {
			t.Fatalf("%s is not registered: its feature did not get enabled in this test's config", n)
		}
	}
	// removedMetrics may be named in the docs only as gone.
	removedMetrics := map[string]bool{"sealgate_relay_queue_depth": true}
	for n := range removedMetrics {
		if registered[n] {
			t.Errorf("%s is registered again", n)
		}
	}

	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
		Templating struct {
			List []struct {
				Type  string
				Query any
			}
		}
	}
	data, err := os.ReadFile(filepath.Join("..", "deploy", "grafana", "sealgate.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatalf("dashboard: %v", err)
	}
	exprs := map[string]string{}
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("dashboard panel %q has no query", p.Title)
		}
		for i, tg := range p.Targets {
			exprs["dashboard "+p.Title+" #"+string(rune('A'+i))] = tg.Expr
		}
	}
	for i, v := range dash.Templating.List {
		if s, ok := v.Query.(string); ok && v.Type == "query" {
			exprs["dashboard variable #"+string(rune('0'+i))] = s
		}
	}

	var rules struct {
		Groups []struct {
			Name  string
			Rules []struct {
				Alert, Expr string
				For         string
			}
		}
	}
	data, err = os.ReadFile(filepath.Join("..", "deploy", "prometheus", "sealgate-alerts.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &rules); err != nil {
		t.Fatalf("alert rules: %v", err)
	}
	nRules := 0
	for _, gr := range rules.Groups {
		for _, r := range gr.Rules {
			nRules++
			if r.Alert == "" || r.Expr == "" {
				t.Errorf("rule %+v lacks alert or expr", r)
			}
			if r.For != "" {
				if _, err := model.ParseDuration(r.For); err != nil {
					t.Errorf("rule %s: for %q: %v", r.Alert, r.For, err)
				}
			}
			exprs["alert "+r.Alert] = r.Expr
		}
	}
	if nRules == 0 || len(dash.Panels) == 0 {
		t.Fatalf("%d alert rules, %d panels", nRules, len(dash.Panels))
	}

	doc, err := os.ReadFile(filepath.Join("..", "docs", "operations.md"))
	if err != nil {
		t.Fatal(err)
	}
	exprs["docs/operations.md"] = string(doc)

	alerted := map[string]bool{}
	for where, e := range exprs {
		names := referencedMetrics(e)
		if len(names) == 0 && where != "docs/operations.md" {
			t.Errorf("%s names no sealgate metric: %q", where, e)
		}
		for _, n := range names {
			if removedMetrics[n] && where == "docs/operations.md" {
				continue // named as removed
			}
			if !registered[n] {
				t.Errorf("%s names %s, which the gateway does not register", where, n)
			}
			if strings.HasPrefix(where, "alert ") {
				alerted[n] = true
			}
		}
	}
	// Each metric operations.md tells the admin to alert on has a rule.
	doc = doc[bytes.Index(doc, []byte("the ones to alert on")):]
	doc = doc[:bytes.Index(doc, []byte("\n\n"))]
	var missing []string
	for _, n := range referencedMetrics(string(doc)) {
		if !alerted[n] {
			missing = append(missing, n)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("operations.md alerts on %v, the rules file does not", missing)
	}
}

// promtool, Prometheus's own checker, parses the alert rules, runs their unit
// tests (deploy/prometheus/sealgate-alerts_test.yaml: each alert fires on its
// series, after its `for`, and not on its neighbours), and parses every
// dashboard query, with Grafana's $instance as a regex that matches all.
func TestDeployRulesAndQueriesPassPromtool(t *testing.T) {
	testtool.RequireAll(t, "apt-get install prometheus", "promtool")
	dir := filepath.Join("..", "deploy", "prometheus")
	for _, args := range [][]string{{"check", "rules", "sealgate-alerts.yaml"}, {"test", "rules", "sealgate-alerts_test.yaml"}} {
		cmd := exec.Command("promtool", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}

	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	data, err := os.ReadFile(filepath.Join("..", "deploy", "grafana", "sealgate.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatal(err)
	}
	var rules strings.Builder
	rules.WriteString("groups:\n  - name: dashboard\n    rules:\n")
	n := 0
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			n++
			expr := strings.NewReplacer("$instance", ".*", "$__rate_interval", "5m").Replace(tg.Expr)
			q, _ := json.Marshal(expr) // a JSON string is a YAML string
			fmt.Fprintf(&rules, "      - record: dashboard:panel%d\n        expr: %s\n", n, q)
		}
	}
	f := filepath.Join(t.TempDir(), "dashboard-rules.yaml")
	if err := os.WriteFile(f, []byte(rules.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("promtool", "check", "rules", f).CombinedOutput(); err != nil {
		t.Errorf("dashboard queries do not parse: %v\n%s", err, out)
	} else if !strings.Contains(string(out), fmt.Sprintf("%d rules found", n)) {
		t.Errorf("promtool found other than %d queries:\n%s", n, out)
	}
}
