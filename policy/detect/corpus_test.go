package detect

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sealgate/sealgate/policy/internal/phicorpus"
)

// corpusDir is the labeled corpus written by internal/gencorpus.
var corpusDir = filepath.Join("..", "..", "testdata", "phi")

// newerThanCorpus are detectors added after the generated corpus; their recall is measured
// by their own tests and the realistic corpus. The generated one still checks that they
// add no false positives.
var newerThanCorpus = map[string]bool{TypePatientAccount: true, "person_name": true, TypePersonalHealth: true, TypeTeachingCase: true,
	TypeAnimalPatient: true, TypePatientContext: true, TypeNoPatient: true}

// TestCorpusPrecisionAndRecallMeetTheBar scans the plain-text bodies of the labeled corpus.
// Every finding counts, at any confidence: hard negatives must produce nothing.
func TestCorpusPrecisionAndRecallMeetTheBar(t *testing.T) {
	labels, err := phicorpus.Load(corpusDir)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	per := phicorpus.Score{}
	files := 0
	for _, name := range labels.Names() {
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
		for _, d := range per.Add(labels[name], got) {
			if testing.Verbose() {
				t.Logf("%s: %s", name, d)
			}
		}
	}
	if files < 200 {
		t.Fatalf("corpus has %d plain messages, want at least 200", files)
	}
	t.Log(per.Table("type", true))
	total := per.Total()
	for _, k := range []string{TypeSSN, TypeNPI, TypeMBI, TypeDEA, TypeCard} {
		c := per[k]
		if c == nil || c.TP == 0 {
			t.Errorf("%s: no labeled instances in the corpus", k)
			continue
		}
		if c.Recall() < 0.98 {
			t.Errorf("%s recall %.3f < 0.98", k, c.Recall())
		}
	}
	for _, k := range builtinTypes {
		if newerThanCorpus[k] {
			continue
		}
		if per[k] == nil || per[k].TP == 0 {
			t.Errorf("%s: not covered by the corpus", k)
		}
	}
	if total.Recall() < 0.90 {
		t.Errorf("overall recall %.3f < 0.90", total.Recall())
	}
	if total.Precision() < 0.95 {
		t.Errorf("overall precision %.3f < 0.95", total.Precision())
	}
}
