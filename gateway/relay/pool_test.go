package relay

import (
	"fmt"
	"sync"
	"testing"

	"github.com/sealgate/sealgate/gateway/relay/smtpclient"
	"github.com/sealgate/sealgate/gateway/relay/tlspolicy"
	"github.com/sealgate/sealgate/internal/tlslevel"
)

func TestFiftyMessagesToSmarthostReuseFewConnections(t *testing.T) {
	sk := newSink(t, "127.0.0.1:0", nil)
	st := newMemStore()
	const n = 50
	for i := range n {
		st.put(testEnvelope(fmt.Sprintf("m%02d", i), "a@src.test", "b@dst.test"), testBody)
	}
	r := startRelay(t, Options{Smarthost: sk.addr, SmarthostTLS: "none", MaxPerDomain: 4}, st)
	for i := range n {
		if err := r.Submit(fmt.Sprintf("m%02d", i), []Copy{{Recipients: []string{"b@dst.test"}}}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "all delivered", func() bool { return len(sk.received()) == n && r.Depth() == 0 })
	if c := sk.sessionCount(); c > 10 {
		t.Fatalf("%d connections for %d messages; want them reused (at most MaxPerDomain=4 at a time)", c, n)
	} else {
		t.Logf("%d messages over %d connections", n, c)
	}
}

func TestIdleConnectionClosedByServerIsRedialedWithoutFailure(t *testing.T) {
	sk := newSink(t, "127.0.0.1:0", nil)
	st := newMemStore()
	st.put(testEnvelope("m1", "a@src.test", "b@dst.test"), testBody)
	st.put(testEnvelope("m2", "a@src.test", "b@dst.test"), testBody)
	var mu sync.Mutex
	var outcomes []Attempt
	opts := Options{Smarthost: sk.addr, SmarthostTLS: "none", OnAttempt: func(a Attempt) error {
		mu.Lock()
		outcomes = append(outcomes, a)
		mu.Unlock()
		return nil
	}}
	r := startRelay(t, opts, st)
	r.Submit("m1", []Copy{{Recipients: []string{"b@dst.test"}}})
	waitFor(t, "m1 removed", func() bool { return st.isRemoved("m1") })
	if r.pool.IdleCount() != 1 {
		t.Fatalf("%d idle connections after a delivery, want 1", r.pool.IdleCount())
	}
	sk.dropConnections() // the server times the idle client out
	r.Submit("m2", []Copy{{Recipients: []string{"b@dst.test"}}})
	waitFor(t, "m2 removed", func() bool { return st.isRemoved("m2") })
	mu.Lock()
	defer mu.Unlock()
	for _, a := range outcomes {
		if a.Outcome != StatusDelivered || a.Attempt != 1 {
			t.Errorf("attempt %+v; want every message delivered at the first attempt", a)
		}
	}
	if len(sk.received()) != 2 || sk.sessionCount() != 2 {
		t.Fatalf("sink got %d messages over %d connections; want 2 over 2 (a redial)", len(sk.received()), sk.sessionCount())
	}
}

func TestStopClosesIdleConnections(t *testing.T) {
	sk := newSink(t, "127.0.0.1:0", nil)
	st := newMemStore()
	st.put(testEnvelope("m1", "a@src.test", "b@dst.test"), testBody)
	r, err := New(Options{Hostname: "relay.test", Smarthost: sk.addr, SmarthostTLS: "none", Logger: testLogger()}, st)
	if err != nil {
		t.Fatal(err)
	}
	r.Start()
	r.Submit("m1", []Copy{{Recipients: []string{"b@dst.test"}}})
	waitFor(t, "m1 removed", func() bool { return st.isRemoved("m1") })
	if err := r.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := r.pool.IdleCount(); n != 0 {
		t.Fatalf("%d idle connections after Stop", n)
	}
}

func TestConnectionsAreNotSharedAcrossTLSLevels(t *testing.T) {
	sk := newSink(t, "127.0.0.1:0", nil)
	r, err := New(Options{Hostname: "relay.test", Smarthost: sk.addr, Logger: testLogger()}, newMemStore())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Stop(t.Context())
	sess, derr := r.client.Dial(t.Context(), "127.0.0.1", sk.addr, tlspolicy.Plan{Level: "may"})
	if derr != nil {
		t.Fatal(derr)
	}
	may := sess.Key()
	r.pool.Put(sess)
	for _, level := range []tlslevel.Level{"none", "encrypt", "verify", "implicit"} {
		if s := r.pool.Get(smtpclient.KeyFor(may.Name, may.Addr, tlspolicy.Plan{Level: level})); s != nil {
			t.Fatalf("a session set up for %q was handed out for %q", may.Level, level)
		}
	}
	if s := r.pool.Get(may); s == nil || !s.Reused() {
		t.Fatal("the session was not reusable at its own level")
	} else {
		s.Quit()
	}
}
