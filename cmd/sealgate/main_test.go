package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sealgate/sealgate/gateway"
)

// runCLI runs the sealgate command tree in-process.
func runCLI(t *testing.T, args ...string) (string, int) {
	t.Helper()
	root := newRoot()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.Execute()
	if err != nil {
		return out.String(), exitCode(err)
	}
	return out.String(), 0
}

// copyCase copies a config case into a temp dir with private key files, as
// an admin would have them (git does not keep modes).
func copyCase(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		data, _ := os.ReadFile(filepath.Join(src, e.Name()))
		mode := os.FileMode(0o644)
		if strings.HasSuffix(e.Name(), ".key") && !strings.Contains(e.Name(), "readable") {
			mode = 0o600
		}
		os.WriteFile(filepath.Join(dst, e.Name()), data, mode)
	}
	return dst
}

// TestCheckPrintsEveryProblemOfBrokenConfigs runs `sealgate check` on
// testdata/config/bad/NN-*/ and compares with want.txt plus the summary.
func TestCheckPrintsEveryProblemOfBrokenConfigs(t *testing.T) {
	cases, _ := filepath.Glob("../../testdata/config/bad/*")
	if len(cases) == 0 {
		t.Fatal("no cases")
	}
	for _, src := range cases {
		t.Run(filepath.Base(src), func(t *testing.T) {
			dir := copyCase(t, src)
			out, code := runCLI(t, "check", "-c", filepath.Join(dir, "sealgate.yaml"))
			if code != exitConfig {
				t.Fatalf("exit %d, want 78:\n%s", code, out)
			}
			want, _ := os.ReadFile(filepath.Join(src, "want.txt"))
			n := strings.Count(string(want), "\n")
			want = append(want, []byte("DIR/sealgate.yaml: "+strconv.Itoa(n)+" problem(s)\n")...)
			if got := strings.ReplaceAll(out, dir, "DIR"); got != string(want) {
				t.Fatalf("got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

// exampleConfig copies the example config and the files it names into a temp dir.
func exampleConfig(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"sealgate.yaml", "spool.key", "audit.key", "tls/relay.crt", "tls/relay.key"} {
		data, err := os.ReadFile(filepath.Join("../../testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o755)
		os.WriteFile(filepath.Join(dir, f), data, 0o600)
	}
	return filepath.Join(dir, "sealgate.yaml")
}

// Without poppler every PDF would be unscannable: check says so, as a
// warning (the config itself is fine).
func TestCheckWarnsWhenThePDFHelpersAreMissing(t *testing.T) {
	cfg := exampleConfig(t)
	t.Setenv("PATH", t.TempDir())
	out, code := runCLI(t, "check", "-c", cfg)
	if code != 0 || !strings.Contains(out, "warning: not installed: prlimit, pdftotext, pdfimages, pdftoppm") ||
		!strings.Contains(out, ": OK: ") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

func TestCheckAcceptsTheExampleConfig(t *testing.T) {
	out, code := runCLI(t, "check", "-c", exampleConfig(t))
	if code != 0 || !strings.Contains(out, ": OK: 1 listener(s), MX delivery, data in /var/lib/sealgate") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if strings.Count(out, "\n") != 1 {
		t.Fatalf("want a one-line summary, got:\n%s", out)
	}
}

func TestEveryCommandHasHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"serve", "--help"}, {"demo", "--help"}, {"check", "--help"},
		{"queue", "--help"}, {"queue", "show", "--help"}, {"version", "--help"}, {"hash-password", "--help"}} {
		out, code := runCLI(t, args...)
		if code != 0 || !strings.Contains(out, "Usage:") {
			t.Errorf("%v: exit %d\n%s", args, code, out)
		}
	}
}

func TestCheckAlsoLintsThePolicyFiles(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"sealgate.yaml", "spool.key", "audit.key", "tls/relay.crt", "tls/relay.key"} {
		data, _ := os.ReadFile(filepath.Join("../../testdata", f))
		os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o755)
		os.WriteFile(filepath.Join(dir, f), data, 0o600)
	}
	os.WriteFile(filepath.Join(dir, "policy.yaml"), []byte("rules:\n  - id: r\n    when: {detect: {types: [ssnn]}}\n    action: block\n"), 0o600)
	cfg, _ := os.ReadFile(filepath.Join(dir, "sealgate.yaml"))
	os.WriteFile(filepath.Join(dir, "sealgate.yaml"), []byte(strings.Replace(string(cfg), "  paths: []", "  paths: [policy.yaml]", 1)), 0o600)
	out, code := runCLI(t, "check", "-c", filepath.Join(dir, "sealgate.yaml"))
	if code != exitConfig || !strings.Contains(out, `unknown detector "ssnn"`) || !strings.Contains(out, "policy.yaml:3") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

// A second `sealgate serve` on a data directory in use fails at once with
// the holder's pid, before it touches anything.
func TestServeRefusesADataDirInUse(t *testing.T) {
	cfgPath := exampleConfig(t)
	dataDir := filepath.Join(filepath.Dir(cfgPath), "data")
	cfg, _ := os.ReadFile(cfgPath)
	cfg = []byte(strings.Replace(string(cfg), "data_dir: /var/lib/sealgate", "data_dir: "+dataDir, 1))
	os.WriteFile(cfgPath, cfg, 0o600)
	l, err := gateway.LockDataDir(dataDir) // the running daemon
	if err != nil {
		t.Fatal(err)
	}
	defer l.Unlock()
	out, code := runCLI(t, "serve", "-c", cfgPath)
	want := "sealgate: " + dataDir + " is in use by pid " + strconv.Itoa(os.Getpid()) + "\n"
	if code != 1 || !strings.HasSuffix(out, want) {
		t.Fatalf("exit %d, output:\n%s\nwant it to end with %q", code, out, want)
	}
	if entries, _ := os.ReadDir(dataDir); len(entries) != 1 {
		t.Fatalf("data dir holds %d entries after the refused start, want only the lock", len(entries))
	}
}
