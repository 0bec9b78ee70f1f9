package process

import (
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/sealgate/sealgate/crypto/keystore"
	"github.com/sealgate/sealgate/internal/testpki"
	"github.com/sealgate/sealgate/policy"
)

// KeepHeld is the relay's: it records what stays held, and why.
func (q *memQueue) KeepHeld(id string, addrs []string, reason string) error {
	q.ev.add("keep held " + strings.Join(addrs, ",") + ": " + reason)
	return nil
}

type verifiedTLS struct{}

func (verifiedTLS) CanVerifyTLS(context.Context, string) (bool, string, error) {
	return true, "admin", nil
}

type certKeys map[string][]keystore.Entry

func (k certKeys) Lookup(_ context.Context, addr string) ([]keystore.Entry, error) {
	return k[addr], nil
}

func smimeEntry(t *testing.T, addr string) keystore.Entry {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: addr},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), EmailAddresses: []string{addr},
		KeyUsage: x509.KeyUsageKeyEncipherment | x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection}}
	return keystore.Entry{Kind: keystore.SMIME, Data: testpki.SelfSigned(t, tmpl, testpki.RSAKey(2048, 0)).Raw, Source: "local:b.crt"}
}

// tlsFixture is a stage whose TLS knowledge promises verified TLS (so the
// tls method is chosen first) with keys.
func tlsFixture(t *testing.T, rules string, keys certKeys) *fixture {
	f := newFixture(t, rules)
	eng := f.stage.o.Engine
	f.stage = New(Options{Store: f.store, Queue: f.queue, Recorder: f.rec, TLS: verifiedTLS{}, Engine: eng,
		Settings: func() Settings { return Settings{Hostname: "gw.clinic.test", Subject: "Encrypted message", Keys: keys} }})
	return f
}

const tlsThenSMIME = "rules:\n  - id: phi\n    default: true\n    action: encrypt\n    methods: [tls, smime]\n    min: tls\n"

func TestVerifiedTLSFailureFallsBackToSMIMEWithItsReasonRecorded(t *testing.T) {
	f := tlsFixture(t, tlsThenSMIME, certKeys{"b@partner.test": {smimeEntry(t, "b@partner.test")}})
	f.add("m1", "b@partner.test")
	if err := f.stage.Process("m1"); err != nil {
		t.Fatal(err)
	}
	first := f.queue.queued["m1"]
	if len(first) != 1 || first[0].Method != "tls" || first[0].MinTLS != minVerify {
		t.Fatalf("first copies %+v: want one tls copy, Method tls", first)
	}
	if err := f.stage.Fallback(context.Background(), "m1", []string{"b@partner.test"}, "tls", "starttls-not-supported"); err != nil {
		t.Fatal(err)
	}
	if got := f.ev.String(); !strings.HasSuffix(got, "decision encrypt,serve held") {
		t.Fatalf("events %s: the decision must be durable before the copy is served", got)
	}
	served := f.queue.queued["m1"][1:]
	if len(served) != 1 || !strings.HasPrefix(served[0].Name, "smimef") || served[0].Method != "smime" || served[0].Hold != "" ||
		served[0].Recipients[0] != "b@partner.test" {
		t.Fatalf("served %+v", served)
	}
	body := f.store.copies["m1/"+served[0].Name]
	if !strings.Contains(body, "application/pkcs7-mime") || strings.Contains(body, "Hello.") {
		t.Fatalf("the fallback copy is not S/MIME enveloped:\n%.400s", body)
	}
	if _, kept := f.store.copies["m1/smime"]; kept {
		t.Fatal("the fallback overwrote a name the first plan could use")
	}
	m := f.rec.methods
	if len(m) != 1 || m[0].Method != "smime" || !strings.HasPrefix(m[0].Reason, "fallback after tls failed: starttls-not-supported; rule phi: usable S/MIME certificate") {
		t.Fatalf("recorded %+v", m)
	}
	if f.rec.hold != "" {
		t.Fatalf("hold note %q for a served recipient", f.rec.hold)
	}
}

