package gateway

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/sealgate/sealgate/config"
	"github.com/sealgate/sealgate/internal/capture"
	"github.com/sealgate/sealgate/internal/testtool"
)

// requireTool is testtool.Require that also looks in the sbin directories
// (postfix, postmap), which a test user's PATH may lack.
func requireTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		for _, dir := range []string{"/usr/sbin", "/usr/local/sbin"} {
			if _, e := os.Stat(filepath.Join(dir, name)); e == nil {
				return filepath.Join(dir, name)
			}
		}
		testtool.Unavailable(t, "%s not installed (apt-get install %s)", name, name)
	}
	return p
}

// freeAddr returns a loopback address nobody listens on right now.
func freeAddr(t testing.TB) string {
	t.Helper()
	// A port below the kernel's ephemeral range (32768 and up by default):
	// between this check and the daemon's own bind, another test's ":0"
	// listener (sinks, DNS servers, in this or a parallel package) can never
	// be handed the same port. Ports handed out here are not reused.
	freePorts.Lock()
	defer freePorts.Unlock()
	for range 1000 {
		port := 20000 + rand.IntN(12000)
		if freePorts.used[port] {
			continue
		}
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue
		}
		l.Close()
		freePorts.used[port] = true
		return l.Addr().String()
	}
	t.Fatal("no free port below the ephemeral range")
	return ""
}

var freePorts = struct {
	sync.Mutex
	used map[int]bool
}{used: map[int]bool{}}

// testConfig writes a config for a gateway on loopback relaying to
// smarthost and returns its path. extra is appended YAML (top-level keys
// must not repeat the ones written here).
type testEnv struct {
	Dir       string
	CfgPath   string
	Listen    string
	Smarthost string
}

func writeConfig(t testing.TB, smarthost, listenerExtra string) *testEnv {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"relay.crt", "relay.key"} {
		data, err := os.ReadFile(filepath.Join("..", "testdata", "tls", f))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, f), data, 0o600)
	}
	os.WriteFile(filepath.Join(dir, "spool.key"), []byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "audit.key"), []byte("fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210\n"), 0o600)
	env := &testEnv{Dir: dir, CfgPath: filepath.Join(dir, "sealgate.yaml"), Listen: freeAddr(t), Smarthost: smarthost}
	yaml := fmt.Sprintf(`hostname: sealgate.test
data_dir: data
spool:
  key_file: spool.key
audit:
  signing_key_file: audit.key
log:
  level: debug
admin:
  listen: 127.0.0.1:0
listeners:
  - name: in
    listen: %s
    tls:
      mode: starttls
      cert_file: relay.crt
      key_file: relay.key
    relay:
      allow_ips: [127.0.0.1]
%s
relay:
  smarthost: %s
  smarthost_tls: may
  retry_min: 1s
  retry_max: 2s
`, env.Listen, listenerExtra, smarthost)
	if err := os.WriteFile(env.CfgPath, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return env
}

func startGateway(t *testing.T, env *testEnv) *Gateway {
	t.Helper()
	var w io.Writer = io.Discard
	if testing.Verbose() {
		w = os.Stderr
	}
	return startGatewayLog(t, env, w)
}

// startGatewayLog starts a gateway whose operational log (debug level, JSON)
// goes to w.
func startGatewayLog(t *testing.T, env *testEnv, w io.Writer) *Gateway {
	t.Helper()
	cfg, err := config.Load(env.CfgPath)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
	g, err := New(cfg, Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Stop(t.Context()) })
	return g
}

// startSink starts a capture sink offering STARTTLS with the test
// certificate (the shipped default policy requires TLS).
func startSink(t testing.TB, addr string) *capture.Sink {
	t.Helper()
	cert, err := tls.LoadX509KeyPair(filepath.Join("..", "testdata", "tls", "relay.crt"), filepath.Join("..", "testdata", "tls", "relay.key"))
	if err != nil {
		t.Fatal(err)
	}
	s := capture.New("sink.test", &tls.Config{Certificates: []tls.Certificate{cert}})
	if _, err := s.Listen(addr); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// send submits one message over plain SMTP from 127.0.0.1.
func send(addr, from string, to []string, msg string) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.SendMail(from, to, strings.NewReader(msg))
}

func testMessage(from, to, marker string) string {
	return "From: <" + from + ">\r\nTo: <" + to + ">\r\nSubject: lab results\r\nMessage-ID: <" + marker + "@clinic.test>\r\n" +
		"Date: Sat, 28 Nov 2026 10:00:00 +0000\r\n\r\nPatient note " + marker + "\r\n"
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// grepDir reports files under dir that contain needle.
func grepDir(t *testing.T, dir string, needle []byte) []string {
	t.Helper()
	var hits []string
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || !info.Mode().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(p)
		if err == nil && bytes.Contains(data, needle) {
			hits = append(hits, p)
		}
		return nil
	})
	return hits
}
