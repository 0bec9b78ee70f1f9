package detect

import (
	"math/rand/v2"
	"testing"
)

func TestNextDigitFindsTheFirstDigitAfterAnyBytes(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for round := range 20000 {
		b := make([]byte, r.IntN(40))
		for i := range b {
			b[i] = byte(r.IntN(256))
			if r.IntN(3) > 0 && isDigit(b[i]) {
				b[i] = '/' + byte(r.IntN(2))*11 // '/' or ':', the neighbours of the digits
			}
		}
		from := r.IntN(len(b) + 1)
		want := from
		for want < len(b) && !isDigit(b[want]) {
			want++
		}
		if got := nextDigit(b, from); got != want {
			t.Fatalf("round %d: nextDigit(%q, %d) = %d, want %d", round, b, from, got, want)
		}
	}
}
