// Package phicorpus loads the labeled PHI corpus (testdata/phi) and scores
// detector output against it. Tests of policy/detect (bodies only) and of
// policy (the whole engine) share it, so both count precision and recall the
// same way.
package phicorpus

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Labels maps a corpus file (relative to the corpus dir) to its expected
// finding counts by type.
type Labels map[string]map[string]int

// Load reads dir/labels.json.
func Load(dir string) (Labels, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "labels.json"))
	if err != nil {
		return nil, err
	}
	var l Labels
	if err := json.Unmarshal(raw, &l); err != nil {
		return nil, fmt.Errorf("phicorpus: %w", err)
	}
	return l, nil
}

// Names returns the labeled files in a stable order.
func (l Labels) Names() []string {
	out := make([]string, 0, len(l))
	for n := range l {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Count is true/false positives and false negatives.
type Count struct{ TP, FP, FN int }

// Add scores one message's count for one type.
func (c *Count) Add(want, got int) {
	c.TP += min(want, got)
	c.FP += max(0, got-want)
	c.FN += max(0, want-got)
}

// AddAll scores every type want or got names into c.
func (c *Count) AddAll(want, got map[string]int) {
	for _, typ := range union(want, got) {
		c.Add(want[typ], got[typ])
	}
}

// Precision is TP/(TP+FP), 1 when nothing was found.
func (c Count) Precision() float64 {
	if c.TP+c.FP == 0 {
		return 1
	}
	return float64(c.TP) / float64(c.TP+c.FP)
}

// Recall is TP/(TP+FN), 1 when nothing was expected.
func (c Count) Recall() float64 {
	if c.TP+c.FN == 0 {
		return 1
	}
	return float64(c.TP) / float64(c.TP+c.FN)
}

// Score tallies counts per key.
type Score map[string]*Count

// Add scores want against got for every type either names, into s by type,
// and returns the types that differ as "type want N got M".
func (s Score) Add(want, got map[string]int) []string {
	var diff []string
	for _, typ := range union(want, got) {
		s.Get(typ).Add(want[typ], got[typ])
		if want[typ] != got[typ] {
			diff = append(diff, fmt.Sprintf("%s want %d got %d", typ, want[typ], got[typ]))
		}
	}
	return diff
}

// Get returns the count for key, creating it.
func (s Score) Get(key string) *Count {
	if s[key] == nil {
		s[key] = &Count{}
	}
	return s[key]
}

// Total sums every count.
func (s Score) Total() Count {
	var t Count
	for _, c := range s {
		t.TP, t.FP, t.FN = t.TP+c.TP, t.FP+c.FP, t.FN+c.FN
	}
	return t
}

// Table renders the counts, one row per key in order, then OVERALL when
// overall is set.
func (s Score) Table(title string, overall bool) string {
	keys := make([]string, 0, len(s))
	for k := range s {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	row := func(k string, c Count) {
		fmt.Fprintf(&b, "%-14s %5d %5d %5d %9.3f %7.3f\n", k, c.TP, c.FP, c.FN, c.Precision(), c.Recall())
	}
	fmt.Fprintf(&b, "\n%-14s %5s %5s %5s %9s %7s\n", title, "tp", "fp", "fn", "precision", "recall")
	for _, k := range keys {
		row(k, *s[k])
	}
	if overall {
		row("OVERALL", s.Total())
	}
	return b.String()
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
