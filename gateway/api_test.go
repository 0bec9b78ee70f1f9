package gateway

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sealgate/sealgate/envelope"
	"github.com/sealgate/sealgate/gateway/audit"
	"github.com/sealgate/sealgate/internal/capture"
	"github.com/sealgate/sealgate/policy"
)

type sendAnswer struct {
	ID         string
	Action     string
	Recipients []struct{ Address, Method string }
}

// phiJSON is a message with PHI, as an EHR would send it by API.
func phiJSON(subject string) map[string]any {
	return map[string]any{
		"from":    "Dr Who <dr@clinic.test>",
		"to":      []string{"bob@partner.test", "carol@partner.test", "dana@verified.test"},
		"bcc":     []string{"erin@home.test"},
		"subject": subject,
		"text":    "Patient: Zebulon Quackenbush\nSSN: 078-05-1121\nMRN: 99887766\n" + bodyMarker + "\n",
		"attachments": []map[string]string{{"filename": "note.txt", "content_type": "text/plain",
			"content": "YXR0YWNobWVudCBtYXJrZXI="}}, // "attachment marker"
		"tags":     []string{"lab-results"},
		"metadata": map[string]string{"encounter": "E-4411"},
	}
}

// A message sent by API takes the SMTP path: the same audit records, the
// same per-recipient methods (checked by openssl and gpg), Bcc kept off
// every copy, status and signed webhooks back; a retry with the same
// Idempotency-Key sends nothing twice.
func TestAPISendGoesThroughPolicyEncryptionAndWebhooks(t *testing.T) {
	dir := t.TempDir()
	hooks := startHookReceiver(t, "127.0.0.1:0", dir, "hook.secret")
	apiAddr := freeAddr(t)
	w := newPortalWorld(t, apiConfig(t, apiAddr, hooks.url))
	copyFile(t, dir+"/hook.secret", w.env.Dir+"/hook.secret")
	bobCert, smimeDecrypt := smimeRecipient(t, "bob@partner.test")
	carolKey, pgpDecrypt := gpgRecipient(t, "carol@partner.test")
	importKey(t, w.env, "bob.crt", bobCert)
	importKey(t, w.env, "carol.asc", carolKey)
	sendTok, _ := newKey(t, w.env, "ehr", "send")
	readTok, _ := newKey(t, w.env, "compliance", "read")
	w.start(t)
	c := w.apiClient(t, sendTok)

	status, hdr, body := c.json("POST", "/v1/messages", phiJSON("Lab results"), "Idempotency-Key", "order-1")
	if status != http.StatusAccepted {
		t.Fatalf("send: %d %s", status, body)
	}
	var ans sendAnswer
	json.Unmarshal(body, &ans)
	if hdr.Get("Location") != "/v1/messages/"+ans.ID {
		t.Errorf("Location %q for %s", hdr.Get("Location"), ans.ID)
	}
	want := "bob@partner.test=smime carol@partner.test=pgp dana@verified.test=tls-verified erin@home.test=portal"
	if got := sortedMethods(ans.Recipients); got != want || ans.Action != "encrypt" {
		t.Fatalf("planned: %s %s, want encrypt %s", ans.Action, got, want)
	}

	// Four copies and the portal notice leave; each opens with an
	// independent tool, and none names the Bcc recipient.
	if !w.sink.WaitFor(60*time.Second, func(ms []capture.Message) bool { return len(ms) >= 4 }) {
		t.Fatalf("%d copies arrived", w.sink.Count())
	}
	for _, m := range w.sink.Messages() {
		if bytes.Contains(m.Data, []byte("erin@home.test")) && !slices.Contains(m.Recipients, "erin@home.test") {
			t.Errorf("copy to %v names the Bcc recipient", m.Recipients)
		}
		switch {
		case slices.Contains(m.Recipients, "bob@partner.test"):
			if p := smimeDecrypt(m.Data); !strings.Contains(p, bodyMarker) {
				t.Errorf("S/MIME copy does not hold the text")
			}
		case slices.Contains(m.Recipients, "carol@partner.test"):
			i, j := bytes.Index(m.Data, []byte("-----BEGIN PGP MESSAGE-----")), bytes.Index(m.Data, []byte("-----END PGP MESSAGE-----"))
			if i < 0 || j < 0 || !strings.Contains(pgpDecrypt(m.Data[i:j+25]), bodyMarker) {
				t.Errorf("PGP copy does not hold the text")
			}
		case slices.Contains(m.Recipients, "erin@home.test"):
			if bytes.Contains(m.Data, []byte(bodyMarker)) {
				t.Errorf("the portal notice carries the message")
			}
		}
	}

	// The same records as an SMTP message: received (listener api), decision, delivery.
	types := map[string]bool{}
	audit.Scan(w.env.Dir+"/data/audit", audit.Filter{MsgID: ans.ID}, func(r audit.Record) error {
		types[r.Type] = true
		if r.Type == audit.TypeReceived && !bytes.Contains(r.Data, []byte(`"listener":"api"`)) {
			t.Errorf("received record: %s", r.Data)
		}
		return nil
	})
	for _, ty := range []string{"received", "decision", "attempt", "delivery"} {
		if !types[ty] {
			t.Errorf("no %s record for the API message (have %v)", ty, types)
		}
	}

	// A retry of the same request sends nothing new; a different body under
	// the same key is refused.
	n := w.sink.Count()
	status, hdr, body = c.json("POST", "/v1/messages", phiJSON("Lab results"), "Idempotency-Key", "order-1")
	var again sendAnswer
	json.Unmarshal(body, &again)
	if status != http.StatusOK || again.ID != ans.ID || hdr.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("retry: %d %s (%s), want 200 with %s replayed", status, body, hdr.Get("Idempotent-Replayed"), ans.ID)
	}
	if status, _, body = c.json("POST", "/v1/messages", phiJSON("Other results"), "Idempotency-Key", "order-1"); status != http.StatusConflict ||
		!strings.Contains(string(body), "idempotency") {
		t.Errorf("other body, same key: %d %s", status, body)
	}

	// Status per recipient, with the TLS evidence of the delivery.
	rc := w.apiClient(t, readTok)
	waitFor(t, 30*time.Second, "every recipient delivered or notified", func() bool {
		_, _, b := rc.do("GET", "/v1/messages/"+ans.ID, "", nil)
		var st struct {
			Tags       []string
			Metadata   map[string]string
			Recipients []struct {
				Address, Status string
				TLS             *struct{ Verified bool }
			}
		}
		json.Unmarshal(b, &st)
		done := 0
		for _, r := range st.Recipients {
			if r.Status == "delivered" || strings.HasPrefix(r.Status, "portal_") {
				done++
			}
			if r.Address == "dana@verified.test" && r.Status == "delivered" && (r.TLS == nil || !r.TLS.Verified) {
				t.Errorf("dana delivered without verified TLS evidence: %s", b)
			}
		}
		return done == 4 && slices.Equal(st.Tags, []string{"lab-results"}) && st.Metadata["encounter"] == "E-4411"
	})
	if w.sink.Count() != n {
		t.Errorf("the idempotent retry delivered %d more copies", w.sink.Count()-n)
	}

	// Signed webhooks: accepted, then a delivery per recipient, with tags.
	waitFor(t, 30*time.Second, "webhooks for every recipient", func() bool {
		got := hooks.types(ans.ID)
		want := []string{"message.accepted", "portal.notified erin@home.test", "message.delivered bob@partner.test",
			"message.delivered carol@partner.test", "message.delivered dana@verified.test"}
		if !slices.ContainsFunc(want, func(w string) bool { return !slices.Contains(got, w) }) {
			return true
		}
		t.Logf("events so far: %v", got)
		return false
	})
	got := hooks.types(ans.ID)
	t.Logf("events of %s: %v (posts %d)", ans.ID, got, hooks.posts)
	if got[0] != "message.accepted" {
		t.Errorf("first event %q, want message.accepted (all: %v)", got[0], got)
	}
	for _, r := range []string{"bob@partner.test", "carol@partner.test", "dana@verified.test"} {
		if !slices.Contains(got, "message.delivered "+r) {
			t.Errorf("no message.delivered for %s: %v", r, got)
		}
	}
	for _, e := range hooks.snapshot() {
		if e.data.MsgID == ans.ID && !slices.Equal(e.data.Tags, []string{"lab-results"}) {
			t.Errorf("%s without the sender's tags", e.Type)
		}
		if bytes.Contains(e.Data, []byte("Quackenbush")) || bytes.Contains(e.Data, []byte("Lab results")) {
			t.Errorf("%s carries message content", e.Type)
		}
	}
	if hooks.bad != 0 {
		t.Errorf("%d webhook deliveries failed signature verification", hooks.bad)
	}

	// Scopes: a send key cannot read the audit log; a read key can.
	if status, _, body := c.do("GET", "/v1/audit?since=1h", "", nil); status != http.StatusForbidden || !strings.Contains(string(body), "problem") {
		t.Errorf("send key reading the audit log: %d %s", status, body)
	}
	if status, _, body := rc.do("GET", "/v1/audit?msg_id="+ans.ID, "", nil); status != http.StatusOK || !bytes.Contains(body, []byte(`"type":"decision"`)) {
		t.Errorf("read key reading the audit log: %d %.300s", status, body)
	}
	// Every call is audited with its key.
	calls := 0
	audit.Scan(w.env.Dir+"/data/audit", audit.Filter{Types: []string{audit.TypeAPICall}}, func(r audit.Record) error {
		calls++
		return nil
	})
	if calls < 5 {
		t.Errorf("%d api_call records", calls)
	}
}

