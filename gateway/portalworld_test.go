package gateway

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sealgate/sealgate/config"
	"github.com/sealgate/sealgate/internal/capture"
	"github.com/sealgate/sealgate/internal/dnstest"
)

// portalWorld is a gateway that delivers by MX, as in production, through a
// test DNS zone in which every MX is the capture sink: verified.test and
// clinic.test under "localhost", which the sink's certificate names (so TLS
// to them verifies), every other domain under a name it does not. The
// portal listens on its own HTTPS port.
type portalWorld struct {
	env       *testEnv
	sink      *capture.Sink
	dns       *dnstest.Server
	g         *Gateway
	portalURL string
	roots     *x509.CertPool
}

func newPortalWorld(t testing.TB, extra string) *portalWorld {
	t.Helper()
	w := &portalWorld{sink: startSink(t, "127.0.0.1:0"), dns: dnstest.Start(t)}
	_, sinkPort, _ := net.SplitHostPort(w.sink.Addr())
	w.dns.Add("localhost. 60 IN A 127.0.0.1")
	for _, d := range []string{"verified.test", "clinic.test"} {
		w.dns.Add(d + ". 60 IN MX 10 localhost.")
	}
	for _, d := range []string{"partner.test", "home.test", "webmail.test"} {
		w.dns.Add(d+". 60 IN MX 10 mx."+d+".", "mx."+d+". 60 IN A 127.0.0.1")
	}
	env := writeConfig(t, "", "")
	os.WriteFile(filepath.Join(env.Dir, "portal.kek"), []byte("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n"), 0o600)
	portalAddr := freeAddr(t)
	_, portalPort, _ := net.SplitHostPort(portalAddr)
	w.portalURL = "https://localhost:" + portalPort
	cfg, _ := os.ReadFile(env.CfgPath)
	// MX delivery instead of the smarthost writeConfig sets.
	text := strings.Replace(string(cfg), "relay:\n  smarthost: \n  smarthost_tls: may\n",
		fmt.Sprintf("relay:\n  resolver: %s\n  mx_port: %s\n  mta_sts: false\n", w.dns.Addr, sinkPort), 1)
	text += fmt.Sprintf(`portal:
  enabled: true
  listen: %s
  public_url: %s
  cert_file: relay.crt
  key_file: relay.key
  kek_file: portal.kek
  org_name: Clinic Test
%s`, portalAddr, w.portalURL, extra)
	if err := os.WriteFile(env.CfgPath, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	w.env = env
	pem, err := os.ReadFile(filepath.Join(env.Dir, "relay.crt"))
	if err != nil {
		t.Fatal(err)
	}
	w.roots = x509.NewCertPool()
	w.roots.AppendCertsFromPEM(pem)
	return w
}

// start runs the gateway; the relay trusts the sink's certificate.
func (w *portalWorld) start(t testing.TB) *Gateway {
	t.Helper()
	cfg, err := config.Load(w.env.CfgPath)
	if err != nil {
		t.Fatal(err)
	}
	var out io.Writer = io.Discard
	if testing.Verbose() {
		out = os.Stderr
	}
	g, err := New(cfg, Options{Logger: slog.New(slog.NewJSONHandler(out, &slog.HandlerOptions{Level: slog.LevelDebug})), RelayRootCAs: w.roots})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Stop(t.Context()) })
	w.g = g
	return g
}

// browser is an HTTPS client with cookies that trusts the test certificate
// and never follows redirects by itself (the tests look at each step).
func (w *portalWorld) browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar,
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{RootCAs: w.roots}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// gpgRecipient makes an OpenPGP key for addr in a fresh gpg home; decrypt
// opens an armored message with it.
func gpgRecipient(t testing.TB, addr string) (pub []byte, decrypt func(armored []byte) string) {
	t.Helper()
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
	run("--quick-gen-key", "Recipient <"+addr+">", "ed25519", "sign", "1y")
	var fp string
	for _, l := range strings.Split(string(run("--with-colons", "--fingerprint", addr)), "\n") {
		if strings.HasPrefix(l, "fpr:") {
			fp = strings.Split(l, ":")[9]
			break
		}
	}
	run("--quick-add-key", fp, "cv25519", "encr", "1y")
	return run("--armor", "--export", addr), func(armored []byte) string {
		t.Helper()
		f := filepath.Join(t.TempDir(), "m.asc")
		os.WriteFile(f, armored, 0o600)
		return string(run("--decrypt", f))
	}
}

// smimeRecipient makes a certificate for addr with openssl; decrypt opens
// an S/MIME message with openssl cms.
func smimeRecipient(t testing.TB, addr string) (certPEM []byte, decrypt func(msg []byte) string) {
	t.Helper()
	openssl := requireTool(t, "openssl")
	dir := t.TempDir()
	key, crt := filepath.Join(dir, "r.key"), filepath.Join(dir, "r.crt")
	out, err := exec.Command(openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", crt, "-days", "30",
		"-subj", "/CN=Recipient/emailAddress="+addr, "-addext", "subjectAltName=email:"+addr,
		"-addext", "keyUsage=digitalSignature,keyEncipherment", "-addext", "extendedKeyUsage=emailProtection", "-addext", "basicConstraints=critical,CA:FALSE").CombinedOutput()
	if err != nil {
		t.Fatalf("openssl req: %v\n%s", err, out)
	}
	pem, _ := os.ReadFile(crt)
	return pem, func(msg []byte) string {
		t.Helper()
		in := filepath.Join(t.TempDir(), "m.eml")
		os.WriteFile(in, msg, 0o600)
		plain, err := exec.Command(openssl, "cms", "-decrypt", "-in", in, "-recip", crt, "-inkey", key).CombinedOutput()
		if err != nil {
			t.Fatalf("openssl cms -decrypt: %v\n%s", err, plain)
		}
		return string(plain)
	}
}
