package relay

import (
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

func TestDeliveryThatOwesNoDSNNeverSavesState(t *testing.T) {
	sk := newSink(t, "127.0.0.1:0", nil)
	st := newMemStore()
	st.put(testEnvelope("m1", "a@src.test", "b@dst.test", "c@dst.test"), testBody)
	r := startRelay(t, Options{Smarthost: sk.addr, SmarthostTLS: "none"}, st)
	if err := r.Submit("m1", []Copy{{Recipients: []string{"b@dst.test", "c@dst.test"}}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "removal", func() bool { return st.isRemoved("m1") })
	if n := st.saveCount("m1"); n != 0 {
		t.Fatalf("%d state saves for a message delivered at once; want 0", n)
	}
	if len(sk.received()) != 1 {
		t.Fatalf("sink got %d messages", len(sk.received()))
	}
}

func TestCrashAfterSubmitOfOriginalBodyLeavesMessageToReprocess(t *testing.T) {
	st := newMemStore()
	st.put(testEnvelope("m1", "a@src.test", "b@dst.test"), testBody)
	opts := Options{Hostname: "relay.test", Smarthost: "127.0.0.1:1", SmarthostTLS: "none"}
	r1, _ := New(opts, st) // never started: the process dies before any attempt
	if err := r1.Submit("m1", []Copy{{Recipients: []string{"b@dst.test"}}}); err != nil {
		t.Fatal(err)
	}
	r2, _ := New(opts, st)
	needs, err := r2.Restore("m1")
	if err != nil || !needs {
		t.Fatalf("Restore = %v, %v; want needsProcessing so the gateway submits it again", needs, err)
	}
}

func TestCrashAfterSubmitOfEncryptedCopyLeavesMessageToReprocess(t *testing.T) {
	st := newMemStore()
	st.put(testEnvelope("m1", "a@src.test", "b@dst.test"), testBody)
	st.copies["m1/pgp"] = []byte("Subject: x\r\n\r\nENCRYPTED\r\n")
	opts := Options{Hostname: "relay.test", Smarthost: "127.0.0.1:1", SmarthostTLS: "none"}
	r1, _ := New(opts, st)
	if err := r1.Submit("m1", []Copy{{Name: "pgp", Recipients: []string{"b@dst.test"}}}); err != nil {
		t.Fatal(err)
	}
	if n := st.saveCount("m1"); n != 0 {
		t.Fatalf("Submit saved the state %d times; the initial state is derived again after a crash", n)
	}
	r2, _ := New(opts, st)
	if needs, err := r2.Restore("m1"); err != nil || !needs {
		t.Fatalf("Restore = %v, %v; want needsProcessing (the copy is made again)", needs, err)
	}
}

func TestDeferredEncryptedCopyIsRestoredWithItsCopy(t *testing.T) {
	sk := newSink(t, "127.0.0.1:0", nil)
	sk.reject("later@dst.test", &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"})
	st := newMemStore()
	st.put(testEnvelope("m1", "a@src.test", "later@dst.test"), testBody)
	st.copies["m1/pgp"] = []byte("Subject: x\r\n\r\nENCRYPTED\r\n")
	opts := Options{Hostname: "relay.test", Smarthost: sk.addr, SmarthostTLS: "none", RetryMin: time.Hour}
	r := startRelay(t, opts, st)
	if err := r.Submit("m1", []Copy{{Name: "pgp", Recipients: []string{"later@dst.test"}}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "deferral saved", func() bool {
		raw, _ := st.LoadState("m1")
		return strings.Contains(string(raw), `"attempts":1`)
	})
	r2, _ := New(opts, st)
	if needs, err := r2.Restore("m1"); err != nil || needs {
		t.Fatalf("Restore = %v, %v; the deferred state names a copy that is there", needs, err)
	}
	if e, err := r2.Show("m1"); err != nil || e.Recipients[0].Copy != "pgp" || e.Recipients[0].Attempts != 1 {
		t.Fatalf("restored %+v, %v", e, err)
	}
}

func TestRestoreWithMissingCopyPlansAgainNeverSendsTheOriginal(t *testing.T) {
	sk := newSink(t, "127.0.0.1:0", nil)
	sk.reject("later@dst.test", &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"})
	st := newMemStore()
	st.put(testEnvelope("m1", "a@src.test", "later@dst.test"), testBody)
	st.copies["m1/pgp"] = []byte("Subject: x\r\n\r\nENCRYPTED\r\n")
	opts := Options{Hostname: "relay.test", Smarthost: sk.addr, SmarthostTLS: "none", RetryMin: time.Hour}
	r := startRelay(t, opts, st)
	if err := r.Submit("m1", []Copy{{Name: "pgp", Recipients: []string{"later@dst.test"}}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "deferral saved", func() bool {
		raw, _ := st.LoadState("m1")
		return strings.Contains(string(raw), `"attempts":1`)
	})
	st.mu.Lock()
	delete(st.copies, "m1/pgp") // torn by a crash and dropped by the spool's Recover
	st.mu.Unlock()
	r2, _ := New(opts, st)
	if needs, err := r2.Restore("m1"); err != nil || !needs {
		t.Fatalf("Restore = %v, %v; want needsProcessing (encrypt again)", needs, err)
	}
	if _, err := r2.Show("m1"); err == nil {
		t.Fatal("the message is queued without its copy")
	}
}

func TestDeferralIsSavedAndBounceIsSavedBeforeItsDSN(t *testing.T) {
	sk := newSink(t, "127.0.0.1:0", nil)
	sk.reject("later@dst.test", &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"})
	sk.reject("gone@dst.test", &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"})
	st := newMemStore()
	st.put(testEnvelope("m1", "a@src.test", "later@dst.test"), testBody)
	st.put(testEnvelope("m2", "a@src.test", "gone@dst.test"), testBody)
	r := startRelay(t, Options{Smarthost: sk.addr, SmarthostTLS: "none", RetryMin: time.Hour}, st)
	r.Submit("m1", []Copy{{Recipients: []string{"later@dst.test"}}})
	r.Submit("m2", []Copy{{Recipients: []string{"gone@dst.test"}}})
	waitFor(t, "deferral saved", func() bool {
		raw, _ := st.LoadState("m1")
		return strings.Contains(string(raw), `"attempts":1`)
	})
	waitFor(t, "bounce settled", func() bool { return st.isRemoved("m2") })
	if n := st.saveCount("m2"); n < 2 {
		t.Fatalf("%d saves for a bounce; want the bounce and then its reported DSN", n)
	}
	if envs, _ := st.dsns(); len(envs) != 1 {
		t.Fatalf("%d DSNs, want 1", len(envs))
	}
}