// Raw RFC 5322 by API: LF endings are fixed, the envelope comes from the
// headers, and the Bcc header never leaves.
func TestAPISendRawAndBatch(t *testing.T) {
	dir := t.TempDir()
	hooks := startHookReceiver(t, "127.0.0.1:0", dir, "hook.secret")
	w := newPortalWorld(t, apiConfig(t, freeAddr(t), hooks.url))
	copyFile(t, dir+"/hook.secret", w.env.Dir+"/hook.secret")
	tok, _ := newKey(t, w.env, "billing", "send")
	w.start(t)
	c := w.apiClient(t, tok)

	raw := "From: billing@clinic.test\nTo: dana@verified.test\nBcc: erin@home.test\nSubject: statement\nMessage-ID: <raw-1@clinic.test>\n\nYour statement is ready.\n"
	status, _, body := c.do("POST", "/v1/messages", "message/rfc822", []byte(raw))
	if status != http.StatusAccepted {
		t.Fatalf("raw send: %d %s", status, body)
	}
	if !w.sink.WaitFor(30*time.Second, func(ms []capture.Message) bool { return len(ms) >= 2 }) {
		t.Fatalf("%d copies of the raw message", w.sink.Count())
	}
	for _, m := range w.sink.Messages() {
		if bytes.Contains(m.Data, []byte("\nBcc:")) || (bytes.Contains(m.Data, []byte("erin@home.test")) && !slices.Contains(m.Recipients, "erin@home.test")) {
			t.Errorf("copy to %v shows the Bcc", m.Recipients)
		}
		if bytes.Contains(bytes.ReplaceAll(m.Data, []byte("\r\n"), nil), []byte("\n")) {
			t.Errorf("copy to %v has a bare LF", m.Recipients)
		}
	}

	// A batch with one bad item delivers the rest and names the bad one.
	items := []map[string]any{
		{"from": "reminders@clinic.test", "to": []string{"dana@verified.test"}, "subject": "Reminder 1", "text": "See you Tuesday."},
		{"from": "reminders@clinic.test", "to": []string{"not an address"}, "subject": "Reminder 2", "text": "See you Wednesday."},
		{"from": "reminders@clinic.test", "to": []string{"dana@verified.test"}, "subject": "Reminder 3", "text": "See you Thursday."},
	}
	n := w.sink.Count()
	status, _, body = c.json("POST", "/v1/messages/batch", map[string]any{"messages": items})
	if status != http.StatusOK {
		t.Fatalf("batch: %d %s", status, body)
	}
	var br struct {
		Results []struct {
			Index, Status int
			ID            string
		}
	}
	json.Unmarshal(body, &br)
	if len(br.Results) != 3 || br.Results[0].Status != 202 || br.Results[1].Status != 400 || br.Results[2].Status != 202 {
		t.Fatalf("batch results: %s", body)
	}
	if strings.Contains(string(body), "not an address") {
		t.Errorf("the batch answer echoes a value: %s", body)
	}
	if !w.sink.WaitFor(30*time.Second, func(ms []capture.Message) bool { return len(ms) >= n+2 }) {
		t.Fatalf("%d of 2 batch messages arrived", w.sink.Count()-n)
	}
}

