package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sealgate/sealgate/internal/testtool"
)

// unitCopy is deploy/sealgate.service in a temp dir with ExecStart pointing
// at an executable that exists (verify checks it), the test binary.
func unitCopy(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("../../deploy/sealgate.service")
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	unit := strings.ReplaceAll(string(data), "/usr/local/bin/sealgate", self)
	path := filepath.Join(t.TempDir(), "sealgate.service")
	if err := os.WriteFile(path, []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// systemd-analyze verify exits 0 on keys it ignores (a typo, a value this
// systemd cannot parse) and only prints them: any output is a failure.
func TestSystemdUnitVerifiesWithoutWarnings(t *testing.T) {
	sa := testtool.Require(t, "systemd-analyze")
	path := unitCopy(t)
	cmd := exec.Command(sa, "verify", path)
	cmd.Dir = filepath.Dir(path)
	out, err := cmd.CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
	unit, _ := os.ReadFile(path)
	for _, want := range []string{"\nType=notify\n", "\nNotifyAccess=main\n", "\nWatchdogSec=30s\n"} {
		if !strings.Contains(string(unit), want) {
			t.Errorf("unit lacks %q", strings.TrimSpace(want))
		}
	}
}

// The hardening does not regress: exposure 1.4 with systemd 252
// (docs/operations.md); --threshold is in tenths.
func TestSystemdUnitExposureStaysAtMost1_4(t *testing.T) {
	sa := testtool.Require(t, "systemd-analyze")
	path := unitCopy(t)
	cmd := exec.Command(sa, "security", "--offline=yes", "--threshold=14", "--no-pager", filepath.Base(path))
	cmd.Dir = filepath.Dir(path)
	out, err := cmd.CombinedOutput()
	if err != nil {
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		t.Fatalf("systemd-analyze security: %v; %s", err, lines[len(lines)-1])
	}
}
