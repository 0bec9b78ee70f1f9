package gateway

import (
	"bytes"
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	msgauthdkim "github.com/emersion/go-msgauth/dkim"
	"github.com/emersion/go-smtp"

	"github.com/sealgate/sealgate/config"
	"github.com/sealgate/sealgate/crypto/keystore"
	"github.com/sealgate/sealgate/envelope"
	"github.com/sealgate/sealgate/gateway/audit"
	"github.com/sealgate/sealgate/gateway/control"
	"github.com/sealgate/sealgate/gateway/dkim"
	"github.com/sealgate/sealgate/gateway/relay"
	"github.com/sealgate/sealgate/internal/capture"
	"github.com/sealgate/sealgate/internal/testpki"
	"github.com/sealgate/sealgate/policy"
)

// phiMessage carries an SSN and an MRN next to their labels: the shipped
// default policy must encrypt it end to end.
func phiMessage(to, subject string) string {
	return "From: <dr@clinic.test>\r\nTo: <" + to + ">\r\nSubject: " + subject + "\r\nMessage-ID: <phi-" + to + "@clinic.test>\r\n" +
		"Date: Sat, 28 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		"Patient: Zebulon Quackenbush\r\nSSN: 078-05-1121\r\nMRN: 99887766\r\nDiagnosis: type 2 diabetes mellitus (E11.9)\r\n"
}

// importKey puts key material into the test gateway's key store.
func importKey(t testing.TB, env *testEnv, name string, data []byte) {
	t.Helper()
	ks, err := keystore.Open(keystore.Options{Dir: filepath.Join(env.Dir, "data", "keys")})
	if err != nil {
		t.Fatal(err)
	}
	defer ks.Close()
	res, err := ks.Import(name, data)
	if err != nil || len(res.Imported) == 0 {
		t.Fatalf("import %s: %+v %v", name, res, err)
	}
}

func decisionOf(t *testing.T, env *testEnv, msgID string) audit.Decision {
	t.Helper()
	var d audit.Decision
	for _, r := range auditRecords(t, env) {
		if r.Type == audit.TypeDecision && (msgID == "" || r.MsgID == msgID) {
			json.Unmarshal(r.Data, &d)
		}
	}
	return d
}

func TestPHIWithoutKeysIsHeldNeverSentInTheClear(t *testing.T) {
	sink := startSink(t, "127.0.0.1:0")
	env := writeConfig(t, sink.Addr(), "")
	g := startGateway(t, env)
	if err := send(env.Listen, "dr@clinic.test", []string{"lab@partner.test"}, phiMessage("lab@partner.test", "Results")); err != nil {
		t.Fatal(err)
	}
	// The recipient without a usable method is held (alone: see
	// TestOnlyTheRecipientWithoutAMethodIsHeld).
	waitFor(t, 20*time.Second, "the recipient held", func() bool {
		l := g.Relay().List()
		return len(l) == 1 && len(l[0].Recipients) == 1 && l[0].Recipients[0].Held
	})
	e := g.Relay().List()[0]
	if r := e.Recipients[0]; !strings.Contains(r.HoldReason, "encryption required by rule phi-identifiers") {
		t.Errorf("hold reason %q", r.HoldReason)
	}
	d := decisionOf(t, env, e.ID)
	if d.Rule != "phi-identifiers" || d.Findings["ssn"] == 0 || len(d.Recipients) != 1 || d.Recipients[0].Method != "none" {
		t.Errorf("decision %+v", d)
	}
	time.Sleep(time.Second)
	if sink.Count() != 0 {
		t.Fatal("PHI left without encryption")
	}
}

