// Package layers holds one test: that no package imports upward. The rules are
// the layout in shared/DESIGN.md: the policy engine and the crypto packages
// know nothing of the daemon, and the envelope and internal helpers are leaves.
package layers

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/sealgate/sealgate/"

// forbidden maps a package prefix to the prefixes it must not depend on.
var forbidden = map[string][]string{
	"policy":   {"gateway", "cmd", "crypto"},
	"crypto":   {"gateway", "cmd", "policy"},
	"envelope": {""}, // nothing of ours at all
	"config":   {"gateway", "cmd", "policy", "crypto"},
	"internal": {"gateway", "cmd", "policy", "crypto", "config"},
	"gateway":  {"cmd"},
	// The processing stage declares what it needs (store, queue, recorder) and
	// gateway wires the real ones in: it imports no other daemon package.
	"gateway/process": {"gateway"},
	// The queue works on a Store interface; it never reaches into the spool,
	// ingress or the processing stage.
	"gateway/relay": {"gateway/spool", "gateway/smtpd", "gateway/process"},
}

func TestNoPackageImportsUpward(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Deps " "}}`, module+"...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(fields[0], module)
		for prefix, bad := range forbidden {
			if pkg != prefix && !strings.HasPrefix(pkg, prefix+"/") {
				continue
			}
			for _, dep := range fields[1:] {
				if !strings.HasPrefix(dep, module) {
					continue
				}
				d := strings.TrimPrefix(dep, module)
				for _, b := range bad {
					if b == "" || d == b || strings.HasPrefix(d, b+"/") {
						if prefix == "internal" && strings.HasPrefix(d, "internal/") {
							continue // internal helpers may use each other
						}
						t.Errorf("%s imports %s (a %s package must not depend on %q)", pkg, d, prefix, b)
					}
				}
			}
		}
	}
}
