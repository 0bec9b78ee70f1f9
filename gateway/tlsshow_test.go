package gateway

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sealgate/sealgate/gateway/control"
	"github.com/sealgate/sealgate/gateway/relay"
)

// With a smarthost, `sealgate tls show` names it and its level: the
// recipient domain's MX default would be a wrong answer.
func TestTLSShowWithSmarthostNamesItsLevel(t *testing.T) {
	sink := startSink(t, "127.0.0.1:0")
	env := writeConfig(t, sink.Addr(), "")
	startGateway(t, env)
	var st relay.TLSState
	resp, err := control.Do(filepath.Join(env.Dir, "data", "control.sock"), control.Request{Op: "tls-show", ID: "partner.test"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(resp.Data, &st); err != nil {
		t.Fatal(err)
	}
	if st.Smarthost != sink.Addr() || st.SmarthostTLS != "may" {
		t.Fatalf("tls-show with a smarthost: %+v, want smarthost %s at may", st, sink.Addr())
	}
}

// `policy test` asks the running daemon the selector's TLS question, so it
// shows the method the daemon would choose; --offline does not ask.
func TestPolicyTestAsksTheDaemonForTLSCapability(t *testing.T) {
	sink := startSink(t, "127.0.0.1:0")
	env := writeConfig(t, sink.Addr(), "")
	startGateway(t, env)
	msg := filepath.Join(env.Dir, "phi.eml")
	os.WriteFile(msg, []byte("From: a@clinic.test\r\nTo: b@partner.test\r\nSubject: labs\r\n\r\nPatient SSN 078-05-1121, MRN 4455667, diagnosis E11.9\r\n"), 0o600)
	run := func(args ...string) string {
		out, err := exec.Command(sealgateBinary(t), append([]string{"policy", "test", "-c", env.CfgPath}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("policy test %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	// The smarthost is at "may": the daemon's relay cannot guarantee
	// verified TLS, so tls is skipped, as the daemon's own selector would.
	if out := run(msg); !strings.Contains(out, "TLS as the running daemon knows it") ||
		!strings.Contains(out, "tls: cannot guarantee verified TLS to partner.test now (admin)") {
		t.Fatalf("online:\n%s", out)
	}
	if out := run("--offline", msg); !strings.Contains(out, "--offline: local keys") || strings.Contains(out, "(admin)") {
		t.Fatalf("offline:\n%s", out)
	}
}
