package relay

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	message "github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset"
	"github.com/emersion/go-smtp"
	"github.com/miekg/dns"
	"github.com/sealgate/sealgate/envelope"
	"github.com/sealgate/sealgate/internal/tlslevel"
)

func TestSmarthostDeliveryIsByteIdenticalAndRemovesState(t *testing.T) {
	sk := newSink(t, "127.0.0.1:0", nil)
	st := newMemStore()
	env := testEnvelope("m1", "a@src.test", "b@dst.test", "c@dst.test")
	env.EnvID = "env-42"
	env.Ret = "HDRS"
	env.Recipients[0].Notify = []string{"SUCCESS", "FAILURE"}
	env.Recipients[0].ORCPT = "rfc822;B@dst.test"
	st.put(env, testBody)
	r := startRelay(t, Options{Smarthost: sk.addr, SmarthostTLS: "none"}, st)
	if err := r.Submit("m1", []Copy{{Recipients: []string{"b@dst.test", "c@dst.test"}}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "removal", func() bool { return st.isRemoved("m1") })
	got := sk.received()
	if len(got) != 2 && len(got) != 1 {
		t.Fatalf("sink got %d messages", len(got))
	}
	m := got[0]
	if !bytes.Equal(m.data, []byte(testBody)) {
		t.Errorf("body changed:\n got %q\nwant %q", m.data, testBody)
	}
	if m.from != "a@src.test" || strings.Join(m.rcpts, ",") != "b@dst.test,c@dst.test" {
		t.Errorf("envelope from=%q rcpts=%v", m.from, m.rcpts)
	}
	if m.mailOpts.Size != int64(len(testBody)) || m.mailOpts.EnvelopeID != "env-42" || m.mailOpts.Return != smtp.DSNReturnHeaders {
		t.Errorf("MAIL options %+v", m.mailOpts)
	}
	ro := m.rcptOpts[0]
	if len(ro.Notify) != 2 || ro.OriginalRecipient != "B@dst.test" || ro.OriginalRecipientType != smtp.DSNAddressTypeRFC822 {
		t.Errorf("RCPT options %+v", ro)
	}
	if r.Depth() != 1 && r.Depth() != 0 {
		t.Errorf("depth %d", r.Depth())
	}
	// NOTIFY=SUCCESS for b: a "delivered" DSN went back to the sender.
	envs, bodies := st.dsns()
	if len(envs) != 1 {
		t.Fatalf("%d DSNs, want 1 success DSN", len(envs))
	}
	if !strings.Contains(string(bodies[0]), "Action: delivered") || strings.Contains(string(bodies[0]), "c@dst.test") {
		t.Errorf("success DSN content wrong:\n%s", bodies[0])
	}
}

func parseDSN(t *testing.T, raw []byte) (mediaType string, status string) {
	t.Helper()
	e, err := message.Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("parse DSN: %v", err)
	}
	mt, params, _ := e.Header.ContentType()
	if params["report-type"] != "delivery-status" {
		t.Errorf("report-type %q", params["report-type"])
	}
	mr := e.MultipartReader()
	if mr == nil {
		t.Fatalf("DSN is %s, not multipart", mt)
	}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if pt, _, _ := p.Header.ContentType(); pt == "message/delivery-status" {
			b, _ := io.ReadAll(p.Body)
			status = string(b)
		}
	}
	return mt, status
}

