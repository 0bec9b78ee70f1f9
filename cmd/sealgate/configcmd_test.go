package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConfigPrintsNonDefaultValuesWithTheirSource(t *testing.T) {
	cfg := exampleConfig(t)
	t.Setenv("SEALGATE_RELAY_SMARTHOST", "next.example.test:2525")
	out, code := runCLI(t, "config", "-c", cfg)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	for _, want := range []string{
		"relay.smarthost = next.example.test:2525  # SEALGATE_RELAY_SMARTHOST\n",
		"hostname = relay.example.test  # " + cfg + ":10\n",
		"listeners[0].tls.cert_file = " + filepath.Join(filepath.Dir(cfg), "tls/relay.crt") + "  # " + cfg + ":46\n",
		"listeners[0].relay.users[0].password_hash = ********  # " + cfg + ":64\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	// The example sets max_recipients to its default: postconf -n leaves
	// such lines out, and so does config; no hash ever shows.
	for _, bad := range []string{"limits.max_recipients", "$2a$", "# default"} {
		if strings.Contains(out, bad) {
			t.Errorf("%q in:\n%s", bad, out)
		}
	}
}

func TestConfigNamedKeysPrintDefaultsToo(t *testing.T) {
	out, code := runCLI(t, "config", "-c", exampleConfig(t), "keys.smime_key_transport", "relay.tls_policy")
	want := "relay.tls_policy..health-plan.example = encrypt  # "
	if code != 0 || !strings.Contains(out, "keys.smime_key_transport = pkcs1v15  # default\n") || !strings.Contains(out, want) ||
		strings.Count(out, "\n") != 3 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

func TestConfigUnknownKeyIsAUsageErrorWithTheNearestKey(t *testing.T) {
	out, code := runCLI(t, "config", "-c", exampleConfig(t), "relay.smarthst")
	if code != exitUsage {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	root := newRoot()
	root.SetArgs([]string{"config", "relay.smarthst"})
	root.SetOut(new(strings.Builder))
	if err := root.Execute(); err == nil || err.Error() != `config: unknown key "relay.smarthst" (did you mean relay.smarthost?)` {
		t.Fatalf("error %v", err)
	}
}

func TestConfigDefaultsNeedNoFile(t *testing.T) {
	out, code := runCLI(t, "config", "--defaults", "-c", "/nonexistent/sealgate.yaml")
	for _, want := range []string{"limits.max_message_size = 50MiB\n", "control.socket = <data_dir>/control.sock\n", "relay.smarthost_tls = verify\n"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Fatalf("exit %d, %q missing:\n%s", code, want, out)
		}
	}
}

func TestConfigJSON(t *testing.T) {
	cfg := exampleConfig(t)
	out, code := runCLI(t, "config", "--json", "-c", cfg, "hostname", "relay.mx_port")
	var got []map[string]string
	if err := json.Unmarshal([]byte(out), &got); code != 0 || err != nil {
		t.Fatalf("exit %d, %v:\n%s", code, err, out)
	}
	if len(got) != 2 || got[0]["key"] != "hostname" || got[0]["value"] != "relay.example.test" || got[0]["source"] != cfg+":10" ||
		got[1]["key"] != "relay.mx_port" || got[1]["default"] != "25" {
		t.Fatalf("%v", got)
	}
}

func TestConfigWithUnreadableValuesExits78(t *testing.T) {
	dir := copyCase(t, "../../testdata/config/bad/07-wrong-types")
	out, code := runCLI(t, "config", "-c", filepath.Join(dir, "sealgate.yaml"))
	if code != exitConfig || !strings.Contains(out, "limits.max_recipients: not a whole number") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

func TestCheckJSON(t *testing.T) {
	dir := copyCase(t, "../../testdata/config/bad/13-wrong-types-and-bad-values")
	cfg := filepath.Join(dir, "sealgate.yaml")
	out, code := runCLI(t, "check", "--json", "-c", cfg)
	var items []struct {
		File, Key, Severity, Message string
		Line                         int
	}
	if err := json.Unmarshal([]byte(out), &items); code != exitConfig || err != nil {
		t.Fatalf("exit %d, %v:\n%s", code, err, out)
	}
	want, _ := os.ReadFile("../../testdata/config/bad/13-wrong-types-and-bad-values/want.txt")
	if len(items) != strings.Count(string(want), "\n") {
		t.Fatalf("%d items for %d problems:\n%s", len(items), strings.Count(string(want), "\n"), out)
	}
	first := items[0]
	if first.File != cfg || first.Line != 6 || first.Key != "log.level" || first.Severity != "error" || !strings.Contains(first.Message, `"verbose"`) {
		t.Fatalf("%+v", first)
	}
	// A valid config: an empty array, exit 0.
	out, code = runCLI(t, "check", "--json", "-c", exampleConfig(t))
	if code != 0 || strings.TrimSpace(out) != "[]" {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

func TestCheckBlamesTheEnvironmentVariable(t *testing.T) {
	t.Setenv("SEALGATE_LIMITS_MAX_RECIPIENTS", "many")
	cfg := exampleConfig(t)
	out, code := runCLI(t, "check", "-c", cfg)
	if code != exitConfig || out != "config: SEALGATE_LIMITS_MAX_RECIPIENTS: limits.max_recipients: not a whole number\n"+cfg+": 1 problem(s)\n" {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

// The shipped policy's default rule is require_tls: through a smarthost
// at "may", mail defers whenever the smarthost offers no STARTTLS, and
// verified TLS is never available. A warning, not an error.
func TestCheckWarnsWhenSmarthostTLSMayMeetsAPolicyThatRequiresTLS(t *testing.T) {
	t.Setenv("SEALGATE_RELAY_SMARTHOST", "next.example.test:25")
	t.Setenv("SEALGATE_RELAY_SMARTHOST_TLS", "may")
	out, code := runCLI(t, "check", "-c", exampleConfig(t))
	if code != 0 || !strings.Contains(out, "config: SEALGATE_RELAY_SMARTHOST_TLS: relay.smarthost_tls: warning: \"may\" does not require TLS, but policy rule(s) ") ||
		!strings.Contains(out, "and 2 more do") || !strings.Contains(out, "method tls of policy rule(s) phi-identifiers") || !strings.Contains(out, ": OK: ") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	t.Setenv("SEALGATE_RELAY_SMARTHOST_TLS", "verify")
	if out, code := runCLI(t, "check", "-c", exampleConfig(t)); code != 0 || strings.Contains(out, "warning") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

// Problems in the file and in the policy it names come in one run.
func TestCheckReportsConfigAndPolicyProblemsTogether(t *testing.T) {
	cfg := exampleConfig(t)
	dir := filepath.Dir(cfg)
	os.WriteFile(filepath.Join(dir, "policy.yaml"), []byte("rules:\n  - id: r\n    when: {detect: {types: [ssnn]}}\n    action: block\n"), 0o600)
	data, _ := os.ReadFile(cfg)
	s := strings.Replace(string(data), "  paths: []", "  paths: [policy.yaml]", 1)
	s = strings.Replace(s, "  max_recipients: 1000", "  max_recipients: 0\n  max_rcpt: 3", 1)
	os.WriteFile(cfg, []byte(s), 0o600)
	out, code := runCLI(t, "check", "-c", cfg)
	for _, want := range []string{`unknown detector "ssnn"`, "limits.max_recipients: must be greater than zero", `limits.max_rcpt: unknown key "max_rcpt"`, "4 problem(s)"} {
		if code != exitConfig || !strings.Contains(out, want) {
			t.Fatalf("exit %d, %q missing:\n%s", code, want, out)
		}
	}
}