// TestOnlyTheRecipientWithoutAMethodIsHeld: a PHI message to a recipient with
// an S/MIME certificate and one with none. The first gets its encrypted copy
// now (it opens with openssl cms); only the second waits, and an operator's
// release, which must name the method (--method tls), sends it over verified
// TLS and is audited with the operator. Before, the whole message was held.
func TestOnlyTheRecipientWithoutAMethodIsHeld(t *testing.T) {
	openssl := requireTool(t, "openssl")
	sink := startSink(t, "127.0.0.1:0")
	env := writeConfig(t, sink.Addr(), "")
	// The sink's certificate is trusted, so a released copy can meet its
	// verified-TLS floor.
	cfg, _ := os.ReadFile(env.CfgPath)
	os.WriteFile(env.CfgPath, bytes.Replace(cfg, []byte("  smarthost_tls: may\n"), []byte("  smarthost_tls: may\n  ca_file: relay.crt\n"), 1), 0o600)
	bob := newSMIMEIdentity(t, env.Dir, "bob@partner.test", 31)
	importKey(t, env, "bob.der", bob.der)
	g := startGateway(t, env)
	rcpts := []string{"bob@partner.test", "nokey@partner.test"}
	if err := send(env.Listen, "dr@clinic.test", rcpts, phiMessage("bob@partner.test, nokey@partner.test", "Results")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "bob's copy", func() bool { return sink.Count() == 1 })
	m := sink.Messages()[0]
	if len(m.Recipients) != 1 || m.Recipients[0] != "bob@partner.test" {
		t.Fatalf("first delivery went to %v", m.Recipients)
	}
	if plain, err := smimeDecrypt(t, openssl, m.Data, bob); err != nil || !bytes.Contains(plain, []byte("078-05-1121")) {
		t.Fatalf("bob cannot open his copy: %v %s", err, plain)
	}
	l := g.Relay().List()
	if len(l) != 1 || l[0].Held {
		t.Fatalf("queue %+v: want the message active with one held recipient", l)
	}
	held := 0
	for _, r := range l[0].Recipients {
		if r.Held {
			held++
			if r.Addr != "nokey@partner.test" || !strings.Contains(r.HoldReason, "no usable method for 1 recipient") {
				t.Errorf("held %+v", r)
			}
		}
	}
	if held != 1 {
		t.Fatalf("%d held recipients in %+v", held, l[0].Recipients)
	}
	time.Sleep(500 * time.Millisecond)
	if sink.Count() != 1 {
		t.Fatal("the recipient without a method got a copy before release")
	}
	// An operator's release must say how the held recipient goes.
	h := queueHandler{g}
	if _, _, err := h.Handle(context.Background(), control.Request{Op: "release", ID: l[0].ID, Actor: "uid=0"}); err == nil || !strings.Contains(err.Error(), "--method tls") {
		t.Fatalf("release without a method: %v", err)
	}
	if _, _, err := h.Handle(context.Background(), control.Request{Op: "release", ID: l[0].ID, Method: "portal", Actor: "uid=0"}); err == nil {
		t.Fatal("release --method portal accepted before the portal exists")
	}
	if _, _, err := h.Handle(context.Background(), control.Request{Op: "release", ID: l[0].ID, Method: "tls", Actor: "uid=0"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "the released copy", func() bool { return sink.Count() == 2 })
	var op audit.QueueOp
	for _, rec := range auditRecords(t, env) {
		if rec.Type == audit.TypeQueueOp {
			json.Unmarshal(rec.Data, &op)
		}
	}
	if op.Op != "release" || op.Method != "tls" || op.Actor != "uid=0" || op.Result != "ok" {
		t.Errorf("last queue op record %+v: want the release with its method and operator", op)
	}
	r := sink.Messages()[1]
	if len(r.Recipients) != 1 || r.Recipients[0] != "nokey@partner.test" || r.TLS == "" {
		t.Fatalf("released copy to %v over TLS %q", r.Recipients, r.TLS)
	}
	verified := false
	waitFor(t, 10*time.Second, "the released copy's delivery record", func() bool {
		for _, rec := range auditRecords(t, env) {
			var dl audit.Delivery
			if rec.Type == audit.TypeDelivery && json.Unmarshal(rec.Data, &dl) == nil && dl.Recipient == "nokey@partner.test" {
				verified = dl.TLSVerified
				return true
			}
		}
		return false
	})
	if !verified {
		t.Error("the released copy left without verified TLS")
	}
	d := decisionOf(t, env, l[0].ID)
	if len(d.Recipients) != 2 || !strings.Contains(d.Action, "no usable method") {
		t.Errorf("decision %+v", d)
	}
}

// TestReprocessServesAHeldRecipientOnceItsKeyIsImported: a held recipient
// gets its S/MIME copy after `queue reprocess` once a certificate is imported;
// another still without one stays held; the new selection has its own
// decision record before the copy leaves.
func TestReprocessServesAHeldRecipientOnceItsKeyIsImported(t *testing.T) {
	openssl := requireTool(t, "openssl")
	sink := startSink(t, "127.0.0.1:0")
	env := writeConfig(t, sink.Addr(), "")
	g := startGateway(t, env)
	rcpts := []string{"late@partner.test", "never@partner.test"}
	if err := send(env.Listen, "dr@clinic.test", rcpts, phiMessage("late@partner.test, never@partner.test", "Results")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "both recipients held", func() bool {
		l := g.Relay().List()
		return len(l) == 1 && heldCount(l[0]) == 2
	})
	id := g.Relay().List()[0].ID
	res, err := g.Reprocess(context.Background(), "")
	if err != nil || res.Served != 0 || res.Held != 2 {
		t.Fatalf("reprocess without keys: %+v %v", res, err)
	}
	late := newSMIMEIdentity(t, env.Dir, "late@partner.test", 41)
	importKey(t, env, "late.der", late.der)
	res, err = g.Reprocess(context.Background(), id)
	if err != nil || res.Served != 1 || res.Held != 1 || res.Messages != 1 {
		t.Fatalf("reprocess after the import: %+v %v", res, err)
	}
	waitFor(t, 20*time.Second, "the re-selected copy", func() bool { return sink.Count() == 1 })
	m := sink.Messages()[0]
	if len(m.Recipients) != 1 || m.Recipients[0] != "late@partner.test" {
		t.Fatalf("delivered to %v", m.Recipients)
	}
	if plain, err := smimeDecrypt(t, openssl, m.Data, late); err != nil || !bytes.Contains(plain, []byte("078-05-1121")) {
		t.Fatalf("the re-selected copy does not open: %v %s", err, plain)
	}
	if l := g.Relay().List(); len(l) != 1 || heldCount(l[0]) != 1 {
		t.Fatalf("queue after reprocess: %+v", l)
	}
	decisions := 0
	for _, r := range auditRecords(t, env) {
		if r.Type == audit.TypeDecision && r.MsgID == id {
			decisions++
			if decisions == 2 && !bytes.Contains(r.Raw, []byte("re-selected")) {
				t.Errorf("second decision record: %s", r.Raw)
			}
		}
	}
	if decisions != 2 {
		t.Errorf("%d decision records, want the first and the re-selection", decisions)
	}
}

func heldCount(e relay.Entry) int {
	n := 0
	for _, r := range e.Recipients {
		if r.Held {
			n++
		}
	}
	return n
}

// TestShippedPolicySendsPHIOverVerifiedTLSWhenNoKey: with the shipped policy
// (pgp > smime > tls > portal), a recipient without a key whose next hop
// proves its certificate (here relay.smarthost_tls: verify and a trusted
// smarthost) gets the message over verified TLS instead of waiting; the
// decision record says tls-verified. Opportunistic TLS never counts (see
// TestPHIWithoutKeysIsHeldNeverSentInTheClear, where the hop is "may").
func TestShippedPolicySendsPHIOverVerifiedTLSWhenNoKey(t *testing.T) {
	sink := startSink(t, "127.0.0.1:0")
	env := writeConfig(t, sink.Addr(), "")
	cfg, _ := os.ReadFile(env.CfgPath)
	os.WriteFile(env.CfgPath, bytes.Replace(cfg, []byte("  smarthost_tls: may\n"), []byte("  smarthost_tls: verify\n  ca_file: relay.crt\n"), 1), 0o600)
	startGateway(t, env)
	if err := send(env.Listen, "dr@clinic.test", []string{"lab@partner.test"}, phiMessage("lab@partner.test", "Results")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "delivery over verified TLS", func() bool { return sink.Count() == 1 })
	if m := sink.Messages()[0]; m.TLS == "" || !bytes.Contains(m.Data, []byte("078-05-1121")) {
		t.Fatalf("TLS %q; the copy is not the plain message over TLS", m.TLS)
	}
	d := decisionOf(t, env, "")
	if len(d.Recipients) != 1 || d.Recipients[0].Method != "tls-verified" {
		t.Fatalf("decision %+v: want method tls-verified", d)
	}
}

func TestBlockRuleAnswers550InlineAndKeepsNothing(t *testing.T) {
	sink := startSink(t, "127.0.0.1:0")
	env := writeConfig(t, sink.Addr(), "")
	pol := filepath.Join(env.Dir, "policy.yaml")
	os.WriteFile(pol, []byte(`rules:
  - id: no-ssn-to-webmail
    when:
      all:
        - detect: {types: [ssn], min_confidence: medium}
        - recipient: {domain: [webmail.test]}
    action: block
    block_text: "Refused by the privacy policy. Contact privacy@clinic.test."
  - id: default
    default: true
    action: require_tls
`), 0o600)
	appendConfig(t, env, "policy:\n  paths: ["+pol+"]\n")
	g := startGateway(t, env)
	err := send(env.Listen, "dr@clinic.test", []string{"me@webmail.test"}, phiMessage("me@webmail.test", "fwd"))
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code != 550 || se.EnhancedCode != (smtp.EnhancedCode{5, 7, 1}) || !strings.Contains(se.Message, "privacy policy") {
		t.Fatalf("got %v, want 550 5.7.1 with the admin's text", err)
	}
	if strings.Contains(se.Message, "ssn") || strings.Contains(se.Message, "SSN") {
		t.Error("block text reveals the detector")
	}
	if g.Relay().Depth() != 0 {
		t.Error("a blocked message is queued")
	}
	if ids, _ := os.ReadDir(filepath.Join(env.Dir, "data", "spool", "msg")); len(ids) != 0 {
		t.Errorf("%d files left in the spool", len(ids))
	}
	d := decisionOf(t, env, "")
	if d.Action != "block" || d.Rule != "no-ssn-to-webmail" || d.Findings["ssn"] != 1 {
		t.Errorf("decision %+v", d)
	}
	// Mail without PHI to the same domain passes.
	if err := send(env.Listen, "dr@clinic.test", []string{"me@webmail.test"}, testMessage("dr@clinic.test", "me@webmail.test", "lunch")); err != nil {
		t.Fatal(err)
	}
	if !sink.WaitFor(20*time.Second, func(ms []capture.Message) bool { return len(ms) == 1 }) {
		t.Fatal("clean mail not delivered")
	}
	if sink.Messages()[0].TLS == "" {
		t.Error("require_tls delivered without TLS")
	}
}

func TestSubjectTagIsStrippedAndHeaderAdded(t *testing.T) {
	sink := startSink(t, "127.0.0.1:0")
	env := writeConfig(t, sink.Addr(), "")
	pol := filepath.Join(env.Dir, "policy.yaml")
	os.WriteFile(pol, []byte(`settings:
  subject_tags: ["[secure]"]
rules:
  - id: tagged
    when: {subject_tag: true}
    action: require_tls
    strip_tag: true
    add_header: {X-Sealgate-Policy: tagged}
  - id: default
    default: true
    action: pass
`), 0o600)
	appendConfig(t, env, "policy:\n  paths: ["+pol+"]\n")
	startGateway(t, env)
	msg := strings.Replace(testMessage("a@clinic.test", "b@partner.test", "tag"), "Subject: lab results", "Subject: [SECURE] lab results", 1)
	if err := send(env.Listen, "a@clinic.test", []string{"b@partner.test"}, msg); err != nil {
		t.Fatal(err)
	}
	if !sink.WaitFor(20*time.Second, func(ms []capture.Message) bool { return len(ms) == 1 }) {
		t.Fatal("not delivered")
	}
	out := string(sink.Messages()[0].Data)
	if strings.Contains(out, "[SECURE]") || !strings.Contains(out, "Subject: lab results\r\n") || !strings.Contains(out, "X-Sealgate-Policy: tagged\r\n") {
		t.Fatalf("modified message:\n%s", out)
	}
	if !strings.Contains(out, "Patient note tag") {
		t.Fatal("body lost")
	}
}

func TestPHIToARecipientWithAGPGKeyLeavesPGPEncrypted(t *testing.T) {
	gpg := requireTool(t, "gpg")
	home := t.TempDir()
	run := func(args ...string) []byte {
		t.Helper()
		c := exec.Command(gpg, append([]string{"--homedir", home, "--batch", "--pinentry-mode", "loopback", "--passphrase", ""}, args...)...)
		out, err := c.CombinedOutput()
		if err != nil {
			t.Fatalf("gpg %v: %v\n%s", args, err, out)
		}
		return out
	}
	t.Cleanup(func() { exec.Command("gpgconf", "--homedir", home, "--kill", "gpg-agent").Run() })
	run("--quick-gen-key", "Lab <lab@partner.test>", "ed25519", "sign", "1y")
	out := run("--with-colons", "--fingerprint", "lab@partner.test")
	var fp string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "fpr:") {
			fp = strings.Split(l, ":")[9]
			break
		}
	}
	run("--quick-add-key", fp, "cv25519", "encr", "1y")
	pub := run("--armor", "--export", "lab@partner.test")

	sink := startSink(t, "127.0.0.1:0")
	env := writeConfig(t, sink.Addr(), "")
	importKey(t, env, "lab.asc", pub)
	startGateway(t, env)
	if err := send(env.Listen, "dr@clinic.test", []string{"lab@partner.test"}, phiMessage("lab@partner.test", "Biopsy results for Z. Quackenbush")); err != nil {
		t.Fatal(err)
	}
	if !sink.WaitFor(30*time.Second, func(ms []capture.Message) bool { return len(ms) == 1 }) {
		t.Fatal("encrypted message not delivered")
	}
	sent := sink.Messages()[0].Data
	for _, leak := range []string{"078-05-1121", "Quackenbush", "99887766"} {
		if bytes.Contains(sent, []byte(leak)) {
			t.Fatalf("%q left in the clear:\n%s", leak, sent)
		}
	}
	if !bytes.Contains(sent, []byte("multipart/encrypted")) || !bytes.Contains(sent, []byte("Subject: Secure message")) {
		t.Fatalf("not PGP/MIME with a neutral subject:\n%.600s", sent)
	}
	// gpg opens the armored part.
	start := bytes.Index(sent, []byte("-----BEGIN PGP MESSAGE-----"))
	end := bytes.Index(sent, []byte("-----END PGP MESSAGE-----"))
	if start < 0 || end < 0 {
		t.Fatal("no armored message")
	}
	armored := filepath.Join(t.TempDir(), "m.asc")
	os.WriteFile(armored, sent[start:end+len("-----END PGP MESSAGE-----")], 0o600)
	plain := string(run("--decrypt", armored))
	for _, want := range []string{"SSN: 078-05-1121", "Subject: Biopsy results for Z. Quackenbush"} {
		if !strings.Contains(plain, want) {
			t.Errorf("decrypted message lacks %q:\n%s", want, plain)
		}
	}
	d := decisionOf(t, env, "")
	if len(d.Recipients) != 1 || d.Recipients[0].Method != "pgp" || !strings.Contains(d.Recipients[0].Reason, "local:lab.asc") {
		t.Errorf("decision %+v", d)
	}
}

