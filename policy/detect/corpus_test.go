package detect

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// corpusDir is the labeled corpus written by internal/gencorpus.
var corpusDir = filepath.Join("..", "..", "testdata", "phi")

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

// TestCorpusPrecisionAndRecallMeetTheBar scans the plain-text bodies of the labeled corpus.
// Every finding counts, at any confidence: hard negatives must produce nothing.
func TestCorpusPrecisionAndRecallMeetTheBar(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(corpusDir, "labels.json"))
	if err != nil {
		t.Fatal(err)
	}
	var labels map[string]map[string]int
	if err := json.Unmarshal(raw, &labels); err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	per := map[string]*prCount{}
	get := func(t string) *prCount {
		if per[t] == nil {
			per[t] = &prCount{}
		}
		return per[t]
	}
	files := 0
	for name, want := range labels {
		if !strings.HasPrefix(name, "plain/") {
			continue
		}
		files++
		msg, err := os.ReadFile(filepath.Join(corpusDir, name))
		if err != nil {
			t.Fatal(err)
		}
		_, body, ok := bytes.Cut(msg, []byte("\r\n\r\n"))
		if !ok {
			t.Fatalf("%s: no header/body separator", name)
		}
		got := map[string]int{}
		for _, f := range s.Scan(body, Location{Field: "body"}) {
			got[f.Type] = f.Count
		}
		for _, typ := range union(want, got) {
			w, g := want[typ], got[typ]
			c := get(typ)
			c.tp += min(w, g)
			if g > w {
				c.fp += g - w
			}
			if w > g {
				c.fn += w - g
			}
			if w != g && testing.Verbose() {
				t.Logf("%s: %s want %d got %d", name, typ, w, g)
			}
		}
	}
	if files < 200 {
		t.Fatalf("corpus has %d plain messages, want at least 200", files)
	}
	var total prCount
	types := make([]string, 0, len(per))
	for k := range per {
		types = append(types, k)
	}
	sort.Strings(types)
	var tbl strings.Builder
	fmt.Fprintf(&tbl, "\n%-12s %5s %5s %5s %9s %7s\n", "type", "tp", "fp", "fn", "precision", "recall")
	for _, k := range types {
		c := per[k]
		total.tp += c.tp
		total.fp += c.fp
		total.fn += c.fn
		fmt.Fprintf(&tbl, "%-12s %5d %5d %5d %9.3f %7.3f\n", k, c.tp, c.fp, c.fn, c.precision(), c.recall())
	}
	fmt.Fprintf(&tbl, "%-12s %5d %5d %5d %9.3f %7.3f\n", "OVERALL", total.tp, total.fp, total.fn, total.precision(), total.recall())
	t.Log(tbl.String())
	for _, k := range []string{TypeSSN, TypeNPI, TypeMBI, TypeDEA, TypeCard} {
		c := per[k]
		if c == nil || c.tp == 0 {
			t.Errorf("%s: no labeled instances in the corpus", k)
			continue
		}
		if c.recall() < 0.98 {
			t.Errorf("%s recall %.3f < 0.98", k, c.recall())
		}
	}
	for _, k := range builtinTypes {
		if per[k] == nil || per[k].tp == 0 {
			t.Errorf("%s: not covered by the corpus", k)
		}
	}
	if total.recall() < 0.90 {
		t.Errorf("overall recall %.3f < 0.90", total.recall())
	}
	if total.precision() < 0.95 {
		t.Errorf("overall precision %.3f < 0.95", total.precision())
	}
}

func union(a, b map[string]int) []string {
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
