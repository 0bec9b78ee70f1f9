package gateway

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sealgate/sealgate/gateway/audit"
)

// `sealgate api-key` makes the first key before the daemon ever ran, then
// lists and revokes through the running daemon; a revoked key is refused
// at once, and both changes are in the audit log.
func TestAPIKeyCommandsWithAndWithoutTheDaemon(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real daemon")
	}
	sink := startSink(t, "127.0.0.1:0")
	env := writeConfig(t, sink.Addr(), "")
	apiAddr := freeAddr(t)
	f, _ := os.OpenFile(env.CfgPath, os.O_APPEND|os.O_WRONLY, 0)
	fmt.Fprintf(f, "api:\n  enabled: true\n  listen: %s\n  cert_file: relay.crt\n  key_file: relay.key\n", apiAddr)
	f.Close()
	sealgate := func(args ...string) (string, error) {
		out, err := exec.Command(sealgateBinary(t), append([]string{"-c", env.CfgPath}, args...)...).CombinedOutput()
		return string(out), err
	}
	out, err := sealgate("api-key", "create", "--name", "ehr", "--scope", "send", "--json")
	if err != nil {
		t.Fatalf("create without a daemon: %v\n%s", err, out)
	}
	var created struct {
		Token string
		Key   struct{ ID string }
	}
	if err := json.Unmarshal([]byte(out), &created); err != nil || !strings.HasPrefix(created.Token, "sg_") {
		t.Fatalf("create: %q", out)
	}
	startDaemon(t, env)

	pem, _ := os.ReadFile(filepath.Join(env.Dir, "relay.crt"))
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, ServerName: "localhost"}}}
	sendOne := func() (int, string) {
		body := `{"from":"reminders@clinic.test","to":["pat@partner.test"],"subject":"Appointment","text":"See you Tuesday at 9."}`
		req, _ := http.NewRequest("POST", "https://"+apiAddr+"/v1/messages", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+created.Token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if status, body := sendOne(); status != http.StatusAccepted {
		t.Fatalf("send with the new key: %d %s", status, body)
	}
	if out, err := sealgate("api-key", "list"); err != nil || !strings.Contains(out, created.Key.ID) || !strings.Contains(out, "active") {
		t.Fatalf("list through the daemon: %v\n%s", err, out)
	}
	if out, err := sealgate("api-key", "revoke", created.Key.ID); err != nil {
		t.Fatalf("revoke: %v\n%s", err, out)
	}
	if status, body := sendOne(); status != http.StatusUnauthorized || !strings.Contains(body, "key-revoked") {
		t.Fatalf("send with the revoked key: %d %s", status, body)
	}
	if out, err := sealgate("api-key", "revoke", "nosuchkey"); err == nil || !strings.Contains(out, "no API key") {
		t.Errorf("revoking an unknown key: %v %s", err, out)
	}
	var events []string
	audit.Scan(filepath.Join(env.Dir, "data", "audit"), audit.Filter{Types: []string{audit.TypeAPIKey}}, func(r audit.Record) error {
		if bytes.Contains(r.Data, []byte(created.Token)) {
			t.Errorf("the audit log holds the token")
		}
		events = append(events, string(r.Data))
		return nil
	})
	// Made before the daemon ran: only the revocation is the daemon's to record.
	if len(events) != 1 || !strings.Contains(events[0], `"revoked"`) || !strings.Contains(events[0], created.Key.ID) {
		t.Errorf("api_key records: %v", events)
	}
}
