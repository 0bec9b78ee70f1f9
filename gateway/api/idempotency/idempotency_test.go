package idempotency

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func stores(t *testing.T, c *clock) map[string]Store {
	b, err := OpenBolt(filepath.Join(t.TempDir(), "idem.db"), Options{Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return map[string]Store{"bolt": b, "memory": NewMemory(Options{Now: c.now})}
}

func TestRecordIsScopedAndExpiresAfterTTL(t *testing.T) {
	ctx := context.Background()
	for name, s := range stores(t, &clock{t: time.Unix(1e9, 0)}) {
		t.Run(name, func(t *testing.T) {
			c := &clock{t: time.Unix(1e9, 0)}
			switch s := s.(type) {
			case *Bolt:
				s.opts.Now = c.now
			case *Memory:
				s.opts.Now = c.now
			}
			r := Record{RequestHash: "h1", MsgID: "m1", Created: c.now()}
			if err := s.Put(ctx, "keyA", "k", r); err != nil {
				t.Fatal(err)
			}
			if got, ok, err := s.Get(ctx, "keyA", "k"); err != nil || !ok || got.MsgID != "m1" || got.RequestHash != "h1" {
				t.Fatalf("Get = %+v %v %v", got, ok, err)
			}
			if _, ok, _ := s.Get(ctx, "keyB", "k"); ok {
				t.Fatal("another API key sees the record")
			}
			c.add(DefaultTTL - time.Second)
			if _, ok, _ := s.Get(ctx, "keyA", "k"); !ok {
				t.Fatal("record gone before the TTL")
			}
			if n, _ := s.Prune(ctx); n != 0 {
				t.Fatalf("Prune before TTL deleted %d", n)
			}
			c.add(time.Second)
			if _, ok, _ := s.Get(ctx, "keyA", "k"); ok {
				t.Fatal("expired record still returned")
			}
			if n, err := s.Prune(ctx); n != 1 || err != nil {
				t.Fatalf("Prune = %d, %v; want 1", n, err)
			}
		})
	}
}

func TestBoltRecordSurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "idem.db")
	s, err := OpenBolt(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Put(context.Background(), "a", "k", Record{RequestHash: "h", MsgID: "m", Created: time.Now()})
	s.Close()
	s, err = OpenBolt(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if r, ok, err := s.Get(context.Background(), "a", "k"); !ok || err != nil || r.MsgID != "m" {
		t.Fatalf("after reopen: %+v %v %v", r, ok, err)
	}
}

func TestRequestHashSeparatesFields(t *testing.T) {
	a := RequestHash("POST", "/v1/messages", "application/json", []byte("{}"))
	if a != RequestHash("POST", "/v1/messages", "application/json", []byte("{}")) {
		t.Fatal("hash is not deterministic")
	}
	for _, b := range []string{
		RequestHash("POST", "/v1/messages", "application/json", []byte("{ }")),
		RequestHash("POST", "/v1/messages", "application/jso", []byte("n{}")),
		RequestHash("POST", "/v1/messages?to=x", "application/json", []byte("{}")),
	} {
		if a == b {
			t.Fatal("different requests share a hash")
		}
	}
}

func TestValidKey(t *testing.T) {
	for _, k := range []string{"a", "order-123:retry", strings.Repeat("x", 255)} {
		if ValidKey(k) != nil {
			t.Errorf("ValidKey(%q) refused", k)
		}
	}
	for _, k := range []string{"", strings.Repeat("x", 256), "a\nb", "é", "tab\there"} {
		if ValidKey(k) == nil {
			t.Errorf("ValidKey(%q) accepted", k)
		}
	}
}

func TestLocksSerialiseOneKeyOnly(t *testing.T) {
	var l Locks
	unlock := l.Lock("s", "k")
	var got atomic.Int32
	done := make(chan struct{})
	go func() {
		u := l.Lock("s", "k")
		got.Store(1)
		u()
		close(done)
	}()
	// Another key is not blocked by the held one.
	other := make(chan struct{})
	go func() { l.Lock("s", "other")(); close(other) }()
	select {
	case <-other:
	case <-time.After(10 * time.Second):
		t.Fatal("an unrelated key waited")
	}
	if got.Load() != 0 {
		t.Fatal("second holder got the lock while the first held it")
	}
	unlock()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("waiter never got the lock")
	}
	l.mu.Lock()
	n := len(l.m)
	l.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d lock entries left after all unlocked", n)
	}
}

func TestRunPrunerDeletesExpiredRecords(t *testing.T) {
	c := &clock{t: time.Unix(1e9, 0)}
	s := NewMemory(Options{Now: c.now, TTL: time.Hour})
	s.Put(context.Background(), "a", "old", Record{Created: c.now()})
	c.add(2 * time.Hour)
	s.Put(context.Background(), "a", "new", Record{Created: c.now()})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { RunPruner(ctx, s, time.Millisecond, nil); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s.mu.Lock()
		n := len(s.m)
		s.mu.Unlock()
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d records left, want the new one only", n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	if _, ok, _ := s.Get(context.Background(), "a", "new"); !ok {
		t.Fatal("the live record was pruned")
	}
}
