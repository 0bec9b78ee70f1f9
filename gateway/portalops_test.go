package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sealgate/sealgate/gateway/audit"
	"github.com/sealgate/sealgate/gateway/control"
	"github.com/sealgate/sealgate/gateway/portal/store"
	"github.com/sealgate/sealgate/internal/capture"
)

// portalNotice sends PHI to one recipient the portal serves and returns
// the notification link.
func portalNotice(t *testing.T, w *portalWorld, rcpt string) string {
	t.Helper()
	before := len(w.sink.Messages())
	if err := send(w.env.Listen, "dr@clinic.test", []string{rcpt}, phiMessage(rcpt, "Results")); err != nil {
		t.Fatal(err)
	}
	var link string
	if !w.sink.WaitFor(30*time.Second, func(ms []capture.Message) bool {
		for _, m := range ms[before:] {
			if d := capture.Describe(m); m.Recipients[0] == rcpt && len(d.Links) == 1 {
				link = d.Links[0]
				return true
			}
		}
		return false
	}) {
		t.Fatalf("no notification for %s; queue %+v", rcpt, w.g.Relay().List())
	}
	return link
}

func TestOperatorListsShowsExtendsAndRevokesPortalMessages(t *testing.T) {
	w := newPortalWorld(t, "")
	w.start(t)
	link := portalNotice(t, w, "erin@home.test")
	h := queueHandler{w.g}
	do := func(req control.Request, out any) error {
		t.Helper()
		req.Actor = "uid=0 pid=1"
		data, _, err := h.Handle(context.Background(), req)
		if err == nil && out != nil {
			b, _ := json.Marshal(data)
			json.Unmarshal(b, out)
		}
		return err
	}
	var list []store.Meta
	if err := do(control.Request{Op: "portal-list"}, &list); err != nil || len(list) != 1 || list[0].State != store.Active {
		t.Fatalf("portal-list: %+v %v", list, err)
	}
	id := list[0].ID
	if got := list[0].Expires.Sub(list[0].Created); got < 29*24*time.Hour || got > 31*24*time.Hour {
		t.Errorf("default expiry %v, want 30 days", got)
	}
	until := time.Now().Add(90 * 24 * time.Hour).UTC().Truncate(time.Second)
	if err := do(control.Request{Op: "portal-extend", ID: id, Until: until.Format(time.RFC3339)}, nil); err != nil {
		t.Fatal(err)
	}
	if err := do(control.Request{Op: "portal-extend", ID: id, Until: "2001-01-01T00:00:00Z"}, nil); err == nil {
		t.Error("extend into the past accepted")
	}
	var shown PortalMessage
	if err := do(control.Request{Op: "portal-show", ID: id}, &shown); err != nil || !shown.Expires.Equal(until) || len(shown.Recipients) != 1 {
		t.Fatalf("portal-show: %+v %v", shown, err)
	}
	if err := do(control.Request{Op: "portal-revoke", ID: id}, nil); err != nil {
		t.Fatal(err)
	}
	// The link now shows the neutral page, and the message's key is gone.
	resp, err := w.browser().Get(link)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || strings.Contains(string(body), "dr@clinic.test") {
		t.Fatalf("revoked link: %s\n%s", resp.Status, body)
	}
	if keys, _ := os.ReadDir(filepath.Join(w.env.Dir, "data", "portal", "keys")); len(keys) != 0 {
		t.Errorf("key files left after revoke: %d", len(keys))
	}
	if err := do(control.Request{Op: "portal-show", ID: id}, &shown); err != nil || shown.State != store.Revoked || shown.RevokedBy != "uid=0 pid=1" {
		t.Fatalf("after revoke: %+v %v", shown, err)
	}
	var purged map[string]int
	if err := do(control.Request{Op: "portal-purge"}, &purged); err != nil || purged["purged"] != 0 {
		t.Fatalf("purge: %v %v", purged, err)
	}
	var ops []string
	for _, r := range auditRecords(t, w.env) {
		switch r.Type {
		case audit.TypeQueueOp:
			var op audit.QueueOp
			json.Unmarshal(r.Data, &op)
			ops = append(ops, op.Op+":"+op.Actor)
		case audit.TypePortal:
			var p audit.Portal
			json.Unmarshal(r.Data, &p)
			ops = append(ops, "portal."+p.Event)
		}
	}
	joined := strings.Join(ops, ",")
	for _, want := range []string{"portal_extend " + id + ":uid=0 pid=1", "portal_revoke " + id + ":uid=0 pid=1", "portal.revoked", "portal.extended"} {
		if !strings.Contains(joined, want) {
			t.Errorf("audit lacks %q: %s", want, joined)
		}
	}
}

