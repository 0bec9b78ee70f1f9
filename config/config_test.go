package config

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden .want files")

// copyCase copies a testdata directory into a temp dir, making key files
// private as an admin would (git does not keep file modes).
func copyCase(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if info.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		if strings.HasSuffix(p, ".key") && !strings.Contains(filepath.Base(p), "readable") {
			mode = 0o600
		}
		return os.WriteFile(filepath.Join(dst, rel), data, mode)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func TestExampleConfigIsValid(t *testing.T) {
	dir := copyCase(t, "../testdata")
	c, err := Load(filepath.Join(dir, "sealgate.yaml"))
	if err != nil {
		t.Fatalf("example config: %v", err)
	}
	if c.Hostname != "relay.example.test" || c.Limits.MaxMessageSize != 50<<20 || c.Relay.RetryMax != time.Hour {
		t.Fatalf("unexpected values: %+v", c)
	}
	if c.Relay.TLSPolicy["partner-hospital.example"] != "verify" || c.Relay.TLSPolicy[".health-plan.example"] != "encrypt" {
		t.Fatalf("tls_policy with dotted keys: %v", c.Relay.TLSPolicy)
	}
	if !c.Listeners[0].TLS.Required || c.Limits.MaxSessionTime != time.Hour || c.Limits.MaxCommands != 10000 {
		t.Fatalf("tls.required / session limits: %+v %+v", c.Listeners[0].TLS, c.Limits)
	}
	if got := c.Listeners[0].TLS.CertFile; got != filepath.Join(dir, "tls/relay.crt") {
		t.Fatalf("relative path not resolved: %s", got)
	}
}

func TestEnvironmentOverridesEveryScalarKey(t *testing.T) {
	dir := copyCase(t, "../testdata")
	t.Setenv("SEALGATE_RELAY_SMARTHOST", "next.example.test:2525")
	t.Setenv("SEALGATE_LIMITS_MAX_RECIPIENTS", "7")
	t.Setenv("SEALGATE_LIMITS_MAX_MESSAGE_SIZE", "10MB")
	t.Setenv("SEALGATE_RELAY_RETRY_MIN", "30s")
	c, err := Load(filepath.Join(dir, "sealgate.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Relay.Smarthost != "next.example.test:2525" || c.Limits.MaxRecipients != 7 ||
		c.Limits.MaxMessageSize != 10_000_000 || c.Relay.RetryMin != 30*time.Second {
		t.Fatalf("env not applied: smarthost=%q rcpts=%d size=%d retry=%s", c.Relay.Smarthost,
			c.Limits.MaxRecipients, c.Limits.MaxMessageSize, c.Relay.RetryMin)
	}
}

// TestBrokenConfigsReportEveryProblem runs testdata/config/bad/NN-*/: each
// has a sealgate.yaml and want.txt holding the exact messages, with the case
// directory written as DIR.
func TestBrokenConfigsReportEveryProblem(t *testing.T) {
	cases, _ := filepath.Glob("../testdata/config/bad/*")
	if len(cases) < 5 {
		t.Fatalf("only %d broken-config cases found", len(cases))
	}
	for _, src := range cases {
		t.Run(filepath.Base(src), func(t *testing.T) {
			dir := copyCase(t, src)
			_, err := Load(filepath.Join(dir, "sealgate.yaml"))
			if err == nil {
				t.Fatal("broken config accepted")
			}
			got := strings.ReplaceAll(err.Error(), dir, "DIR") + "\n"
			wantFile := filepath.Join(src, "want.txt")
			if *update {
				os.WriteFile(wantFile, []byte(got), 0o644)
			}
			want, _ := os.ReadFile(wantFile)
			if got != string(want) {
				os.WriteFile(filepath.Join(src, "want.got"), []byte(got), 0o644)
				t.Fatalf("got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func TestByteSizes(t *testing.T) {
	for in, want := range map[string]ByteSize{"1024": 1024, "50MiB": 50 << 20, "10MB": 10_000_000, "512 KiB": 512 << 10} {
		got, err := ParseByteSize(in)
		if err != nil || got != want {
			t.Errorf("%q: got %d, %v; want %d", in, got, err, want)
		}
	}
	if _, err := ParseByteSize("lots"); err == nil {
		t.Error("nonsense size accepted")
	}
}
