package gateway

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/sealgate/sealgate/gateway/audit"
	"github.com/sealgate/sealgate/internal/capture"
)

// The webhook receiver is down while mail flows, and the daemon is killed
// with -9 in between: once both are back, every event of every message has
// arrived at least once, signed, and each message's events in order.
func TestWebhooksSurviveReceiverDownAndKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills a real daemon")
	}
	sink := startSink(t, "127.0.0.1:0")
	env := writeConfig(t, sink.Addr(), "")
	hooks := startHookReceiver(t, "127.0.0.1:0", env.Dir, "hook.secret")
	hooks.setDown(true)
	f, err := os.OpenFile(env.CfgPath, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, `webhooks:
  allow_loopback_http: true
  retry_min: 100ms
  retry_max: 500ms
  endpoints:
    - id: crm
      url: %s
      events: ["message.*"]
      secret_file: hook.secret
`, hooks.url)
	f.Close()

	d := startDaemon(t, env)
	const n = 30
	for i := range n {
		marker := fmt.Sprintf("hook-%02d", i)
		if err := send(env.Listen, "a@clinic.test", []string{"b@partner.test"}, testMessage("a@clinic.test", "b@partner.test", marker)); err != nil {
			t.Fatal(err)
		}
	}
	if !sink.WaitFor(60*time.Second, func(ms []capture.Message) bool { return len(ms) >= n }) {
		t.Fatalf("%d of %d messages delivered", sink.Count(), n)
	}
	// The events are in the outbox and being refused when the daemon dies.
	waitFor(t, 30*time.Second, "webhook attempts against the receiver that is down", func() bool {
		hooks.mu.Lock()
		defer hooks.mu.Unlock()
		return hooks.posts >= 3
	})
	d.kill9(t)
	hooks.setDown(false)
	startDaemon(t, env)

	var ids []string
	audit.Scan(filepath.Join(env.Dir, "data", "audit"), audit.Filter{Types: []string{audit.TypeReceived}}, func(r audit.Record) error {
		ids = append(ids, r.MsgID)
		return nil
	})
	if len(ids) != n {
		t.Fatalf("%d received records for %d messages", len(ids), n)
	}
	complete := func() []string {
		var missing []string
		for _, id := range ids {
			got := hooks.types(id)
			if !slices.Equal(got, []string{"message.accepted", "message.delivered b@partner.test"}) {
				missing = append(missing, fmt.Sprintf("%s: %v", id, got))
			}
		}
		return missing
	}
	deadline := time.Now().Add(60 * time.Second)
	for len(complete()) > 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if m := complete(); len(m) > 0 {
		t.Fatalf("%d of %d messages without their events in order after the restart: %v", len(m), n, m[:min(len(m), 5)])
	}
	hooks.mu.Lock()
	defer hooks.mu.Unlock()
	if hooks.bad != 0 {
		t.Errorf("%d deliveries with a signature that does not verify", hooks.bad)
	}
	t.Logf("%d events of %d messages arrived after kill -9, %d posts in all (refused, retried and duplicates included)", len(hooks.events), n, hooks.posts)
}
