package relay

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/sealgate/sealgate/gateway/relay/tlspolicy"
	"github.com/sealgate/sealgate/internal/tlslevel"
)

// fallbackCall is one call of Options.Fallback.
type fallbackCall struct {
	id, failed, reason string
	rcpts              []string
}

// fallbackHook records its calls and answers with do (nil: return nil).
type fallbackHook struct {
	mu    sync.Mutex
	calls []fallbackCall
	do    func(c fallbackCall) error
}

func (h *fallbackHook) fn(_ context.Context, id string, rcpts []string, failed, reason string) error {
	c := fallbackCall{id: id, failed: failed, reason: reason, rcpts: append([]string(nil), rcpts...)}
	h.mu.Lock()
	h.calls = append(h.calls, c)
	do := h.do
	h.mu.Unlock()
	if do != nil {
		return do(c)
	}
	return nil
}

func (h *fallbackHook) n() int { h.mu.Lock(); defer h.mu.Unlock(); return len(h.calls) }
func (h *fallbackHook) last() fallbackCall {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.calls[len(h.calls)-1]
}

// stripWorld is a verified-TLS MX for v.test behind a proxy that strips
// STARTTLS from its EHLO reply.
func stripWorld(t *testing.T) (*world, Options) {
	cfg, _, pool := validCert(t, "mx.v.test")
	w := newWorld(t, cfg, map[string]string{"v.test": "mx.v.test"})
	proxy := stripProxy(t, w.sk.addr)
	_, w.port, _ = splitHostPort(proxy)
	return w, w.options(Options{RootCAs: pool})
}

// sendTLSCopy submits id to rcpts as encrypt's tls copy: verified TLS,
// Method "tls".
func sendTLSCopy(t *testing.T, w *world, r *Relay, id string, rcpts ...string) {
	t.Helper()
	w.st.put(testEnvelope(id, "a@src.test", rcpts...), testBody)
	if err := r.Submit(id, []Copy{{Recipients: rcpts, MinTLS: tlslevel.Verify, Method: MethodTLS}}); err != nil {
		t.Fatal(err)
	}
}

func TestStrippedSTARTTLSHoldsATLSCopyForFallbackAcrossARestart(t *testing.T) {
	w, o := stripWorld(t)
	h1 := &fallbackHook{do: func(fallbackCall) error { return errors.New("stage not ready") }}
	o.Fallback = h1.fn
	r1 := startRelay(t, o, w.st)
	sendTLSCopy(t, w, r1, "m1", "x@v.test", "y@v.test")
	waitFor(t, "the fallback hook", func() bool { return h1.n() >= 1 })
	c := h1.last()
	if c.id != "m1" || c.failed != "tls" || c.reason != tlspolicy.FailSTARTTLS || len(c.rcpts) != 2 {
		t.Fatalf("hook called with %+v", c)
	}
	w.expectDeferred(t, "m1", "x@v.test", tlspolicy.FailSTARTTLS)
	rs := rcptState(t, r1, "m1", "x@v.test")
	if !rs.Held || rs.Fallback != "tls" || rs.HoldReason != "fallback: verified TLS failed: starttls-not-supported" {
		t.Fatalf("state %+v", rs)
	}
	if err := r1.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := h1.n(); n != 1 {
		t.Fatalf("hook called %d times before its retry was due", n)
	}
	if st, _ := w.st.LoadState("m1"); !bytes.Contains(st, []byte(`"fallback":"tls"`)) {
		t.Fatalf("the pending fallback is not durable: %s", st)
	}

	// A restart hands the recipients to the hook again; KeepHeld ends it.
	h2 := &fallbackHook{}
	var r2 *Relay
	h2.do = func(c fallbackCall) error {
		return r2.KeepHeld(c.id, c.rcpts, "no secure method left after tls failed")
	}
	o.Fallback = h2.fn
	o.Hostname, o.Logger = "relay.test", testLogger()
	r2, err := New(o, w.st)
	if err != nil {
		t.Fatal(err)
	}
	if need, err := r2.Restore("m1"); err != nil || need {
		t.Fatalf("restore: %v %v", need, err)
	}
	r2.Start()
	t.Cleanup(func() { r2.Stop(context.Background()) })
	waitFor(t, "the hook after the restart", func() bool { return h2.n() == 1 })
	if c := h2.last(); c.id != "m1" || c.failed != "tls" || len(c.rcpts) != 2 {
		t.Fatalf("hook after restart: %+v", c)
	}
	waitFor(t, "kept held", func() bool {
		rs := rcptState(t, r2, "m1", "y@v.test")
		return rs.Held && rs.Fallback == "" && strings.HasPrefix(rs.HoldReason, "no secure method left")
	})
	time.Sleep(200 * time.Millisecond)
	if n := h2.n(); n != 1 || w.sk.mailCount() != 0 {
		t.Fatalf("hook called %d times, %d MAIL commands", n, w.sk.mailCount())
	}
}

