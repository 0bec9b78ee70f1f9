package gateway

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/sealgate/sealgate/internal/capture"
	"github.com/sealgate/sealgate/internal/loopmark"
)

func TestAnEncryptedCopyThatComesBackIsNotEncryptedTwice(t *testing.T) {
	cert, decrypt := smimeRecipient(t, "bob@partner.test")
	sink := startSink(t, "127.0.0.1:0")
	env := writeConfig(t, sink.Addr(), "")
	importKey(t, env, "bob.crt", cert)
	startGateway(t, env)
	if err := send(env.Listen, "dr@clinic.test", []string{"bob@partner.test"}, phiMessage("bob@partner.test", "Results")); err != nil {
		t.Fatal(err)
	}
	if !sink.WaitFor(30*time.Second, func(ms []capture.Message) bool { return len(ms) == 1 }) {
		t.Fatal("no S/MIME copy")
	}
	first := sink.Messages()[0].Data
	if n := bytes.Count(first, []byte(loopmark.Name+":")); n != 1 {
		t.Fatalf("the S/MIME copy carries %d loop marks:\n%.600s", n, first)
	}
	// Routed back through sealgate (a forward rule at the partner, say):
	// it leaves as it is, still one S/MIME layer that openssl opens.
	if err := send(env.Listen, "dr@clinic.test", []string{"bob@partner.test"}, string(first)); err != nil {
		t.Fatal(err)
	}
	if !sink.WaitFor(30*time.Second, func(ms []capture.Message) bool { return len(ms) == 2 }) {
		t.Fatal("the looped copy did not leave")
	}
	second := sink.Messages()[1].Data
	if plain := decrypt(second); !strings.Contains(plain, "SSN: 078-05-1121") {
		t.Fatalf("the looped copy is not the one S/MIME layer it was:\n%.400s", plain)
	}
	if bytes.Count(second, []byte(loopmark.Name+":")) != 1 {
		t.Fatal("the looped copy is not stamped again (a second loop would encrypt it)")
	}
	if d := decisionOf(t, env, ""); d.Rule != "sealgate-protected" || d.Action != "require_tls" {
		t.Fatalf("decision for the looped copy: %+v", d)
	}
}

func TestAForgedLoopMarkIsStrippedAndIgnored(t *testing.T) {
	sink := startSink(t, "127.0.0.1:0")
	env := writeConfig(t, sink.Addr(), "")
	g := startGateway(t, env)
	forged := loopmark.Name + ": v=1; t=" + "1900000000" + "; m=smime; id=x; mac=AAAA\r\n" + phiMessage("lab@partner.test", "Results")
	if err := send(env.Listen, "dr@clinic.test", []string{"lab@partner.test"}, forged); err != nil {
		t.Fatal(err)
	}
	// PHI without a key: held as any such message, the forgery bought nothing.
	waitFor(t, 20*time.Second, "the recipient held", func() bool {
		l := g.Relay().List()
		return len(l) == 1 && l[0].Recipients[0].Held
	})
	if d := decisionOf(t, env, ""); d.Rule == "sealgate-protected" || !strings.HasPrefix(d.Action, "encrypt") {
		t.Fatalf("decision: %+v", d)
	}
	// A message without PHI leaves, but without the forged mark.
	plain := loopmark.Name + ": v=1; t=1900000000; m=smime; id=x; mac=AAAA\r\nFrom: <dr@clinic.test>\r\nTo: <x@partner.test>\r\nSubject: lunch\r\n\r\nSee you at noon.\r\n"
	if err := send(env.Listen, "dr@clinic.test", []string{"x@partner.test"}, plain); err != nil {
		t.Fatal(err)
	}
	if !sink.WaitFor(20*time.Second, func(ms []capture.Message) bool { return len(ms) == 1 }) {
		t.Fatal("the plain message did not leave")
	}
	if bytes.Contains(sink.Messages()[0].Data, []byte(loopmark.Name)) {
		t.Fatalf("a forged mark left:\n%s", sink.Messages()[0].Data)
	}
}
