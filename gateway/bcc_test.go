package gateway

import (
	"bytes"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/sealgate/sealgate/gateway/audit"
	"github.com/sealgate/sealgate/internal/capture"
	"github.com/sealgate/sealgate/internal/testpki"
)

// bccMessage names carol in To and dave in Cc; the Bcc (folded over two
// lines) and Resent-Bcc fields name the hidden recipients with markers that
// must never leave in any copy.
func bccMessage(phi bool) string {
	body := "Lunch on Friday?\r\n"
	if phi {
		body = "Patient: Zebulon Quackenbush\r\nSSN: 078-05-1121\r\nMRN: 99887766\r\n"
	}
	return "Bcc: Erin BccMarker\r\n <erin@partner.test>\r\n" +
		"From: <dr@clinic.test>\r\nTo: Carol <carol@partner.test>\r\nCc: <dave@partner.test>\r\n" +
		"Resent-Bcc: ResentBccMarker <frank@partner.test>\r\n" +
		"Subject: results\r\nMessage-ID: <bcc@clinic.test>\r\nDate: Sat, 28 Nov 2026 10:00:00 +0000\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body
}

var bccField = regexp.MustCompile(`(?im)^(resent-)?bcc[ \t]*:`)

// smimeIdentity is a recipient certificate and key made here, written as
// PEM for openssl.
type smimeIdentity struct {
	addr, certFile, keyFile string
	der                     []byte
	serial                  *big.Int
}

func newSMIMEIdentity(t *testing.T, dir, addr string, serial int64) smimeIdentity {
	t.Helper()
	k := testpki.RSAKey(2048, int(serial)) // one key per identity: the others must not open its copy
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: addr},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), EmailAddresses: []string{addr},
		KeyUsage: x509.KeyUsageKeyEncipherment, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection}}
	cert := testpki.SelfSigned(t, tmpl, k)
	id := smimeIdentity{addr: addr, der: cert.Raw, serial: tmpl.SerialNumber,
		certFile: filepath.Join(dir, addr+".crt"), keyFile: filepath.Join(dir, addr+".key")}
	testpki.WritePEM(t, id.certFile, "CERTIFICATE", cert.Raw)
	testpki.WriteKey(t, id.keyFile, k)
	return id
}

// smimeDecrypt opens a captured S/MIME copy with openssl cms.
func smimeDecrypt(t *testing.T, openssl string, data []byte, id smimeIdentity) ([]byte, error) {
	t.Helper()
	in := filepath.Join(t.TempDir(), "copy.eml")
	os.WriteFile(in, data, 0o600)
	return exec.Command(openssl, "cms", "-decrypt", "-in", in, "-recip", id.certFile, "-inkey", id.keyFile).CombinedOutput()
}

