package relay

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/sealgate/sealgate/gateway/dane"
	"github.com/sealgate/sealgate/gateway/relay/tlspolicy"
	"github.com/sealgate/sealgate/internal/tlslevel"
)

func TestVerifyDomainWithBadServerTLSIsDeferredNeverSent(t *testing.T) {
	mxName := "mx.v.test"
	_, _, goodPool := validCert(t, mxName)
	wrongHost, _, wrongPool := validCert(t, "other.test")
	expired, _, expiredPool := makeCert(t, time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour), mxName)
	untrusted, _, _ := validCert(t, mxName)
	cases := []struct {
		name    string
		srv     *tlsCase
		failure string
	}{
		{"no STARTTLS", &tlsCase{nil, goodPool}, tlspolicy.FailSTARTTLS},
		{"wrong host", &tlsCase{wrongHost, wrongPool}, tlspolicy.FailHostMismatch},
		{"expired", &tlsCase{expired, expiredPool}, tlspolicy.FailExpired},
		{"untrusted", &tlsCase{untrusted, goodPool}, tlspolicy.FailNotTrusted},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, tc.srv.cfg, map[string]string{"v.test": mxName})
			reg := prometheus.NewRegistry()
			r := startRelay(t, w.options(Options{RootCAs: tc.srv.pool, Registerer: reg,
				TLSPolicy: map[string]tlslevel.Level{"v.test": "verify"}}), w.st)
			w.send(t, r, "m1", "x@v.test", "")
			w.expectDeferred(t, "m1", "x@v.test", tc.failure)
			if n := counterValue(r.m.tlsFailures.WithLabelValues(tc.failure, "starttls")); n != 1 {
				t.Errorf("sealgate_relay_tls_failures_total{%s,starttls} = %v, want 1", tc.failure, n)
			}
			if rs := rcptState(t, r, "m1", "x@v.test"); rs.TLSFailure != tc.failure {
				t.Errorf("queue state tls_failure %q", rs.TLSFailure)
			}
		})
	}
}

type tlsCase struct {
	cfg  *tls.Config
	pool *x509.CertPool
}

func TestDANEAuthenticatesByTLSAAndDefersOnMismatchOrLookupFailure(t *testing.T) {
	// The certificate is self-signed, for another name and not in RootCAs:
	// only DANE-EE (RFC 7672 §3.1.1) can authenticate it.
	cfg, cert, _ := validCert(t, "not-the-mx.test")
	_, other, _ := validCert(t, "x.test")
	mxOf := map[string]string{"dane.test": "mx.dane.test", "bad.test": "mx.bad.test", "fail.test": "mx.fail.test",
		"none.test": "mx.none.test", "opt.test": "mx.opt.test"}
	w := newWorld(t, cfg, mxOf)
	fd := &fakeDANE{
		recs:     map[string][]dane.TLSA{"mx.dane.test": {tlsaFor(cert)}, "mx.bad.test": {tlsaFor(other)}},
		servfail: map[string]bool{"mx.fail.test": true},
	}
	r := startRelay(t, w.options(Options{DANE: fd, TLSPolicy: map[string]tlslevel.Level{"none.test": "dane-only", "opt.test": "dane"}}), w.st)

	w.send(t, r, "ok", "x@dane.test", "")
	if a := w.attempt(t, "ok", "x@dane.test"); a.Outcome != "delivered" || a.TLSAuth != "dane" || !a.TLSVerified {
		t.Fatalf("DANE delivery: %+v", a)
	}
	w.sk.mu.Lock()
	w.sk.mails = 0 // expectDeferred counts from here
	w.sk.mu.Unlock()
	w.send(t, r, "bad", "x@bad.test", "")
	w.expectDeferred(t, "bad", "x@bad.test", tlspolicy.FailTLSAInvalid)
	w.send(t, r, "fail", "x@fail.test", "")
	w.expectDeferred(t, "fail", "x@fail.test", tlspolicy.FailDNSSECInvalid)
	w.send(t, r, "none", "x@none.test", "")
	w.expectDeferred(t, "none", "x@none.test", tlspolicy.FailDANERequired)
	// "dane" without records is "may": delivered, not authenticated.
	w.send(t, r, "opt", "x@opt.test", "")
	if a := w.attempt(t, "opt", "x@opt.test"); a.Outcome != "delivered" || a.TLSAuth != "none" || a.TLSVersion == "" {
		t.Fatalf("dane level without TLSA: %+v", a)
	}
}

