package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/csv"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sealgate/sealgate/gateway/audit"
)

// auditFixture writes one message's story (and one rejection) to a log.
func auditFixture(t *testing.T) (dir, pubHex string) {
	t.Helper()
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	dir = t.TempDir()
	l, err := audit.Open(audit.Options{Dir: dir, SigningKey: key})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range []audit.Event{
		{Type: audit.TypeReceived, MsgID: "m1", MessageID: "<1@clinic.example>", Data: audit.Received{ClientIP: "127.0.0.1", TLSVersion: "TLS1.3", From: "dr@clinic.example", Recipients: []string{"a@hospital.example", "b@other.example"}, Size: 1234}},
		{Type: audit.TypeDecision, MsgID: "m1", Data: audit.Decision{PolicyHash: "abc", Rule: "phi-encrypt", Action: "encrypt", Findings: map[string]int{"ssn": 2},
			Recipients: []audit.RecipientMethod{{Addr: "a@hospital.example", Method: "tls", Reason: "dane"}, {Addr: "b@other.example", Method: "portal"}}}},
		{Type: audit.TypeDelivery, MsgID: "m1", Data: audit.Delivery{Recipient: "a@hospital.example", Outcome: "delivered", TLSVersion: "TLS1.3", TLSVerified: true, TLSAuth: "dane"}},
		{Type: audit.TypeDelivery, MsgID: "m1", Data: audit.Delivery{Recipient: "b@other.example", Outcome: "bounced", Reply: "550 5.1.1 no such user"}},
		{Type: audit.TypeRejected, MsgID: "m2", Data: audit.Rejected{Stage: "rcpt", Code: 554, Enhanced: "5.7.1", Reason: "relay denied"}},
	} {
		if _, err := l.Append(ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return dir, hex.EncodeToString(pub)
}

func TestAuditVerifyPrintsOKThenTamperedWithPlace(t *testing.T) {
	dir, pub := auditFixture(t)
	out, code := runCLI(t, "audit", "verify", "--dir", dir, "--pubkey", pub)
	if code != 0 || !strings.HasPrefix(out, "OK: 6 records in 1 segments, 1 checkpoints, last seq 6\n") {
		t.Fatalf("exit %d: %q", code, out)
	}
	segs, _ := filepath.Glob(filepath.Join(dir, "audit-*.jsonl"))
	b, _ := os.ReadFile(segs[0])
	os.WriteFile(segs[0], bytes.Replace(b, []byte(`"size":1234`), []byte(`"size":1235`), 1), 0o600)
	out, code = runCLI(t, "audit", "verify", "--dir", dir, "--pubkey", pub)
	want := "TAMPERED: " + filepath.Base(segs[0]) + ":2 seq 2: prev does not match"
	if code != 1 || !strings.HasPrefix(out, want) {
		t.Fatalf("exit %d: %q, want %q", code, out, want)
	}
}

func TestAuditShowPrintsTheWholeStoryOfOneMessage(t *testing.T) {
	dir, _ := auditFixture(t)
	out, code := runCLI(t, "audit", "show", "m1", "--dir", dir)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 4 || !strings.Contains(lines[0], "received") || !strings.Contains(lines[1], "decision") ||
		!strings.Contains(lines[1], "recipients=a@hospital.example:tls:dane;b@other.example:portal") || !strings.Contains(lines[3], "bounced") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	out, _ = runCLI(t, "audit", "show", "m1", "--json", "--dir", dir)
	if strings.Count(out, `"msg_id":"m1"`) != 4 {
		t.Fatalf("json:\n%s", out)
	}
}

func TestAuditExportFiltersByTypeAndRecipientDomain(t *testing.T) {
	dir, _ := auditFixture(t)
	out, code := runCLI(t, "audit", "export", "--dir", dir, "--since", "24h", "--type", "delivery", "--recipient-domain", "hospital.example", "--format", "csv")
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if code != 0 || err != nil || len(rows) != 2 {
		t.Fatalf("exit %d %v:\n%s", code, err, out)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	if rows[1][col["recipient"]] != "a@hospital.example" || rows[1][col["tls_verified"]] != "true" || rows[1][col["type"]] != "delivery" {
		t.Fatalf("row %v", rows[1])
	}
	out, _ = runCLI(t, "audit", "export", "--dir", dir, "--format", "json", "--since", "2000-01-01")
	if strings.Count(out, "\n") != 6 {
		t.Fatalf("json export:\n%s", out)
	}
}

func TestAuditReportCountsActionsMethodsTLSAndBounces(t *testing.T) {
	dir, _ := auditFixture(t)
	out, code := runCLI(t, "audit", "report", "--dir", dir, "--format", "csv")
	for _, want := range []string{"actions,encrypt,1", "methods (per recipient),portal,1", "policy rules,phi-encrypt,1",
		"\"deliveries\",\"delivered, TLS certificate verified\",1", "deliveries,bounced,1", "rejected by stage,rcpt,1"} {
		want = strings.ReplaceAll(want, `"`, "")
		if !strings.Contains(strings.ReplaceAll(out, `"`, ""), want) {
			t.Fatalf("exit %d: report lacks %q:\n%s", code, want, out)
		}
	}
	out, code = runCLI(t, "audit", "report", "--dir", dir)
	if code != 0 || !strings.Contains(out, "delivered, TLS certificate verified") {
		t.Fatalf("text report:\n%s", out)
	}
}

func TestAuditTailPrintsLastRecords(t *testing.T) {
	dir, _ := auditFixture(t)
	out, code := runCLI(t, "audit", "tail", "-n", "2", "--dir", dir)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 2 || !strings.Contains(lines[1], "checkpoint") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

// The attempt and quarantined records are shown, filtered by recipient
// domain, exported with their own columns, counted and verified.
func TestAuditShowsAttemptAndQuarantinedRecords(t *testing.T) {
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	dir := t.TempDir()
	l, err := audit.Open(audit.Options{Dir: dir, SigningKey: key})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range []audit.Event{
		{Type: audit.TypeAttempt, MsgID: "m1", Data: audit.Attempt{Recipients: []string{"a@hospital.example"}, Destination: "hospital.example", Copy: "pgp-1", Attempt: 2}},
		{Type: audit.TypeDelivery, MsgID: "m1", Data: audit.Delivery{Recipient: "a@hospital.example", Outcome: "delivered", Attempt: 2}},
		{Type: audit.TypeQuarantined, MsgID: "m2", Data: audit.Quarantined{File: "quarantine/m2", EnvelopeReadable: true, From: "dr@clinic.example", Recipients: []string{"b@hospital.example"}}},
	} {
		if _, err := l.Append(ev); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	out, code := runCLI(t, "audit", "show", "m1", "--dir", dir)
	if code != 0 || !strings.Contains(out, "attempt") || !strings.Contains(out, "destination=hospital.example") || !strings.Contains(out, "copy=pgp-1") {
		t.Fatalf("show: exit %d\n%s", code, out)
	}
	out, code = runCLI(t, "audit", "export", "--dir", dir, "--since", "24h", "--recipient-domain", "hospital.example", "--format", "csv")
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if code != 0 || err != nil || len(rows) != 4 {
		t.Fatalf("export: exit %d %v:\n%s", code, err, out)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	if rows[1][col["destination"]] != "hospital.example" || rows[1][col["copy"]] != "pgp-1" || rows[3][col["envelope_readable"]] != "true" {
		t.Fatalf("export rows %v", rows)
	}
	out, code = runCLI(t, "audit", "report", "--dir", dir, "--format", "csv")
	if code != 0 || !strings.Contains(out, "messages quarantined (damaged in the spool),1") {
		t.Fatalf("report: exit %d\n%s", code, out)
	}
	out, code = runCLI(t, "audit", "verify", "--dir", dir, "--pubkey", hex.EncodeToString(pub))
	if code != 0 || !strings.HasPrefix(out, "OK: 4 records") {
		t.Fatalf("verify: exit %d %q", code, out)
	}
}