func TestFallbackWithNothingLeftKeepsTheRecipientHeld(t *testing.T) {
	for _, rules := range []string{tlsThenSMIME, "rules:\n  - id: phi\n    default: true\n    action: encrypt\n    methods: [tls]\n    min: tls\n"} {
		f := tlsFixture(t, rules, certKeys{}) // no certificate for b
		f.add("m1", "b@partner.test")
		if err := f.stage.Process("m1"); err != nil {
			t.Fatal(err)
		}
		if err := f.stage.Fallback(context.Background(), "m1", []string{"b@partner.test"}, "tls", "certificate-host-mismatch"); err != nil {
			t.Fatal(err)
		}
		if got := f.ev.String(); !strings.HasSuffix(got, "decision encrypt,keep held b@partner.test: no secure method left after tls failed") {
			t.Fatalf("events: %s", got)
		}
		if n := len(f.queue.queued["m1"]); n != 1 {
			t.Fatalf("%d copies: something was served", n)
		}
		m := f.rec.methods
		if len(m) != 1 || m[0].Method != "none" || !strings.HasPrefix(m[0].Reason, "fallback after tls failed: certificate-host-mismatch; ") ||
			strings.Contains(m[0].Reason, "tls:") {
			t.Fatalf("recorded %+v (tls must be out of the list)", m)
		}
		if !strings.Contains(f.rec.hold, "no secure method left after tls failed") {
			t.Fatalf("hold note %q", f.rec.hold)
		}
	}
}

func TestFallbackNarrowsToTheFailedRecipientsAndKeepsTheEngineIntact(t *testing.T) {
	keys := certKeys{"b@partner.test": {smimeEntry(t, "b@partner.test")}, "c@partner.test": {smimeEntry(t, "c@partner.test")}}
	f := tlsFixture(t, tlsThenSMIME, keys)
	env := f.add("m1", "b@partner.test")
	env.Recipients = append(env.Recipients, env.Recipients[0])
	env.Recipients[1].Addr = "c@partner.test"
	if err := f.stage.Fallback(context.Background(), "m1", []string{"B@partner.test"}, "tls", "starttls-not-supported"); err != nil {
		t.Fatal(err)
	}
	if m := f.rec.methods; len(m) != 1 || m[0].Addr != "b@partner.test" {
		t.Fatalf("recorded %+v: only the failed recipient is re-selected", m)
	}
	dec, err := f.stage.o.Engine().Evaluate(context.Background(), policy.Input{Env: env, Body: strings.NewReader(f.store.bodies["m1"])})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(dec.Methods, ",") != "tls,smime" {
		t.Fatalf("the engine's methods changed: %v", dec.Methods)
	}
}

func TestVerifiedTLSFailureFallsBackToThePortal(t *testing.T) {
	f := tlsFixture(t, "rules:\n  - id: phi\n    default: true\n    action: encrypt\n    methods: [tls, portal]\n    min: tls\n", certKeys{})
	pt := &memPortal{ev: f.ev}
	f.stage.o.Portal = pt
	f.add("m1", "b@partner.test")
	if err := f.stage.Process("m1"); err != nil {
		t.Fatal(err)
	}
	if len(pt.deposits) != 0 {
		t.Fatal("deposited although verified TLS was possible")
	}
	if err := f.stage.Fallback(context.Background(), "m1", []string{"b@partner.test"}, "tls", "certificate-expired"); err != nil {
		t.Fatal(err)
	}
	if got := f.ev.String(); !strings.Contains(got, "submit,deposit,copy portalf") || !strings.HasSuffix(got, ",decision encrypt,serve held") {
		t.Fatalf("events %s", got)
	}
	served := f.queue.queued["m1"][1:]
	if len(served) != 1 || !strings.HasPrefix(served[0].Name, "portalf") || served[0].Recipients[0] != "b@partner.test" {
		t.Fatalf("served %+v", served)
	}
	if m := f.rec.methods; len(m) != 1 || m[0].Method != "portal" || !strings.HasPrefix(m[0].Reason, "fallback after tls failed: certificate-expired; ") {
		t.Fatalf("recorded %+v", m)
	}
}
