package dkim

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// BenchmarkSign10KB is the per-message DKIM cost on the relay's hot path:
// relaxed/relaxed over a 10 KB message, one signature per key type.
func BenchmarkSign10KB(b *testing.B) {
	body := strings.Repeat(strings.Repeat("x", 76)+"\n", 10240/77)
	msg := crlf(simpleMsg + body)
	for _, alg := range []string{"rsa", "ed25519"} {
		b.Run(alg, func(b *testing.B) {
			s := NewSigner([]*Key{testKey(nil, alg, "example.com", "s1")}, nil)
			b.SetBytes(int64(len(msg)))
			b.ReportAllocs()
			for b.Loop() {
				signed, err := s.Sign(io.Discard, bytes.NewReader(msg))
				if err != nil || !signed {
					b.Fatalf("signed %v, err %v", signed, err)
				}
			}
		})
	}
}