func TestPHIToARecipientWithACertificateLeavesSMIMEEncrypted(t *testing.T) {
	openssl := requireTool(t, "openssl")
	dir := t.TempDir()
	key, crt := filepath.Join(dir, "lab.key"), filepath.Join(dir, "lab.crt")
	out, err := exec.Command(openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", crt, "-days", "30",
		"-subj", "/CN=Lab/emailAddress=lab@partner.test", "-addext", "subjectAltName=email:lab@partner.test",
		"-addext", "keyUsage=digitalSignature,keyEncipherment", "-addext", "extendedKeyUsage=emailProtection", "-addext", "basicConstraints=critical,CA:FALSE").CombinedOutput()
	if err != nil {
		t.Fatalf("openssl req: %v\n%s", err, out)
	}
	pem, _ := os.ReadFile(crt)

	// keys.header_protection reaches the copies: RFC 9788 (hp="cipher") by
	// default, the older protected-headers=v1 form when configured.
	for _, mode := range []string{"", "legacy-v1"} {
		t.Run("header_protection="+mode, func(t *testing.T) {
			sink := startSink(t, "127.0.0.1:0")
			env := writeConfig(t, sink.Addr(), "")
			if mode != "" {
				appendConfig(t, env, "keys:\n  header_protection: "+mode+"\n")
			}
			importKey(t, env, "lab.crt", pem)
			startGateway(t, env)
			if err := send(env.Listen, "dr@clinic.test", []string{"lab@partner.test"}, phiMessage("lab@partner.test", "Biopsy results")); err != nil {
				t.Fatal(err)
			}
			if !sink.WaitFor(30*time.Second, func(ms []capture.Message) bool { return len(ms) == 1 }) {
				t.Fatal("encrypted message not delivered")
			}
			sent := sink.Messages()[0].Data
			if bytes.Contains(sent, []byte("078-05-1121")) || !bytes.Contains(sent, []byte("application/pkcs7-mime")) {
				t.Fatalf("not S/MIME enveloped:\n%.600s", sent)
			}
			in := filepath.Join(t.TempDir(), "sent.eml")
			os.WriteFile(in, sent, 0o600)
			plain, err := exec.Command(openssl, "cms", "-decrypt", "-in", in, "-recip", crt, "-inkey", key).CombinedOutput()
			if err != nil {
				t.Fatalf("openssl cms -decrypt: %v\n%s", err, plain)
			}
			p := string(plain)
			if !strings.Contains(p, "SSN: 078-05-1121") || !strings.Contains(p, "Subject: Biopsy results") {
				t.Fatalf("decrypted:\n%s", plain)
			}
			if hp := strings.Contains(p, `hp="cipher"`) || strings.Contains(p, "hp=cipher"); hp != (mode == "") {
				t.Fatalf("mode %q: hp=cipher present %v:\n%.800s", mode, hp, plain)
			}
		})
	}
}

