package gateway

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sealgate/sealgate/internal/capture"
)

// buildBinary compiles cmd/sealgate once per test binary.
var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func sealgateBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sealgate-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "sealgate")
		out, err := exec.Command("go", "build", "-o", binPath, "../cmd/sealgate").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// daemon is `sealgate serve` as a child process.
type daemon struct {
	cmd *exec.Cmd
	log *os.File
}

func startDaemon(t *testing.T, env *testEnv) *daemon {
	t.Helper()
	logf, err := os.OpenFile(filepath.Join(env.Dir, "daemon.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(sealgateBinary(t), "serve", "-c", env.CfgPath)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	d := &daemon{cmd: cmd, log: logf}
	t.Cleanup(func() {
		d.cmd.Process.Kill()
		d.cmd.Wait()
		logf.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			t.Logf("daemon log (tail):\n%s", tail(string(b), 3000))
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", env.Listen, time.Second)
		if err == nil {
			c.Close()
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("daemon did not start listening on %s", env.Listen)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (d *daemon) kill9(t *testing.T) {
	t.Helper()
	if err := d.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	d.cmd.Wait()
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func TestCrashAfter250DeliversOnRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills a real daemon")
	}
	sink := startSink(t, "127.0.0.1:0")
	sinkAddr := sink.Addr()
	env := writeConfig(t, sinkAddr, "")
	d := startDaemon(t, env)

	const clients, perClient, killAfter = 10, 20, 60
	var (
		mu       sync.Mutex
		accepted []string
		count    atomic.Int32
		killed   = make(chan struct{})
		wg       sync.WaitGroup
	)
	go func() {
		for count.Load() < killAfter {
			time.Sleep(time.Millisecond)
		}
		d.kill9(t)
		close(killed)
	}()
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for i := 0; i < perClient; i++ {
				marker := fmt.Sprintf("crash-%02d-%02d", c, i)
				err := send(env.Listen, "a@clinic.test", []string{"b@partner.test"}, testMessage("a@clinic.test", "b@partner.test", marker))
				if err == nil {
					mu.Lock()
					accepted = append(accepted, marker)
					mu.Unlock()
					count.Add(1)
				}
			}
		}(c)
	}
	wg.Wait()
	select {
	case <-killed:
	case <-time.After(30 * time.Second):
		t.Fatal("the daemon was never killed")
	}
	t.Logf("%d of %d messages got 250 before the kill; %d had reached the sink", len(accepted), clients*perClient, sink.Count())

	startDaemon(t, env)
	missing := func(ms []capture.Message) []string {
		var miss []string
		for _, a := range accepted {
			found := false
			for _, m := range ms {
				if bytes.Contains(m.Data, []byte("<"+a+"@")) {
					found = true
					break
				}
			}
			if !found {
				miss = append(miss, a)
			}
		}
		return miss
	}
	if !sink.WaitFor(60*time.Second, func(ms []capture.Message) bool { return len(missing(ms)) == 0 }) {
		miss := missing(sink.Messages())
		t.Fatalf("%d accepted messages lost after kill -9 and restart: %v", len(miss), miss)
	}
	t.Logf("all %d accepted messages delivered; %d deliveries in all (duplicates allowed)", len(accepted), sink.Count())
}

func TestQueueCommandsAgainstRunningDaemon(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real daemon")
	}
	// The next hop is down (its port kept, so no other test can take it).
	sink := startSink(t, "127.0.0.1:0")
	sink.SetDown(true)
	sinkAddr := sink.Addr()
	env := writeConfig(t, sinkAddr, "")
	startDaemon(t, env)
	if err := send(env.Listen, "a@clinic.test", []string{"b@partner.test"}, testMessage("a@clinic.test", "b@partner.test", "queue-cli")); err != nil {
		t.Fatal(err)
	}
	sealgate := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(sealgateBinary(t), append([]string{"-c", env.CfgPath}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("sealgate %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	var id string
	waitFor(t, 20*time.Second, "the message in `queue list`", func() bool {
		out := sealgate("queue", "list")
		for _, l := range strings.Split(out, "\n") {
			if strings.Contains(l, "<b@partner.test>:queued") {
				id = strings.Fields(l)[0]
				return true
			}
		}
		return false
	})
	show := sealgate("queue", "show", id)
	if !strings.Contains(show, "From:     <a@clinic.test>") || strings.Contains(show, "Patient note") {
		t.Fatalf("queue show without --body:\n%s", show)
	}
	if body := sealgate("queue", "show", "--body", id); !strings.Contains(body, "Patient note queue-cli") {
		t.Fatalf("queue show --body lacks the body:\n%s", body)
	}
	sealgate("queue", "hold", id)
	if out := sealgate("queue", "list"); !strings.Contains(out, " held ") {
		t.Fatalf("not held:\n%s", out)
	}
	sink.SetDown(false)
	sealgate("queue", "flush")
	time.Sleep(2 * time.Second)
	if sink.Count() != 0 {
		t.Fatal("a held message was delivered by flush")
	}
	// Release makes it due again; the relay delivers it without a flush.
	sealgate("queue", "release", id)
	if !sink.WaitFor(20*time.Second, func(ms []capture.Message) bool { return len(ms) == 1 }) {
		t.Fatal("not delivered after release and flush")
	}
	waitFor(t, 10*time.Second, "an empty queue", func() bool { return strings.Contains(sealgate("queue", "list"), "0 message(s)") })
	out, err := exec.Command(sealgateBinary(t), "-c", env.CfgPath, "queue", "delete", "nosuchid").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "not found") {
		t.Fatalf("delete of an unknown ID: %v\n%s", err, out)
	}
}
