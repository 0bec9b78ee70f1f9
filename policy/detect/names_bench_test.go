package detect

import (
	"slices"
	"testing"
)

// BenchmarkScanPlainTextNoNames is BenchmarkScanPlainText without the person-name pass:
// the difference is the name detector's own cost.
func BenchmarkScanPlainTextNoNames(b *testing.B) {
	en := slices.DeleteFunc(Types(), func(t string) bool { return t == TypePersonName })
	benchScanWith(b, Config{Enabled: en}, benchText(1<<20, false))
}

// BenchmarkScanNamesOnly runs the person-name pass alone (plus the keyword automaton,
// which every scan runs).
func BenchmarkScanNamesOnly(b *testing.B) {
	benchScanWith(b, Config{Enabled: []string{TypePersonName}}, benchText(1<<20, false))
}

// BenchmarkNamePass is the person-name pass by itself, without the shared keyword pass.
func BenchmarkNamePass(b *testing.B) {
	text := benchText(1<<20, false)
	s := newScanner(b, Config{})
	n := 0
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		s.scanNames(text, 0, len(text), nil, func(hit) { n++ }, nil)
	}
}
