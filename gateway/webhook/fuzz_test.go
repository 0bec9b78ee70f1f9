package webhook

import (
	"net/http"
	"testing"
	"time"
)

// FuzzVerify: any headers and body, never a panic; what Headers signed
// always verifies, and changing the body never does.
func FuzzVerify(f *testing.F) {
	f.Add("evt_1", "1700000000", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", []byte(`{"a":1}`))
	f.Add("msg", "-1", "v1, v1a,xx v1,==== ", []byte{})
	f.Add("x", "99999999999999999999", "v2,abc", []byte("\x00"))
	key, _ := ParseSecret(vectors[0].secret)
	keys := [][]byte{key}
	now := time.Unix(1700000000, 0)
	f.Fuzz(func(t *testing.T, id, ts, sig string, body []byte) {
		h := http.Header{}
		h.Set(HeaderID, id)
		h.Set(HeaderTimestamp, ts)
		h.Set(HeaderSignature, sig)
		_ = Verify(keys, h, body, time.Hour, now)

		good := Headers(keys, id, now, body)
		if id != "" {
			if err := Verify(keys, good, body, time.Minute, now); err != nil {
				t.Fatalf("our own signature rejected: %v", err)
			}
			if err := Verify(keys, good, append(body, 'x'), time.Minute, now); err == nil {
				t.Fatal("a changed body verified")
			}
		}
	})
}

// FuzzParseSecret: never a panic, and an accepted secret has 24 to 64 bytes.
func FuzzParseSecret(f *testing.F) {
	f.Add(vectors[0].secret)
	f.Add("whsec_")
	f.Add("whsec_====")
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParseSecret(s)
		if err == nil && (len(k) < minSecretBytes || len(k) > maxSecretBytes) {
			t.Fatalf("accepted a %d-byte secret", len(k))
		}
	})
}
