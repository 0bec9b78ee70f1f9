package gateway

import (
	"bufio"
	"bytes"
	"io"
	"mime"
	"net/http"
	"net/textproto"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset"
	"github.com/emersion/go-smtp"

	"github.com/sealgate/sealgate/gateway/control"
	"github.com/sealgate/sealgate/internal/capture"
	"github.com/sealgate/sealgate/internal/passhash"
)

func TestSwaksStartTLSAuthArrivesByteIdenticalWithOneReceived(t *testing.T) {
	swaks := requireTool(t, "swaks")
	sink := startSink(t, "127.0.0.1:0")
	sinkAddr := sink.Addr()
	hash, _ := passhash.New([]byte("connector-password"), passhash.MinCost)
	// Relaying only by AUTH: the IP rule is replaced by a users rule.
	env := writeConfig(t, sinkAddr, "")
	cfg, _ := os.ReadFile(env.CfgPath)
	cfg = bytes.Replace(cfg, []byte("      allow_ips: [127.0.0.1]\n"),
		[]byte("      users:\n        - name: connector\n          password_hash: \""+string(hash)+"\"\n"), 1)
	os.WriteFile(env.CfgPath, cfg, 0o600)
	startGateway(t, env)

	body := "From: Dr A <a@clinic.test>\r\nTo: b@partner.test\r\nSubject: lab results\r\n" +
		"Message-ID: <swaks-1@clinic.test>\r\nDate: Sat, 28 Nov 2026 10:00:00 +0000\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		"Line one\r\n.leading dot line\r\n\r\nLast line with trailing spaces   \r\n"
	dataFile := filepath.Join(t.TempDir(), "msg.eml")
	// swaks ends DATA with "\r\n.\r\n" after the file, so the file leaves
	// out the final line break that the message then has.
	os.WriteFile(dataFile, []byte(strings.TrimSuffix(body, "\r\n")), 0o644)

	// Without AUTH, relaying is refused even over TLS.
	out, _ := exec.Command(swaks, "--server", env.Listen, "--tls", "--from", "a@clinic.test",
		"--to", "b@partner.test", "--data", "@"+dataFile).CombinedOutput()
	if !strings.Contains(string(out), "554 5.7.1") {
		t.Fatalf("unauthenticated relay not refused with 554 5.7.1:\n%s", out)
	}

	out, err := exec.Command(swaks, "--server", env.Listen, "--tls", "--auth", "PLAIN",
		"--auth-user", "connector", "--auth-password", "connector-password",
		"--from", "a@clinic.test", "--to", "b@partner.test", "--data", "@"+dataFile).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "250 2.0.0") {
		t.Fatalf("swaks failed: %v\n%s", err, out)
	}
	if !sink.WaitFor(20*time.Second, func(m []capture.Message) bool { return len(m) == 1 }) {
		t.Fatal("message did not reach the sink")
	}
	got := sink.Messages()[0]
	if got.From != "a@clinic.test" || len(got.Recipients) != 1 || got.Recipients[0] != "b@partner.test" {
		t.Fatalf("envelope changed: %q -> %v", got.From, got.Recipients)
	}
	// swaks sends the file as is; the sink must see our Received header
	// followed by exactly those bytes.
	data := string(got.Data)
	if !strings.HasPrefix(data, "Received: ") {
		t.Fatalf("no Received header first:\n%s", data)
	}
	rest := data[strings.Index(data, "\r\nFrom: ")+2:]
	if rest != body {
		t.Fatalf("body not byte-identical.\n got: %q\nwant: %q", rest, body)
	}
	hdr, _ := textproto.NewReader(bufio.NewReader(strings.NewReader(data))).ReadMIMEHeader()
	if n := len(hdr.Values("Received")); n != 1 {
		t.Fatalf("%d Received headers, want 1", n)
	}
	if !strings.Contains(hdr.Get("Received"), "ESMTPSA") {
		t.Errorf("Received does not record TLS+AUTH: %s", hdr.Get("Received"))
	}
}

