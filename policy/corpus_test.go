package policy

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sealgate/sealgate/policy/detect"
	"github.com/sealgate/sealgate/policy/internal/phicorpus"
)

// TestCorpusThroughTheWholeEngine runs every labeled message of testdata/phi
// (plain bodies and MIME tricks: HTML, base64 attachments, QP soft breaks,
// encoded words, nested messages, zips) through Engine.Evaluate, so through
// extraction and detection, and checks precision and recall against
// labels.json with the bars: recall >= 0.98 for ssn, npi, mbi, dea,
// card; >= 0.90 overall; precision >= 0.95. Every finding counts, at any
// confidence, in headers and bodies alike.
func TestCorpusThroughTheWholeEngine(t *testing.T) {
	const dir = "../testdata/phi"
	labels, err := phicorpus.Load(dir)
	if err != nil {
		t.Skipf("no corpus: %v", err)
	}
	set := DefaultSet()
	eng, err := NewEngine(set)
	if err != nil {
		t.Fatal(err)
	}
	per := phicorpus.Score{}   // by detector type
	group := phicorpus.Score{} // by corpus kind: plain, mime/html, ...
	names := labels.Names()
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
		// The model's "about no patient" is a verdict on the message, not content
		// the labels could list.
		delete(got, detect.TypeNoPatient)
		diff := per.Add(want, got)
		group.Get(corpusKind(name)).AddAll(want, got)
		if len(diff) > 0 {
			misses = append(misses, fmt.Sprintf("%s: %s", name, strings.Join(diff, ", ")))
		}
	}
	total := per.Total()
	var tbl strings.Builder
	tbl.WriteString(per.Table("type", true))
	tbl.WriteString(group.Table("corpus kind", false))
	fmt.Fprintf(&tbl, "\n%d messages, %d with unscannable parts, %d differ from their labels\n", len(names), unscannable, len(misses))
	t.Log(tbl.String())
	if testing.Verbose() {
		for _, m := range misses {
			t.Log(m)
		}
	}
	for _, k := range []string{"ssn", "npi", "mbi", "dea", "card"} {
		if c := per[k]; c == nil || c.Recall() < 0.98 {
			t.Errorf("%s recall below 0.98 through the engine", k)
		}
	}
	if total.Recall() < 0.90 {
		t.Errorf("overall recall %.3f < 0.90", total.Recall())
	}
	if total.Precision() < 0.95 {
		t.Errorf("overall precision %.3f < 0.95", total.Precision())
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
