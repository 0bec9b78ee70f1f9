package tracker

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sealgate/sealgate/gateway/api"
	"github.com/sealgate/sealgate/gateway/audit"
)

func rcptStatus(t *testing.T, st api.MessageStatus, addr string) api.RecipientStatus {
	t.Helper()
	for _, r := range st.Recipients {
		if r.Address == addr {
			return r
		}
	}
	t.Fatalf("message %s has no recipient %s: %+v", st.ID, addr, st.Recipients)
	return api.RecipientStatus{}
}

func message(t *testing.T, tr *Tracker, id string) api.MessageStatus {
	t.Helper()
	st, err := tr.Message(id)
	if err != nil {
		t.Fatalf("message %s: %v", id, err)
	}
	return st
}

func wantTypes(t *testing.T, s *sink, want ...string) {
	t.Helper()
	if got := s.types(); !slices.Equal(got, want) {
		t.Fatalf("event types %v, want %v", got, want)
	}
}

func TestSMTPMessageDeliveredToTwoRecipientsCarriesTLSEvidence(t *testing.T) {
	e := newEnv(t, nil)
	s := newSink()
	tr, _ := e.start(Options{Emit: s.Emit})
	a, b := "dr.a@partner.example", "dr.b@partner.example"
	rRcv := e.append(received("m1", "inbound", a, b))
	e.append(decision("m1", "phi-tls", "encrypt", a, "tls-verified", b, "tls-verified"))
	e.append(attempt("m1", 1, a, b))
	rA := e.append(delivery("m1", a, "delivered", 1))
	rB := e.append(delivery("m1", b, "delivered", 1))
	wait(t, tr, rB.Seq)

	st := message(t, tr, "m1")
	if st.From != "clinic@sender.example" || st.Source != "inbound" || st.MessageID != "<m1@upstream.example>" ||
		!st.Received.Equal(rRcv.Time) || st.Action != "encrypt" || st.Rule != "phi-tls" || st.Findings["ssn"] != 2 || !st.Updated.Equal(rB.Time) {
		t.Fatalf("status %+v", st)
	}
	for _, addr := range []string{a, b} {
		r := rcptStatus(t, st, addr)
		if r.Status != StatusDelivered || r.Method != "tls-verified" || r.Attempts != 1 || r.Reply != "250 2.0.0 ok" || r.TLS == nil ||
			*r.TLS != (api.TLSEvidence{Version: "TLS1.3", Cipher: "TLS_AES_128_GCM_SHA256", Verified: true, Auth: "dane", PeerCertSHA256: "ab12", RemoteHost: "mx1.partner.example"}) {
			t.Fatalf("recipient %+v tls %+v", r, r.TLS)
		}
	}
	wantTypes(t, s, EventAccepted, EventDelivered, EventDelivered)
	evs := s.events()
	if evs[0].ID != fmt.Sprintf("evt_%d", rRcv.Seq) || evs[1].ID != fmt.Sprintf("evt_%d", rA.Seq) || evs[2].ID != fmt.Sprintf("evt_%d", rB.Seq) {
		t.Fatalf("ids %v", s.ids())
	}
	d := evs[2]
	if d.MsgID != "m1" || d.Recipient != b || !d.Time.Equal(rB.Time) || d.Data.Method != "tls-verified" || d.Data.Status != StatusDelivered ||
		d.Data.TLS == nil || d.Data.TLS.Auth != "dane" || d.Data.MessageID != "<m1@upstream.example>" || d.Data.Attempt != 1 {
		t.Fatalf("delivered event %+v", d)
	}
}

func TestDeferredThenDeliveredAndALaterDeferNeverUndoesIt(t *testing.T) {
	e := newEnv(t, nil)
	s := newSink()
	tr, _ := e.start(Options{Emit: s.Emit})
	a := "pat@partner.example"
	e.append(received("m2", "inbound", a))
	e.append(decision("m2", "", "pass", a, "tls-opportunistic"))
	e.append(attempt("m2", 1, a))
	r := e.append(delivery("m2", a, "deferred", 1))
	wait(t, tr, r.Seq)
	if got := rcptStatus(t, message(t, tr, "m2"), a); got.Status != StatusDeferred || got.Reply != "451 4.3.0 try later" {
		t.Fatalf("after defer: %+v", got)
	}
	e.append(attempt("m2", 2, a))
	e.append(delivery("m2", a, "delivered", 2))
	r = e.append(delivery("m2", a, "deferred", 3)) // a stray later try of the same recipient
	wait(t, tr, r.Seq)
	got := rcptStatus(t, message(t, tr, "m2"), a)
	if got.Status != StatusDelivered || got.Attempts != 2 {
		t.Fatalf("after delivery: %+v", got)
	}
	wantTypes(t, s, EventAccepted, EventDeferred, EventDelivered)
}

