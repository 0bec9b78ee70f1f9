package policy

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// ObservedCase is one message from testdata/phi/observed: a defect seen in
// real-looking mail (issue "fail closed for real"), kept as a regression
// case. Its .want file says, one line each, what the whole engine must
// report with the shipped default policy:
//
//	finding TYPE      a finding of TYPE, any confidence
//	nofinding TYPE    no finding of TYPE
//	unscannable WHY   a part unscannable for reason WHY
//	scanned           no part unscannable
//	flagged           a rule other than "default" decides
//	notflagged        the default rule decides
type observedCase struct {
	Name string
	Msg  []byte
	Want []string
}

func loadObserved(t *testing.T, dir string) []observedCase {
	t.Helper()
	wants, err := filepath.Glob(filepath.Join(dir, "*.want"))
	if err != nil {
		t.Fatal(err)
	}
	var out []observedCase
	for _, w := range wants {
		base := strings.TrimSuffix(w, ".want")
		msg, err := os.ReadFile(base + ".eml")
		if err != nil {
			t.Fatalf("%s: %v", w, err)
		}
		raw, _ := os.ReadFile(w)
		c := observedCase{Name: filepath.Base(base), Msg: msg}
		sc := bufio.NewScanner(bytes.NewReader(raw))
		for sc.Scan() {
			if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
				c.Want = append(c.Want, l)
			}
		}
		if len(c.Want) == 0 {
			t.Fatalf("%s: no expectations", w)
		}
		out = append(out, c)
	}
	emls, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	if len(emls) != len(out) {
		t.Fatalf("%d .eml files but %d .want files in %s", len(emls), len(out), dir)
	}
	return out
}

// checkObserved returns what in c.Want the decision does not satisfy.
func checkObserved(d *Decision, want []string) []string {
	counts := d.FindingCounts()
	var bad []string
	for _, w := range want {
		verb, arg, _ := strings.Cut(w, " ")
		ok := true
		switch verb {
		case "finding":
			ok = counts[arg] > 0
		case "nofinding":
			ok = counts[arg] == 0
		case "unscannable":
			ok = false
			for _, u := range d.Unscannable {
				ok = ok || u.Reason == arg
			}
		case "scanned":
			ok = len(d.Unscannable) == 0
		case "flagged":
			ok = d.Rule != "default"
		case "notflagged":
			ok = d.Rule == "default"
		default:
			bad = append(bad, "unknown expectation "+w)
			continue
		}
		if !ok {
			bad = append(bad, w)
		}
	}
	return bad
}

// TestObservedCases runs every observed case through the whole engine with
// the shipped default policy.
func TestObservedCases(t *testing.T) {
	cases := loadObserved(t, "../testdata/phi/observed")
	if len(cases) == 0 {
		t.Fatal("no observed cases")
	}
	eng, err := NewEngine(DefaultSet())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			d, err := eng.Evaluate(context.Background(), Input{Env: EnvelopeFromHeaders(c.Msg), Body: bytes.NewReader(c.Msg)})
			if err != nil {
				t.Fatal(err)
			}
			if bad := checkObserved(d, c.Want); len(bad) > 0 {
				t.Errorf("rule %s, findings %v, unscannable %v: not satisfied: %s", d.Rule, d.FindingCounts(), d.Unscannable, strings.Join(bad, "; "))
			}
		})
	}
}
