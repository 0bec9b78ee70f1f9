package relay

import (
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/sealgate/sealgate/internal/tlslevel"
)

func TestEveryAttemptOutcomeIsReportedWithTLSEvidence(t *testing.T) {
	cfg, pool := testCert(t, "mx.test")
	sk := newSink(t, "127.0.0.1:0", cfg)
	sk.reject("bad@dst.test", &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"})
	st := newMemStore()
	st.put(testEnvelope("m1", "a@src.test", "ok@dst.test", "bad@dst.test"), testBody)
	var mu sync.Mutex
	var got []Attempt
	var dsns []DSNEvent
	r := startRelay(t, Options{Smarthost: sk.addr, SmarthostTLS: "verify", RootCAs: pool,
		OnAttempt: func(a Attempt) error { mu.Lock(); got = append(got, a); mu.Unlock(); return nil },
		OnDSN:     func(e DSNEvent) { mu.Lock(); dsns = append(dsns, e); mu.Unlock() },
	}, st)
	r.Submit("m1", []Copy{{Recipients: []string{"ok@dst.test", "bad@dst.test"}}})
	waitFor(t, "removal", func() bool { return st.isRemoved("m1") })
	mu.Lock()
	defer mu.Unlock()
	byRcpt := map[string]Attempt{}
	for _, a := range got {
		if a.MsgID == "m1" {
			byRcpt[a.Recipient] = a
		}
	}
	ok, bad := byRcpt["ok@dst.test"], byRcpt["bad@dst.test"]
	if ok.Outcome != "delivered" || !ok.TLSVerified || ok.TLSVersion == "" || len(ok.PeerCertSHA256) != 64 || ok.RemoteHost == "" {
		t.Errorf("delivered attempt: %+v", ok)
	}
	if bad.Outcome != "bounced" || bad.Code != 550 || bad.Enhanced != "5.1.1" {
		t.Errorf("bounced attempt: %+v", bad)
	}
	if len(dsns) != 1 || dsns[0].MsgID != "m1" || dsns[0].To != "a@src.test" || len(dsns[0].Recipients) != 1 || dsns[0].Recipients[0] != "bad@dst.test" {
		t.Errorf("DSN events: %+v", dsns)
	}
}

func TestUnhealthyGatewayPausesDelivery(t *testing.T) {
	sk := newSink(t, "127.0.0.1:0", nil)
	st := newMemStore()
	st.put(testEnvelope("m1", "a@src.test", "b@dst.test"), testBody)
	var sick atomic.Bool
	sick.Store(true)
	r := startRelay(t, Options{Smarthost: sk.addr, SmarthostTLS: "none", Healthy: func() error {
		if sick.Load() {
			return errors.New("audit log unwritable")
		}
		return nil
	}}, st)
	r.Submit("m1", []Copy{{Recipients: []string{"b@dst.test"}}})
	time.Sleep(1500 * time.Millisecond)
	if n := sk.mailCount(); n != 0 {
		t.Fatalf("%d deliveries while the gateway could not record them", n)
	}
	sick.Store(false)
	waitFor(t, "delivery after recovery", func() bool { return st.isRemoved("m1") })
}

func TestSubmitHeldIsAQuarantineUntilReleasedAndSurvivesRestart(t *testing.T) {
	sk := newSink(t, "127.0.0.1:0", nil)
	st := newMemStore()
	st.put(testEnvelope("m1", "a@src.test", "b@dst.test"), testBody)
	r := startRelay(t, Options{Smarthost: sk.addr, SmarthostTLS: "none"}, st)
	if err := r.SubmitHeld("m1", []Copy{{Recipients: []string{"b@dst.test"}}}, "policy quarantine: rule q1"); err != nil {
		t.Fatal(err)
	}
	e, err := r.Show("m1")
	if err != nil || !e.Held || e.HoldReason != "policy quarantine: rule q1" {
		t.Fatalf("entry %+v %v", e, err)
	}
	r.Flush("")
	time.Sleep(time.Second)
	if sk.mailCount() != 0 {
		t.Fatal("a quarantined message was delivered")
	}
	// The hold was saved: a new relay over the same store keeps it.
	r2 := startRelay(t, Options{Smarthost: sk.addr, SmarthostTLS: "none"}, st)
	if need, err := r2.Restore("m1"); err != nil || need {
		t.Fatalf("restore: need=%v err=%v", need, err)
	}
	if e, _ := r2.Show("m1"); !e.Held || e.HoldReason == "" {
		t.Fatalf("hold lost across restart: %+v", e)
	}
	r.Stop(t.Context())
	if err := r2.Release("m1"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "delivery after release", func() bool { return st.isRemoved("m1") })
}

func TestOneDelayWarningWhenNotifyAllowsIt(t *testing.T) {
	sk := newSink(t, "127.0.0.1:0", nil)
	sk.reject("slow@dst.test", &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 2, 1}, Message: "mailbox busy"})
	sk.reject("quiet@dst.test", &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 2, 1}, Message: "mailbox busy"})
	st := newMemStore()
	env := testEnvelope("m1", "a@src.test", "slow@dst.test", "quiet@dst.test")
	env.Received = time.Now().Add(-5 * time.Hour)
	env.Recipients[1].Notify = []string{"FAILURE"} // no DELAY: no warning
	st.put(env, testBody)
	r := startRelay(t, Options{Smarthost: sk.addr, SmarthostTLS: "none", DelayWarning: 4 * time.Hour,
		RetryMin: 10 * time.Millisecond, RetryMax: 20 * time.Millisecond}, st)
	r.Submit("m1", []Copy{{Recipients: []string{"slow@dst.test", "quiet@dst.test"}}})
	waitFor(t, "a delay warning", func() bool { envs, _ := st.dsns(); return len(envs) >= 1 })
	waitFor(t, "more attempts", func() bool { return rcptState(t, r, "m1", "slow@dst.test").Attempts >= 3 })
	envs, bodies := st.dsns()
	if len(envs) != 1 {
		t.Fatalf("%d delay DSNs, want exactly one", len(envs))
	}
	b := string(bodies[0])
	if envs[0].From != "" || envs[0].Recipients[0].Addr != "a@src.test" || !strings.Contains(b, "Action: delayed") ||
		!strings.Contains(b, "slow@dst.test") || strings.Contains(b, "quiet@dst.test") || !strings.Contains(b, "Status: 4.2.1") {
		t.Fatalf("delay DSN to %v:\n%s", envs[0].Recipients, b)
	}
	if rcptState(t, r, "m1", "slow@dst.test").Status != StatusQueued {
		t.Fatal("the delayed recipient is no longer queued")
	}
}

func TestUnknownTLSFloorIsTreatedAsTheStrictest(t *testing.T) {
	if got := tlslevel.Raise("may", "verfy"); got != "verify" {
		t.Fatalf("tlslevel.Raise(may, typo) = %q, want verify", got)
	}
	if got := tlslevel.Raise("may", ""); got != "may" {
		t.Fatalf("tlslevel.Raise(may, \"\") = %q", got)
	}
}
