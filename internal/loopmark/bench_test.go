package loopmark

import "testing"

func BenchmarkCheck(b *testing.B) {
	m := marker(b, key(b))
	h := header(b, marked(b, m, pgpHeader, "pgp", now))
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := m.Check(h, now); !ok {
			b.Fatal("refused")
		}
	}
}