func TestNextHopDownDefersThenFlushDelivers(t *testing.T) {
	// The next hop is down (its port kept, so no other test can take it).
	sink := startSink(t, "127.0.0.1:0")
	sink.SetDown(true)
	sinkAddr := sink.Addr()
	env := writeConfig(t, sinkAddr, "")
	g := startGateway(t, env)
	marker := "PHI-MARKER-7f3a9c2e"
	msg := strings.Replace(testMessage("a@clinic.test", "b@partner.test", "queued-1"), "Patient note queued-1", "Patient note "+marker, 1)
	if err := send(env.Listen, "a@clinic.test", []string{"b@partner.test", "c@partner.test"}, msg); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "a deferred attempt", func() bool {
		l := g.Relay().List()
		return len(l) == 1 && l[0].Recipients[0].Attempts >= 1
	})
	// While it sits in the queue, nothing under the data directory shows the body.
	if hits := grepDir(t, env.Dir+"/data", []byte(marker)); len(hits) > 0 {
		t.Fatalf("plaintext marker found at rest in %v", hits)
	}
	// Envelope addresses are sealed in the spool; the audit log records
	// them on purpose (who sent what to whom is the evidence).
	if hits := grepDir(t, env.Dir+"/data/spool", []byte("b@partner.test")); len(hits) > 0 {
		t.Fatalf("recipient address found in the spool in the clear in %v", hits)
	}
	e := g.Relay().List()[0]
	if e.Recipients[0].Status != "queued" {
		t.Fatalf("status %q after a failed attempt, want queued", e.Recipients[0].Status)
	}

	sink.SetDown(false)
	sock := filepath.Join(env.Dir, "data", "control.sock")
	if _, err := control.Do(sock, control.Request{Op: "flush"}, nil); err != nil {
		t.Fatal(err)
	}
	if !sink.WaitFor(20*time.Second, func(m []capture.Message) bool { return len(m) >= 1 }) {
		t.Fatal("not delivered after the next hop came back and flush")
	}
	m := sink.Messages()[0]
	if len(m.Recipients) != 2 || !bytes.Contains(m.Data, []byte(marker)) {
		t.Fatalf("wrong delivery: %v", m.Recipients)
	}
	waitFor(t, 10*time.Second, "an empty queue", func() bool { return g.Relay().Depth() == 0 })
}

func TestPermanentFailureSendsDSNToSender(t *testing.T) {
	sink := startSink(t, "127.0.0.1:0")
	sinkAddr := sink.Addr()
	sink.FailRecipient("nobody@partner.test", &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"})
	env := writeConfig(t, sinkAddr, "")
	startGateway(t, env)
	if err := send(env.Listen, "sender@clinic.test", []string{"ok@partner.test", "nobody@partner.test"},
		testMessage("sender@clinic.test", "ok@partner.test", "dsn-test")); err != nil {
		t.Fatal(err)
	}
	var dsn capture.Message
	if !sink.WaitFor(20*time.Second, func(ms []capture.Message) bool {
		for _, m := range ms {
			if m.From == "" {
				dsn = m
				return true
			}
		}
		return false
	}) {
		t.Fatal("no DSN reached the sender")
	}
	if len(dsn.Recipients) != 1 || dsn.Recipients[0] != "sender@clinic.test" {
		t.Fatalf("DSN went to %v", dsn.Recipients)
	}
	ent, err := message.Read(bytes.NewReader(dsn.Data))
	if err != nil {
		t.Fatal(err)
	}
	mt, params, _ := ent.Header.ContentType()
	if mt != "multipart/report" || params["report-type"] != "delivery-status" {
		t.Fatalf("DSN content type %s %v", mt, params)
	}
	mr := ent.MultipartReader()
	var status string
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if t2, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type")); t2 == "message/delivery-status" {
			b, _ := io.ReadAll(p.Body)
			status = string(b)
		}
	}
	for _, want := range []string{"Final-Recipient: rfc822;nobody@partner.test", "Action: failed", "Status: 5.1.1"} {
		if !strings.Contains(strings.ReplaceAll(status, "rfc822; ", "rfc822;"), want) {
			t.Errorf("delivery-status lacks %q:\n%s", want, status)
		}
	}
	if strings.Contains(status, "ok@partner.test") {
		t.Errorf("DSN reports the delivered recipient too:\n%s", status)
	}
}

func TestHealthAndMetricsEndpoints(t *testing.T) {
	sink := startSink(t, "127.0.0.1:0")
	env := writeConfig(t, sink.Addr(), "")
	g := startGateway(t, env)
	if err := send(env.Listen, "a@clinic.test", []string{"b@partner.test"}, testMessage("a@clinic.test", "b@partner.test", "m1")); err != nil {
		t.Fatal(err)
	}
	if !sink.WaitFor(20*time.Second, func(ms []capture.Message) bool { return len(ms) == 1 }) {
		t.Fatal("not delivered")
	}
	for path, want := range map[string]string{
		"/healthz": `"status":"ok"`,
		"/readyz":  `"status":"ok"`,
		"/metrics": "sealgate_policy_decisions_total{action=\"require_tls\",rule=\"default\"} 1",
	} {
		out := httpGet(t, "http://"+g.AdminAddr()+path)
		if !strings.Contains(string(out), want) {
			t.Errorf("%s lacks %q:\n%.500s", path, want, out)
		}
	}
}

// httpGet returns the body of a 200 answer; anything else fails the test
// (an endpoint that is down is a failure, not a reason to skip).
func httpGet(t *testing.T, url string) []byte {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s\n%.500s", url, resp.Status, body)
	}
	return body
}