func TestMTASTSEnforceFiltersMXAndVerifiesTestingOnlyRecords(t *testing.T) {
	mxOf := map[string]string{
		"enf.test":   "mx1.enf.test",  // matches *.enf.test
		"nom.test":   "mx.nom.test",   // policy names another host
		"deep.test":  "a.b.deep.test", // *.deep.test matches one label only
		"tst.test":   "mx.tst.test",   // testing, untrusted certificate
		"tsm.test":   "mx.tsm.test",   // testing, policy names another host
		"enb.test":   "mx.enb.test",   // enforce, untrusted certificate
		"plain.test": "mx.plain.test", // no policy
	}
	names := []string{}
	for _, h := range mxOf {
		names = append(names, h)
	}
	cfg, _, pool := validCert(t, names...)
	w := newWorld(t, cfg, mxOf)
	sts := stsClient(t, map[string]string{
		"enf.test":  stsPolicy("enforce", "*.enf.test"),
		"nom.test":  stsPolicy("enforce", "mail.elsewhere.test"),
		"deep.test": stsPolicy("enforce", "*.deep.test"),
		"tst.test":  stsPolicy("testing", "mx.tst.test"),
		"tsm.test":  stsPolicy("testing", "mail.elsewhere.test"),
		"enb.test":  stsPolicy("enforce", "mx.enb.test"),
	})
	r := startRelay(t, w.options(Options{MTASTS: sts, RootCAs: pool}), w.st)
	// Testing mode, MX not in the policy: delivered, and the record says so.
	w.send(t, r, "tsm", "x@tsm.test", "")
	if a := w.attempt(t, "tsm", "x@tsm.test"); a.Outcome != "delivered" || a.TLSFailure != tlspolicy.FailValidation {
		t.Errorf("testing mode, MX not in the policy: %+v, want delivered with tls_failure validation-failure", a)
	}
	w.send(t, r, "enf", "x@enf.test", "")
	if a := w.attempt(t, "enf", "x@enf.test"); a.Outcome != "delivered" || a.TLSAuth != "mta-sts" {
		t.Fatalf("enforce, matching MX: %+v", a)
	}
	base := w.sk.mailCount()
	for _, d := range []string{"nom.test", "deep.test"} {
		w.send(t, r, d, "x@"+d, "")
		a := w.attempt(t, d, "x@"+d)
		if a.Outcome != "deferred" || a.TLSFailure != tlspolicy.FailValidation || a.RemoteHost != "" {
			t.Errorf("%s: %+v, want deferred before connecting (validation-failure)", d, a)
		}
	}
	if w.sk.mailCount() != base {
		t.Errorf("mail reached a host the policy does not allow")
	}

	// A relay that does not trust the certificate: enforce defers,
	// testing delivers and records the failure.
	w2 := newWorld(t, cfg, mxOf)
	r2 := startRelay(t, w2.options(Options{MTASTS: sts}), w2.st)
	w2.send(t, r2, "enb", "x@enb.test", "")
	w2.expectDeferred(t, "enb", "x@enb.test", tlspolicy.FailNotTrusted)
	w2.send(t, r2, "tst", "x@tst.test", "")
	if a := w2.attempt(t, "tst", "x@tst.test"); a.Outcome != "delivered" || a.TLSFailure != tlspolicy.FailNotTrusted || a.TLSAuth != "none" {
		t.Errorf("testing mode: %+v, want delivered with tls_failure certificate-not-trusted", a)
	}
	w2.send(t, r2, "plain", "x@plain.test", "")
	if a := w2.attempt(t, "plain", "x@plain.test"); a.Outcome != "delivered" || a.TLSFailure != "" {
		t.Errorf("no policy: %+v", a)
	}
}