func TestPortalCommandsSayWhenThePortalIsOff(t *testing.T) {
	sink := startSink(t, "127.0.0.1:0")
	env := writeConfig(t, sink.Addr(), "")
	g := startGateway(t, env)
	_, _, err := queueHandler{g}.Handle(context.Background(), control.Request{Op: "portal-list"})
	if err == nil || !strings.Contains(err.Error(), "portal.enabled") {
		t.Fatalf("portal-list with the portal off: %v", err)
	}
}

func TestReleaseMethodPortalServesAHeldRecipientThroughThePortal(t *testing.T) {
	// A rule without the portal holds the recipient; the operator sends it
	// there explicitly.
	w := newPortalWorld(t, "")
	pol := writePolicy(t, w.env, "rules:\n  - id: phi\n    when: {detect: {types: [ssn]}}\n    action: encrypt\n    methods: [pgp, smime, tls]\n    min: tls\n  - id: default\n    default: true\n    action: pass\n")
	appendConfig(t, w.env, "policy:\n  paths: ["+pol+"]\n")
	g := w.start(t)
	if err := send(w.env.Listen, "dr@clinic.test", []string{"erin@home.test"}, phiMessage("erin@home.test", "Results")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "the recipient held", func() bool {
		l := g.Relay().List()
		return len(l) == 1 && l[0].Recipients[0].Held
	})
	id := g.Relay().List()[0].ID
	h := queueHandler{g}
	if _, _, err := h.Handle(context.Background(), control.Request{Op: "release", ID: id, Method: "portal", Actor: "uid=0 pid=7"}); err != nil {
		t.Fatal(err)
	}
	if !w.sink.WaitFor(20*time.Second, func(ms []capture.Message) bool {
		return len(ms) == 1 && len(capture.Describe(ms[0]).Links) == 1
	}) {
		t.Fatalf("no portal notification after the release; queue %+v", g.Relay().List())
	}
	if bytes.Contains(w.sink.Messages()[0].Data, []byte("078-05-1121")) {
		t.Fatal("the notice carries PHI")
	}
	d := decisionOf(t, w.env, id)
	if len(d.Recipients) != 1 || d.Recipients[0].Method != "portal" || !strings.Contains(d.Recipients[0].Reason, "released by uid=0 pid=7 with method portal") {
		t.Fatalf("decision after the release: %+v", d)
	}
	if _, _, err := h.Handle(context.Background(), control.Request{Op: "release", ID: id, Method: "portal", Actor: "uid=0"}); err == nil {
		t.Fatal("a second release found something held")
	}
}

func TestTOTPResetOverTheControlSocketIsAudited(t *testing.T) {
	w := newPortalWorld(t, "  totp: required\n")
	w.start(t)
	data, _, err := queueHandler{w.g}.Handle(context.Background(), control.Request{Op: "portal-totp-reset", ID: "erin@home.test", Actor: "uid=0 pid=9"})
	if err != nil {
		t.Fatal(err)
	}
	if m, ok := data.(map[string]bool); !ok || m["had_authenticator"] {
		t.Fatalf("reset of an address that never enrolled: %v", data)
	}
	var found bool
	for _, r := range auditRecords(t, w.env) {
		var op audit.QueueOp
		if r.Type == audit.TypeQueueOp && json.Unmarshal(r.Data, &op) == nil && op.Op == "portal_totp_reset erin@home.test" && op.Actor == "uid=0 pid=9" {
			found = true
		}
	}
	if !found {
		t.Fatal("the reset is not in the audit log")
	}
}