// appendConfig adds top-level YAML to a test config.
func appendConfig(t testing.TB, env *testEnv, yaml string) {
	t.Helper()
	f, err := os.OpenFile(env.CfgPath, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(yaml)
	f.Close()
	if _, err := config.Load(env.CfgPath); err != nil {
		t.Fatal(err)
	}
}

func TestNotifySenderTellsWhatHappenedWithoutQuotingTheMessage(t *testing.T) {
	sink := startSink(t, "127.0.0.1:0")
	env := writeConfig(t, sink.Addr(), "")
	pol := filepath.Join(env.Dir, "policy.yaml")
	os.WriteFile(pol, []byte(`rules:
  - id: hold-phi
    when: {detect: {types: [ssn]}}
    action: quarantine
    notify_sender: true
  - id: default
    default: true
    action: require_tls
`), 0o600)
	appendConfig(t, env, "policy:\n  paths: ["+pol+"]\n")
	g := startGateway(t, env)
	if err := send(env.Listen, "dr@clinic.test", []string{"lab@partner.test"}, phiMessage("lab@partner.test", "Results for Quackenbush")); err != nil {
		t.Fatal(err)
	}
	if !sink.WaitFor(20*time.Second, func(ms []capture.Message) bool { return len(ms) == 1 }) {
		t.Fatal("no notification reached the sender")
	}
	n := sink.Messages()[0]
	if n.From != "" || len(n.Recipients) != 1 || n.Recipients[0] != "dr@clinic.test" {
		t.Fatalf("notification envelope %q -> %v", n.From, n.Recipients)
	}
	body := string(n.Data)
	if !strings.Contains(body, "quarantined") || !strings.Contains(body, "hold-phi") || !strings.Contains(body, "lab@partner.test") {
		t.Errorf("notification:\n%s", body)
	}
	for _, leak := range []string{"078-05-1121", "Quackenbush", "99887766"} {
		if strings.Contains(body, leak) {
			t.Errorf("notification quotes %q", leak)
		}
	}
	waitFor(t, 10*time.Second, "the notification to leave the queue", func() bool { return g.Relay().Depth() == 1 })
	if l := g.Relay().List(); len(l) != 1 || !l[0].Held {
		t.Errorf("original not held: %+v", l)
	}
}

func TestEveryOutgoingCopyIsDKIMSigned(t *testing.T) {
	priv, pemKey, err := dkim.GenerateKey("ed25519")
	if err != nil {
		t.Fatal(err)
	}
	sink := startSink(t, "127.0.0.1:0")
	env := writeConfig(t, sink.Addr(), "")
	keyFile := filepath.Join(env.Dir, "dkim.pem")
	os.WriteFile(keyFile, pemKey, 0o600)
	appendConfig(t, env, "dkim:\n  keys: [{domain: clinic.test, selector: sg1, key_file: "+keyFile+"}]\n")
	startGateway(t, env)
	if err := send(env.Listen, "a@clinic.test", []string{"b@partner.test"}, testMessage("a@clinic.test", "b@partner.test", "dkim")); err != nil {
		t.Fatal(err)
	}
	if !sink.WaitFor(20*time.Second, func(ms []capture.Message) bool { return len(ms) == 1 }) {
		t.Fatal("not delivered")
	}
	sent := sink.Messages()[0].Data
	if !bytes.HasPrefix(sent, []byte("DKIM-Signature: ")) {
		t.Fatalf("not signed:\n%.300s", sent)
	}
	name, value := dkim.TXTRecord("clinic.test", "sg1", priv.Public())
	verifs, err := msgauthdkim.VerifyWithOptions(bytes.NewReader(sent), &msgauthdkim.VerifyOptions{
		LookupTXT: func(domain string) ([]string, error) {
			if domain == name {
				return []string{value}, nil
			}
			return nil, errors.New("no such record")
		}})
	if err != nil || len(verifs) != 1 || verifs[0].Err != nil || verifs[0].Domain != "clinic.test" {
		t.Fatalf("verification: %+v %v", verifs, err)
	}
}

func TestConcurrentPHIMessagesAllFindTheirKey(t *testing.T) {
	k := testpki.RSAKey(2048, 7)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "lab"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), EmailAddresses: []string{"lab@partner.test"},
		KeyUsage: x509.KeyUsageKeyEncipherment, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection}}
	der := testpki.SelfSigned(t, tmpl, k).Raw
	sink := startSink(t, "127.0.0.1:0")
	env := writeConfig(t, sink.Addr(), "")
	importKey(t, env, "lab.der", der)
	g := startGateway(t, env)
	const n = 12
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := send(env.Listen, "dr@clinic.test", []string{"lab@partner.test"}, phiMessage("lab@partner.test", "r")); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if !sink.WaitFor(60*time.Second, func(ms []capture.Message) bool { return len(ms) == n }) {
		t.Fatalf("%d of %d delivered; queue: %+v", sink.Count(), n, g.Relay().List())
	}
	for _, m := range sink.Messages() {
		if !bytes.Contains(m.Data, []byte("application/pkcs7-mime")) || bytes.Contains(m.Data, []byte("078-05-1121")) {
			t.Fatal("a message left unencrypted")
		}
	}
}

