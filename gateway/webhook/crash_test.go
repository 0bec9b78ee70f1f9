package webhook

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestKill9MidFlightDeliversEverythingAfterRestart runs a dispatcher in
// a child process, kills it with SIGKILL while deliveries are in flight,
// and restarts over the same file: every event Emit returned for arrives.
func TestKill9MidFlightDeliversEverythingAfterRestart(t *testing.T) {
	secret := mustSecret(t)
	rcv := newReceiver(t, secret, func(string, payload) int {
		time.Sleep(2 * time.Millisecond)
		return http.StatusOK
	})
	path := filepath.Join(t.TempDir(), "webhooks.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$")
	cmd.Env = append(os.Environ(), "WEBHOOK_CHILD_DB="+path, "WEBHOOK_CHILD_URL="+rcv.URL, "WEBHOOK_CHILD_SECRET="+secret)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }) // if a wait below fails
	lines := bufio.NewScanner(out)
	emitted := false
	for !emitted && lines.Scan() {
		emitted = strings.TrimSpace(lines.Text()) == "EMITTED"
	}
	if !emitted {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatal("the child did not report its events durable")
	}
	waitFor(t, "the child's first deliveries", func() bool { return rcv.delivered() >= 10 })
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	before := rcv.delivered()
	t.Logf("killed after %d of %d deliveries", before, crashEvents)
	if before == crashEvents {
		t.Fatal("the child delivered everything before the kill: the test proves nothing")
	}

	s := openTestStore(t, path)
	defer s.Close()
	startDispatcher(t, fastOptions(s, configEndpoint("ep1", rcv.URL, secret)))
	waitFor(t, "every event after the restart", func() bool { return rcv.delivered() == crashEvents })
	waitFor(t, "an empty outbox", func() bool { return pendingOf(t, s, "ep1") == 0 })
}

const crashEvents = 100

// TestCrashChild is the child of the test above; on its own it does nothing.
func TestCrashChild(t *testing.T) {
	path := os.Getenv("WEBHOOK_CHILD_DB")
	if path == "" {
		return
	}
	s := openTestStore(t, path)
	o := fastOptions(s, configEndpoint("ep1", os.Getenv("WEBHOOK_CHILD_URL"), os.Getenv("WEBHOOK_CHILD_SECRET")))
	o.Concurrency = 2
	d, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	var evs []Event
	for i := range crashEvents {
		evs = append(evs, testEvent(fmt.Sprintf("m%d", i/4), i%4, messageEvents[i%4]))
	}
	if err := d.Emit(evs); err != nil {
		t.Fatal(err)
	}
	fmt.Println("EMITTED")
	d.Start()
	select {} // until killed
}