func TestBlockedMessageBlocksEveryRecipient(t *testing.T) {
	e := newEnv(t, nil)
	s := newSink()
	tr, _ := e.start(Options{Emit: s.Emit})
	e.append(received("m3", "inbound", "x@partner.example", "y@partner.example"))
	r := e.append(decision("m3", "no-ssn-out", "block"))
	wait(t, tr, r.Seq)
	st := message(t, tr, "m3")
	for _, rs := range st.Recipients {
		if rs.Status != StatusBlocked {
			t.Fatalf("recipient %+v", rs)
		}
	}
	wantTypes(t, s, EventAccepted, EventBlocked)
	ev := s.events()[1]
	if ev.ID != fmt.Sprintf("evt_%d", r.Seq) || ev.Data.Rule != "no-ssn-out" || ev.Data.Action != "block" || ev.Data.Findings["ssn"] != 2 || ev.Recipient != "" {
		t.Fatalf("blocked event %+v", ev)
	}
}

func TestQuarantineHoldsAllThenReleaseQueuesAndDeliveryFinishes(t *testing.T) {
	e := newEnv(t, nil)
	s := newSink()
	tr, _ := e.start(Options{Emit: s.Emit})
	a, b := "a@partner.example", "b@partner.example"
	e.append(received("m4", "inbound", a, b))
	rd := e.append(decision("m4", "q1", "quarantine (held: quarantined by policy rule q1)", a, "quarantine", b, "quarantine"))
	wait(t, tr, rd.Seq)
	st := message(t, tr, "m4")
	if st.Action != "quarantine" || rcptStatus(t, st, a).Status != StatusHeld || rcptStatus(t, st, b).Status != StatusHeld {
		t.Fatalf("after quarantine: %+v", st)
	}
	wantTypes(t, s, EventAccepted, EventHeld, EventHeld)
	if ids := s.ids(); ids[1] != fmt.Sprintf("evt_%d_0", rd.Seq) || ids[2] != fmt.Sprintf("evt_%d_1", rd.Seq) {
		t.Fatalf("ids %v", ids)
	}
	rr := e.append(queueOp("m4", "release"))
	wait(t, tr, rr.Seq)
	if got := rcptStatus(t, message(t, tr, "m4"), a); got.Status != StatusQueued {
		t.Fatalf("after release: %+v", got)
	}
	e.append(delivery("m4", a, "delivered", 1))
	r := e.append(delivery("m4", b, "expired", 5))
	wait(t, tr, r.Seq)
	st = message(t, tr, "m4")
	if rcptStatus(t, st, a).Status != StatusDelivered || rcptStatus(t, st, b).Status != StatusBounced {
		t.Fatalf("after delivery: %+v", st.Recipients)
	}
	wantTypes(t, s, EventAccepted, EventHeld, EventHeld, EventDelivered, EventBounced)
}

func TestRecipientWithoutUsableMethodIsHeldAlone(t *testing.T) {
	e := newEnv(t, nil)
	s := newSink()
	tr, _ := e.start(Options{Emit: s.Emit})
	a, b := "a@partner.example", "b@nokeys.example"
	e.append(received("m5", "inbound", a, b))
	r := e.append(decision("m5", "enc", "encrypt (held: encryption required by rule enc; no usable method for 1 recipient(s))", a, "pgp", b, "none"))
	wait(t, tr, r.Seq)
	st := message(t, tr, "m5")
	if rcptStatus(t, st, a).Status != StatusQueued || rcptStatus(t, st, b).Status != StatusHeld {
		t.Fatalf("recipients %+v", st.Recipients)
	}
	wantTypes(t, s, EventAccepted, EventHeld)
	if ev := s.events()[1]; ev.Recipient != b || ev.Data.Method != "none" || ev.ID != fmt.Sprintf("evt_%d", r.Seq) {
		t.Fatalf("held event %+v", ev)
	}
	r = e.append(queueOp("m5", "hold"))
	wait(t, tr, r.Seq)
	if got := rcptStatus(t, message(t, tr, "m5"), a); got.Status != StatusHeld {
		t.Fatalf("after operator hold: %+v", got)
	}
	r = e.append(queueOp("m5", "delete"))
	wait(t, tr, r.Seq)
	st = message(t, tr, "m5")
	if rcptStatus(t, st, a).Status != StatusDeleted || rcptStatus(t, st, b).Status != StatusDeleted {
		t.Fatalf("after delete: %+v", st.Recipients)
	}
}