// A message whose received record was written but which the stage refused
// before any decision (evaluation failed: 503, removed) was never sent: an
// Idempotency-Key retry must submit it again, not replay it. Once decided,
// it exists for good, in the spool or not.
func TestAPIIdempotencyReplaysOnlyDecidedMessages(t *testing.T) {
	dir := t.TempDir()
	hooks := startHookReceiver(t, "127.0.0.1:0", dir, "hook.secret")
	w := newPortalWorld(t, apiConfig(t, freeAddr(t), hooks.url))
	copyFile(t, dir+"/hook.secret", w.env.Dir+"/hook.secret")
	g := w.start(t)
	b := apiBackend{g}
	env := &envelope.Envelope{ID: "refusedAfterCommit1", Received: time.Now(), From: "a@clinic.test",
		Listener: apiListener, Recipients: []envelope.Recipient{{Addr: "b@partner.test"}}}
	if err := g.recordReceived(env); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the tracker to see the received record", func() bool { return g.events.tracker.Exists(env.ID) })
	if ok, err := b.Exists(t.Context(), env.ID); err != nil || ok {
		t.Fatalf("received, never decided, not in the spool: Exists = %v, %v; want false", ok, err)
	}
	if err := g.recordDecision(env, &policy.Decision{Action: policy.ActionBlock, Rule: "no-ssn-out"}, nil, ""); err != nil {
		t.Fatal(err)
	}
	if ok, err := b.Exists(t.Context(), env.ID); err != nil || !ok {
		t.Fatalf("decided: Exists = %v, %v; want true", ok, err)
	}
}
