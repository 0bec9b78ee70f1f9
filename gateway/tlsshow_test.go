package gateway

import (
	"encoding/json"
	"path/filepath"
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
