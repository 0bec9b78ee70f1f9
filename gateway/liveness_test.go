package gateway

import (
	"context"
	"strings"
	"testing"
	"time"
)

// The watchdog's question: alive while running, not once stopped (the
// delivery scheduler no longer answers), and STATUS= carries only counts.
func TestAliveWhileRunningNotAfterStop(t *testing.T) {
	sink := startSink(t, "127.0.0.1:0")
	g := startGateway(t, writeConfig(t, sink.Addr(), ""))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := g.Alive(ctx); err != nil {
		t.Fatalf("running gateway not alive: %v", err)
	}
	if got, want := g.StatusLine(), "queue: 0 active, 0 deferred, 0 held"; got != want {
		t.Fatalf("status %q, want %q", got, want)
	}
	if err := g.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	short, cancel2 := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel2()
	if err := g.Alive(short); err == nil || !strings.HasPrefix(err.Error(), "relay: ") {
		t.Fatalf("stopped gateway: Alive = %v, want a relay error", err)
	}
}