func TestAFallbackCopyServedByTheHookIsDelivered(t *testing.T) {
	w, o := stripWorld(t)
	h := &fallbackHook{}
	var r *Relay
	h.do = func(c fallbackCall) error {
		w.st.mu.Lock()
		w.st.copies[c.id+"/smime-f"] = []byte("Subject: Encrypted message\r\n\r\nciphertext\r\n")
		w.st.mu.Unlock()
		return r.ServeHeld(c.id, []Copy{{Name: "smime-f", Recipients: c.rcpts}})
	}
	o.Fallback = h.fn
	r = startRelay(t, o, w.st)
	sendTLSCopy(t, w, r, "m1", "x@v.test")
	// MAIL is counted before DATA ends: wait for the message itself.
	waitFor(t, "the fallback copy", func() bool { return len(w.sk.received()) == 1 })
	msgs := w.sk.received()
	if len(msgs) != 1 || !bytes.Contains(msgs[0].data, []byte("ciphertext")) || bytes.Contains(msgs[0].data, []byte("line one")) {
		t.Fatalf("received %+v", msgs)
	}
	waitFor(t, "removal", func() bool { return w.st.isRemoved("m1") })
	if n := counterValue(r.m.fallbacks.WithLabelValues("tls")); n != 1 {
		t.Errorf("sealgate_relay_fallbacks_total{tls} = %v", n)
	}
	if h.n() != 1 {
		t.Fatalf("hook called %d times", h.n())
	}
}

func TestATemporaryReplyToATLSCopyStillDefers(t *testing.T) {
	cfg, _, pool := validCert(t, "mx.v.test")
	w := newWorld(t, cfg, map[string]string{"v.test": "mx.v.test"})
	w.sk.reject("x@v.test", &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 2, 0}, Message: "try later"})
	h := &fallbackHook{}
	o := w.options(Options{RootCAs: pool, Fallback: h.fn})
	r := startRelay(t, o, w.st)
	sendTLSCopy(t, w, r, "m1", "x@v.test")
	a := w.attempt(t, "m1", "x@v.test")
	if a.Outcome != "deferred" || a.Code != 451 || !a.TLSVerified {
		t.Fatalf("attempt %+v", a)
	}
	time.Sleep(200 * time.Millisecond)
	if rs := rcptState(t, r, "m1", "x@v.test"); rs.Held || rs.Fallback != "" || h.n() != 0 {
		t.Fatalf("a 451 over verified TLS fell back: %+v, %d calls", rs, h.n())
	}
}

func TestACopyWithoutTheTLSMethodDefersOnTLSFailure(t *testing.T) {
	w, o := stripWorld(t)
	h := &fallbackHook{}
	o.Fallback = h.fn
	r := startRelay(t, o, w.st)
	w.send(t, r, "m1", "x@v.test", tlslevel.Verify) // e.g. a policy bcc copy
	w.expectDeferred(t, "m1", "x@v.test", tlspolicy.FailSTARTTLS)
	time.Sleep(200 * time.Millisecond)
	if rs := rcptState(t, r, "m1", "x@v.test"); rs.Held || h.n() != 0 {
		t.Fatalf("fell back: %+v, %d calls", rs, h.n())
	}
}

