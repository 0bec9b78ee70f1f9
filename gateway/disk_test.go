package gateway

import (
	"crypto/sha256"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sealgate/sealgate/config"
	"github.com/sealgate/sealgate/gateway/audit"
)

// snapshotDir maps every file under dir to its mode, size and content hash.
func snapshotDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		v := info.Mode().String()
		if info.Mode().IsRegular() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			v += fmt.Sprintf(" %d %x", len(data), sha256.Sum256(data))
		}
		out[p] = v
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// A second daemon on the same data directory fails at once, naming the
// first one's pid, and leaves every file of the running daemon as it was:
// the first daemon goes on recording, and its audit log verifies.
func TestSecondDaemonOnSameDataDirFailsAndTouchesNothing(t *testing.T) {
	sink := startSink(t, "127.0.0.1:0")
	env := writeConfig(t, sink.Addr(), "")
	g := startGateway(t, env)
	if err := send(env.Listen, "a@clinic.test", []string{"b@partner.test"}, testMessage("a@clinic.test", "b@partner.test", "first")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "the first delivery", func() bool { return g.Relay().Depth() == 0 && sink.Count() == 1 })
	time.Sleep(200 * time.Millisecond) // the delivery record lands after the removal
	dataDir := filepath.Join(env.Dir, "data")
	before := snapshotDir(t, dataDir)

	cfg, err := config.Load(env.CfgPath)
	if err != nil {
		t.Fatal(err)
	}
	g2, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = g2.Start()
	if err == nil {
		g2.Stop(t.Context())
		t.Fatal("a second daemon started on a data directory in use")
	}
	want := fmt.Sprintf("sealgate: %s is in use by pid %d", dataDir, os.Getpid())
	if err.Error() != want {
		t.Fatalf("second start: %q, want %q", err, want)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("second start took %s to fail; it must fail at once", d)
	}
	if after := snapshotDir(t, dataDir); !maps.Equal(before, after) {
		for p, v := range after {
			if before[p] != v {
				t.Errorf("%s changed by the failed start: %q -> %q", p, before[p], v)
			}
		}
		for p := range before {
			if _, ok := after[p]; !ok {
				t.Errorf("%s removed by the failed start", p)
			}
		}
	}

	// The first daemon still works and its records are all there.
	if err := send(env.Listen, "a@clinic.test", []string{"b@partner.test"}, testMessage("a@clinic.test", "b@partner.test", "second")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "the second delivery", func() bool { return g.Relay().Depth() == 0 && sink.Count() == 2 })
	time.Sleep(200 * time.Millisecond)
	if err := g.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	res, err := audit.Verify(filepath.Join(dataDir, "audit"), auditPub(t, env), "")
	if err != nil || res.Problem != nil || res.UnsignedTail != 0 {
		t.Fatalf("verify after the second start was refused: %+v %v", res, err)
	}
	received := 0
	for _, r := range auditRecords(t, env) {
		if r.Type == audit.TypeReceived {
			received++
		}
	}
	if received != 2 {
		t.Fatalf("%d received records in the verified log, want 2", received)
	}

	// Once the first daemon is gone, the directory is free again.
	g3, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := g3.Start(); err != nil {
		t.Fatalf("start after the first daemon stopped: %v", err)
	}
	g3.Stop(t.Context())
}

// The lock file names the holder's pid, and the lock is released when the
// holder stops (the file itself stays).
func TestDataDirLockWritesPIDAndIsReleased(t *testing.T) {
	dir := t.TempDir()
	l, err := LockDataDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(filepath.Join(dir, LockFile))
	if strings.TrimSpace(string(data)) != fmt.Sprint(os.Getpid()) {
		t.Fatalf("lock file holds %q, want our pid", data)
	}
	if _, err := LockDataDir(dir); err == nil || !strings.Contains(err.Error(), "in use by pid") {
		t.Fatalf("second lock: %v", err)
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
	l2, err := LockDataDir(dir)
	if err != nil {
		t.Fatalf("lock after unlock: %v", err)
	}
	l2.Unlock()
}
