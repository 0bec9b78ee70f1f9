// Package sdnotify tells systemd what the daemon is doing (sd_notify(3)):
// READY=1 once it serves, RELOADING=1 ... READY=1 around a reload, STATUS=
// lines, STOPPING=1, and WATCHDOG=1 keep-alives while it is alive.
//
// The datagrams are sent by github.com/coreos/go-systemd/v22/daemon (a
// unixgram write to $NOTIFY_SOCKET; a name starting with "@" is an abstract
// socket). Without NOTIFY_SOCKET every call does nothing, so `sealgate
// serve` behaves the same outside systemd. The environment is left set: the
// daemon notifies for its whole life, and the unit's NotifyAccess=main makes
// systemd ignore anything a child process might send.
//
// The watchdog is liveness, not health: WATCHDOG=1 is sent only when the
// alive check answers in time, so a wedged daemon (a stuck lock, a dead
// delivery loop) stops sending and systemd restarts it. A full disk is not
// a reason to restart (the daemon already refuses mail with 4xx and
// recovers by itself); callers report that in STATUS= instead.
package sdnotify

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
	"golang.org/x/sys/unix"
)

// Notifier sends the daemon's state to systemd. The zero value and one
// made without NOTIFY_SOCKET do nothing.
type Notifier struct {
	enabled  bool
	watchdog time.Duration // WATCHDOG_USEC; 0 = no watchdog
	log      *slog.Logger
}

// FromEnv reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID. An invalid
// WATCHDOG_USEC is logged and the watchdog stays off: systemd will then
// restart the daemon, which says clearly that something is wrong.
func FromEnv(log *slog.Logger) *Notifier {
	if log == nil {
		log = slog.Default()
	}
	n := &Notifier{log: log}
	if os.Getenv("NOTIFY_SOCKET") == "" {
		return n
	}
	n.enabled = true
	wd, err := daemon.SdWatchdogEnabled(false)
	if err != nil {
		log.Warn("sdnotify: invalid WATCHDOG_USEC; no watchdog keep-alives", "err", err)
	}
	n.watchdog = wd
	return n
}

// Enabled reports whether NOTIFY_SOCKET is set.
func (n *Notifier) Enabled() bool { return n != nil && n.enabled }

// WatchdogInterval is WATCHDOG_USEC (0 when systemd has no watchdog for us).
func (n *Notifier) WatchdogInterval() time.Duration {
	if !n.Enabled() {
		return 0
	}
	return n.watchdog
}

// send writes one datagram; a failure is logged, never fatal: systemd
// that cannot be told is no reason to stop delivering mail.
func (n *Notifier) send(state string) {
	if !n.Enabled() {
		return
	}
	if _, err := daemon.SdNotify(false, state); err != nil {
		n.log.Warn("sdnotify: cannot notify systemd", "err", err)
	}
}

// Ready says the daemon serves (after start, and after a reload).
func (n *Notifier) Ready(status string) {
	n.send(join(daemon.SdNotifyReady, status))
}

// Reloading says a reload has begun. MONOTONIC_USEC is the CLOCK_MONOTONIC
// time that systemd 253+ wants with it for Type=notify-reload; older
// versions ignore it.
func (n *Notifier) Reloading() {
	if !n.Enabled() {
		return
	}
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		n.send(daemon.SdNotifyReloading)
		return
	}
	n.send(fmt.Sprintf("%s\nMONOTONIC_USEC=%d", daemon.SdNotifyReloading, ts.Nano()/1000))
}

// Stopping says shutdown has begun.
func (n *Notifier) Stopping() { n.send(daemon.SdNotifyStopping) }

// Status sets the one-line status `systemctl status` shows. It must never
// carry message content: counts and states only.
func (n *Notifier) Status(status string) { n.send(join("", status)) }

func join(state, status string) string {
	if status == "" {
		return state
	}
	if state == "" {
		return "STATUS=" + status
	}
	return state + "\nSTATUS=" + status
}

// Watchdog sends WATCHDOG=1 every WatchdogInterval/2 while alive answers nil
// within that time, and STATUS= when status() changes, until ctx ends. It
// returns at once when systemd has no watchdog for us and status is nil.
// alive runs in its own goroutine: a check that hangs is the very thing to
// detect, and it is not started again until it has returned.
func (n *Notifier) Watchdog(ctx context.Context, alive func(context.Context) error, status func() string) {
	if !n.Enabled() {
		return
	}
	every := n.watchdog / 2
	if every <= 0 {
		if status == nil {
			return
		}
		every = 10 * time.Second // STATUS= updates only
	}
	t := time.NewTicker(every)
	defer t.Stop()
	var (
		last    string
		failing bool
		done    chan error // the running alive check, nil when none
	)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if status != nil {
			if s := status(); s != last {
				last = s
				n.Status(s)
			}
		}
		if n.watchdog <= 0 {
			continue
		}
		if done == nil {
			done = make(chan error, 1)
			go func(ch chan<- error) {
				cctx, cancel := context.WithTimeout(ctx, every)
				defer cancel()
				ch <- alive(cctx)
			}(done)
		}
		var err error
		select {
		case err = <-done:
			done = nil
		case <-time.After(every):
			err = fmt.Errorf("sdnotify: alive check did not answer within %s", every)
		case <-ctx.Done():
			return
		}
		if err != nil {
			if !failing {
				n.log.Error("sdnotify: daemon not alive; withholding watchdog keep-alives so systemd restarts it", "err", err)
			}
			failing = true
			continue
		}
		if failing {
			n.log.Info("sdnotify: daemon alive again; watchdog keep-alives resume")
			failing = false
		}
		n.send(daemon.SdNotifyWatchdog)
	}
}