func TestARecipientHeldPastTheHoldLifetimeBouncesWithoutContent(t *testing.T) {
	sink := newSink(t, "127.0.0.1:0", nil)
	st := newMemStore()
	var mu sync.Mutex
	var atts []Attempt
	o := Options{Smarthost: sink.addr, SmarthostTLS: "none", HoldLifetime: 500 * time.Millisecond,
		OnAttempt: func(a Attempt) error { mu.Lock(); atts = append(atts, a); mu.Unlock(); return nil }}
	r := startRelay(t, o, st)
	st.put(testEnvelope("m1", "a@src.test", "now@dst.test", "held@dst.test"), testBody)
	if err := r.Submit("m1", []Copy{{Recipients: []string{"now@dst.test"}},
		{Recipients: []string{"held@dst.test"}, Hold: "no usable method"}}); err != nil {
		t.Fatal(err)
	}
	// An operator's (or the policy's) hold of the whole message is theirs.
	st.put(testEnvelope("q1", "a@src.test", "q@dst.test"), testBody)
	if err := r.SubmitHeld("q1", []Copy{{Recipients: []string{"q@dst.test"}, Hold: "no usable method"}}, "quarantined"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the bounce DSN", func() bool { envs, _ := st.dsns(); return len(envs) == 1 })
	envs, bodies := st.dsns()
	body := string(bodies[0])
	if envs[0].Recipients[0].Addr != "a@src.test" || !strings.Contains(body, "Status: 5.7.10") ||
		!strings.Contains(body, "could not be delivered securely") || strings.Contains(body, "line one") ||
		!strings.Contains(body, "text/rfc822-headers") {
		t.Fatalf("DSN to %v:\n%s", envs[0].Recipients, body)
	}
	if strings.Contains(body, "now@dst.test") {
		t.Fatal("the DSN reports the delivered recipient")
	}
	mu.Lock()
	var bounced *Attempt
	for i := range atts {
		if atts[i].Recipient == "held@dst.test" {
			bounced = &atts[i]
		}
	}
	mu.Unlock()
	if bounced == nil || bounced.Outcome != StatusBounced || bounced.Enhanced != "5.7.10" {
		t.Fatalf("bounce not recorded: %+v", bounced)
	}
	waitFor(t, "removal", func() bool { return st.isRemoved("m1") })
	time.Sleep(300 * time.Millisecond)
	if e, err := r.Show("q1"); err != nil || e.Recipients[0].Status != StatusQueued {
		t.Fatalf("the held message was touched: %+v %v", e, err)
	}
	for _, m := range sink.received() {
		if strings.Join(m.rcpts, ",") != "now@dst.test" && strings.Join(m.rcpts, ",") != "a@src.test" {
			t.Fatalf("sink got a message for %v", m.rcpts)
		}
	}
}

func TestACertificateNotValidForTheHostFallsBackAndAFailedHookIsRepeated(t *testing.T) {
	wrongHost, _, pool := validCert(t, "other.test")
	w := newWorld(t, wrongHost, map[string]string{"v.test": "mx.v.test"})
	h := &fallbackHook{}
	var r *Relay
	h.do = func(c fallbackCall) error {
		if h.n() == 1 {
			return errors.New("audit log busy")
		}
		return r.KeepHeld(c.id, c.rcpts, "no secure method left after tls failed")
	}
	o := w.options(Options{RootCAs: pool, Fallback: h.fn, RetryMin: 100 * time.Millisecond})
	r = startRelay(t, o, w.st)
	sendTLSCopy(t, w, r, "m1", "x@v.test")
	waitFor(t, "the repeated hook", func() bool { return h.n() == 2 })
	if c := h.last(); c.reason != tlspolicy.FailHostMismatch || c.failed != "tls" {
		t.Fatalf("hook %+v", c)
	}
	waitFor(t, "kept held", func() bool { return rcptState(t, r, "m1", "x@v.test").Fallback == "" })
	time.Sleep(300 * time.Millisecond)
	if h.n() != 2 || w.sk.mailCount() != 0 {
		t.Fatalf("%d hook calls, %d MAIL commands", h.n(), w.sk.mailCount())
	}
	if rs := rcptState(t, r, "m1", "x@v.test"); !rs.Held || rs.Status != StatusQueued {
		t.Fatalf("state %+v", rs)
	}
}