func TestSTARTTLSStrippingProxyNeverGetsPlaintextAboveMay(t *testing.T) {
	mxOf := map[string]string{"enc.test": "mx.enc.test", "ver.test": "mx.ver.test", "dan.test": "mx.dan.test",
		"sts.test": "mx.sts.test", "may.test": "mx.may.test", "tst.test": "mx.tst.test"}
	var names []string
	for _, h := range mxOf {
		names = append(names, h)
	}
	cfg, cert, pool := validCert(t, names...)
	w := newWorld(t, cfg, mxOf)
	proxy := stripProxy(t, w.sk.addr)
	_, w.port, _ = splitHostPort(proxy)
	fd := &fakeDANE{recs: map[string][]dane.TLSA{"mx.dan.test": {tlsaFor(cert)}}}
	sts := stsClient(t, map[string]string{"sts.test": stsPolicy("enforce", "mx.sts.test"), "tst.test": stsPolicy("testing", "mx.tst.test")})
	r := startRelay(t, w.options(Options{RootCAs: pool, DANE: fd, MTASTS: sts, TLSPolicy: map[string]tlslevel.Level{
		"enc.test": "encrypt", "ver.test": "verify", "dan.test": "dane-only", "sts.test": "mta-sts"}}), w.st)
	for _, d := range []string{"enc.test", "ver.test", "dan.test", "sts.test"} {
		w.send(t, r, d, "x@"+d, "")
		w.expectDeferred(t, d, "x@"+d, tlspolicy.FailSTARTTLS)
	}
	// The proxy really strips: "may" without memory goes in plaintext.
	w.send(t, r, "may", "x@may.test", "")
	if a := w.attempt(t, "may", "x@may.test"); a.Outcome != "delivered" || a.TLSVersion != "" {
		t.Fatalf("may through the proxy: %+v", a)
	}
	// MTA-STS testing mode delivers in the clear too, and records why.
	w.send(t, r, "tst", "x@tst.test", "")
	if a := w.attempt(t, "tst", "x@tst.test"); a.Outcome != "delivered" || a.TLSVersion != "" || a.TLSFailure != tlspolicy.FailSTARTTLS {
		t.Errorf("testing mode through the proxy: %+v, want delivered in plaintext with tls_failure starttls-not-supported", a)
	}
}

func TestDowngradeMemoryDefersMayDomainOnceSeenVerified(t *testing.T) {
	mxName := "mx.may.test"
	cfg, _, pool := validCert(t, mxName)
	w := newWorld(t, cfg, map[string]string{"may.test": mxName})
	memPath := filepath.Join(t.TempDir(), "tls-memory.db")

	// First: a direct, verified delivery is remembered.
	r1, err := New(w.options(Options{Hostname: "relay.test", RootCAs: pool, MemoryPath: memPath, Logger: testLogger()}), w.st)
	if err != nil {
		t.Fatal(err)
	}
	r1.Start()
	w.send(t, r1, "m1", "x@may.test", "")
	if a := w.attempt(t, "m1", "x@may.test"); a.Outcome != "delivered" || a.TLSAuth != "verified" {
		t.Fatalf("first delivery: %+v", a)
	}
	if err := r1.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}

	// Then a man in the middle strips STARTTLS: the memory (reopened from
	// disk) defers instead of sending in plaintext.
	proxy := stripProxy(t, w.sk.addr)
	_, w.port, _ = splitHostPort(proxy)
	reg := prometheus.NewRegistry()
	r2 := startRelay(t, w.options(Options{RootCAs: pool, MemoryPath: memPath, Registerer: reg}), w.st)
	w.send(t, r2, "m2", "x@may.test", "")
	a := w.attempt(t, "m2", "x@may.test")
	if a.Outcome != "deferred" || !a.TLSDowngrade || a.Enhanced != "4.7.5" || a.TLSFailure != tlspolicy.FailSTARTTLS {
		t.Fatalf("downgrade attempt: %+v", a)
	}
	if w.sk.mailCount() != 1 {
		t.Fatalf("sink saw %d MAIL commands, want only the first, verified one", w.sk.mailCount())
	}
	if n := counterValue(r2.m.downgrades); n != 1 {
		t.Errorf("sealgate_relay_tls_downgrades_total = %v", n)
	}
	st := r2.ShowTLS("may.test")
	if st.Memory == nil || st.Memory.Auth != "verified" || !st.MemoryActive || !st.Downgraded {
		t.Errorf("ShowTLS = %+v", st)
	}

	// Level none is never bound by the memory, and an operator reset lets
	// the domain's own level apply again.
	if existed, err := r2.ResetMemory("may.test"); err != nil || !existed {
		t.Fatalf("ResetMemory: %v %v", existed, err)
	}
	r2.Flush("m2")
	waitFor(t, "delivery after reset", func() bool { return w.st.isRemoved("m2") })
	if got := w.sk.received(); len(got) != 2 || got[1].tls {
		t.Fatalf("after reset: %d messages (tls=%v), want a plaintext delivery at may", len(got), len(got) == 2 && got[1].tls)
	}
}