func TestPortalLifecycleFromDepositToReplyAndExpiry(t *testing.T) {
	e := newEnv(t, nil)
	s := newSink()
	tr, _ := e.start(Options{Emit: s.Emit})
	a := "patient@mail.example"
	e.append(received("m6", "inbound", a))
	e.append(decision("m6", "portal-phi", "encrypt", a, "portal"))
	// As the gateway writes them: the portal records "notified" as it
	// deposits, before the gateway links the portal ID to the message.
	e.append(portal("", "p-77", "notified", a))
	dep := e.append(portal("m6", "p-77", "deposited", a))
	wait(t, tr, dep.Seq)
	if got := rcptStatus(t, message(t, tr, "m6"), a); got.Status != StatusPortalNotified || got.Method != "portal" {
		t.Fatalf("after deposited: %+v", got)
	}
	steps := []struct{ event, status, typ string }{
		{"opened", StatusPortalOpened, EventPortalOpened},
		{"code_sent", StatusPortalOpened, ""},
		{"verified", StatusPortalVerified, EventPortalVerified},
		{"attachment_downloaded", StatusPortalDownloaded, EventPortalDownloaded},
		{"replied", StatusPortalReplied, EventPortalReplied},
		{"notified", StatusPortalReplied, EventPortalNotified}, // a reminder: the state does not go back
		{"expired", StatusPortalExpired, EventPortalExpired},
	}
	want := []string{EventAccepted, EventPortalNotified}
	for _, step := range steps {
		r := e.append(portal("", "p-77", step.event, a))
		wait(t, tr, r.Seq)
		got := rcptStatus(t, message(t, tr, "m6"), a)
		if got.Status != step.status || got.Method != "portal" {
			t.Fatalf("after %s: %+v", step.event, got)
		}
		if step.typ != "" {
			want = append(want, step.typ)
		}
	}
	wantTypes(t, s, want...)
	ev := s.events()[1]
	if ev.Data.PortalID != "p-77" || ev.MsgID != "m6" || ev.Recipient != a || ev.Data.Method != "portal" {
		t.Fatalf("portal event %+v", ev)
	}
	if e2, _ := e.store.Entry("m6"); e2 == nil || !e2.Finished() {
		t.Fatalf("expired portal message is not finished: %+v", e2)
	}
}

func TestRecordsAboutUnknownMessagesAndUndecodableDataAreIgnored(t *testing.T) {
	e := newEnv(t, nil)
	s := newSink()
	tr, _ := e.start(Options{Emit: s.Emit})
	e.append(delivery("dsn-1", "sender@x.example", "delivered", 1)) // sealgate's own DSN
	e.append(portal("", "p-unknown", "opened", "someone@x.example"))
	e.append(received("m7", "inbound", "a@partner.example"))
	e.append(audit.Event{Type: audit.TypeDecision, MsgID: "m7", Data: "not a decision"})
	r := e.append(delivery("m7", "a@partner.example", "delivered", 1))
	wait(t, tr, r.Seq)
	if _, err := tr.Message("dsn-1"); !errors.Is(err, api.ErrNotFound) {
		t.Fatalf("unknown message: %v", err)
	}
	if tr.Exists("dsn-1") || !tr.Exists("m7") {
		t.Fatal("Exists is wrong")
	}
	wantTypes(t, s, EventAccepted, EventDelivered)
}

