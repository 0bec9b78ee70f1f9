package webhook

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func storeEndpoint(id string) Endpoint {
	return Endpoint{ID: id, URL: "https://hooks.example.org/" + id, Events: []string{"*"}, Source: SourceAPI}
}

func leaseIDs(t *testing.T, s Store, ep string, now time.Time) ([]Delivery, []string, time.Time) {
	t.Helper()
	ds, next, err := s.Lease(t.Context(), ep, now, 10, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, d := range ds {
		ids = append(ids, d.Event.ID)
	}
	// Sorted alike: Lease promises no order between different keys.
	slices.SortFunc(ds, func(a, b Delivery) int { return strings.Compare(a.Event.ID, b.Event.ID) })
	slices.Sort(ids)
	return ds, ids, next
}

func TestLeaseHoldsBackLaterEventsOfTheSameMessage(t *testing.T) {
	s, _ := tempStore(t)
	ctx := t.Context()
	eps := []Endpoint{storeEndpoint("a")}
	evs := []Event{testEvent("m1", 0, "message.accepted"), testEvent("m1", 1, "message.delivered"), testEvent("m2", 0, "message.accepted")}
	evs = append(evs, Event{ID: "evt_free", Type: "portal.expired", Body: []byte("{}")}) // no OrderKey: never waits
	if err := s.Add(ctx, eps, evs, false); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	ds, ids, _ := leaseIDs(t, s, "a", now)
	if want := "evt_free evt_m1_0 evt_m2_0"; join(ids) != want {
		t.Fatalf("first lease %q, want %q", join(ids), want)
	}
	if _, ids, _ := leaseIDs(t, s, "a", now); len(ids) != 0 {
		t.Fatalf("leased twice: %v", ids)
	}
	// m1's first event fails: its second still waits, behind the retry.
	m1 := ds[slices.Index(ids, "evt_m1_0")]
	m1.LastStatus, m1.LastError = 500, "HTTP status 500"
	retry := now.Add(time.Hour)
	if err := s.Fail(ctx, m1, now, retry); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.States(ctx); !st["a"].FailingSince.Equal(now) || st["a"].LastStatus != 500 {
		t.Errorf("state after a failure: %+v", st)
	}
	_, ids, next := leaseIDs(t, s, "a", now)
	if len(ids) != 0 || !next.Equal(retry) {
		t.Fatalf("after the failure: leased %v, next %v (want nothing until %v)", ids, next, retry)
	}
	// An hour on, the first leases have run out too.
	ds, ids, _ = leaseIDs(t, s, "a", retry)
	if join(ids) != "evt_free evt_m1_0 evt_m2_0" {
		t.Fatalf("at the retry: %v", ids)
	}
	m1 = ds[slices.Index(ids, "evt_m1_0")]
	if m1.Attempts != 1 || m1.LastError != "HTTP status 500" || m1.LastStatus != 500 {
		t.Fatalf("m1's first event at the retry: %+v", m1)
	}
	if err := s.Succeed(ctx, m1, retry); err != nil {
		t.Fatal(err)
	}
	if _, ids, _ := leaseIDs(t, s, "a", retry); join(ids) != "evt_m1_1" {
		t.Fatalf("after m1's first succeeded: %v", ids)
	}
	// A lease that is never settled runs out.
	if _, ids, _ := leaseIDs(t, s, "a", retry.Add(2*time.Minute)); join(ids) != "evt_free evt_m1_1 evt_m2_0" {
		t.Fatalf("after leases expired: %v", ids)
	}
}

func join(ss []string) string {
	var b bytes.Buffer
	for i, s := range ss {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s)
	}
	return b.String()
}