func TestDowngradeMemoryCatchesBadCertificateAndLowerVersion(t *testing.T) {
	mxName := "mx.mem.test"
	mxOf := map[string]string{"mem.test": mxName}
	cfg, _, pool := validCert(t, mxName)
	memPath := filepath.Join(t.TempDir(), "tls-memory.db")
	// prove TLS 1.3 with a verified certificate, then stop.
	prove := func() {
		w := newWorld(t, cfg, mxOf)
		r, err := New(w.options(Options{Hostname: "relay.test", RootCAs: pool, MemoryPath: memPath, Logger: testLogger()}), w.st)
		if err != nil {
			t.Fatal(err)
		}
		r.Start()
		defer r.Stop(t.Context())
		w.send(t, r, "p", "x@mem.test", "")
		if a := w.attempt(t, "p", "x@mem.test"); a.Outcome != "delivered" || a.TLSVersion != "TLS 1.3" || a.TLSAuth != "verified" {
			t.Fatalf("proving delivery: %+v", a)
		}
	}
	untrusted, _, _ := validCert(t, mxName)
	tls12 := cfg.Clone()
	tls12.MaxVersion = tls.VersionTLS12
	for _, tc := range []struct {
		name    string
		cfg     *tls.Config
		failure string
	}{
		{"certificate no longer verifies", untrusted, tlspolicy.FailNotTrusted},
		{"lower TLS version", tls12, tlspolicy.FailValidation},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prove()
			w := newWorld(t, tc.cfg, mxOf)
			r := startRelay(t, w.options(Options{RootCAs: pool, MemoryPath: memPath}), w.st)
			w.send(t, r, "m", "x@mem.test", "")
			if a := w.expectDeferred(t, "m", "x@mem.test", tc.failure); !a.TLSDowngrade {
				t.Errorf("not reported as a downgrade: %+v", a)
			}
			if ok, how, _ := r.CanVerifyTLS(t.Context(), "mem.test"); ok || how != "memory" {
				t.Errorf("CanVerifyTLS in a downgrade state = %v %q", ok, how)
			}
			r.Stop(t.Context())
		})
	}
}

func splitHostPort(addr string) (string, int, error) {
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	n, err := strconv.Atoi(p)
	return h, n, err
}

func counterValue(c prometheus.Counter) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		return -1
	}
	return m.GetCounter().GetValue()
}

// RFC 7672 §2.2.1: TLSA records count only for MX hosts from a DNSSEC-secure
// MX answer; an attacker who can spoof the MX could otherwise point it at a
// host of theirs and publish matching TLSA records for it.
func TestDANEIgnoresTLSAWhenTheMXAnswerIsNotSecure(t *testing.T) {
	cfg, _, _ := validCert(t, "not-the-mx.test")
	_, other, _ := validCert(t, "x.test")
	mxOf := map[string]string{"opt.test": "mx.opt.test", "req.test": "mx.req.test"}
	w := &world{st: newMemStore()}
	w.sk = newSink(t, "127.0.0.1:0", cfg)
	_, p, _ := net.SplitHostPort(w.sk.addr)
	w.port, _ = strconv.Atoi(p)
	z := zoneFor(mxOf)
	z.insecure = true
	w.res = newDNS(t, z)
	// A mismatching TLSA record would defer if it were used.
	fd := &fakeDANE{recs: map[string][]dane.TLSA{"mx.opt.test": {tlsaFor(other)}, "mx.req.test": {tlsaFor(other)}}}
	r := startRelay(t, w.options(Options{DANE: fd, TLSPolicy: map[string]tlslevel.Level{"opt.test": "dane", "req.test": "dane-only"}}), w.st)

	w.send(t, r, "opt", "x@opt.test", "")
	if a := w.attempt(t, "opt", "x@opt.test"); a.Outcome != "delivered" || a.TLSAuth == "dane" {
		t.Fatalf("insecure MX, opportunistic DANE: %+v", a)
	}
	w.sk.mu.Lock()
	w.sk.mails = 0
	w.sk.mu.Unlock()
	w.send(t, r, "req", "x@req.test", "")
	w.expectDeferred(t, "req", "x@req.test", tlspolicy.FailDNSSECInvalid)
}