func TestRestartResumesFromCursorWithoutRepeatingEvents(t *testing.T) {
	e := newEnv(t, nil)
	s := newSink()
	tr, stop := e.start(Options{Emit: s.Emit})
	e.append(received("m8", "inbound", "a@partner.example"))
	r := e.append(delivery("m8", "a@partner.example", "deferred", 1))
	wait(t, tr, r.Seq)
	stop()
	e.append(delivery("m8", "a@partner.example", "delivered", 2))
	r = e.append(received("m9", "inbound", "b@partner.example"))
	tr, _ = e.start(Options{Emit: s.Emit})
	wait(t, tr, r.Seq)
	wantTypes(t, s, EventAccepted, EventDeferred, EventDelivered, EventAccepted)
	ids := s.ids()
	if len(slices.Compact(slices.Clone(ids))) != len(ids) {
		t.Fatalf("repeated ids %v", ids)
	}
	if got := rcptStatus(t, message(t, tr, "m8"), "a@partner.example"); got.Status != StatusDelivered {
		t.Fatalf("after restart: %+v", got)
	}
}

// failCommit is a store whose index commits fail: a crash after Emit.
type failCommit struct{ *BoltStore }

func (f failCommit) Commit(c Changes) error {
	if c.Cursor.Applied > 0 {
		return errors.New("disk gone")
	}
	return f.BoltStore.Commit(c)
}

func TestCrashBetweenEmitAndCommitEmitsTheSameIDsAgain(t *testing.T) {
	e := newEnv(t, nil)
	_, stop := e.start(Options{}) // the first start, before these records
	stop()
	e.append(received("m10", "inbound", "a@partner.example", "b@partner.example"))
	e.append(decision("m10", "q", "quarantine (held: quarantined by policy rule q)"))
	last := e.append(delivery("m10", "a@partner.example", "delivered", 1))

	first := newSink()
	_, stop = e.start(Options{Emit: first.Emit, Store: failCommit{e.store}})
	for deadline := time.Now().Add(20 * time.Second); len(first.events()) == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("first run emitted nothing")
		}
	}
	stop()
	if c, _ := e.store.Cursor(); c.Applied != 0 {
		t.Fatalf("cursor moved to %d although the commit failed", c.Applied)
	}
	again := newSink()
	tr, _ := e.start(Options{Emit: again.Emit})
	wait(t, tr, last.Seq)
	want := []string{fmt.Sprintf("evt_%d", last.Seq-2), fmt.Sprintf("evt_%d_0", last.Seq-1), fmt.Sprintf("evt_%d_1", last.Seq-1), fmt.Sprintf("evt_%d", last.Seq)}
	if !slices.Equal(again.ids(), want) || !slices.Equal(first.ids(), want[:len(first.ids())]) {
		t.Fatalf("ids after the crash %v, before %v, want %v", again.ids(), first.ids(), want)
	}
}

func TestFailingEmitIsRetriedAndNothingIsSkipped(t *testing.T) {
	e := newEnv(t, nil)
	s := newSink()
	s.fail = 2
	tr, _ := e.start(Options{Emit: s.Emit})
	e.append(received("m11", "inbound", "a@partner.example"))
	r := e.append(delivery("m11", "a@partner.example", "bounced", 1))
	wait(t, tr, r.Seq)
	wantTypes(t, s, EventAccepted, EventBounced)
}

func TestFirstStartIndexesHistoryButEmitsOnlyNewRecords(t *testing.T) {
	e := newEnv(t, nil)
	e.append(received("old", "inbound", "a@partner.example"))
	r := e.append(delivery("old", "a@partner.example", "delivered", 1))
	time.Sleep(5 * time.Millisecond) // the tracker starts strictly after those records
	s := newSink()
	tr, stop := e.start(Options{Emit: s.Emit})
	wait(t, tr, r.Seq)
	if got := rcptStatus(t, message(t, tr, "old"), "a@partner.example"); got.Status != StatusDelivered {
		t.Fatalf("history not indexed: %+v", got)
	}
	if len(s.events()) != 0 {
		t.Fatalf("history emitted: %v", s.types())
	}
	r = e.append(received("new", "inbound", "b@partner.example"))
	wait(t, tr, r.Seq)
	wantTypes(t, s, EventAccepted)
	if ev := s.events()[0]; ev.MsgID != "new" {
		t.Fatalf("event %+v", ev)
	}
	c, _ := e.store.Cursor()
	if !c.EmitFixed || c.EmitAfter != r.Seq-1 {
		t.Fatalf("cursor %+v", c)
	}
	// A restart keeps the rule: nothing old comes out later.
	stop()
	r = e.append(delivery("new", "b@partner.example", "delivered", 1))
	tr, _ = e.start(Options{Emit: s.Emit})
	wait(t, tr, r.Seq)
	wantTypes(t, s, EventAccepted, EventDelivered)
}

