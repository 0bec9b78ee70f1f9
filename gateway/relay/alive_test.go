package relay

import (
	"context"
	"testing"
	"time"
)

// Alive is the watchdog's question to the delivery scheduler: answered
// while it runs, not before Start (no loop yet), not after Stop.
func TestAliveOnlyWhileTheSchedulerRuns(t *testing.T) {
	r, err := New(Options{Hostname: "relay.test", Smarthost: "127.0.0.1:1", SmarthostTLS: "none", Logger: testLogger()}, newMemStore())
	if err != nil {
		t.Fatal(err)
	}
	short := func() context.Context {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		t.Cleanup(cancel)
		return ctx
	}
	if err := r.Alive(short()); err == nil {
		t.Fatal("alive before Start")
	}
	r.Start()
	for i := 0; i < 3; i++ {
		if err := r.Alive(short()); err != nil {
			t.Fatalf("running scheduler: %v", err)
		}
	}
	if err := r.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := r.Alive(short()); err == nil || err.Error() != "relay: stopped" {
		t.Fatalf("after Stop: %v", err)
	}
}
