package detect

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// wideCopy returns the automaton with its uint16 table widened to int32, the layout used
// for automata too large for uint16.
func wideCopy(a *automaton) *automaton {
	w := *a
	w.delta16 = nil
	w.delta32 = make([]int32, len(a.delta16))
	for i, t := range a.delta16 {
		w.delta32[i] = int32(t &^ outFlag16)
		if t&outFlag16 != 0 {
			w.delta32[i] |= outFlag
		}
	}
	return &w
}

// TestSplitWalkFindsTheSameTermsAsOneWalk checks that walking the quarters at once reports
// exactly the hits of one walk, including terms that cross the boundaries.
func TestSplitWalkFindsTheSameTermsAsOneWalk(t *testing.T) {
	s := newScanner(t, Config{})
	if s.ac.delta16 == nil {
		t.Fatal("default automaton should use the uint16 table")
	}
	wide := wideCopy(s.ac)
	base := benchText(6*splitMin, false)
	for _, n := range []int{0, 1, 100, lanes*splitMin - 1, lanes * splitMin, lanes*splitMin + 3, 5 * splitMin} {
		for _, term := range []string{"congestive heart failure", "ssn", "metformin"} {
			for shift := -len(term); shift <= 1; shift++ {
				text := slices.Clone(base[:n])
				for k := 1; k < lanes; k++ { // across every boundary between walks
					if p := k*(n/lanes) + shift; p >= 1 && p+len(term)+1 <= n {
						text[p-1] = ' '
						copy(text[p:], term)
						text[p+len(term)] = ' '
					}
				}
				got := s.ac.run(text, s.pats, &acBufs{})
				want := wide.run(text, s.pats, &acBufs{})
				if !slices.Equal(got, want) {
					t.Fatalf("n=%d term=%q shift=%d: split walks %d hits, one walk %d", n, term, shift, len(got), len(want))
				}
			}
		}
	}
}

// TestLargeDictionaryUsesTheWideTable builds an automaton too large for uint16 states and
// checks that its terms are still found.
func TestLargeDictionaryUsesTheWideTable(t *testing.T) {
	terms := make([]string, 0, 40000)
	for i := range 40000 {
		terms = append(terms, fmt.Sprintf("zq%c%c%c%c", 'a'+i%26, 'a'+i/26%26, 'a'+i/676%26, 'a'+i/17576))
	}
	s := newScanner(t, Config{Dictionaries: map[string][]string{"codes": terms}})
	if s.ac.delta32 == nil {
		t.Fatalf("expected the int32 table for %d states", len(s.ac.outNext))
	}
	text := "Seen today: " + strings.Join([]string{terms[0], terms[12345], terms[39999]}, ", ") + " and zqzzzzz."
	f, ok := findingOf(scanOne(t, s, text), "codes")
	if !ok || f.Count != 3 {
		t.Fatalf("got %+v, want 3 codes", f)
	}
}