func TestPolicyFileChangeIsAppliedAndABrokenOneRefusedAndAudited(t *testing.T) {
	sink := startSink(t, "127.0.0.1:0")
	env := writeConfig(t, sink.Addr(), "")
	pol := filepath.Join(env.Dir, "policy.yaml")
	allow := "rules:\n  - id: default\n    default: true\n    action: require_tls\n"
	os.WriteFile(pol, []byte(allow), 0o600)
	appendConfig(t, env, "policy:\n  paths: ["+pol+"]\n  watch: true\n")
	startGateway(t, env)
	block := "rules:\n  - id: no-lunch\n    when: {header: {name: Subject, regex: '(?i)lunch'}}\n    action: block\n    block_text: No lunch mail.\n" + allow[len("rules:\n"):]
	os.WriteFile(pol, []byte(block), 0o600)
	msg := strings.Replace(testMessage("a@clinic.test", "b@partner.test", "x"), "Subject: lab results", "Subject: Lunch?", 1)
	waitFor(t, 20*time.Second, "the new rule in force", func() bool {
		err := send(env.Listen, "a@clinic.test", []string{"b@partner.test"}, msg)
		var se *smtp.SMTPError
		return errors.As(err, &se) && se.Code == 550 && strings.Contains(se.Message, "No lunch mail")
	})
	// A broken file: refused, the running policy stays, the refusal is audited.
	os.WriteFile(pol, []byte("rules:\n  - id: x\n    action: explode\n"), 0o600)
	waitFor(t, 20*time.Second, "the refusal in the audit log", func() bool {
		for _, r := range auditRecords(t, env) {
			var cr audit.ConfigReload
			if r.Type == audit.TypeConfigReload && json.Unmarshal(r.Data, &cr) == nil && !cr.OK && strings.Contains(cr.Error, "explode") {
				return true
			}
		}
		return false
	})
	err := send(env.Listen, "a@clinic.test", []string{"b@partner.test"}, msg)
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code != 550 {
		t.Fatalf("the running policy was not kept after a broken change: %v", err)
	}
}

