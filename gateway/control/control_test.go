package control

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func TestUnreachableDaemonIsErrUnavailableSaidOnce(t *testing.T) {
	_, err := Do(filepath.Join(t.TempDir(), "none.sock"), Request{Op: "list"}, nil)
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("%v is not ErrUnavailable", err)
	}
	if msg := err.Error(); strings.Count(msg, "control:") != 1 || !strings.Contains(msg, "cannot reach the daemon") {
		t.Errorf("message %q", msg)
	}
}
