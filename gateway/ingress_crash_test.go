package gateway

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sealgate/sealgate/gateway/audit"
	"github.com/sealgate/sealgate/internal/capture"
)

// kill -9 of the daemon under ingress load, twice, with the audit log's
// live segment written into zeros ahead of it: after each restart every
// message that got a 250 has its durable "received" record and is
// delivered, and the audit chain verifies (a restart finds the true end
// of the log inside the zeros, and a closed segment holds none).
func TestKill9DuringIngressKeepsEvery250AndTheAuditChain(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills a real daemon")
	}
	sink := startSink(t, "127.0.0.1:0")
	env := writeConfig(t, sink.Addr(), "")
	auditDir := filepath.Join(env.Dir, "data", "audit")
	var accepted []string
	for round := 0; round < 2; round++ {
		d := startDaemon(t, env)
		const clients, perClient, killAfter = 10, 15, 40
		var (
			mu     sync.Mutex
			count  atomic.Int32
			killed = make(chan struct{})
			wg     sync.WaitGroup
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
					marker := fmt.Sprintf("ingress-%d-%02d-%02d", round, c, i)
					if send(env.Listen, "a@clinic.test", []string{"b@partner.test"}, testMessage("a@clinic.test", "b@partner.test", marker)) == nil {
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
	}
	d := startDaemon(t, env)
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
		t.Fatalf("%d messages that got 250 lost after two kill -9s: %v", len(miss), miss)
	}
	d.kill9(t) // a third time, idle: the next Open must find the end again
	startDaemon(t, env)

	received := map[string]bool{}
	if err := audit.Scan(auditDir, audit.Filter{Types: []string{audit.TypeReceived}}, func(r audit.Record) error {
		received[strings.TrimSuffix(strings.Trim(r.MessageID, "<>"), "@clinic.test")] = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, a := range accepted {
		if !received[a] {
			t.Errorf("%s got 250 but has no received record", a)
		}
	}
	res, err := audit.Verify(auditDir, auditPub(t, env), "")
	if err != nil || res.Problem != nil {
		t.Fatalf("audit chain after the kills: %+v %v", res, err)
	}
	segs, _ := filepath.Glob(filepath.Join(auditDir, "audit-*.jsonl"))
	for _, s := range segs[:max(len(segs)-1, 0)] {
		if b, _ := os.ReadFile(s); bytes.IndexByte(b, 0) >= 0 {
			t.Errorf("closed segment %s holds zeros", filepath.Base(s))
		}
	}
	t.Logf("%d messages got 250 across two kills; all delivered and recorded; %d records verify", len(accepted), res.Records)
}
