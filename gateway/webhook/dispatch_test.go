package webhook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

var messageEvents = []string{"message.accepted", "message.held", "message.delivered", "portal.opened"}

func TestEachMessagesEventsArriveInOrderWhenReceiverFailsRandomly(t *testing.T) {
	const messages = 40
	secret := mustSecret(t)
	var mu sync.Mutex
	accepted := map[string]int{} // message -> highest n answered 2xx
	var violations []string
	rcv := newReceiver(t, secret, func(id string, p payload) int {
		mu.Lock()
		defer mu.Unlock()
		last, seen := accepted[p.Data.MessageID]
		if !seen {
			last = -1
		}
		if p.Data.N > last+1 {
			violations = append(violations, fmt.Sprintf("%s: event %d arrived before %d was accepted", p.Data.MessageID, p.Data.N, last+1))
		}
		if rand.IntN(10) < 3 {
			return http.StatusInternalServerError
		}
		accepted[p.Data.MessageID] = max(last, p.Data.N)
		return http.StatusOK
	})
	s, _ := tempStore(t)
	d := startDispatcher(t, fastOptions(s, configEndpoint("ep1", rcv.URL, secret)))

	// One producer per message: events of a message are added in order,
	// messages interleave freely.
	var wg sync.WaitGroup
	for m := range messages {
		wg.Go(func() {
			for n, typ := range messageEvents {
				if err := d.Emit([]Event{testEvent(fmt.Sprintf("m%02d", m), n, typ)}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	want := messages * len(messageEvents)
	waitFor(t, "every event delivered", func() bool { return rcv.delivered() == want })
	waitFor(t, "an empty outbox", func() bool { return pendingOf(t, s, "ep1") == 0 })
	mu.Lock()
	defer mu.Unlock()
	for _, v := range violations {
		t.Error(v)
	}
	attempts, bad := rcv.count()
	if bad != 0 {
		t.Errorf("%d requests with a bad signature", bad)
	}
	if attempts <= want {
		t.Errorf("%d attempts for %d events: the receiver's failures did not happen", attempts, want)
	}
	t.Logf("%d events, %d attempts", want, attempts)
}

func TestReceiverDownThenUpGetsEverything(t *testing.T) {
	secret := mustSecret(t)
	var down atomic.Bool
	down.Store(true)
	rcv := newReceiver(t, secret, func(string, payload) int {
		if down.Load() {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	s, _ := tempStore(t)
	d := startDispatcher(t, fastOptions(s, configEndpoint("ep1", rcv.URL, secret)))
	var evs []Event
	for m := range 10 {
		for n, typ := range messageEvents {
			evs = append(evs, testEvent(fmt.Sprintf("m%d", m), n, typ))
		}
	}
	if err := d.Emit(evs); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "60 refused attempts", func() bool { a, _ := rcv.count(); return a >= 60 })
	if n := rcv.delivered(); n != 0 {
		t.Fatalf("%d delivered while down", n)
	}
	st := d.Endpoints()[0]
	if st.LastStatus != http.StatusServiceUnavailable || st.LastError == "" || st.FailingSince.IsZero() || st.Pending != len(evs) {
		t.Errorf("status while down = %+v", st)
	}
	down.Store(false)
	waitFor(t, "every event delivered", func() bool { return rcv.delivered() == len(evs) })
	waitFor(t, "an empty outbox", func() bool { return pendingOf(t, s, "ep1") == 0 })
	if st := d.Endpoints()[0]; st.LastSuccess.IsZero() || !st.FailingSince.IsZero() {
		t.Errorf("status after recovery = %+v", st)
	}
}

func TestRestartMidFlightLosesNothing(t *testing.T) {
	secret := mustSecret(t)
	rcv := newReceiver(t, secret, func(string, payload) int {
		time.Sleep(2 * time.Millisecond) // keep attempts in flight at the stop
		return http.StatusOK
	})
	s, path := tempStore(t)
	o := fastOptions(s, configEndpoint("ep1", rcv.URL, secret))
	d, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	d.Start()
	var evs []Event
	for m := range 25 {
		for n, typ := range messageEvents {
			evs = append(evs, testEvent(fmt.Sprintf("m%d", m), n, typ))
		}
	}
	if err := d.Emit(evs); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "some deliveries", func() bool { return rcv.delivered() >= 10 })
	// A stop that does not wait: what is in flight is abandoned.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	stopErr := d.Stop(ctx)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	before := rcv.delivered()
	t.Logf("stopped after %d of %d (stop: %v)", before, len(evs), stopErr)
	if before == len(evs) {
		t.Fatal("everything was delivered before the stop: the test proves nothing")
	}

	s2 := openTestStore(t, path)
	defer s2.Close()
	o.Store = s2
	startDispatcher(t, o)
	waitFor(t, "every event delivered after the restart", func() bool { return rcv.delivered() == len(evs) })
	waitFor(t, "an empty outbox", func() bool { return pendingOf(t, s2, "ep1") == 0 })
}

func TestDisabledAfterPersistentFailureAndEnableResumes(t *testing.T) {
	secret := mustSecret(t)
	// The real clock plus a jump of a day per failure: schedules still
	// come due, and DisableAfter is reached in four attempts.
	var offset atomic.Int64
	now := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	var up atomic.Bool
	var whileDisabled atomic.Int32
	var isDisabled atomic.Bool
	rcv := newReceiver(t, secret, func(string, payload) int {
		if isDisabled.Load() && !up.Load() {
			whileDisabled.Add(1)
		}
		if up.Load() {
			return http.StatusOK
		}
		offset.Add(int64(25 * time.Hour))
		return http.StatusBadGateway
	})
	rcv.mu.Lock()
	rcv.now = now
	rcv.mu.Unlock()

	s, _ := tempStore(t)
	disabled := make(chan string, 1)
	o := fastOptions(s, configEndpoint("ep1", rcv.URL, secret))
	o.Now = now
	o.Concurrency = 1
	// A lease is held for Timeout plus a minute. The clock jumps a day
	// during each attempt, so with the usual 5 s the lease of the attempt
	// being recorded had expired and the worker leased the same event
	// again (5 attempts instead of 4 in about 1 run in 400).
	o.Timeout = 30 * time.Hour
	o.OnDisabled = func(ep Endpoint, reason string) {
		if !ep.Disabled || ep.ID != "ep1" || ep.DisabledReason != reason {
			t.Errorf("OnDisabled got %+v", ep)
		}
		isDisabled.Store(true)
		disabled <- reason
	}
	d := startDispatcher(t, o)
	evs := []Event{testEvent("m1", 0, "message.accepted"), testEvent("m1", 1, "message.delivered")}
	if err := d.Emit(evs); err != nil {
		t.Fatal(err)
	}
	var reason string
	select {
	case reason = <-disabled:
	case <-time.After(30 * time.Second):
		t.Fatal("endpoint never disabled")
	}
	if !strings.Contains(reason, "502") {
		t.Errorf("reason %q does not name the last failure", reason)
	}
	attempts, _ := rcv.count()
	if attempts != 4 { // failures at +0h, +25h, +50h, +75h: 75h >= 72h
		t.Errorf("%d attempts before disabling, want 4", attempts)
	}
	st := d.Endpoints()[0]
	if !st.Disabled || st.DisabledReason != reason || st.Pending != 2 {
		t.Errorf("status after disabling = %+v", st)
	}
	states, err := s.States(t.Context())
	if err != nil || !states["ep1"].Disabled {
		t.Errorf("disabled state not stored: %+v, %v", states, err)
	}
	// Disabled survives a new dispatcher over the same store.
	d2, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	if !d2.Endpoints()[0].Disabled {
		t.Error("a new dispatcher forgot the endpoint is disabled")
	}

	// Emit while disabled queues; nothing is sent until Enable.
	if err := d.Emit([]Event{testEvent("m2", 0, "message.accepted")}); err != nil {
		t.Fatal(err)
	}
	if n := pendingOf(t, s, "ep1"); n != 3 {
		t.Errorf("pending while disabled = %d, want 3", n)
	}
	up.Store(true)
	if err := d.Enable("ep1"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "every event delivered after Enable", func() bool { return rcv.delivered() == 3 })
	waitFor(t, "an empty outbox", func() bool { return pendingOf(t, s, "ep1") == 0 })
	if n := whileDisabled.Load(); n != 0 {
		t.Errorf("%d requests while disabled", n)
	}
	if st := d.Endpoints()[0]; st.Disabled || !st.FailingSince.IsZero() {
		t.Errorf("status after Enable = %+v", st)
	}
	if err := d.Enable("nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Enable(unknown) = %v", err)
	}
}

func TestRotationBothSignaturesVerifyOverHTTP(t *testing.T) {
	newS, oldS := mustSecret(t), mustSecret(t)
	var mu sync.Mutex
	verified := map[string]error{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := make([]byte, r.ContentLength)
		_, _ = r.Body.Read(body)
		mu.Lock()
		defer mu.Unlock()
		for name, s := range map[string]string{"new": newS, "old": oldS} {
			wh, _ := standardwebhooks.NewWebhook(s)
			verified[name] = wh.Verify(body, r.Header)
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	s, _ := tempStore(t)
	ep := configEndpoint("rot", srv.URL, newS)
	ep.Secrets = []string{newS, oldS}
	d := startDispatcher(t, fastOptions(s, ep))
	if err := d.Emit([]Event{testEvent("m1", 0, "message.accepted")}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the delivery", func() bool { return pendingOf(t, s, "rot") == 0 })
	mu.Lock()
	defer mu.Unlock()
	for _, name := range []string{"new", "old"} {
		if err, ok := verified[name]; !ok || err != nil {
			t.Errorf("reference library with only the %s secret: %v (checked %v)", name, err, ok)
		}
	}
}

func TestRotateSecretKeepsThePreviousOne(t *testing.T) {
	s, _ := tempStore(t)
	d := startDispatcher(t, fastOptions(s))
	ep, err := d.CreateEndpoint(t.Context(), "https://hooks.example.org/in", []string{"portal.*"})
	if err != nil {
		t.Fatal(err)
	}
	first := ep.Secrets[0]
	second, err := d.RotateSecret(t.Context(), ep.ID)
	if err != nil {
		t.Fatal(err)
	}
	third, err := d.RotateSecret(t.Context(), ep.ID)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := s.APIEndpoints(t.Context())
	if err != nil || len(stored) != 1 {
		t.Fatalf("stored endpoints %v, %v", stored, err)
	}
	if got := stored[0].Secrets; len(got) != 2 || got[0] != third || got[1] != second {
		t.Errorf("secrets after two rotations: %d, newest kept %v, previous kept %v, first dropped %v",
			len(got), got[0] == third, len(got) > 1 && got[1] == second, !strings.Contains(strings.Join(got, " "), first))
	}
	if _, err := d.RotateSecret(t.Context(), "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("RotateSecret(unknown) = %v", err)
	}
}

func TestRedirectIsAFailureAndNotFollowed(t *testing.T) {
	secret := mustSecret(t)
	var followed, redirected atomic.Int32
	var fixed atomic.Bool
	rcv := newReceiver(t, secret, nil)
	mux := http.NewServeMux()
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) { followed.Add(1); w.WriteHeader(http.StatusOK) })
	mux.HandleFunc("/hook", func(w http.ResponseWriter, r *http.Request) {
		if fixed.Load() {
			rcv.Config.Handler.ServeHTTP(w, r)
			return
		}
		redirected.Add(1)
		http.Redirect(w, r, "/moved", http.StatusTemporaryRedirect)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	s, _ := tempStore(t)
	d := startDispatcher(t, fastOptions(s, configEndpoint("ep1", srv.URL+"/hook", secret)))
	if err := d.Emit([]Event{testEvent("m1", 0, "message.accepted")}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "three redirects", func() bool { return redirected.Load() >= 3 })
	if st := d.Endpoints()[0]; st.LastStatus != http.StatusTemporaryRedirect || st.Pending != 1 {
		t.Errorf("status after redirects = %+v", st)
	}
	fixed.Store(true)
	waitFor(t, "the delivery", func() bool { return rcv.delivered() == 1 })
	if n := followed.Load(); n != 0 {
		t.Errorf("redirect followed %d times", n)
	}
}

func TestTestSendsASignedWebhookTest(t *testing.T) {
	secret := mustSecret(t)
	var gotType atomic.Value
	rcv := newReceiver(t, secret, func(_ string, p payload) int { gotType.Store(p.Type); return http.StatusAccepted })
	failing := newReceiver(t, secret, func(string, payload) int { return http.StatusInternalServerError })
	s, _ := tempStore(t)
	d := startDispatcher(t, fastOptions(s, configEndpoint("ok", rcv.URL, secret), configEndpoint("bad", failing.URL, secret)))
	for _, ref := range []string{"ok", rcv.URL} {
		status, err := d.Test(t.Context(), ref)
		if err != nil || status != http.StatusAccepted {
			t.Errorf("Test(%s) = %d, %v", ref, status, err)
		}
	}
	if got, _ := gotType.Load().(string); got != TestEventType {
		t.Errorf("receiver got type %q", got)
	}
	if _, bad := rcv.count(); bad != 0 {
		t.Errorf("%d bad signatures", bad)
	}
	if status, err := d.Test(t.Context(), "bad"); status != http.StatusInternalServerError || err == nil {
		t.Errorf("Test(bad) = %d, %v", status, err)
	}
	if _, err := d.Test(t.Context(), "https://unknown.example/"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Test(unknown) = %v", err)
	}
	if n := pendingOf(t, s, "ok") + pendingOf(t, s, "bad"); n != 0 {
		t.Errorf("Test went through the outbox: %d pending", n)
	}
}

func TestFilterSendsOnlySubscribedTypes(t *testing.T) {
	secret := mustSecret(t)
	var mu sync.Mutex
	types := map[string][]string{}
	mk := func(name string) *receiver {
		return newReceiver(t, secret, func(_ string, p payload) int {
			mu.Lock()
			types[name] = append(types[name], p.Type)
			mu.Unlock()
			return http.StatusOK
		})
	}
	portal, one, all := mk("portal"), mk("one"), mk("all")
	s, _ := tempStore(t)
	d := startDispatcher(t, fastOptions(s,
		configEndpoint("portal", portal.URL, secret, "portal.*"),
		configEndpoint("one", one.URL, secret, "message.bounced"),
		configEndpoint("all", all.URL, secret, "*")))
	var evs []Event
	for i, typ := range EventTypes {
		evs = append(evs, testEvent(fmt.Sprintf("m%d", i), 0, typ))
	}
	if err := d.Emit(evs); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "all endpoints served", func() bool {
		return all.delivered() == len(EventTypes) && portal.delivered() == 7 && one.delivered() == 1
	})
	mu.Lock()
	defer mu.Unlock()
	for _, typ := range types["portal"] {
		if !strings.HasPrefix(typ, "portal.") {
			t.Errorf("portal.* endpoint got %s", typ)
		}
	}
	if len(types["one"]) != 1 || types["one"][0] != "message.bounced" {
		t.Errorf("message.bounced endpoint got %v", types["one"])
	}
}

func TestAPIEndpointsPersistAndDeleteDropsTheirOutbox(t *testing.T) {
	secret := mustSecret(t)
	rcv := newReceiver(t, secret, func(string, payload) int { return http.StatusInternalServerError })
	s, path := tempStore(t)
	o := fastOptions(s)
	o.RetryMin, o.RetryMax = time.Hour, time.Hour
	d, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	ep, err := d.CreateEndpoint(t.Context(), rcv.URL, []string{"message.*"})
	if err != nil {
		t.Fatal(err)
	}
	if ep.Source != SourceAPI || len(ep.Secrets) != 1 || !strings.HasPrefix(ep.ID, "ep_") {
		t.Errorf("created %+v", ep)
	}
	if _, err := d.CreateEndpoint(t.Context(), "http://example.org/", []string{"*"}); err == nil {
		t.Error("created an endpoint with a plain-http remote URL")
	}
	if _, err := d.CreateEndpoint(t.Context(), rcv.URL, []string{"message.sent"}); err == nil {
		t.Error("created an endpoint with an unknown event type")
	}
	if err := d.Emit([]Event{testEvent("m1", 0, "message.accepted")}); err != nil {
		t.Fatal(err)
	}
	for _, st := range d.Endpoints() {
		if st.Secrets != nil {
			t.Error("Endpoints shows secrets")
		}
	}
	s.Close()

	s2 := openTestStore(t, path)
	defer s2.Close()
	o.Store = s2
	d2, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	sts := d2.Endpoints()
	if len(sts) != 1 || sts[0].ID != ep.ID || sts[0].Pending != 1 || sts[0].URL != rcv.URL {
		t.Fatalf("after reopening: %+v", sts)
	}
	if err := d2.SetEndpoints([]Endpoint{configEndpoint(ep.ID, rcv.URL, secret)}); err == nil {
		t.Error("a config endpoint took an API endpoint's ID")
	}
	if err := d2.DeleteEndpoint(t.Context(), ep.ID); err != nil {
		t.Fatal(err)
	}
	if len(d2.Endpoints()) != 0 || pendingOf(t, s2, ep.ID) != 0 {
		t.Errorf("after delete: %+v", d2.Endpoints())
	}
	if err := d2.DeleteEndpoint(t.Context(), ep.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("second delete = %v", err)
	}
}

func TestSetEndpointsReloads(t *testing.T) {
	secret := mustSecret(t)
	a := newReceiver(t, secret, nil)
	b := newReceiver(t, secret, nil)
	s, _ := tempStore(t)
	d := startDispatcher(t, fastOptions(s, configEndpoint("x", a.URL, secret)))
	bad := []Endpoint{configEndpoint("x", a.URL, secret), configEndpoint("x", b.URL, secret), configEndpoint("y", "http://example.org", secret)}
	err := d.SetEndpoints(bad)
	if err == nil {
		t.Fatal("a bad reload was accepted")
	}
	for _, want := range []string{"url", "listed twice"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("reload error %q does not mention %s", err, want)
		}
	}
	if err := d.SetEndpoints([]Endpoint{configEndpoint("x", b.URL, secret), configEndpoint("y", a.URL, secret)}); err != nil {
		t.Fatal(err)
	}
	if err := d.Emit([]Event{testEvent("m1", 0, "message.accepted")}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "both endpoints served", func() bool { return a.delivered() == 1 && b.delivered() == 1 })
	if err := d.SetEndpoints(nil); err != nil {
		t.Fatal(err)
	}
	if n := len(d.Endpoints()); n != 0 {
		t.Errorf("%d endpoints after removing all", n)
	}
}

func TestMetricsCountDeliveriesAndPending(t *testing.T) {
	secret := mustSecret(t)
	var fail atomic.Bool
	fail.Store(true)
	rcv := newReceiver(t, secret, func(string, payload) int {
		if fail.Swap(false) {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	s, _ := tempStore(t)
	reg := prometheus.NewRegistry()
	o := fastOptions(s, configEndpoint("ep1", rcv.URL, secret))
	o.Registerer = reg
	d := startDispatcher(t, o)
	if err := d.Emit([]Event{testEvent("m1", 0, "message.accepted"), testEvent("m1", 1, "message.delivered")}); err != nil {
		t.Fatal(err)
	}
	gather := func() map[string]float64 {
		got := map[string]float64{}
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			for _, m := range mf.GetMetric() {
				name := mf.GetName()
				for _, l := range m.GetLabel() {
					name += "," + l.GetName() + "=" + l.GetValue()
				}
				got[name] = m.GetCounter().GetValue() + m.GetGauge().GetValue()
			}
		}
		return got
	}
	// The outbox entry goes before the counter moves: wait for both.
	var got map[string]float64
	waitFor(t, "the deliveries", func() bool {
		got = gather()
		return pendingOf(t, s, "ep1") == 0 && got["sealgate_webhook_deliveries_total,endpoint=ep1,result=delivered"] == 2
	})
	want := map[string]float64{
		"sealgate_webhook_deliveries_total,endpoint=ep1,result=delivered": 2,
		"sealgate_webhook_deliveries_total,endpoint=ep1,result=failed":    1,
		"sealgate_webhook_pending,endpoint=ep1":                           0,
		"sealgate_webhook_endpoint_disabled,endpoint=ep1":                 0,
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s = %v (present %v), want %v", k, g, ok, v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("metrics %v, want exactly %v", got, want)
	}
}

func TestEmitRejectsBadEvents(t *testing.T) {
	s, _ := tempStore(t)
	d := startDispatcher(t, fastOptions(s))
	for name, ev := range map[string]Event{
		"dot in id":    {ID: "evt.1", Type: "message.accepted", Body: []byte("{}")},
		"empty id":     {Type: "message.accepted", Body: []byte("{}")},
		"unknown type": {ID: "evt_1", Type: "message.sent", Body: []byte("{}")},
		"no body":      {ID: "evt_1", Type: "message.accepted"},
	} {
		if err := d.Emit([]Event{ev}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestBackoffGrowsWithinBoundsWithoutLimit(t *testing.T) {
	s, _ := tempStore(t)
	d, err := New(Options{Store: s})
	if err != nil {
		t.Fatal(err)
	}
	prevBase := time.Duration(0)
	for n := 1; n <= 1000; n++ { // no attempt count overflows or gives up
		delay := d.backoff(n, 0)
		if delay < DefaultRetryMin || delay > DefaultRetryMax {
			t.Fatalf("attempt %d: delay %s outside [%s, %s]", n, delay, DefaultRetryMin, DefaultRetryMax)
		}
		// Jitter is ±25%: the lowest possible delay still grows until the cap.
		if low := time.Duration(float64(delay) / 1.25); n < 10 && low < prevBase {
			t.Fatalf("attempt %d: delay %s shrank below the previous step %s", n, delay, prevBase)
		}
		prevBase = time.Duration(float64(delay) / 1.25 / 2)
	}
	for range 20 {
		if got := d.backoff(14, 0); got < DefaultRetryMax*3/4 {
			t.Errorf("14th retry after %s, want within 25%% of the %s cap", got, DefaultRetryMax)
		}
	}
	if got := d.backoff(1, 10*time.Minute); got < 10*time.Minute {
		t.Errorf("Retry-After 10m gave %s", got)
	}
	if got := d.backoff(1, 100*time.Hour); got != DefaultRetryMax {
		t.Errorf("Retry-After 100h gave %s, want the %s cap", got, DefaultRetryMax)
	}
}

func TestNoResponseWithinTimeoutIsAFailure(t *testing.T) {
	secret := mustSecret(t)
	var first atomic.Bool
	first.Store(true)
	release := make(chan struct{})
	defer close(release)
	hang := newReceiver(t, secret, nil)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if first.Swap(false) {
			_, _ = io.ReadAll(r.Body) // so the server notices the client leaving
			select {                  // hang until the dispatcher gives up
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		hang.Config.Handler.ServeHTTP(w, r)
	}))
	defer srv.Close()
	s, _ := tempStore(t)
	o := fastOptions(s, configEndpoint("ep1", srv.URL, secret))
	o.Timeout = 200 * time.Millisecond
	d := startDispatcher(t, o)
	if err := d.Emit([]Event{testEvent("m1", 0, "message.accepted")}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the retry's delivery", func() bool { return hang.delivered() == 1 })
	st := d.Endpoints()[0]
	if st.LastError != "no response within the timeout" || st.LastStatus != 0 {
		t.Errorf("after the timeout: %+v", st)
	}
}
