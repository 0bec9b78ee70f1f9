package relay

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/sealgate/sealgate/gateway/dane"
	"github.com/sealgate/sealgate/internal/tlslevel"
)

func TestCanVerifyTLSAnswersFromEachSource(t *testing.T) {
	mxOf := map[string]string{"adm.test": "mx.adm.test", "dan.test": "mx.dan.test", "sts.test": "mx.sts.test",
		"mem.test": "mx.mem.test", "good.test": "mx.good.test", "bad.test": "mx.bad.test", "off.test": "mx.off.test"}
	var names []string
	for d, h := range mxOf {
		if d != "bad.test" {
			names = append(names, h)
		}
	}
	cfg, cert, pool := validCert(t, names...) // mx.bad.test is not in it
	w := newWorld(t, cfg, mxOf)
	fd := &fakeDANE{recs: map[string][]dane.TLSA{"mx.dan.test": {tlsaFor(cert)}}}
	sts := stsClient(t, map[string]string{"sts.test": stsPolicy("enforce", "mx.sts.test")})
	r := startRelay(t, w.options(Options{RootCAs: pool, DANE: fd, MTASTS: sts,
		MemoryPath: filepath.Join(t.TempDir(), "mem.db"),
		TLSPolicy:  map[string]tlslevel.Level{"adm.test": "verify", "off.test": "none"}}), w.st)
	w.send(t, r, "m1", "x@mem.test", "")
	if a := w.attempt(t, "m1", "x@mem.test"); a.TLSAuth != "verified" {
		t.Fatalf("memory-seeding delivery: %+v", a)
	}
	for _, tc := range []struct {
		domain string
		ok     bool
		how    string
	}{
		{"adm.test", true, "admin"},
		{"off.test", false, "admin"},
		{"dan.test", true, "dane"},
		{"sts.test", true, "mta-sts"},
		{"mem.test", true, "memory"},
		{"good.test", true, "probe"},
		{"bad.test", false, "probe"},
	} {
		ok, how, err := r.CanVerifyTLS(t.Context(), tc.domain)
		if err != nil || ok != tc.ok || how != tc.how {
			t.Errorf("CanVerifyTLS(%s) = %v %q %v, want %v %q", tc.domain, ok, how, err, tc.ok, tc.how)
		}
	}
	// Probe answers are cached: the second call opens no connection.
	before := w.sk.sessionCount()
	if ok, how, _ := r.CanVerifyTLS(t.Context(), "good.test"); !ok || how != "probe" {
		t.Errorf("cached answer %v %q", ok, how)
	}
	if w.sk.sessionCount() != before {
		t.Errorf("a cached answer probed again")
	}
	if st := r.ShowTLS("good.test"); st.Capability == nil || !st.Capability.OK || st.Capability.Expires.Before(time.Now().Add(50*time.Minute)) {
		t.Errorf("cached positive answer: %+v", st.Capability)
	}
	if st := r.ShowTLS("bad.test"); st.Capability == nil || st.Capability.OK || st.Capability.Expires.After(time.Now().Add(11*time.Minute)) {
		t.Errorf("cached negative answer: %+v", st.Capability)
	}
	// No mail was sent by any probe.
	if n := w.sk.mailCount(); n != 1 {
		t.Errorf("sink saw %d MAIL commands, want 1", n)
	}
}

func TestResetMemoryWithoutMemoryIsAnError(t *testing.T) {
	r, err := New(Options{Hostname: "h"}, newMemStore())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.ResetMemory("x.test"); err != ErrNoMemory {
		t.Errorf("err = %v", err)
	}
	if st := r.ShowTLS("X.test."); st.Domain != "x.test" || !st.MemoryOff {
		t.Errorf("ShowTLS = %+v", st)
	}
}

func TestNewAcceptsAdminLevelsDaneAndMTASTS(t *testing.T) {
	_, err := New(Options{Hostname: "h", DefaultTLS: "dane", TLSPolicy: map[string]tlslevel.Level{
		"a.test": "dane-only", "b.test": "mta-sts", ".c.test": "dane"}}, newMemStore())
	if err != nil {
		t.Fatal(err)
	}
}
