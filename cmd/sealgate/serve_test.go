package main

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// syncBuffer is the daemon's log, read while it runs.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// serveConfig is the example config on loopback ephemeral ports with its
// own data directory.
func serveConfig(t *testing.T) string {
	t.Helper()
	path := exampleConfig(t)
	data, _ := os.ReadFile(path)
	s := strings.NewReplacer("data_dir: /var/lib/sealgate", "data_dir: "+filepath.Join(filepath.Dir(path), "data"),
		"0.0.0.0:25", "127.0.0.1:0", "127.0.0.1:9025", "127.0.0.1:0").Replace(string(data))
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// logLines parses the daemon's JSON log.
func logLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", l)
		}
		lines = append(lines, m)
	}
	return lines
}

// TestServeTellsSystemdReadyReloadWatchdogStopping runs `sealgate serve`
// in-process with NOTIFY_SOCKET on a real unixgram socket, as systemd sets
// it for Type=notify, and reads the datagrams in order. The same run checks
// that the start log says each thing once (one recovery line, issue 15).
func TestServeTellsSystemdReadyReloadWatchdogStopping(t *testing.T) {
	cfg := serveConfig(t)
	sock := filepath.Join(t.TempDir(), "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	dgrams := make(chan string, 1000)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			dgrams <- string(buf[:n])
		}
	}()
	t.Setenv("NOTIFY_SOCKET", sock)
	t.Setenv("WATCHDOG_USEC", "200000") // a keep-alive every 100ms
	t.Setenv("WATCHDOG_PID", "")

	var logBuf syncBuffer
	root := newRoot()
	root.SetOut(&logBuf)
	root.SetErr(&logBuf)
	root.SetArgs([]string{"serve", "-c", cfg})
	exited := make(chan error, 1)
	go func() { exited <- root.Execute() }()

	// nextState skips keep-alives and returns the next other datagram.
	// serve may exit right after sending its last datagram, and select
	// picks at random among ready cases, so an exit only fails the test
	// once the datagrams already sent have been read (exitErr keeps it).
	keepAlives := 0
	var exitErr error
	hasExited := false
	nextState := func(what string) string {
		t.Helper()
		deadline := time.After(15 * time.Second)
		exitedCh := exited
		var drained <-chan time.Time
		for {
			select {
			case d := <-dgrams:
				if d == "WATCHDOG=1" {
					keepAlives++
					continue
				}
				return d
			case err := <-exitedCh:
				exitErr, hasExited, exitedCh = err, true, nil
				drained = time.After(time.Second)
			case <-drained:
				t.Fatalf("serve exited before %s: %v\n%s", what, exitErr, logBuf.String())
			case <-deadline:
				t.Fatalf("no %s within 15s; log:\n%s", what, logBuf.String())
			}
		}
	}
	const status = "STATUS=queue: 0 active, 0 deferred, 0 held"
	if got := nextState("READY=1"); got != "READY=1\n"+status {
		t.Fatalf("first datagram %q, want READY=1 with the queue status", got)
	}
	if keepAlives != 0 {
		t.Fatalf("%d keep-alives before READY=1", keepAlives)
	}
	// Ready means the listener is bound and the spool recovered.
	var addr string
	for _, l := range logLines(t, logBuf.String()) {
		if l["msg"] == "sealgate started" {
			addr, _ = l["listeners"].(map[string]any)["smarthost"].(string)
		}
	}
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatalf("listener %q not accepting at READY=1: %v", addr, err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	greeting := make([]byte, 4)
	if _, err := c.Read(greeting); err != nil || string(greeting) != "220 " {
		t.Fatalf("greeting %q: %v", greeting, err)
	}
	c.Close()

	// Keep-alives flow while the daemon is alive.
	deadline := time.After(5 * time.Second)
	for keepAlives < 3 {
		select {
		case d := <-dgrams:
			if d == "WATCHDOG=1" {
				keepAlives++
			}
		case <-deadline:
			t.Fatalf("%d keep-alives in 5s with WatchdogSec=200ms", keepAlives)
		}
	}

	// SIGHUP: RELOADING=1 with MONOTONIC_USEC, then READY=1 again.
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	if got := nextState("RELOADING=1"); !strings.HasPrefix(got, "RELOADING=1\nMONOTONIC_USEC=") {
		t.Fatalf("after SIGHUP: %q", got)
	}
	if got := nextState("READY=1 after the reload"); got != "READY=1\n"+status {
		t.Fatalf("after the reload: %q", got)
	}

	// SIGTERM: STOPPING=1, a clean exit, and no keep-alive after it.
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if got := nextState("STOPPING=1"); got != "STOPPING=1" {
		t.Fatalf("after SIGTERM: %q", got)
	}
	if !hasExited {
		select {
		case exitErr = <-exited:
		case <-time.After(30 * time.Second):
			t.Fatal("serve did not exit within 30s of SIGTERM")
		}
	}
	if exitErr != nil {
		t.Fatalf("serve: %v\n%s", exitErr, logBuf.String())
	}
	time.Sleep(300 * time.Millisecond)
	// Not close(dgrams): the reader goroutine may still send on it.
	for len(dgrams) > 0 {
		t.Errorf("datagram after STOPPING=1: %q", <-dgrams)
	}

	// Each start line says its thing once: one about spool recovery
	// ("spool: recovered"), none repeated.
	seen := map[string]int{}
	recovered := 0
	for _, l := range logLines(t, logBuf.String()) {
		msg, _ := l["msg"].(string)
		if msg == "sealgate started" {
			break
		}
		seen[msg]++
		if strings.Contains(msg, "recovered") {
			recovered++
		}
	}
	if recovered != 1 {
		t.Errorf("%d start lines about spool recovery, want 1:\n%s", recovered, logBuf.String())
	}
	for msg, n := range seen {
		if n > 1 {
			t.Errorf("start line %q logged %d times", msg, n)
		}
	}
}
