package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func openTestStore(t testing.TB, path string) *Bolt {
	t.Helper()
	s, err := OpenBolt(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func tempStore(t testing.TB) (*Bolt, string) {
	path := filepath.Join(t.TempDir(), "webhooks.db")
	s := openTestStore(t, path)
	t.Cleanup(func() { s.Close() })
	return s, path
}

// payload is what test events carry, so the receiver knows which
// message and position it got.
type payload struct {
	Type string `json:"type"`
	Data struct {
		MessageID string `json:"message_id"`
		N         int    `json:"n"`
	} `json:"data"`
}

func testEvent(msg string, n int, typ string) Event {
	var p payload
	p.Type, p.Data.MessageID, p.Data.N = typ, msg, n
	body, _ := json.Marshal(p)
	return Event{ID: fmt.Sprintf("evt_%s_%d", msg, n), Type: typ, Time: time.Now(), OrderKey: msg, Body: body}
}

// receiver is an httptest server that verifies every request's
// signature and hands it, decoded, to decide for a status.
type receiver struct {
	*httptest.Server
	keys [][]byte
	now  func() time.Time // the clock signatures are checked against

	mu       sync.Mutex
	badSig   int
	attempts int
	got      map[string]int // event ID -> 2xx answers
	decide   func(id string, p payload) int
}

func newReceiver(t testing.TB, secret string, decide func(id string, p payload) int) *receiver {
	t.Helper()
	key, err := ParseSecret(secret)
	if err != nil {
		t.Fatal(err)
	}
	r := &receiver{keys: [][]byte{key}, now: time.Now, got: map[string]int{}, decide: decide}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.attempts++
		if err := Verify(r.keys, req.Header, body, 5*time.Minute, r.now()); err != nil {
			r.badSig++
			r.mu.Unlock()
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var p payload
		_ = json.Unmarshal(body, &p)
		id := req.Header.Get(HeaderID)
		status := http.StatusNoContent
		if r.decide != nil {
			status = r.decide(id, p)
		}
		if status/100 == 2 {
			r.got[id]++
		}
		r.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) delivered() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.got)
}

func (r *receiver) count() (attempts, badSig int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.attempts, r.badSig
}

func mustSecret(t testing.TB) string {
	t.Helper()
	s, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func configEndpoint(id, url, secret string, events ...string) Endpoint {
	if len(events) == 0 {
		events = []string{"*"}
	}
	return Endpoint{ID: id, URL: url, Events: events, Secrets: []string{secret}, Source: SourceConfig}
}

// fastOptions retry within milliseconds so tests finish quickly.
func fastOptions(s Store, eps ...Endpoint) Options {
	return Options{
		Store: s, Endpoints: eps, AllowLoopbackHTTP: true,
		RetryMin: 2 * time.Millisecond, RetryMax: 20 * time.Millisecond, Timeout: 5 * time.Second,
	}
}

func startDispatcher(t testing.TB, o Options) *Dispatcher {
	t.Helper()
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	d, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	d.Start()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = d.Stop(ctx)
	})
	return d
}

// waitFor polls cond with a generous deadline: no test depends on speed.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func pendingOf(t testing.TB, s Store, id string) int {
	t.Helper()
	n, err := s.Pending(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return n[id]
}

// testWriter sends log lines to t.Log, shown when a test fails.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
