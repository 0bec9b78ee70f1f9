package gateway

import (
	"context"
	"fmt"
	"strings"
)

// Alive answers nil when the parts that must keep moving answer: the
// relay's delivery scheduler takes a ping, and the audit log and the spool
// answer their health question (each takes its lock, so a writer stuck in
// I/O shows here). It is what the systemd watchdog keep-alive waits for.
// A failed (full, read-only) disk is not "not alive": the daemon refuses
// mail with 4xx and recovers by itself, so a restart would not help;
// StatusLine reports it. A wedged part may make Alive block: callers bound
// it (the sdnotify watchdog does).
func (g *Gateway) Alive(ctx context.Context) error {
	if g.relay == nil || g.audit == nil || g.spool == nil {
		return fmt.Errorf("gateway: not started")
	}
	if err := g.relay.Alive(ctx); err != nil {
		return err
	}
	_ = g.audit.Healthy()
	_ = g.spool.Healthy()
	return ctx.Err()
}

// StatusLine is the one-line state for systemd's STATUS=: queue sizes by
// state and whether the spool or the audit log refuses writes. Counts and
// states only, never message content.
func (g *Gateway) StatusLine() string {
	if g.relay == nil {
		return "starting"
	}
	st := g.relay.QueueStats()
	s := fmt.Sprintf("queue: %d active, %d deferred, %d held", st["active"].Count, st["deferred"].Count, st["held"].Count)
	var bad []string
	if g.spool.Healthy() != nil {
		bad = append(bad, "spool")
	}
	if g.audit.Healthy() != nil {
		bad = append(bad, "audit log")
	}
	if len(bad) > 0 {
		s += "; degraded: " + strings.Join(bad, " and ") + " not writable, mail deferred with 4xx"
	}
	return s
}