func TestRulesDecidePerRecipient(t *testing.T) {
	k := testpki.RSAKey(2048, 9)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(9), Subject: pkix.Name{CommonName: "ext"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), EmailAddresses: []string{"ext@elsewhere.test"},
		KeyUsage: x509.KeyUsageKeyEncipherment, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection}}
	der := testpki.SelfSigned(t, tmpl, k).Raw
	sink := startSink(t, "127.0.0.1:0")
	env := writeConfig(t, sink.Addr(), "")
	importKey(t, env, "ext.der", der)
	pol := filepath.Join(env.Dir, "policy.yaml")
	os.WriteFile(pol, []byte(`rules:
  - id: to-webmail
    when: {recipient: {domain: [webmail.test]}}
    action: block
    block_text: No PHI to webmail.
  - id: partner-over-tls
    when: {recipient: {domain: [partner.test]}}
    action: require_tls
    add_header: {X-Route: partner}
  - id: default
    default: true
    action: encrypt
    methods: [smime, pgp]
    min: end-to-end
`), 0o600)
	appendConfig(t, env, "policy:\n  paths: ["+pol+"]\n")
	g := startGateway(t, env)
	if err := send(env.Listen, "dr@clinic.test", []string{"lab@partner.test", "ext@elsewhere.test"}, phiMessage("lab@partner.test", "r")); err != nil {
		t.Fatal(err)
	}
	if !sink.WaitFor(20*time.Second, func(ms []capture.Message) bool { return len(ms) == 2 }) {
		t.Fatalf("%d delivered; queue %+v", sink.Count(), g.Relay().List())
	}
	for _, m := range sink.Messages() {
		switch m.Recipients[0] {
		case "lab@partner.test":
			if len(m.Recipients) != 1 || !bytes.Contains(m.Data, []byte("X-Route: partner")) || m.TLS == "" {
				t.Errorf("partner copy: %v tls=%q\n%.300s", m.Recipients, m.TLS, m.Data)
			}
		case "ext@elsewhere.test":
			if len(m.Recipients) != 1 || !bytes.Contains(m.Data, []byte("application/pkcs7-mime")) || bytes.Contains(m.Data, []byte("078-05-1121")) {
				t.Errorf("external copy not S/MIME: %v\n%.300s", m.Recipients, m.Data)
			}
		default:
			t.Errorf("unexpected copy to %v", m.Recipients)
		}
	}
	// A block for one recipient refuses the whole message (one DATA, one reply).
	err := send(env.Listen, "dr@clinic.test", []string{"lab@partner.test", "me@webmail.test"}, phiMessage("lab@partner.test", "r"))
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code != 550 || !strings.Contains(se.Message, "No PHI to webmail") {
		t.Fatalf("mixed recipients with a blocked one: %v", err)
	}
}

