package policy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

type prCount struct{ tp, fp, fn int }

func (c prCount) precision() float64 {
	if c.tp+c.fp == 0 {
		return 1
	}
	return float64(c.tp) / float64(c.tp+c.fp)
}

func (c prCount) recall() float64 {
	if c.tp+c.fn == 0 {
		return 1
	}
	return float64(c.tp) / float64(c.tp+c.fn)
}

func (c *prCount) add(want, got int) {
	c.tp += min(want, got)
	c.fp += max(0, got-want)
	c.fn += max(0, want-got)
}

// TestCorpusThroughTheWholeEngine runs every labeled message of testdata/phi
// (plain bodies and MIME tricks: HTML, base64 attachments, QP soft breaks,
// encoded words, nested messages, zips) through Engine.Evaluate, so through
// extraction and detection, and checks precision and recall against
// labels.json with the bars: recall >= 0.98 for ssn, npi, mbi, dea,
// card; >= 0.90 overall; precision >= 0.95. Every finding counts, at any
// confidence, in headers and bodies alike.
func TestCorpusThroughTheWholeEngine(t *testing.T) {
	const dir = "../testdata/phi"
	raw, err := os.ReadFile(filepath.Join(dir, "labels.json"))
	if err != nil {
		t.Skipf("no corpus: %v", err)
	}
	var labels map[string]map[string]int
	if err := json.Unmarshal(raw, &labels); err != nil {
		t.Fatal(err)
	}
	set := DefaultSet()
	eng, err := NewEngine(set)
	if err != nil {
		t.Fatal(err)
	}
	per := map[string]*prCount{}   // by detector type
	group := map[string]*prCount{} // by corpus kind: plain, mime/html, ...
	names := make([]string, 0, len(labels))
	for n := range labels {
		names = append(names, n)
	}
	sort.Strings(names)
	var misses []string
	unscannable := 0
	for _, name := range names {
		want := labels[name]
		msg, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		d, err := eng.Evaluate(context.Background(), Input{Env: EnvelopeFromHeaders(msg), Body: bytes.NewReader(msg)})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got := d.FindingCounts()
		if n := got[FindingUnscannable]; n > 0 {
			unscannable++
			var why []string
			for _, u := range d.Unscannable {
				why = append(why, fmt.Sprintf("part %d %s", u.Part, u.Reason))
			}
			misses = append(misses, fmt.Sprintf("%s: unscannable (%s)", name, strings.Join(why, ", ")))
			delete(got, FindingUnscannable)
		}
		kind := corpusKind(name)
		if group[kind] == nil {
			group[kind] = &prCount{}
		}
		var diff []string
		for _, typ := range unionKeys(want, got) {
			if per[typ] == nil {
				per[typ] = &prCount{}
			}
			per[typ].add(want[typ], got[typ])
			group[kind].add(want[typ], got[typ])
			if want[typ] != got[typ] {
				diff = append(diff, fmt.Sprintf("%s want %d got %d", typ, want[typ], got[typ]))
			}
		}
		if len(diff) > 0 {
			misses = append(misses, fmt.Sprintf("%s: %s", name, strings.Join(diff, ", ")))
		}
	}
	var total prCount
	var tbl strings.Builder
	fmt.Fprintf(&tbl, "\n%-14s %5s %5s %5s %9s %7s\n", "type", "tp", "fp", "fn", "precision", "recall")
	for _, k := range sortedCountKeys(per) {
		c := per[k]
		total.tp, total.fp, total.fn = total.tp+c.tp, total.fp+c.fp, total.fn+c.fn
		fmt.Fprintf(&tbl, "%-14s %5d %5d %5d %9.3f %7.3f\n", k, c.tp, c.fp, c.fn, c.precision(), c.recall())
	}
	fmt.Fprintf(&tbl, "%-14s %5d %5d %5d %9.3f %7.3f\n", "OVERALL", total.tp, total.fp, total.fn, total.precision(), total.recall())
	fmt.Fprintf(&tbl, "\n%-14s %5s %5s %5s %9s %7s\n", "corpus kind", "tp", "fp", "fn", "precision", "recall")
	for _, k := range sortedCountKeys(group) {
		c := group[k]
		fmt.Fprintf(&tbl, "%-14s %5d %5d %5d %9.3f %7.3f\n", k, c.tp, c.fp, c.fn, c.precision(), c.recall())
	}
	fmt.Fprintf(&tbl, "\n%d messages, %d with unscannable parts, %d differ from their labels\n", len(names), unscannable, len(misses))
	t.Log(tbl.String())
	if testing.Verbose() {
		for _, m := range misses {
			t.Log(m)
		}
	}
	for _, k := range []string{"ssn", "npi", "mbi", "dea", "card"} {
		if c := per[k]; c == nil || c.recall() < 0.98 {
			t.Errorf("%s recall below 0.98 through the engine", k)
		}
	}
	if total.recall() < 0.90 {
		t.Errorf("overall recall %.3f < 0.90", total.recall())
	}
	if total.precision() < 0.95 {
		t.Errorf("overall precision %.3f < 0.95", total.precision())
	}
}

func corpusKind(name string) string {
	if strings.HasPrefix(name, "mime/") {
		base := filepath.Base(name)
		if i := strings.IndexByte(base, '-'); i >= 0 {
			return "mime/" + strings.TrimSuffix(base[i+1:], ".eml")
		}
	}
	return strings.SplitN(name, "/", 2)[0]
}

func unionKeys(a, b map[string]int) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range []map[string]int{a, b} {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	sort.Strings(out)
	return out
}

func sortedCountKeys(m map[string]*prCount) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
