package gateway

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/sealgate/sealgate/internal/capture"
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
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: addr},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), EmailAddresses: []string{addr},
		KeyUsage: x509.KeyUsageKeyEncipherment, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	id := smimeIdentity{addr: addr, der: der, serial: tmpl.SerialNumber,
		certFile: filepath.Join(dir, addr+".crt"), keyFile: filepath.Join(dir, addr+".key")}
	os.WriteFile(id.certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(id.keyFile, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}), 0o600)
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
