package sdnotify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// listen binds a unixgram socket as systemd does and returns what arrives.
func listen(t *testing.T, name string) <-chan string {
	t.Helper()
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	ch := make(chan string, 100)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := c.Read(buf)
			if err != nil {
				close(ch)
				return
			}
			ch <- string(buf[:n])
		}
	}()
	return ch
}

func next(t *testing.T, ch <-chan string) string {
	t.Helper()
	select {
	case s := <-ch:
		return s
	case <-time.After(5 * time.Second):
		t.Fatal("no datagram within 5s")
		return ""
	}
}

func TestWithoutNotifySocketNothingIsSent(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	t.Setenv("WATCHDOG_USEC", "1000")
	n := FromEnv(nil)
	if n.Enabled() || n.WatchdogInterval() != 0 {
		t.Fatalf("enabled %v, watchdog %v without NOTIFY_SOCKET", n.Enabled(), n.WatchdogInterval())
	}
	n.Ready("x")
	n.Reloading()
	n.Stopping()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	n.Watchdog(ctx, func(context.Context) error { return nil }, nil) // returns at once
	var zero *Notifier
	zero.Ready("")
}

func TestStatesArriveInOrderOnAPathSocket(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "notify")
	ch := listen(t, sock)
	t.Setenv("NOTIFY_SOCKET", sock)
	t.Setenv("WATCHDOG_USEC", "")
	n := FromEnv(nil)
	n.Ready("queue: 0 active")
	n.Reloading()
	n.Ready("")
	n.Status("degraded")
	n.Stopping()
	if got := next(t, ch); got != "READY=1\nSTATUS=queue: 0 active" {
		t.Fatalf("first datagram %q", got)
	}
	got := next(t, ch)
	lines := strings.Split(got, "\n")
	if len(lines) != 2 || lines[0] != "RELOADING=1" || !strings.HasPrefix(lines[1], "MONOTONIC_USEC=") {
		t.Fatalf("reload datagram %q", got)
	}
	if us, err := strconv.ParseInt(strings.TrimPrefix(lines[1], "MONOTONIC_USEC="), 10, 64); err != nil || us <= 0 {
		t.Fatalf("MONOTONIC_USEC %q: %v", lines[1], err)
	}
	for _, want := range []string{"READY=1", "STATUS=degraded", "STOPPING=1"} {
		if got := next(t, ch); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
}

func TestAbstractSocket(t *testing.T) {
	name := fmt.Sprintf("@sealgate-sdnotify-test-%d-%d", os.Getpid(), time.Now().UnixNano())
	ch := listen(t, name)
	t.Setenv("NOTIFY_SOCKET", name)
	FromEnv(nil).Stopping()
	if got := next(t, ch); got != "STOPPING=1" {
		t.Fatalf("got %q", got)
	}
}

func TestWatchdogKeepAlivesOnlyWhileAlive(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "notify")
	ch := listen(t, sock)
	t.Setenv("NOTIFY_SOCKET", sock)
	t.Setenv("WATCHDOG_USEC", "100000") // 100ms: a keep-alive every 50ms
	t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()))
	n := FromEnv(nil)
	if n.WatchdogInterval() != 100*time.Millisecond {
		t.Fatalf("interval %v", n.WatchdogInterval())
	}
	// 0: alive, 1: answers an error, 2: hangs until its context ends.
	var mode atomic.Int32
	alive := func(ctx context.Context) error {
		switch mode.Load() {
		case 1:
			return errors.New("audit log does not answer")
		case 2:
			<-ctx.Done()
			return ctx.Err()
		}
		return nil
	}
	var queued atomic.Int32
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		n.Watchdog(ctx, alive, func() string { return fmt.Sprintf("queue: %d", queued.Load()) })
		close(done)
	}()
	defer func() { cancel(); <-done }()

	count := func(d time.Duration) (keep int, status []string) {
		end := time.After(d)
		for {
			select {
			case s := <-ch:
				if s == "WATCHDOG=1" {
					keep++
				} else {
					status = append(status, s)
				}
			case <-end:
				return
			}
		}
	}
	if k, st := count(500 * time.Millisecond); k < 4 || len(st) != 1 || st[0] != "STATUS=queue: 0" {
		t.Fatalf("alive: %d keep-alives in 500ms (want about 10), status %q (want one)", k, st)
	}
	for _, m := range []int32{1, 2} {
		mode.Store(m)
		count(120 * time.Millisecond) // one in flight may still land
		if k, _ := count(400 * time.Millisecond); k != 0 {
			t.Fatalf("mode %d: %d keep-alives while not alive", m, k)
		}
	}
	mode.Store(0)
	queued.Store(3)
	if k, st := count(500 * time.Millisecond); k < 3 || len(st) != 1 || st[0] != "STATUS=queue: 3" {
		t.Fatalf("alive again: %d keep-alives, status %q", k, st)
	}
}

func TestWatchdogForAnotherPIDIsOff(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "notify")
	listen(t, sock)
	t.Setenv("NOTIFY_SOCKET", sock)
	t.Setenv("WATCHDOG_USEC", "100000")
	t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()+1))
	if d := FromEnv(nil).WatchdogInterval(); d != 0 {
		t.Fatalf("watchdog %v for another process", d)
	}
}