func TestAddIsIdempotentAndReplayResends(t *testing.T) {
	s, _ := tempStore(t)
	ctx := t.Context()
	eps := []Endpoint{storeEndpoint("a"), {ID: "p", Events: []string{"portal.*"}}}
	ev := testEvent("m1", 0, "message.accepted")
	for range 2 {
		if err := s.Add(ctx, eps, []Event{ev}, false); err != nil {
			t.Fatal(err)
		}
	}
	if n := pendingOf(t, s, "a"); n != 1 {
		t.Fatalf("pending after adding twice = %d, want 1", n)
	}
	if n := pendingOf(t, s, "p"); n != 0 {
		t.Fatalf("an endpoint not subscribed got %d", n)
	}
	if err := s.Add(ctx, eps, []Event{ev}, true); err != nil {
		t.Fatal(err)
	}
	if n := pendingOf(t, s, "a"); n != 1 {
		t.Fatalf("replay of a pending event made %d pending, want 1", n)
	}
	ds, _, _ := leaseIDs(t, s, "a", time.Now())
	delivered := time.Now()
	if err := s.Succeed(ctx, ds[0], delivered); err != nil {
		t.Fatal(err)
	}
	if err := s.Add(ctx, eps, []Event{ev}, false); err != nil {
		t.Fatal(err)
	}
	if n := pendingOf(t, s, "a"); n != 0 {
		t.Fatalf("a delivered event re-added by the producer is pending again (%d)", n)
	}
	if err := s.Add(ctx, eps, []Event{ev}, true); err != nil {
		t.Fatal(err)
	}
	if n := pendingOf(t, s, "a"); n != 1 {
		t.Fatalf("replay of a delivered event: %d pending, want 1", n)
	}
	ds, _, _ = leaseIDs(t, s, "a", time.Now())
	if err := s.Succeed(ctx, ds[0], delivered); err != nil {
		t.Fatal(err)
	}
	if err := s.Forget(ctx, delivered.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := s.Add(ctx, eps, []Event{ev}, false); err != nil {
		t.Fatal(err)
	}
	if n := pendingOf(t, s, "a"); n != 1 {
		t.Fatalf("after Forget the event is not accepted again (%d pending)", n)
	}
}

func TestEnableMakesEverythingDueAtOnce(t *testing.T) {
	s, _ := tempStore(t)
	ctx := t.Context()
	if err := s.Add(ctx, []Endpoint{storeEndpoint("a")}, []Event{testEvent("m1", 0, "message.accepted")}, false); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	ds, _, _ := leaseIDs(t, s, "a", now)
	if err := s.Fail(ctx, ds[0], now, now.Add(6*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.Disable(ctx, "a", "only failures", now); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.States(ctx); !st["a"].Disabled || st["a"].DisabledReason != "only failures" {
		t.Fatalf("state %+v", st["a"])
	}
	if err := s.Enable(ctx, "a", now); err != nil {
		t.Fatal(err)
	}
	st, _ := s.States(ctx)
	if st["a"].Disabled || !st["a"].FailingSince.IsZero() {
		t.Errorf("state after Enable %+v", st["a"])
	}
	ds, _, _ = leaseIDs(t, s, "a", now)
	if len(ds) != 1 || ds[0].Attempts != 0 {
		t.Errorf("after Enable: %+v", ds)
	}
}

func TestSealedStoreKeepsBodiesAndSecretsOffTheDisk(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sealed.db")
	aead := func(b byte) cipher.AEAD {
		blk, _ := aes.NewCipher(bytes.Repeat([]byte{b}, 32))
		g, _ := cipher.NewGCM(blk)
		return g
	}
	s, err := OpenBolt(path, aead(1))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	secret := mustSecret(t)
	ep := storeEndpoint("a")
	ep.Secrets = []string{secret}
	ev := testEvent("m1", 0, "message.accepted")
	ev.Body = []byte(`{"data":{"recipient":"patient-canary@example.org"}}`)
	if err := s.PutEndpoint(ctx, ep); err != nil {
		t.Fatal(err)
	}
	if err := s.Add(ctx, []Endpoint{ep}, []Event{ev}, false); err != nil {
		t.Fatal(err)
	}
	s.Close()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("patient-canary")) || bytes.Contains(raw, []byte(secret[len(SecretPrefix):])) {
		t.Fatal("body or secret in the clear on disk")
	}
	s, err = OpenBolt(path, aead(1))
	if err != nil {
		t.Fatal(err)
	}
	eps, err := s.APIEndpoints(ctx)
	if err != nil || len(eps) != 1 || eps[0].Secrets[0] != secret {
		t.Fatalf("reopened: %+v, %v", eps, err)
	}
	ds, _, _ := leaseIDs(t, s, "a", time.Now())
	if len(ds) != 1 || !bytes.Equal(ds[0].Event.Body, ev.Body) {
		t.Fatalf("reopened body: %+v", ds)
	}
	s.Close()
	s, err = OpenBolt(path, aead(2))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.APIEndpoints(ctx); err == nil {
		t.Error("the wrong key opened the endpoints")
	}
	if _, _, err := s.Lease(ctx, "a", time.Now(), 1, time.Minute); err == nil {
		t.Error("the wrong key opened a body")
	}
}