// TestBlockFoundAfterARestartHoldsInsteadOfDropping: a message accepted with
// a 250 and evaluated again after a restart under a policy that now blocks
// it must not vanish (it was acknowledged) and must not be sent.
func TestBlockFoundAfterARestartHoldsInsteadOfDropping(t *testing.T) {
	sink := startSink(t, "127.0.0.1:0")
	env := writeConfig(t, sink.Addr(), "")
	g := startGateway(t, env)
	set, err := policy.Load(writePolicy(t, env, "rules:\n  - id: now-blocked\n    when: {recipient: {domain: [partner.test]}}\n    action: block\n  - id: default\n    default: true\n    action: pass\n"))
	if err != nil {
		t.Fatal(err)
	}
	eng, err := policy.NewEngine(set)
	if err != nil {
		t.Fatal(err)
	}
	g.engine.Store(eng)
	// A message as recovery finds it: in the spool, never submitted.
	w, err := g.spool.NewMessage()
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(testMessage("a@clinic.test", "b@partner.test", "restart")))
	if err := w.Commit(&envelope.Envelope{From: "a@clinic.test", Recipients: []envelope.Recipient{{Addr: "b@partner.test"}}}); err != nil {
		t.Fatal(err)
	}
	if err := g.process(w.ID()); err != nil {
		t.Fatal(err)
	}
	e, err := g.Relay().Show(w.ID())
	if err != nil || !e.Held || !strings.Contains(e.HoldReason, "blocked by policy rule now-blocked") {
		t.Fatalf("entry %+v %v", e, err)
	}
	time.Sleep(500 * time.Millisecond)
	if sink.Count() != 0 {
		t.Fatal("a blocked message was sent")
	}
}

