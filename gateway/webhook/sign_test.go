package webhook

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// Published vectors: the first is in every reference library's tests
// (go, python, java, php, ruby, javascript), the second in the Rust one.
var vectors = []struct {
	secret, msgID string
	unix          int64
	body, want    string
}{
	{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
		`{"test": 2432232314}`, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="},
	{"whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD", "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk", 1649367553,
		`{"email":"test@example.com","username":"test_user"}`, "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="},
}

func TestSignMatchesPublishedVectors(t *testing.T) {
	for _, v := range vectors {
		key, err := ParseSecret(v.secret)
		if err != nil {
			t.Fatal(err)
		}
		ts := time.Unix(v.unix, 0)
		if got := Sign(key, v.msgID, ts, []byte(v.body)); got != v.want {
			t.Errorf("Sign(%s) = %s, want %s", v.msgID, got, v.want)
		}
		h := Headers([][]byte{key}, v.msgID, ts, []byte(v.body))
		if err := Verify([][]byte{key}, h, []byte(v.body), 5*time.Minute, ts.Add(time.Minute)); err != nil {
			t.Errorf("Verify of the vector %s: %v", v.msgID, err)
		}
	}
}

func TestVerifyRejects(t *testing.T) {
	key, _ := ParseSecret(vectors[0].secret)
	other, _ := ParseSecret(vectors[1].secret)
	now := time.Unix(1700000000, 0)
	body := []byte(`{"type":"message.accepted"}`)
	good := func() http.Header { return Headers([][]byte{key}, "evt_1", now, body) }
	cases := []struct {
		name string
		h    func() http.Header
		body []byte
		now  time.Time
		want error
	}{
		{"missing id", func() http.Header { h := good(); h.Del(HeaderID); return h }, body, now, ErrMissingHeaders},
		{"missing signature", func() http.Header { h := good(); h.Del(HeaderSignature); return h }, body, now, ErrMissingHeaders},
		{"timestamp not a number", func() http.Header { h := good(); h.Set(HeaderTimestamp, "1e9"); return h }, body, now, ErrBadTimestamp},
		{"replayed late", good, body, now.Add(6 * time.Minute), ErrTooOld},
		{"from the future", good, body, now.Add(-6 * time.Minute), ErrTooNew},
		{"body changed", good, []byte(`{"type":"message.blocked"}`), now, ErrNoSignature},
		{"id changed", func() http.Header { h := good(); h.Set(HeaderID, "evt_2"); return h }, body, now, ErrNoSignature},
		{"other secret", func() http.Header { return Headers([][]byte{other}, "evt_1", now, body) }, body, now, ErrNoSignature},
		{"truncated signature", func() http.Header { h := good(); h.Set(HeaderSignature, h.Get(HeaderSignature)[:20]); return h }, body, now, ErrNoSignature},
		{"only v1a", func() http.Header {
			h := good()
			h.Set(HeaderSignature, strings.Replace(h.Get(HeaderSignature), "v1,", "v1a,", 1))
			return h
		}, body, now, ErrNoSignature},
	}
	for _, c := range cases {
		if err := Verify([][]byte{key}, c.h(), c.body, 5*time.Minute, c.now); !errors.Is(err, c.want) {
			t.Errorf("%s: Verify = %v, want %v", c.name, err, c.want)
		}
	}
}

func TestRotationSendsBothSignaturesAndEitherSecretVerifies(t *testing.T) {
	newS, _ := NewSecret()
	oldS, _ := NewSecret()
	newK, _ := ParseSecret(newS)
	oldK, _ := ParseSecret(oldS)
	now := time.Now()
	body := []byte(`{"type":"portal.opened"}`)
	h := Headers([][]byte{newK, oldK}, "evt_rot", now, body)
	if n := len(strings.Fields(h.Get(HeaderSignature))); n != 2 {
		t.Fatalf("webhook-signature holds %d signatures, want 2", n)
	}
	for name, s := range map[string]string{"new": newS, "old": oldS} {
		k, _ := ParseSecret(s)
		if err := Verify([][]byte{k}, h, body, time.Minute, now); err != nil {
			t.Errorf("receiver with only the %s secret: %v", name, err)
		}
		wh, err := standardwebhooks.NewWebhook(s)
		if err != nil {
			t.Fatal(err)
		}
		if err := wh.Verify(body, h); err != nil {
			t.Errorf("reference library with only the %s secret: %v", name, err)
		}
	}
}

func TestInteropWithReferenceLibrary(t *testing.T) {
	s, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	key, _ := ParseSecret(s)
	wh, err := standardwebhooks.NewWebhook(s)
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"type":"message.delivered","data":{"message_id":"m1"}}`)
	now := time.Now()

	// Ours signs, theirs verifies (it checks against its own clock).
	if err := wh.Verify(body, Headers([][]byte{key}, "evt_ours", now, body)); err != nil {
		t.Errorf("reference rejects our signature: %v", err)
	}
	// Theirs signs, ours verifies.
	sig, err := wh.Sign("evt_theirs", now, body)
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	h.Set(standardwebhooks.HeaderWebhookID, "evt_theirs")
	h.Set(standardwebhooks.HeaderWebhookTimestamp, Headers(nil, "x", now, nil).Get(HeaderTimestamp))
	h.Set(standardwebhooks.HeaderWebhookSignature, sig)
	if err := Verify([][]byte{key}, h, body, time.Minute, now); err != nil {
		t.Errorf("we reject the reference signature: %v", err)
	}
	if ours := Sign(key, "evt_theirs", now, body); ours != sig {
		t.Errorf("signatures differ: ours %s, reference %s", ours, sig)
	}
}

func TestParseSecret(t *testing.T) {
	s, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	if k, err := ParseSecret(s); err != nil || len(k) != 32 {
		t.Fatalf("ParseSecret(NewSecret()) = %d bytes, %v", len(k), err)
	}
	b64 := func(n int) string { return base64.StdEncoding.EncodeToString(make([]byte, n)) }
	bad := map[string]string{
		"no prefix":   b64(32),
		"bad base64":  SecretPrefix + "not*base64!" + b64(30),
		"too short":   SecretPrefix + b64(23),
		"too long":    SecretPrefix + b64(65),
		"only prefix": SecretPrefix,
	}
	for name, s := range bad {
		_, err := ParseSecret(s)
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		if rest := strings.TrimPrefix(s, SecretPrefix); len(rest) > 4 && strings.Contains(err.Error(), rest[:5]) {
			t.Errorf("%s: error %q repeats the secret", name, err)
		}
	}
	for _, n := range []int{24, 64} {
		if _, err := ParseSecret(SecretPrefix + b64(n)); err != nil {
			t.Errorf("%d bytes: %v", n, err)
		}
	}
}