// TestBccFieldsLeaveNoOutgoingCopy: RFC 5322 §3.6.3. Bcc and Resent-Bcc
// are removed from every copy that leaves, on every path: plain TLS
// (opportunistic and required), a copy the policy modified, encrypted
// copies (inside the encryption too), a held message released by an
// operator, the sender notification, and the DSN that quotes the header.
func TestBccFieldsLeaveNoOutgoingCopy(t *testing.T) {
	rcpts := []string{"carol@partner.test", "dave@partner.test", "erin@partner.test"}
	policyOf := func(rule string) string {
		return "rules:\n" + rule + "  - id: default\n    default: true\n    action: pass\n"
	}
	type tc struct {
		name   string
		policy string // "" = the shipped default policy
		phi    bool
		smime  bool // import S/MIME certificates for every recipient; decrypt each copy
		setup  func(sink *capture.Sink)
		after  func(t *testing.T, g *Gateway) // once the message is queued
		want   func(ms []capture.Message) bool
	}
	atLeast := func(n int) func([]capture.Message) bool {
		return func(ms []capture.Message) bool {
			got := 0
			for _, m := range ms {
				got += len(m.Recipients)
			}
			return got >= n
		}
	}
	cases := []tc{
		{name: "pass, opportunistic TLS", policy: policyOf(""), want: atLeast(3)},
		{name: "require_tls (shipped default policy)", want: atLeast(3)},
		{name: "modified by the policy (add_header)", policy: policyOf("  - id: tag\n    when: {sender: {domain: [clinic.test]}}\n    action: require_tls\n    add_header: {X-Route: partner}\n"), want: atLeast(3)},
		{name: "encrypted (S/MIME)", phi: true, smime: true, want: atLeast(3)},
		{name: "held, then released", policy: policyOf("  - id: hold\n    when: {sender: {domain: [clinic.test]}}\n    action: quarantine\n"),
			after: func(t *testing.T, g *Gateway) {
				waitFor(t, 20*time.Second, "the message held", func() bool { l := g.Relay().List(); return len(l) == 1 && l[0].Held })
				if err := g.Relay().Release(g.Relay().List()[0].ID); err != nil {
					t.Fatal(err)
				}
			}, want: atLeast(3)},
		{name: "sender notification", policy: policyOf("  - id: note\n    when: {sender: {domain: [clinic.test]}}\n    action: require_tls\n    notify_sender: true\n"),
			want: atLeast(4)},
		{name: "DSN quoting the header", policy: policyOf(""),
			setup: func(sink *capture.Sink) {
				sink.FailRecipient("carol@partner.test", &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"})
			},
			want: func(ms []capture.Message) bool {
				for _, m := range ms {
					if m.From == "" && bytes.Contains(m.Data, []byte("text/rfc822-headers")) {
						return true
					}
				}
				return false
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var openssl string
			if c.smime {
				openssl = requireTool(t, "openssl")
			}
			sink := startSink(t, "127.0.0.1:0")
			env := writeConfig(t, sink.Addr(), "")
			if c.policy != "" {
				appendConfig(t, env, "policy:\n  paths: [\""+writePolicy(t, env, c.policy)+"\"]\n")
			}
			ids := map[string]smimeIdentity{}
			if c.smime {
				dir := t.TempDir()
				for i, r := range rcpts {
					ids[r] = newSMIMEIdentity(t, dir, r, int64(100+i))
					importKey(t, env, r+".der", ids[r].der)
				}
			}
			if c.setup != nil {
				c.setup(sink)
			}
			g := startGateway(t, env)
			if err := send(env.Listen, "dr@clinic.test", rcpts, bccMessage(c.phi)); err != nil {
				t.Fatal(err)
			}
			if c.after != nil {
				c.after(t, g)
			}
			if !sink.WaitFor(30*time.Second, c.want) {
				t.Fatalf("not everything arrived: %d message(s); queue %+v", sink.Count(), g.Relay().List())
			}
			for _, m := range sink.Messages() {
				texts := [][]byte{m.Data}
				if c.smime && m.From != "" {
					plain, err := smimeDecrypt(t, openssl, m.Data, ids[m.Recipients[0]])
					if err != nil {
						t.Fatalf("openssl cms -decrypt for %v: %v\n%s", m.Recipients, err, plain)
					}
					if !bytes.Contains(plain, []byte("078-05-1121")) {
						t.Fatalf("decrypted copy lacks the body:\n%s", plain)
					}
					texts = append(texts, plain)
				}
				for _, text := range texts {
					if loc := bccField.FindIndex(text); loc != nil {
						t.Errorf("copy to %v (from %q) carries a Bcc field: %q", m.Recipients, m.From, tail(string(text[:loc[1]+40]), 80))
					}
					for _, marker := range []string{"BccMarker", "frank@partner.test"} {
						if bytes.Contains(text, []byte(marker)) {
							t.Errorf("copy to %v (from %q) carries %q", m.Recipients, m.From, marker)
						}
					}
				}
				if c.policy == "" || strings.Contains(c.policy, "add_header") {
					if m.TLS == "" {
						t.Errorf("copy to %v left without TLS", m.Recipients)
					}
				}
			}
		})
	}
}

// cmsRecipients returns the issuer/serial pairs `openssl cms -cmsout
// -print` lists for a captured S/MIME copy, and the whole print.
func cmsRecipients(t *testing.T, openssl string, data []byte) ([]string, string) {
	t.Helper()
	in := filepath.Join(t.TempDir(), "copy.eml")
	os.WriteFile(in, data, 0o600)
	out, err := exec.Command(openssl, "cms", "-cmsout", "-print", "-in", in).CombinedOutput()
	if err != nil {
		t.Fatalf("openssl cms -cmsout -print: %v\n%s", err, out)
	}
	var ris []string
	issuer := ""
	for _, l := range strings.Split(string(out), "\n") {
		l = strings.TrimSpace(l)
		if v, ok := strings.CutPrefix(l, "issuer: "); ok {
			issuer = v
		}
		if v, ok := strings.CutPrefix(l, "serialNumber: "); ok {
			ris = append(ris, issuer+" #"+v)
		}
	}
	if strings.Count(string(out), "d.ktri:") != len(ris) {
		t.Fatalf("cannot read the RecipientInfos:\n%s", out)
	}
	return ris, string(out)
}

// TestBccRecipientGetsAnSMIMECopyOfTheirOwn: To carol, Cc dave, Bcc erin,
// all with certificates. By default every recipient gets a copy of their
// own; with policy.shared_copies the named ones (carol, dave) share one.
// In no case does a copy carry erin's RecipientInfo unless it is erin's
// own, and each copy decrypts with its recipient's key only.
func TestBccRecipientGetsAnSMIMECopyOfTheirOwn(t *testing.T) {
	openssl := requireTool(t, "openssl")
	rcpts := []string{"carol@partner.test", "dave@partner.test", "erin@partner.test"}
	msg := strings.Replace(bccMessage(true), "Resent-Bcc: ResentBccMarker <frank@partner.test>\r\n", "", 1)
	for _, shared := range []bool{false, true} {
		t.Run(map[bool]string{false: "default: one copy each", true: "shared_copies: named recipients share"}[shared], func(t *testing.T) {
			sink := startSink(t, "127.0.0.1:0")
			env := writeConfig(t, sink.Addr(), "")
			if shared {
				appendConfig(t, env, "policy:\n  shared_copies: true\n")
			}
			dir := t.TempDir()
			ids := map[string]smimeIdentity{}
			for i, r := range rcpts {
				ids[r] = newSMIMEIdentity(t, dir, r, int64(200+i))
				importKey(t, env, r+".der", ids[r].der)
			}
			g := startGateway(t, env)
			if err := send(env.Listen, "dr@clinic.test", rcpts, msg); err != nil {
				t.Fatal(err)
			}
			wantCopies := 3
			if shared {
				wantCopies = 2
			}
			if !sink.WaitFor(30*time.Second, func(ms []capture.Message) bool { return len(ms) >= wantCopies }) {
				t.Fatalf("%d copies arrived; queue %+v", sink.Count(), g.Relay().List())
			}
			time.Sleep(300 * time.Millisecond) // no more copies than that
			ms := sink.Messages()
			if len(ms) != wantCopies {
				t.Fatalf("%d copies, want %d", len(ms), wantCopies)
			}
			for _, m := range ms {
				ris, print := cmsRecipients(t, openssl, m.Data)
				want := map[string]bool{}
				for _, r := range m.Recipients {
					want["CN="+r+" #"+ids[r].serial.String()] = true
				}
				if len(ris) != len(want) {
					t.Errorf("copy to %v lists RecipientInfos %v", m.Recipients, ris)
				}
				for _, ri := range ris {
					if !want[ri] {
						t.Errorf("copy to %v carries the RecipientInfo %s of someone else", m.Recipients, ri)
					}
				}
				for _, r := range rcpts {
					own := false
					for _, mr := range m.Recipients {
						own = own || mr == r
					}
					if !own && (strings.Contains(print, r) || (r == "erin@partner.test" && bytes.Contains(m.Data, []byte("erin")))) {
						t.Errorf("copy to %v names %s", m.Recipients, r)
					}
					plain, err := smimeDecrypt(t, openssl, m.Data, ids[r])
					switch {
					case own && (err != nil || !bytes.Contains(plain, []byte("SSN: 078-05-1121"))):
						t.Errorf("%s cannot open their copy: %v\n%s", r, err, plain)
					case !own && err == nil:
						t.Errorf("%s can open the copy to %v", r, m.Recipients)
					}
				}
				if shared && len(m.Recipients) == 1 && m.Recipients[0] != "erin@partner.test" {
					t.Errorf("named recipient %v did not share the copy", m.Recipients)
				}
			}
			// Audit: the envelope recipients are where they were (received,
			// decision, attempt, delivery), and nowhere else.
			for _, r := range auditRecords(t, env) {
				if bytes.Contains(r.Raw, []byte("erin@partner.test")) && r.Type != audit.TypeReceived && r.Type != audit.TypeDecision &&
					r.Type != audit.TypeAttempt && r.Type != audit.TypeDelivery {
					t.Errorf("audit %s record names the Bcc recipient: %s", r.Type, r.Raw)
				}
			}
			d := decisionOf(t, env, "")
			if len(d.Recipients) != 3 {
				t.Fatalf("decision names %d recipients: %+v", len(d.Recipients), d.Recipients)
			}
			seen := map[string]bool{}
			for _, rm := range d.Recipients {
				if rm.Method != "smime" || seen[rm.Addr] {
					t.Errorf("decision: %s by %q (repeated: %v)", rm.Addr, rm.Method, seen[rm.Addr])
				}
				seen[rm.Addr] = true
			}
		})
	}
}

// gpgIdentity is an OpenPGP key pair in its own GnuPG home.
type gpgIdentity struct {
	addr, home, subkeyID string
	pub                  []byte
	run                  func(args ...string) ([]byte, error)
}

func newGPGIdentity(t *testing.T, gpg, addr string) gpgIdentity {
	t.Helper()
	home := t.TempDir()
	id := gpgIdentity{addr: addr, home: home}
	id.run = func(args ...string) ([]byte, error) {
		return exec.Command(gpg, append([]string{"--homedir", home, "--batch", "--pinentry-mode", "loopback", "--passphrase", ""}, args...)...).CombinedOutput()
	}
	must := func(args ...string) []byte {
		out, err := id.run(args...)
		if err != nil {
			t.Fatalf("gpg %v: %v\n%s", args, err, out)
		}
		return out
	}
	t.Cleanup(func() { exec.Command("gpgconf", "--homedir", home, "--kill", "gpg-agent").Run() })
	must("--quick-gen-key", addr+" <"+addr+">", "ed25519", "sign", "1y")
	var fp string
	for _, l := range strings.Split(string(must("--with-colons", "--fingerprint", addr)), "\n") {
		if strings.HasPrefix(l, "fpr:") {
			fp = strings.Split(l, ":")[9]
			break
		}
	}
	must("--quick-add-key", fp, "cv25519", "encr", "1y")
	for _, l := range strings.Split(string(must("--with-colons", "--list-keys", addr)), "\n") {
		if strings.HasPrefix(l, "sub:") {
			id.subkeyID = strings.Split(l, ":")[4]
		}
	}
	id.pub = must("--armor", "--export", addr)
	return id
}

// pgpPart is the armored message of a PGP/MIME copy, written to a file.
func pgpPart(t *testing.T, data []byte) string {
	t.Helper()
	start := bytes.Index(data, []byte("-----BEGIN PGP MESSAGE-----"))
	end := bytes.Index(data, []byte("-----END PGP MESSAGE-----"))
	if start < 0 || end < 0 {
		t.Fatalf("no armored message:\n%.600s", data)
	}
	f := filepath.Join(t.TempDir(), "m.asc")
	os.WriteFile(f, data[start:end+len("-----END PGP MESSAGE-----")], 0o600)
	return f
}

var pkeskKeyID = regexp.MustCompile(`:pubkey enc packet: .*keyid ([0-9A-Fa-f]{16})`)

// TestBccRecipientGetsAPGPCopyOfTheirOwn is the reported case: To carol,
// Bcc erin, both with OpenPGP keys. carol's copy must not name erin's key
// ID, user ID or address (gpg --list-packets), and the reverse; each opens
// with its own key only.
func TestBccRecipientGetsAPGPCopyOfTheirOwn(t *testing.T) {
	gpg := requireTool(t, "gpg")
	carol, erin := newGPGIdentity(t, gpg, "carol@partner.test"), newGPGIdentity(t, gpg, "erin@partner.test")
	sink := startSink(t, "127.0.0.1:0")
	env := writeConfig(t, sink.Addr(), "")
	importKey(t, env, "carol.asc", carol.pub)
	importKey(t, env, "erin.asc", erin.pub)
	startGateway(t, env)
	msg := "From: <dr@clinic.test>\r\nTo: Carol <carol@partner.test>\r\nBcc: <erin@partner.test>\r\nSubject: Results\r\n" +
		"Message-ID: <pgp-bcc@clinic.test>\r\nDate: Sat, 28 Nov 2026 10:00:00 +0000\r\n\r\nPatient: Zebulon Quackenbush\r\nSSN: 078-05-1121\r\nMRN: 99887766\r\n"
	if err := send(env.Listen, "dr@clinic.test", []string{carol.addr, erin.addr}, msg); err != nil {
		t.Fatal(err)
	}
	if !sink.WaitFor(30*time.Second, func(ms []capture.Message) bool { return len(ms) >= 2 }) {
		t.Fatalf("%d copies arrived", sink.Count())
	}
	time.Sleep(300 * time.Millisecond)
	ms := sink.Messages()
	if len(ms) != 2 {
		t.Fatalf("%d copies, want one each", len(ms))
	}
	byAddr := map[string]gpgIdentity{carol.addr: carol, erin.addr: erin}
	empty := t.TempDir()
	for _, m := range ms {
		if len(m.Recipients) != 1 {
			t.Fatalf("one copy for %v", m.Recipients)
		}
		me := byAddr[m.Recipients[0]]
		other := carol
		if me.addr == carol.addr {
			other = erin
		}
		f := pgpPart(t, m.Data)
		// Listed where no key is known: only what the copy itself says.
		out, _ := exec.Command(gpg, "--homedir", empty, "--batch", "--list-packets", f).CombinedOutput()
		ids := pkeskKeyID.FindAllStringSubmatch(string(out), -1)
		if len(ids) != 1 || !strings.EqualFold(ids[0][1], me.subkeyID) {
			t.Errorf("copy to %s lists key IDs %v, want only %s:\n%s", me.addr, ids, me.subkeyID, out)
		}
		if strings.Contains(strings.ToUpper(string(out)), strings.ToUpper(other.subkeyID)) ||
			bytes.Contains(m.Data, []byte(other.addr)) && other.addr == erin.addr {
			t.Errorf("copy to %s names %s", me.addr, other.addr)
		}
		// In the recipient's own home, gpg names the key it used: their own.
		out, err := me.run("--list-packets", f)
		if err != nil || strings.Contains(string(out), other.addr) {
			t.Errorf("gpg --list-packets for %s: %v\n%s", me.addr, err, out)
		}
		plain, err := me.run("--decrypt", f)
		if err != nil || !bytes.Contains(plain, []byte("SSN: 078-05-1121")) {
			t.Errorf("%s cannot open their copy: %v\n%s", me.addr, err, plain)
		}
		if bytes.Contains(plain, []byte("erin@")) && me.addr != erin.addr {
			t.Errorf("carol's decrypted copy names erin:\n%s", plain)
		}
		if out, err := other.run("--decrypt", f); err == nil {
			t.Errorf("%s can open the copy to %s:\n%s", other.addr, me.addr, out)
		}
	}
	d := decisionOf(t, env, "")
	if len(d.Recipients) != 2 || d.Recipients[0].Method != "pgp" || d.Recipients[1].Method != "pgp" {
		t.Errorf("decision: %+v", d.Recipients)
	}
}
