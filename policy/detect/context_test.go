package detect

import (
	"math/rand/v2"
	"sort"
	"testing"
)

// TestContextLookupsAgreeWithBinarySearchInAnyOrder checks the cursor lookups against a plain
// binary search, for increasing, decreasing and random query orders.
func TestContextLookupsAgreeWithBinarySearchInAnyOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var hits []ctxHit
	for end := 5; end < 20000; end += 1 + r.IntN(60) {
		hits = append(hits, ctxHit{start: end - 1 - r.IntN(12), end: end, kind: 1 << r.IntN(16)})
		if r.IntN(4) == 0 { // a shorter term ending at the same place
			hits = append(hits, ctxHit{start: end - 1, end: end, kind: 1 << r.IntN(16)})
		}
	}
	refAfter := func(pos int) int { return sort.Search(len(hits), func(i int) bool { return hits[i].end > pos }) }
	refLabel := func(pos int) uint64 {
		for i := refAfter(pos) - 1; i >= 0; i-- {
			h := hits[i]
			if pos-h.end > labelWindow {
				return 0
			}
			if h.kind&labelKinds != 0 && h.start < pos {
				// The longest of the labels ending at the same place.
				for k := i - 1; k >= 0 && hits[k].end == h.end; k-- {
					if hits[k].kind&labelKinds != 0 && hits[k].start < h.start {
						h = hits[k]
					}
				}
				return h.kind & labelKinds
			}
		}
		return 0
	}
	refNear := func(start, end int) uint64 {
		var k uint64
		for _, h := range hits {
			if h.end >= start-nearWindow && h.start <= end+nearWindow {
				k |= h.kind
			}
		}
		return k
	}
	orders := map[string]func(i int) int{
		"increasing": func(i int) int { return i * 7 },
		"decreasing": func(i int) int { return 21000 - i*7 },
		"random":     func(int) int { return r.IntN(21000) - 200 },
		"jumps":      func(i int) int { return (i % 50) * 400 },
	}
	for name, pos := range orders {
		ci := ctxIndex{hits: hits}
		for i := range 3000 {
			p := pos(i)
			if got, want := ci.label(p), refLabel(p); got != want {
				t.Fatalf("%s: label(%d) = %x, want %x", name, p, got, want)
			}
			if got, want := ci.near(p, p+10), refNear(p, p+10); got != want {
				t.Fatalf("%s: near(%d) = %x, want %x", name, p, got, want)
			}
		}
	}
}
