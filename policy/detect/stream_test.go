package detect

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
)

// safeCutByCoverage is the obvious definition of safeCut: count, for every position, the
// spans that hold it strictly, and take the last position held by none.
func safeCutByCoverage(spans [][2]int, from, limit int) int {
	best := -1
	for c := from + 1; c <= limit; c++ {
		held := false
		for _, sp := range spans {
			if sp[0] < c && c < sp[1] {
				held = true
				break
			}
		}
		if !held {
			best = c
		}
	}
	return best
}

func TestSafeCutIsTheLastPositionInsideNoSpan(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for round := range 5000 {
		// Short spans over a short text, and long overlapping ones that push the cut
		// further than cutTail below limit.
		n, long := 1+r.IntN(200), 40
		if round%2 == 1 {
			n, long = 1+r.IntN(4*cutTail), 2*cutTail
		}
		var spans [][2]int
		for range r.IntN(12) {
			a := r.IntN(n+20) - 10
			spans = append(spans, [2]int{a, a + r.IntN(long)})
		}
		from, limit := r.IntN(n)-5, r.IntN(n+10)
		want := safeCutByCoverage(spans, from, limit)
		if got := safeCut(spans, from, limit); got != want {
			t.Fatalf("round %d: safeCut(%v, %d, %d) = %d, want %d", round, spans, from, limit, got, want)
		}
	}
}

// TestConcurrentScansAndStreamsAgreeWithSerialOnes shares one Scanner (and its pooled
// working slices) among goroutines scanning different texts of different sizes.
func TestConcurrentScansAndStreamsAgreeWithSerialOnes(t *testing.T) {
	s := newScanner(t, Config{})
	texts := [][]byte{benchText(300, false), benchText(3000, true), benchText(20<<10, false), benchText(200<<10, true)}
	want := make([][]Finding, len(texts))
	for i, text := range texts {
		want[i] = s.Scan(text, Location{Field: "body"})
	}
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range 6 {
				i := (g + k) % len(texts)
				got := s.Scan(texts[i], Location{Field: "body"})
				st := s.NewStream(Location{Field: "body"})
				for p := 0; p < len(texts[i]); p += 5000 {
					st.Write(texts[i][p:min(p+5000, len(texts[i]))])
				}
				if !equalFindings(got, want[i]) || !equalFindings(st.Findings(), want[i]) {
					errs <- fmt.Sprintf("goroutine %d, text %d: findings differ from a serial scan", g, i)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
