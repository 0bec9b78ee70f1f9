package testtool

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// Env is the variable that turns a missing tool from a skip into a failure.
const Env = "SEALGATE_REQUIRE_INTEROP"

// Required reports whether Env asks for every interop tool to be present.
func Required() bool { return os.Getenv(Env) == "1" }

// Require returns the path of the named program, or ends the test: a skip,
// or a failure when Required.
func Require(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Unavailable(t, "%s not installed", name)
	}
	return p
}

// RequireAll is Require for several programs; hint (e.g. the Debian packages
// that bring them) is added to the message when not empty.
func RequireAll(t testing.TB, hint string, names ...string) {
	t.Helper()
	for _, name := range names {
		if _, err := exec.LookPath(name); err != nil {
			if hint != "" {
				Unavailable(t, "%s not installed (%s)", name, hint)
			}
			Unavailable(t, "%s not installed", name)
		}
	}
}

// Unavailable ends the test because something it needs is missing (a
// program, a Python module, root): it skips, or fails when Required.
func Unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if Required() {
		t.Fatalf("%s and %s=1", msg, Env)
	}
	t.Skip(msg)
}