func TestRcpt550BouncesOneDeliversOtherAndSendsOneDSN(t *testing.T) {
	sk := newSink(t, "127.0.0.1:0", nil)
	sk.reject("bad@dst.test", &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"})
	st := newMemStore()
	st.put(testEnvelope("m1", "a@src.test", "good@dst.test", "bad@dst.test"), testBody)
	r := startRelay(t, Options{Smarthost: sk.addr, SmarthostTLS: "none"}, st)
	if err := r.Submit("m1", []Copy{{Recipients: []string{"good@dst.test", "bad@dst.test"}}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "removal", func() bool { return st.isRemoved("m1") })
	envs, bodies := st.dsns()
	if len(envs) != 1 {
		t.Fatalf("%d DSNs, want 1", len(envs))
	}
	if envs[0].From != "" || !envs[0].DSN || envs[0].Recipients[0].Addr != "a@src.test" {
		t.Errorf("DSN envelope %+v", envs[0])
	}
	mt, status := parseDSN(t, bodies[0])
	if mt != "multipart/report" {
		t.Errorf("media type %q", mt)
	}
	for _, want := range []string{"Final-Recipient: rfc822; bad@dst.test", "Action: failed", "Status: 5.1.1", "Diagnostic-Code: smtp; 550 5.1.1 no such user"} {
		if !strings.Contains(status, want) {
			t.Errorf("delivery-status lacks %q:\n%s", want, status)
		}
	}
	if strings.Contains(status, "good@dst.test") {
		t.Error("DSN mentions the delivered recipient")
	}
	// The DSN itself is delivered to the sender through the same relay.
	waitFor(t, "DSN delivery", func() bool {
		for _, m := range sk.received() {
			if m.from == "" && len(m.rcpts) == 1 && m.rcpts[0] == "a@src.test" {
				return true
			}
		}
		return false
	})
	good := 0
	for _, m := range sk.received() {
		for _, a := range m.rcpts {
			if a == "good@dst.test" {
				good++
			}
		}
	}
	if good != 1 {
		t.Errorf("good@ delivered %d times", good)
	}
}

func TestNextHopDownDefersWithBackoffAndFlushDelivers(t *testing.T) {
	sk := newSink(t, "127.0.0.1:0", nil)
	sk.down.Store(true)
	st := newMemStore()
	st.put(testEnvelope("m1", "a@src.test", "b@dst.test"), testBody)
	r := startRelay(t, Options{Smarthost: sk.addr, SmarthostTLS: "none", RetryMin: time.Hour, RetryMax: 4 * time.Hour}, st)
	before := time.Now()
	if err := r.Submit("m1", []Copy{{Recipients: []string{"b@dst.test"}}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "first attempt", func() bool { return rcptState(t, r, "m1", "b@dst.test").Attempts == 1 })
	rs := rcptState(t, r, "m1", "b@dst.test")
	if rs.Status != StatusQueued {
		t.Fatalf("status %s", rs.Status)
	}
	if d := rs.NextAttempt.Sub(before); d < 47*time.Minute || d > 73*time.Minute {
		t.Errorf("next attempt in %v, want 1h +/- 20%%", d)
	}
	if raw, _ := st.LoadState("m1"); !bytes.Contains(raw, []byte(`"attempts":1`)) {
		t.Errorf("deferral not saved: %s", raw)
	}
	sk.down.Store(false)
	if err := r.Flush(""); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "delivery after flush", func() bool { return st.isRemoved("m1") })
	if len(sk.received()) != 1 {
		t.Errorf("sink got %d messages", len(sk.received()))
	}
	if envs, _ := st.dsns(); len(envs) != 0 {
		t.Errorf("unexpected DSN")
	}
}

func TestExpiredMessageBouncesWith447(t *testing.T) {
	sk := newSink(t, "127.0.0.1:0", nil)
	sk.down.Store(true)
	st := newMemStore()
	env := testEnvelope("m1", "a@src.test", "b@dst.test")
	env.Received = time.Now().Add(-6 * 24 * time.Hour)
	st.put(env, testBody)
	startRelay(t, Options{Smarthost: sk.addr, SmarthostTLS: "none"}, st).Submit("m1", []Copy{{Recipients: []string{"b@dst.test"}}})
	waitFor(t, "removal", func() bool { return st.isRemoved("m1") })
	envs, bodies := st.dsns()
	if len(envs) != 1 {
		t.Fatalf("%d DSNs, want 1", len(envs))
	}
	_, status := parseDSN(t, bodies[0])
	if !strings.Contains(status, "Status: 4.4.7") || !strings.Contains(status, "Action: failed") {
		t.Errorf("expiry DSN:\n%s", status)
	}
}

func bounceWithoutDSN(t *testing.T, env *envelope.Envelope) {
	sk := newSink(t, "127.0.0.1:0", nil)
	sk.reject("b@dst.test", &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no"})
	st := newMemStore()
	st.put(env, testBody)
	r := startRelay(t, Options{Smarthost: sk.addr, SmarthostTLS: "none"}, st)
	if err := r.Submit(env.ID, []Copy{{Recipients: []string{"b@dst.test"}}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "removal", func() bool { return st.isRemoved(env.ID) })
	if envs, _ := st.dsns(); len(envs) != 0 {
		t.Errorf("%d DSNs, want none", len(envs))
	}
}

func TestNullSenderBounceSendsNoDSN(t *testing.T) {
	bounceWithoutDSN(t, testEnvelope("m1", "", "b@dst.test"))
}

func TestNotifyNeverBounceSendsNoDSN(t *testing.T) {
	env := testEnvelope("m1", "a@src.test", "b@dst.test")
	env.Recipients[0].Notify = []string{"NEVER"}
	bounceWithoutDSN(t, env)
}

func TestBounceOfDSNSendsNoDSN(t *testing.T) {
	env := testEnvelope("m1", "a@src.test", "b@dst.test")
	env.DSN = true
	bounceWithoutDSN(t, env)
}

// mxSetup starts sinks on 127.0.0.1:P and 127.0.0.2:P (same port) and a
// DNS server; 127.0.0.3:P has nothing listening.
func mxSetup(t *testing.T, z *dnsZone, tlsCfg *tls.Config) (a, b *sink, resolver string, port int) {
	t.Helper()
	la, lb := listenPair(t)
	a, b = sinkOn(t, la, tlsCfg), sinkOn(t, lb, tlsCfg)
	_, p, _ := strings.Cut(a.addr, ":")
	for _, c := range p {
		port = port*10 + int(c-'0')
	}
	return a, b, newDNS(t, z), port
}

func mx(pref uint16, host string) *dns.MX { return &dns.MX{Preference: pref, Mx: host} }

func TestMXDeliveryFollowsPreferenceOrder(t *testing.T) {
	z := &dnsZone{
		mx: map[string][]*dns.MX{"dst.test.": {mx(20, "mx2.dst.test."), mx(10, "mx1.dst.test.")}},
		a:  map[string]string{"mx1.dst.test.": "127.0.0.2", "mx2.dst.test.": "127.0.0.1"},
	}
	a, b, res, port := mxSetup(t, z, nil)
	st := newMemStore()
	st.put(testEnvelope("m1", "a@src.test", "x@dst.test"), testBody)
	r := startRelay(t, Options{Resolver: res, MXPort: port, DefaultTLS: "none"}, st)
	r.Submit("m1", []Copy{{Recipients: []string{"x@dst.test"}}})
	waitFor(t, "removal", func() bool { return st.isRemoved("m1") })
	if len(b.received()) != 1 || len(a.received()) != 0 {
		t.Errorf("preference 10 (127.0.0.2) got %d, preference 20 got %d", len(b.received()), len(a.received()))
	}
}

func TestMXFallsBackToSecondWhenFirstRefuses(t *testing.T) {
	z := &dnsZone{
		mx: map[string][]*dns.MX{"dst.test.": {mx(10, "mx1.dst.test."), mx(20, "mx2.dst.test.")}},
		a:  map[string]string{"mx1.dst.test.": "127.0.0.3", "mx2.dst.test.": "127.0.0.1"},
	}
	a, _, res, port := mxSetup(t, z, nil)
	st := newMemStore()
	st.put(testEnvelope("m1", "a@src.test", "x@dst.test"), testBody)
	r := startRelay(t, Options{Resolver: res, MXPort: port, DefaultTLS: "none"}, st)
	r.Submit("m1", []Copy{{Recipients: []string{"x@dst.test"}}})
	waitFor(t, "removal", func() bool { return st.isRemoved("m1") })
	if len(a.received()) != 1 {
		t.Errorf("second MX got %d messages", len(a.received()))
	}
}

func TestNullMXBouncesWith5110AndNXDOMAINWith512(t *testing.T) {
	z := &dnsZone{
		mx: map[string][]*dns.MX{"nomail.test.": {mx(0, ".")}},
		nx: map[string]bool{"gone.test.": true},
	}
	_, _, res, port := mxSetup(t, z, nil)
	st := newMemStore()
	st.put(testEnvelope("m1", "a@src.test", "x@nomail.test", "y@gone.test"), testBody)
	r := startRelay(t, Options{Resolver: res, MXPort: port, DefaultTLS: "none"}, st)
	if err := r.Hold("m1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("hold of unknown: %v", err)
	}
	r.Submit("m1", []Copy{{Recipients: []string{"x@nomail.test", "y@gone.test"}}})
	waitFor(t, "removal", func() bool { return st.isRemoved("m1") })
	_, bodies := st.dsns()
	if len(bodies) != 1 {
		t.Fatalf("%d DSNs", len(bodies))
	}
	_, status := parseDSN(t, bodies[0])
	if !strings.Contains(status, "Status: 5.1.10") || !strings.Contains(status, "Status: 5.1.2") {
		t.Errorf("DSN status:\n%s", status)
	}
}

func TestNoMXDeliversToImplicitMX(t *testing.T) {
	z := &dnsZone{a: map[string]string{"plain.test.": "127.0.0.1"}}
	a, _, res, port := mxSetup(t, z, nil)
	st := newMemStore()
	st.put(testEnvelope("m1", "a@src.test", "x@plain.test"), testBody)
	r := startRelay(t, Options{Resolver: res, MXPort: port, DefaultTLS: "none"}, st)
	r.Submit("m1", []Copy{{Recipients: []string{"x@plain.test"}}})
	waitFor(t, "removal", func() bool { return st.isRemoved("m1") })
	if len(a.received()) != 1 {
		t.Errorf("implicit MX got %d messages", len(a.received()))
	}
}

func tlsZone() *dnsZone {
	return &dnsZone{
		mx: map[string][]*dns.MX{"tls.test.": {mx(10, "mx.test.")}, "wrong.test.": {mx(10, "other.test.")}},
		a:  map[string]string{"mx.test.": "127.0.0.1", "other.test.": "127.0.0.1"},
	}
}

func TestMayUsesSTARTTLSWhenOffered(t *testing.T) {
	cfg, _ := testCert(t, "mx.test")
	a, _, res, port := mxSetup(t, tlsZone(), cfg)
	st := newMemStore()
	st.put(testEnvelope("m1", "a@src.test", "x@tls.test"), testBody)
	env, _ := st.Envelope("m1")
	env.Recipients[0].Notify = []string{"SUCCESS"}
	st.put(env, testBody)
	r := startRelay(t, Options{Resolver: res, MXPort: port}, st)
	r.Submit("m1", []Copy{{Recipients: []string{"x@tls.test"}}})
	waitFor(t, "removal", func() bool { return st.isRemoved("m1") })
	got := a.received()
	if len(got) != 1 || !got[0].tls {
		t.Fatalf("sink got %d messages, tls=%v", len(got), len(got) == 1 && got[0].tls)
	}
}

func TestVerifyWithTrustedCertAndRightNameDelivers(t *testing.T) {
	cfg, pool := testCert(t, "mx.test")
	a, _, res, port := mxSetup(t, tlsZone(), cfg)
	st := newMemStore()
	st.put(testEnvelope("m1", "a@src.test", "x@tls.test"), testBody)
	r := startRelay(t, Options{Resolver: res, MXPort: port, RootCAs: pool, TLSPolicy: map[string]tlslevel.Level{".test": "may", "tls.test": "verify"}, RetryMin: time.Hour}, st)
	r.Submit("m1", []Copy{{Recipients: []string{"x@tls.test"}}})
	waitFor(t, "removal", func() bool { return st.isRemoved("m1") })
	if got := a.received(); len(got) != 1 || !got[0].tls {
		t.Fatalf("verified delivery did not happen over TLS")
	}
}

func TestVerifyWithWrongNameDefersAndNeverSendsPlaintext(t *testing.T) {
	cfg, pool := testCert(t, "mx.test")
	a, _, res, port := mxSetup(t, tlsZone(), cfg)
	st := newMemStore()
	st.put(testEnvelope("m1", "a@src.test", "x@wrong.test"), testBody)
	r := startRelay(t, Options{Resolver: res, MXPort: port, RootCAs: pool, RetryMin: time.Hour}, st)
	// The copy's floor raises the default "may" to "verify".
	r.Submit("m1", []Copy{{Recipients: []string{"x@wrong.test"}, MinTLS: "verify"}})
	waitFor(t, "attempt", func() bool { return rcptState(t, r, "m1", "x@wrong.test").Attempts == 1 })
	rs := rcptState(t, r, "m1", "x@wrong.test")
	if rs.Status != StatusQueued || rs.LastEnhanced != "4.7.5" {
		t.Errorf("state %+v, want queued with 4.7.5", rs)
	}
	if a.mailCount() != 0 {
		t.Errorf("sink saw %d MAIL commands", a.mailCount())
	}
}

func TestEncryptWithoutSTARTTLSDefersAndSinkGetsNothing(t *testing.T) {
	sk := newSink(t, "127.0.0.1:0", nil)
	st := newMemStore()
	st.put(testEnvelope("m1", "a@src.test", "b@dst.test"), testBody)
	r := startRelay(t, Options{Smarthost: sk.addr, SmarthostTLS: "encrypt", RetryMin: time.Hour}, st)
	r.Submit("m1", []Copy{{Recipients: []string{"b@dst.test"}}})
	waitFor(t, "attempt", func() bool { return rcptState(t, r, "m1", "b@dst.test").Attempts == 1 })
	rs := rcptState(t, r, "m1", "b@dst.test")
	if rs.Status != StatusQueued || rs.LastEnhanced != "4.7.5" || !strings.Contains(rs.LastReply, "TLS required") {
		t.Errorf("state %+v", rs)
	}
	if sk.mailCount() != 0 {
		t.Errorf("sink saw %d MAIL commands", sk.mailCount())
	}
}

func TestMayFallsBackToPlaintextWhenHandshakeFails(t *testing.T) {
	cfg, _ := testCert(t, "mx.test")
	cfg.MaxVersion = tls.VersionTLS11 // our client requires TLS 1.2+
	sk := newSink(t, "127.0.0.1:0", cfg)
	st := newMemStore()
	st.put(testEnvelope("m1", "a@src.test", "b@dst.test"), testBody)
	r := startRelay(t, Options{Smarthost: sk.addr, SmarthostTLS: "may"}, st)
	r.Submit("m1", []Copy{{Recipients: []string{"b@dst.test"}}})
	waitFor(t, "removal", func() bool { return st.isRemoved("m1") })
	if got := sk.received(); len(got) != 1 || got[0].tls {
		t.Errorf("want one plaintext delivery, got %d", len(got))
	}
}

func TestSmarthostVerifyRecordsTLSDetails(t *testing.T) {
	cfg, pool := testCert(t, "mx.test")
	sk := newSink(t, "127.0.0.1:0", cfg)
	sk.reject("b@dst.test", &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 2, 0}, Message: "later"})
	st := newMemStore()
	st.put(testEnvelope("m1", "a@src.test", "b@dst.test"), testBody)
	r := startRelay(t, Options{Smarthost: sk.addr, SmarthostTLS: "verify", RootCAs: pool, RetryMin: time.Hour}, st)
	r.Submit("m1", []Copy{{Recipients: []string{"b@dst.test"}}})
	waitFor(t, "attempt", func() bool { return rcptState(t, r, "m1", "b@dst.test").Attempts == 1 })
	rs := rcptState(t, r, "m1", "b@dst.test")
	if rs.TLSVersion == "" || rs.TLSCipher == "" || !rs.TLSVerified || rs.LastCode != 451 {
		t.Errorf("state %+v", rs)
	}
}

func TestHoldReleaseDeleteShowList(t *testing.T) {
	sk := newSink(t, "127.0.0.1:0", nil)
	st := newMemStore()
	st.put(testEnvelope("m1", "a@src.test", "b@dst.test"), testBody)
	st.put(testEnvelope("m2", "a@src.test", "b@dst.test"), testBody)
	r, err := New(Options{Hostname: "relay.test", Smarthost: sk.addr, SmarthostTLS: "none", Logger: testLogger()}, st)
	if err != nil {
		t.Fatal(err)
	}
	// Submitted before Start: held, then started.
	r.Submit("m1", []Copy{{Recipients: []string{"b@dst.test"}}})
	r.Submit("m2", []Copy{{Recipients: []string{"b@dst.test"}}})
	if err := r.Hold("m1"); err != nil {
		t.Fatal(err)
	}
	if err := r.Hold("m2"); err != nil {
		t.Fatal(err)
	}
	if raw, _ := st.LoadState("m1"); !bytes.Contains(raw, []byte(`"held":true`)) {
		t.Errorf("hold not saved: %s", raw)
	}
	r.Start()
	t.Cleanup(func() { r.Stop(t.Context()) })
	if n := len(r.List()); n != 2 || r.Depth() != 2 {
		t.Fatalf("list has %d, depth %d", n, r.Depth())
	}
	e, err := r.Show("m1")
	if err != nil || !e.Held || e.From != "a@src.test" || e.Size != int64(len(testBody)) || len(e.Recipients) != 1 {
		t.Fatalf("show: %+v %v", e, err)
	}
	r.Flush("") // held messages are not flushed
	time.Sleep(200 * time.Millisecond)
	if sk.mailCount() != 0 {
		t.Fatalf("held message was attempted")
	}
	if err := r.Delete("m2"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Show("m2"); !errors.Is(err, ErrNotFound) || !st.isRemoved("m2") {
		t.Errorf("after delete: show err %v, removed %v", err, st.isRemoved("m2"))
	}
	if err := r.Release("m1"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "delivery after release", func() bool { return st.isRemoved("m1") })
	if len(sk.received()) != 1 || r.Depth() != 0 {
		t.Errorf("sink got %d, depth %d", len(sk.received()), r.Depth())
	}
	if envs, _ := st.dsns(); len(envs) != 0 {
		t.Error("delete sent a DSN")
	}
	for _, op := range []func(string) error{r.Hold, r.Release, r.Delete, r.Flush} {
		if err := op("nope"); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown id: %v", err)
		}
	}
}

func TestRestartRedeliversQueuedAndNotDelivered(t *testing.T) {
	sk := newSink(t, "127.0.0.1:0", nil)
	sk.reject("later@dst.test", &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"})
	st := newMemStore()
	st.put(testEnvelope("m1", "a@src.test", "now@dst.test", "later@dst.test"), testBody)
	opts := Options{Hostname: "relay.test", Smarthost: sk.addr, SmarthostTLS: "none", RetryMin: time.Hour, Logger: testLogger()}
	r1, _ := New(opts, st)
	r1.Start()
	r1.Submit("m1", []Copy{{Recipients: []string{"now@dst.test", "later@dst.test"}}})
	waitFor(t, "first attempt", func() bool { return rcptState(t, r1, "m1", "later@dst.test").Attempts == 1 })
	if err := r1.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}

	sk.reject("later@dst.test", nil)
	r2 := startRelay(t, opts, st)
	if needs, err := r2.Restore("m1"); err != nil || needs {
		t.Fatalf("restore: %v %v", needs, err)
	}
	if rs := rcptState(t, r2, "m1", "now@dst.test"); rs.Status != StatusDelivered {
		t.Fatalf("delivered state lost: %+v", rs)
	}
	r2.Flush("m1")
	waitFor(t, "removal", func() bool { return st.isRemoved("m1") })
	count := map[string]int{}
	for _, m := range sk.received() {
		for _, a := range m.rcpts {
			count[a]++
		}
	}
	if count["now@dst.test"] != 1 || count["later@dst.test"] != 1 {
		t.Errorf("deliveries %v, want one each", count)
	}
}

func TestRestoreWithoutStateNeedsProcessing(t *testing.T) {
	st := newMemStore()
	st.put(testEnvelope("m1", "a@src.test", "b@dst.test"), testBody)
	r, _ := New(Options{Hostname: "relay.test"}, st)
	needs, err := r.Restore("m1")
	if err != nil || !needs {
		t.Fatalf("restore: %v %v", needs, err)
	}
	if r.Depth() != 0 {
		t.Error("unsubmitted message queued")
	}
}

func TestBackoffDoublesWithJitterAndCaps(t *testing.T) {
	r, _ := New(Options{Hostname: "h", RetryMin: time.Minute, RetryMax: 10 * time.Minute}, newMemStore())
	for attempt, base := range map[int]time.Duration{1: time.Minute, 2: 2 * time.Minute, 3: 4 * time.Minute, 4: 8 * time.Minute, 5: 10 * time.Minute, 40: 10 * time.Minute} {
		for range 50 {
			d := r.backoff(attempt)
			if d < base*8/10 || d > base*12/10 {
				t.Fatalf("attempt %d: %v outside %v +/- 20%%", attempt, d, base)
			}
		}
	}
}

func TestMostSpecificTLSPolicyWins(t *testing.T) {
	r, _ := New(Options{Hostname: "h", DefaultTLS: "may", TLSPolicy: map[string]tlslevel.Level{
		".example.org": "encrypt", ".mail.example.org": "none", "example.org": "verify"}}, newMemStore())
	for d, want := range map[string]tlslevel.Level{"example.org": "verify", "a.example.org": "encrypt", "x.mail.example.org": "none", "other.test": "may"} {
		if got := r.policyFor(d); got != want {
			t.Errorf("policyFor(%s) = %s, want %s", d, got, want)
		}
	}
	if tlslevel.Raise("none", "verify") != "verify" || tlslevel.Raise("verify", "encrypt") != "verify" || tlslevel.Raise("may", "") != "may" {
		t.Error("raise lowers or ignores a floor")
	}
}

func TestNewRejectsUnknownTLSLevels(t *testing.T) {
	_, err := New(Options{Hostname: "h", DefaultTLS: "mandatory", TLSPolicy: map[string]tlslevel.Level{"x.test": "sometimes"}}, newMemStore())
	if err == nil || !strings.Contains(err.Error(), "DefaultTLS") || !strings.Contains(err.Error(), `TLSPolicy["x.test"]`) {
		t.Errorf("err = %v", err)
	}
}

func TestEachCopyGoesToItsOwnRecipients(t *testing.T) {
	sk := newSink(t, "127.0.0.1:0", nil)
	st := newMemStore()
	st.put(testEnvelope("m1", "a@src.test", "plain@dst.test", "enc@dst.test"), testBody)
	st.mu.Lock()
	st.copies["m1/pgp"] = []byte("Subject: x\r\n\r\nENCRYPTED\r\n")
	st.mu.Unlock()
	r := startRelay(t, Options{Smarthost: sk.addr, SmarthostTLS: "none"}, st)
	r.Submit("m1", []Copy{{Recipients: []string{"plain@dst.test"}}, {Name: "pgp", Recipients: []string{"enc@dst.test"}}})
	waitFor(t, "removal", func() bool { return st.isRemoved("m1") })
	for _, m := range sk.received() {
		enc := bytes.Contains(m.data, []byte("ENCRYPTED"))
		if len(m.rcpts) != 1 || (m.rcpts[0] == "enc@dst.test") != enc {
			t.Errorf("rcpts %v got encrypted=%v", m.rcpts, enc)
		}
	}
	if len(sk.received()) != 2 {
		t.Errorf("sink got %d transactions, want 2", len(sk.received()))
	}
}
