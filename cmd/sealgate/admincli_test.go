package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// configWithPolicy writes the example config with policy.paths naming one
// file with the given text.
func configWithPolicy(t *testing.T, policyText string) string {
	t.Helper()
	cfgPath := exampleConfig(t)
	dir := filepath.Dir(cfgPath)
	os.WriteFile(filepath.Join(dir, "policy.yaml"), []byte(policyText), 0o600)
	cfg, _ := os.ReadFile(cfgPath)
	s := strings.Replace(string(cfg), "  paths: []", "  paths: [policy.yaml]", 1)
	if s == string(cfg) {
		t.Fatal("example config has no `paths: []` to replace")
	}
	os.WriteFile(cfgPath, []byte(s), 0o600)
	return cfgPath
}

const blockAllPolicy = "rules:\n  - id: site-default\n    default: true\n    action: block\n"

func TestPolicyLintWithoutArgumentsLintsTheConfiguredPolicy(t *testing.T) {
	cfg := configWithPolicy(t, "rules:\n  - id: r\n    when: {detect: {types: [ssnn]}}\n    action: block\n")
	out, code := runCLI(t, "policy", "lint", "-c", cfg)
	if code != 1 || !strings.Contains(out, `unknown detector "ssnn"`) || !strings.Contains(out, "policy.yaml:3") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	out, code = runCLI(t, "policy", "lint", "-c", configWithPolicy(t, blockAllPolicy))
	if code != 0 || !strings.Contains(out, "OK: 1 rules in 1 files") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

func TestPolicyTestUsesTheConfiguredPolicyUnlessPolicyFlagIsGiven(t *testing.T) {
	cfg := configWithPolicy(t, blockAllPolicy)
	msg := "../../testdata/policy/01-pass-clean.eml"
	out, code := runCLI(t, "policy", "test", "-c", cfg, msg)
	if code != 0 || !strings.Contains(out, "decision:  block (rule site-default)") {
		t.Fatalf("configured policy: exit %d:\n%s", code, out)
	}
	out, code = runCLI(t, "policy", "test", "-c", cfg, "--policy", "../../testdata/policy/01-pass-clean.yaml", msg)
	if code != 0 || !strings.Contains(out, "decision:  pass (rule default)") {
		t.Fatalf("--policy: exit %d:\n%s", code, out)
	}
}

// Scripts tell a typo from a broken config from a daemon that is down.
func TestExitCodesFollowSysexits(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.yaml")
	for _, c := range []struct {
		args []string
		want int
	}{
		{[]string{"policy", "test"}, exitUsage},
		{[]string{"no-such-command"}, exitUsage},
		{[]string{"queue", "no-such-subcommand"}, exitUsage},
		{[]string{"queue", "list", "--no-such-flag"}, exitUsage},
		{[]string{"policy", "lint", "-c", missing}, exitConfig},
		{[]string{"queue", "list", "-c", missing}, exitConfig},
		{[]string{"queue", "list", "--socket", filepath.Join(t.TempDir(), "none.sock")}, exitUnavailable},
		{[]string{"policy", "lint", "-c", configWithPolicy(t, blockAllPolicy)}, 0},
	} {
		if out, code := runCLI(t, c.args...); code != c.want {
			t.Errorf("%v: exit %d, want %d:\n%s", c.args, code, c.want, out)
		}
	}
}

func TestManWritesAPagePerCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "man1")
	if out, code := runCLI(t, "man", dir); code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	for _, name := range []string{"sealgate.1", "sealgate-serve.1", "sealgate-queue-flush.1", "sealgate-policy-lint.1", "sealgate-keys-import.1"} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(data), ".nh\n.TH \"SEALGATE\" \"1\"") || !strings.Contains(string(data), ".SH SYNOPSIS") {
			t.Errorf("%s is not a man page:\n%.300s", name, data)
		}
	}
	if page, _ := os.ReadFile(filepath.Join(dir, "sealgate-policy-lint.1")); !strings.Contains(string(page), "policy.paths") {
		t.Errorf("lint page lacks its long help:\n%s", page)
	}
}

// Masked fragments are PHI: only --show-matches prints them.
func TestPolicyTestShowsMatchesOnlyWhenAsked(t *testing.T) {
	args := []string{"policy", "test", "--policy", "../../testdata/policy/02-block-ssn-to-webmail.yaml", "../../testdata/policy/02-block-ssn-to-webmail.eml"}
	out, code := runCLI(t, args...)
	if code != 0 || strings.Contains(out, "matches (masked") || !strings.Contains(out, "ssn ") {
		t.Fatalf("without --show-matches: exit %d:\n%s", code, out)
	}
	out, code = runCLI(t, append(args, "--show-matches")...)
	if code != 0 || !strings.Contains(out, "matches (masked; shown only here, never logged):") {
		t.Fatalf("with --show-matches: exit %d:\n%s", code, out)
	}
}

// For a recipient the policy wants encrypted, policy test shows what the
// daemon's selector would choose with the key store as it is (empty here).
func TestPolicyTestShowsTheMethodPerRecipient(t *testing.T) {
	cfg := configWithPolicy(t, "rules:\n  - id: enc\n    default: true\n    action: encrypt\n    methods: [pgp, smime, tls]\n")
	out, code := runCLI(t, "policy", "test", "-c", cfg, "../../testdata/policy/01-pass-clean.eml")
	want := "vendor@supplies.example: none (held for an operator): no usable method: pgp: no key; smime: no certificate"
	if code != 0 || !strings.Contains(out, "method the daemon would choose") || !strings.Contains(out, want) {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}
