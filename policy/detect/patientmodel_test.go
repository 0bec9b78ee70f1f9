package detect

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

func TestPatientModelEncodeParse(t *testing.T) {
	w := map[uint64]float32{3: 0.5, 1: -1.25, 99: 2}
	m, err := ParsePatientModel(EncodePatientModel(-0.75, w))
	if err != nil {
		t.Fatal(err)
	}
	for h, want := range w {
		if i := m.index(h); i < 0 || m.w[i] != want {
			t.Errorf("round trip: weight of %d: index %d", h, i)
		}
	}
	if m.bias != -0.75 || len(m.w) != 3 || m.index(2) != -1 {
		t.Fatalf("round trip: bias %v weights %v", m.bias, m.w)
	}
	for _, bad := range [][]byte{nil, []byte("SGPM1\n"), append(EncodePatientModel(0, w), 0)} {
		if _, err := ParsePatientModel(bad); err == nil {
			t.Errorf("ParsePatientModel(%d bytes) accepted", len(bad))
		}
	}
	if _, err := LoadPatientModel(); err != nil {
		t.Fatalf("shipped model: %v", err)
	}
}

// Features do not depend on how the text is cut into writes, and a listed
// name is read as its shape, never as the word.
func TestPatientFeaturesChunkingAndNames(t *testing.T) {
	text := "Re: Margaret Okafor\nMargaret's biopsy came back; call her daughter re: #4471 (today).\n"
	whole := NewPatientFeatures(nil)
	whole.Write([]byte(text))
	whole.EndPart()
	bytewise := NewPatientFeatures(nil)
	for i := 0; i < len(text); i++ {
		bytewise.Write([]byte{text[i]})
	}
	bytewise.EndPart()
	if !slices.Equal(whole.Features(), bytewise.Features()) {
		t.Fatal("features differ between one write and byte-by-byte writes")
	}
	has := func(f *PatientFeatures, word string) bool {
		_, ok := f.seen[fnvString(word)]
		return ok
	}
	if has(whole, "margaret") || has(whole, "okafor") {
		t.Error("a listed name is a feature as itself")
	}
	if !has(whole, "<given>") || !has(whole, "biopsy") || !has(whole, "<num>") {
		t.Errorf("features miss <given>, biopsy or <num>")
	}
	// A lowercase word that is also a name is a word ("will", "grace").
	lc := NewPatientFeatures(nil)
	lc.Write([]byte("by grace of the committee"))
	lc.EndPart()
	if !has(lc, "grace") {
		t.Error("a lowercase word became a name shape")
	}
}

// A scoring collector keeps only what the model weighs, so a huge part costs
// no memory, and its probability equals that of the full feature set.
func TestPatientFeaturesScoringKeepsOnlyWeighted(t *testing.T) {
	m, err := LoadPatientModel()
	if err != nil {
		t.Fatal(err)
	}
	text := []byte(strings.Repeat("Quarterly badge audit: zqxw"+strings.Repeat("k", 8)+" entries reconciled. ", 2000) +
		"Pt Harold Jennings was admitted overnight with chest pain; troponin pending.\n")
	full := NewPatientFeatures(nil)
	full.Write(text)
	full.EndPart()
	scoring := NewPatientFeatures(m)
	scoring.Write(text)
	scoring.EndPart()
	if len(scoring.seen) != 0 || len(scoring.on) != (len(m.w)+63)/64 {
		t.Fatalf("scoring collector keeps %d features and %d words of bits", len(scoring.seen), len(scoring.on))
	}
	p1, p2 := m.Probability(full), m.Probability(scoring)
	if d := p1 - p2; d > 1e-9 || d < -1e-9 {
		t.Fatalf("probability %v with every feature, %v with the weighted ones", p1, p2)
	}
}

func TestPatientContextFindingThresholds(t *testing.T) {
	for _, c := range []struct {
		p    float64
		ok   bool
		conf Confidence
	}{{0.2, false, Low}, {0.69, false, Low}, {0.7, true, Medium}, {0.89, true, Medium}, {0.9, true, High}, {1, true, High}} {
		f, ok := PatientContextFinding(c.p)
		if ok != c.ok || (ok && (f.Confidence != c.conf || f.Type != TypePatientContext || f.Count != 1)) {
			t.Errorf("p=%v: %+v %v", c.p, f, ok)
		}
	}
}

// BenchmarkPatientFeatures is the model's cost per byte of text, scoring
// (only weighted features kept), on the same text as BenchmarkScanPlainText.
func BenchmarkPatientFeatures(b *testing.B) {
	m, err := LoadPatientModel()
	if err != nil {
		b.Fatal(err)
	}
	text := bytes.Repeat([]byte("Please find the referral for Ms. Alvarez attached; she was seen on 3/4 for follow-up of her asthma. "+
		"The quarterly report is due Friday, and the parking garage will close at 6 pm for maintenance. "), 200)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		f := NewPatientFeatures(m)
		f.Write(text)
		f.EndPart()
		_ = m.Probability(f)
	}
}
