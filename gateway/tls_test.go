package gateway

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sealgate/sealgate/gateway/audit"
	"github.com/sealgate/sealgate/gateway/control"
	"github.com/sealgate/sealgate/gateway/relay"
)

func TestTLSResetOverControlSocketIsAudited(t *testing.T) {
	sink := startSink(t, "127.0.0.1:0")
	env := writeConfig(t, sink.Addr(), "")
	f, err := os.OpenFile(env.CfgPath, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("  downgrade_memory: true\n")
	f.Close()
	startGateway(t, env)
	if _, err := os.Stat(filepath.Join(env.Dir, "data", "tls-memory.db")); err != nil {
		t.Fatalf("downgrade memory file: %v", err)
	}
	sock := filepath.Join(env.Dir, "data", "control.sock")
	resp, err := control.Do(sock, control.Request{Op: "tls-show", ID: "Partner.test"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var st relay.TLSState
	if err := json.Unmarshal(resp.Data, &st); err != nil || st.Domain != "partner.test" || st.MemoryOff {
		t.Fatalf("tls-show: %+v %v", st, err)
	}
	if _, err := control.Do(sock, control.Request{Op: "tls-reset", ID: "partner.test"}, nil); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range auditRecords(t, env) {
		if r.Type == audit.TypeQueueOp {
			var q audit.QueueOp
			json.Unmarshal(r.Data, &q)
			if q.Op == "tls_reset" && strings.Contains(q.Result, "partner.test") && strings.HasPrefix(q.Actor, "uid=") {
				found = true
			}
		}
	}
	if !found {
		t.Fatal("no tls_reset queue op in the audit log")
	}
}