func writePolicy(t *testing.T, env *testEnv, yaml string) string {
	t.Helper()
	p := filepath.Join(env.Dir, "restart-policy.yaml")
	if err := os.WriteFile(p, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestKeyRemovedWhileRunningIsNotUsedForTheNextMessage: the key store is
// not held open, and lookups answered from memory notice a change made by
// another open (`sealgate keys remove`): the message after the removal is
// held, not encrypted to the removed certificate.
func TestKeyRemovedWhileRunningIsNotUsedForTheNextMessage(t *testing.T) {
	k := testpki.RSAKey(2048, 8)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(8), Subject: pkix.Name{CommonName: "lab"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), EmailAddresses: []string{"lab@partner.test"},
		KeyUsage: x509.KeyUsageKeyEncipherment, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection}}
	der := testpki.SelfSigned(t, tmpl, k).Raw
	sink := startSink(t, "127.0.0.1:0")
	env := writeConfig(t, sink.Addr(), "")
	importKey(t, env, "lab.der", der)
	// As if imported long ago: the gateway may answer lookups from memory.
	db := filepath.Join(env.Dir, "data", "keys", "keys.db")
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(db, old, old); err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, env)
	for i := range 2 {
		if err := send(env.Listen, "dr@clinic.test", []string{"lab@partner.test"}, phiMessage("lab@partner.test", "r")); err != nil {
			t.Fatal(err)
		}
		if !sink.WaitFor(20*time.Second, func(ms []capture.Message) bool { return len(ms) == i+1 }) {
			t.Fatalf("message %d not delivered; queue: %+v", i+1, g.Relay().List())
		}
	}
	ks, err := keystore.Open(keystore.Options{Dir: filepath.Join(env.Dir, "data", "keys")})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := ks.Remove("lab@partner.test"); err != nil || n != 1 {
		t.Fatalf("remove: %d %v", n, err)
	}
	ks.Close()
	msg := strings.Replace(phiMessage("lab@partner.test", "r"), "Message-ID: <phi-", "Message-ID: <after-remove-", 1)
	if err := send(env.Listen, "dr@clinic.test", []string{"lab@partner.test"}, msg); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "the message after the removal held", func() bool {
		for _, e := range g.Relay().List() {
			if len(e.Recipients) == 1 && e.Recipients[0].Held {
				return true
			}
		}
		return false
	})
	if n := sink.Count(); n != 2 {
		t.Fatalf("%d messages delivered, want the 2 sent before the removal", n)
	}
}