func TestAnnotationBeforeReceivedIsMergedIntoStatus(t *testing.T) {
	e := newEnv(t, nil)
	tr, _ := e.start(Options{})
	if err := tr.Annotate("m12", Annotation{Source: "api", KeyID: "key_1", TagKeys: []string{"h1"}, Sealed: []byte{1, 2}}); err != nil {
		t.Fatal(err)
	}
	r := e.append(received("m12", "api-listener", "a@partner.example"))
	wait(t, tr, r.Seq)
	st := message(t, tr, "m12")
	if st.Source != "api" || st.KeyID != "key_1" {
		t.Fatalf("status %+v", st)
	}
	a, ok := tr.Annotation("m12")
	if !ok || string(a.Sealed) != "\x01\x02" || a.TagKeys[0] != "h1" {
		t.Fatalf("annotation %+v %v", a, ok)
	}
}

func TestMessagesPagesNewestFirstWithFilters(t *testing.T) {
	e := newEnv(t, nil)
	tr, _ := e.start(Options{})
	var last audit.Record
	for i := range 7 {
		id := fmt.Sprintf("p%d", i)
		if i%3 == 0 {
			if err := tr.Annotate(id, Annotation{Source: "api", TagKeys: []string{"tag-reminder"}}); err != nil {
				t.Fatal(err)
			}
		}
		last = e.append(received(id, "inbound", fmt.Sprintf("r%d@partner.example", i%2), "common@partner.example"))
		if i%2 == 0 {
			last = e.append(delivery(id, "common@partner.example", "bounced", 1))
		}
	}
	wait(t, tr, last.Seq)
	list := func(q api.MessageQuery) []string {
		t.Helper()
		var ids []string
		for pages := 0; ; pages++ {
			page, err := tr.Messages(q)
			if err != nil {
				t.Fatal(err)
			}
			if q.Limit > 0 && len(page.Messages) > q.Limit {
				t.Fatalf("page of %d, limit %d", len(page.Messages), q.Limit)
			}
			for _, m := range page.Messages {
				ids = append(ids, m.ID)
			}
			if page.Next == "" || pages > 10 {
				return ids
			}
			q.Cursor = page.Next
		}
	}
	if got := list(api.MessageQuery{Limit: 3}); !slices.Equal(got, []string{"p6", "p5", "p4", "p3", "p2", "p1", "p0"}) {
		t.Fatalf("all: %v", got)
	}
	if got := list(api.MessageQuery{Status: StatusBounced, Limit: 2}); !slices.Equal(got, []string{"p6", "p4", "p2", "p0"}) {
		t.Fatalf("bounced: %v", got)
	}
	if got := list(api.MessageQuery{Recipient: "R1@partner.example"}); !slices.Equal(got, []string{"p5", "p3", "p1"}) {
		t.Fatalf("recipient: %v", got)
	}
	if got := list(api.MessageQuery{Tag: "tag-reminder", Limit: 1}); !slices.Equal(got, []string{"p6", "p3", "p0"}) {
		t.Fatalf("tag: %v", got)
	}
	p4 := message(t, tr, "p4")
	if got := list(api.MessageQuery{Since: p4.Received}); !slices.Equal(got, []string{"p6", "p5", "p4"}) {
		t.Fatalf("since: %v", got)
	}
	if _, err := tr.Messages(api.MessageQuery{Cursor: "!!"}); err == nil {
		t.Fatal("a bad cursor was accepted")
	}
}

// clock is a settable audit.Options.Now.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { c.t = c.t.Add(time.Millisecond); return c.t }

