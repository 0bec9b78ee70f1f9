package dkim

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"

	"github.com/sealgate/sealgate/internal/testtool"
)

// dkimpyScript verifies every DKIM-Signature of the message on stdin with
// Debian's python3-dkim (dkimpy), fetching keys from the test DNS server over
// TCP, and prints one True/False per signature.
const dkimpyScript = `
import sys, dkim, dns.message, dns.query, dns.rdatatype
port = int(sys.argv[1])
def txt(name, timeout=5):
    if isinstance(name, bytes):
        name = name.decode()
    q = dns.message.make_query(name, dns.rdatatype.TXT)
    r = dns.query.tcp(q, "127.0.0.1", port=port, timeout=10)
    for rr in r.answer:
        if rr.rdtype == dns.rdatatype.TXT:
            return b"".join(list(rr.items)[0].strings)
    return None
msg = sys.stdin.buffer.read()
d = dkim.DKIM(msg, minkey=2048)
n = sum(1 for k, v in dkim.rfc822_parse(msg)[0] if k.lower() == b"dkim-signature")
def check(i):
    try:
        return d.verify(idx=i, dnsfunc=txt)
    except dkim.ValidationError as e:
        sys.stderr.write("signature %d: %s\n" % (i, e))
        return False
print(" ".join(str(check(i)) for i in range(n)))
`

// dkimpy returns a python interpreter that has the dkim and dns modules:
// the one on PATH first, then Debian's (a pyenv python on PATH lacks them).
func dkimpy(t *testing.T) string {
	t.Helper()
	var candidates []string
	if p, err := exec.LookPath("python3"); err == nil {
		candidates = append(candidates, p)
	}
	candidates = append(candidates, "/usr/bin/python3")
	for _, p := range candidates {
		if exec.Command(p, "-c", "import dkim, dns.query, nacl").Run() == nil {
			return p
		}
	}
	testtool.Unavailable(t, "python3 with the dkim module not installed (apt-get install python3-dkim)")
	return ""
}

func runDkimpy(t *testing.T, py string, d *testDNS, msg []byte) string {
	t.Helper()
	port := d.addr[strings.LastIndexByte(d.addr, ':')+1:]
	cmd := exec.Command(py, "-c", dkimpyScript, port)
	cmd.Stdin = bytes.NewReader(msg)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("dkimpy: %v\n%s", err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

func TestSignaturesVerifyWithDkimpy(t *testing.T) {
	py := dkimpy(t)
	d := newTestDNS(t)
	for _, alg := range []string{"rsa", "ed25519"} {
		for name, msg := range map[string]string{"simple": simpleMsg, "multipart": multipartMsg} {
			t.Run(alg+"/"+name, func(t *testing.T) {
				k := testKey(t, alg, "example.com", "py"+alg)
				d.publish(k)
				out, signed := signBytes(t, NewSigner([]*Key{k}, nil), crlf(msg))
				if !signed {
					t.Fatal("not signed")
				}
				if got := runDkimpy(t, py, d, out); got != "True" {
					t.Fatalf("dkimpy says %q, want True", got)
				}
				// The verifier really checks: a changed body fails.
				tampered := bytes.Replace(out, []byte("\r\n\r\n"), []byte("\r\n\r\nX"), 1)
				if got := runDkimpy(t, py, d, tampered); got != "False" {
					t.Fatalf("dkimpy on a tampered message says %q, want False", got)
				}
			})
		}
	}
	t.Run("rsa+ed25519", func(t *testing.T) {
		kr := testKey(t, "rsa", "example.com", "dual-rsa")
		ke := testKey(t, "ed25519", "example.com", "dual-ed")
		d.publish(kr)
		d.publish(ke)
		out, _ := signBytes(t, NewSigner([]*Key{kr, ke}, nil), crlf(multipartMsg))
		if got := runDkimpy(t, py, d, out); got != "True True" {
			t.Fatalf("dkimpy says %q, want True True", got)
		}
	})
	t.Run("added From", func(t *testing.T) {
		k := testKey(t, "rsa", "example.com", "pyfrom")
		d.publish(k)
		out, _ := signBytes(t, NewSigner([]*Key{k}, nil), crlf(simpleMsg))
		if got := runDkimpy(t, py, d, append([]byte("From: ceo@example.com\r\n"), out...)); got != "False" {
			t.Fatalf("dkimpy on an added From says %q, want False", got)
		}
	})
}
