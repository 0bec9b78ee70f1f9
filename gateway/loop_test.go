package gateway

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
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
	// The valid mark and the encrypted label copied onto plaintext: the
	// content is checked too, so the policy decides (S/MIME for bob again).
	head := first[:bytes.Index(first, []byte("\r\n\r\n"))+4]
	forged := string(head) + "SSN: 078-05-1121 MRN: 99887766 PLAIN-UNDER-LABEL\r\n"
	if err := send(env.Listen, "dr@clinic.test", []string{"bob@partner.test"}, forged); err != nil {
		t.Fatal(err)
	}
	if !sink.WaitFor(30*time.Second, func(ms []capture.Message) bool { return len(ms) == 3 }) {
		t.Fatal("the relabelled plaintext was not decided")
	}
	if third := sink.Messages()[2].Data; bytes.Contains(third, []byte("PLAIN-UNDER-LABEL")) {
		t.Fatalf("plaintext under a copied mark left as it was:\n%s", third)
	}
	if d := decisionOf(t, env, ""); d.Rule == "sealgate-protected" {
		t.Fatalf("a copied mark on plaintext passed: %+v", d)
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

func TestMailTheSenderEncryptedPassesWithPassEncrypted(t *testing.T) {
	openssl := requireTool(t, "openssl")
	cert, decrypt := smimeRecipient(t, "lab@partner.test")
	dir := t.TempDir()
	certFile, in := filepath.Join(dir, "lab.crt"), filepath.Join(dir, "in.txt")
	os.WriteFile(certFile, cert, 0o600)
	os.WriteFile(in, []byte("Content-Type: text/plain\r\n\r\nSSN: 078-05-1121 MRN: 99887766\r\n"), 0o600)
	enc, err := exec.Command(openssl, "smime", "-encrypt", "-aes256", "-in", in, "-from", "dr@clinic.test", "-to", "lab@partner.test",
		"-subject", "Results", certFile).Output()
	if err != nil {
		t.Fatalf("openssl smime -encrypt: %v", err)
	}
	msg := strings.ReplaceAll(strings.ReplaceAll(string(enc), "\r\n", "\n"), "\n", "\r\n")

	sink := startSink(t, "127.0.0.1:0")
	env := writeConfig(t, sink.Addr(), "")
	appendConfig(t, env, "policy:\n  pass_encrypted: true\n")
	g := startGateway(t, env)
	if err := send(env.Listen, "dr@clinic.test", []string{"lab@partner.test"}, msg); err != nil {
		t.Fatal(err)
	}
	if !sink.WaitFor(20*time.Second, func(ms []capture.Message) bool { return len(ms) == 1 }) {
		t.Fatalf("the sender's S/MIME message did not leave; queue %+v", g.Relay().List())
	}
	if plain := decrypt(sink.Messages()[0].Data); !strings.Contains(plain, "SSN: 078-05-1121") {
		t.Fatalf("not the sender's one layer:\n%s", plain)
	}
	if d := decisionOf(t, env, ""); d.Rule != "sender-encrypted" {
		t.Fatalf("decision %+v", d)
	}
	// Plaintext under an encrypted label is no such thing: the policy
	// judges it (PHI without a key: held).
	fake := "From: <dr@clinic.test>\r\nTo: <lab@partner.test>\r\nSubject: x\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\r\n\r\nSSN: 078-05-1121 MRN: 99887766\r\n"
	if err := send(env.Listen, "dr@clinic.test", []string{"lab@partner.test"}, fake); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "the fake decided", func() bool { return decisionOf(t, env, "").Rule != "sender-encrypted" })
	time.Sleep(300 * time.Millisecond)
	if n := sink.Count(); n != 1 {
		for _, m := range sink.Messages()[1:] {
			if bytes.Contains(m.Data, []byte("078-05-1121")) {
				t.Fatalf("plaintext labelled as S/MIME left as it was:\n%s", m.Data)
			}
		}
	}
}