func TestRetentionPrunesOnlyFinishedOldMessages(t *testing.T) {
	clk := &clock{t: time.Now().Add(-40 * 24 * time.Hour)}
	e := newEnv(t, clk.now)
	e.append(received("done", "inbound", "a@partner.example"))
	e.append(delivery("done", "a@partner.example", "delivered", 1))
	e.append(received("stuck", "inbound", "b@partner.example"))
	e.append(portal("done", "p-old", "deposited", "a@partner.example"))
	e.append(portal("", "p-old", "expired", "a@partner.example"))
	clk.t = time.Now()
	r := e.append(received("fresh", "inbound", "c@partner.example"))
	e.append(delivery("fresh", "c@partner.example", "delivered", 1))
	e.store.now = func() time.Time { return time.Now().Add(-40 * 24 * time.Hour) }
	if err := e.store.Annotate("never-came", Annotation{Source: "api"}); err != nil {
		t.Fatal(err)
	}
	tr, _ := e.start(Options{Retention: 30 * 24 * time.Hour, PruneEvery: 20 * time.Millisecond})
	wait(t, tr, r.Seq)
	for deadline := time.Now().Add(20 * time.Second); tr.Exists("done"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("finished old message not pruned")
		}
	}
	if !tr.Exists("stuck") || !tr.Exists("fresh") {
		t.Fatal("pruned an unfinished or recent message")
	}
	if id, _ := e.store.PortalMsg("p-old"); id != "" {
		t.Fatal("portal link of a pruned message kept")
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, ok := tr.Annotation("never-came"); !ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("orphan annotation not pruned")
		}
	}
}

func TestReplayDerivesTheSameEventsWithoutTouchingTheIndex(t *testing.T) {
	e := newEnv(t, nil)
	s := newSink()
	tr, _ := e.start(Options{Emit: s.Emit})
	a := "a@partner.example"
	e.append(received("m13", "inbound", a, "b@partner.example"))
	e.append(decision("m13", "q", "quarantine (held: q)"))
	e.append(queueOp("m13", "release"))
	e.append(portal("", "p-1", "notified", a)) // before the link, as the gateway writes them
	mid := e.append(portal("m13", "p-1", "deposited", a))
	r := e.append(delivery("m13", "b@partner.example", "delivered", 1))
	wait(t, tr, r.Seq)
	before, _ := e.store.Cursor()

	var all []Event
	if err := tr.Replay(context.Background(), time.Time{}, func(evs []Event) error { all = append(all, evs...); return nil }); err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(all, s.events(), func(x, y Event) bool { return x.ID == y.ID && x.Type == y.Type && x.Recipient == y.Recipient }) {
		t.Fatalf("replay %v, live %v", all, s.events())
	}
	var tail []string
	if err := tr.Replay(context.Background(), mid.Time, func(evs []Event) error {
		for _, ev := range evs {
			tail = append(tail, ev.Type)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(tail, []string{EventPortalNotified, EventDelivered}) {
		t.Fatalf("replay since: %v", tail)
	}
	if after, _ := e.store.Cursor(); after != before {
		t.Fatalf("replay moved the cursor: %+v -> %+v", before, after)
	}
}

func TestLagGaugesAreRegisteredAndZeroWhenCaughtUp(t *testing.T) {
	e := newEnv(t, nil)
	reg := prometheus.NewRegistry()
	release := make(chan struct{})
	tr, _ := e.start(Options{Registerer: reg, Emit: func([]Event) error { <-release; return nil }})
	var last audit.Record
	for i := range 50 {
		last = e.append(received(fmt.Sprintf("lag%d", i), "inbound", "a@partner.example"))
	}
	gauges := func() map[string]float64 {
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]float64{}
		for _, mf := range mfs {
			out[mf.GetName()] = mf.GetMetric()[0].GetGauge().GetValue()
		}
		return out
	}
	// While Emit blocks, the batch counts as behind.
	for deadline := time.Now().Add(20 * time.Second); gauges()["sealgate_tracker_lag_records"] == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("lag never counted the blocked batch")
		}
	}
	close(release)
	wait(t, tr, last.Seq)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		g := gauges()
		if len(g) != 2 {
			t.Fatalf("gauges %v", g)
		}
		if g["sealgate_tracker_lag_seconds"] == 0 && g["sealgate_tracker_lag_records"] == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("lag stays at %v", g)
		}
	}
	if _, err := New(Options{AuditDir: e.dir, Store: e.store, Registerer: reg}); err == nil {
		t.Fatal("a second tracker registered the same gauges")
	}
	if _, err := New(Options{Store: e.store}); err == nil {
		t.Fatal("New accepted options without AuditDir")
	}
}
