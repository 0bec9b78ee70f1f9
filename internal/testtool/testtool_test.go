package testtool

import (
	"runtime"
	"strings"
	"testing"
)

// recorder stands in for a *testing.T so the outcome can be inspected.
type recorder struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (r *recorder) Helper() {}

// Skip and Fatalf end the calling goroutine, as testing's do.
func (r *recorder) Skip(args ...any) {
	r.skipped = true
	r.msg = args[0].(string)
	runtime.Goexit()
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = true
	r.msg = format
	runtime.Goexit()
}

// run calls f with r on a goroutine of its own and waits for it.
func (r *recorder) run(f func(testing.TB)) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
}

const missing = "sealgate-no-such-tool-x9"

func TestMissingToolSkipsWithoutTheVariable(t *testing.T) {
	t.Setenv(Env, "")
	r := &recorder{TB: t}
	r.run(func(tb testing.TB) { Require(tb, missing) })
	if !r.skipped || r.failed || !strings.Contains(r.msg, missing) {
		t.Errorf("skipped=%v failed=%v msg=%q", r.skipped, r.failed, r.msg)
	}
}

func TestMissingToolFailsUnderRequireInterop(t *testing.T) {
	t.Setenv(Env, "1")
	for name, call := range map[string]func(testing.TB){
		"Require":     func(tb testing.TB) { Require(tb, missing) },
		"RequireAll":  func(tb testing.TB) { RequireAll(tb, "Debian x", "sh", missing) },
		"Unavailable": func(tb testing.TB) { Unavailable(tb, "python3-dkim not installed") },
	} {
		r := &recorder{TB: t}
		r.run(call)
		if !r.failed || r.skipped {
			t.Errorf("%s: failed=%v skipped=%v", name, r.failed, r.skipped)
		}
	}
}

func TestPresentToolIsFound(t *testing.T) {
	t.Setenv(Env, "1")
	r := &recorder{TB: t}
	var p string
	r.run(func(tb testing.TB) { p = Require(tb, "sh") })
	if p == "" || r.failed || r.skipped {
		t.Errorf("sh: %q failed=%v skipped=%v", p, r.failed, r.skipped)
	}
}
