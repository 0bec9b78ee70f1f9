package gateway

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sealgate/sealgate/gateway/audit"
	"github.com/sealgate/sealgate/internal/capture"
)

const (
	bodyMarker = "MARKER-PORTAL-7731"
	attMarker  = "ATTACHMENT-BYTES-5150"
)

// fourWayMessage is PHI with an attachment, to four recipients; erin is
// blind-copied.
func fourWayMessage() string {
	return "From: Dr Who <dr@clinic.test>\r\nTo: bob@partner.test, carol@partner.test, dana@verified.test\r\nBcc: erin@home.test\r\n" +
		"Subject: Lab results\r\nMessage-ID: <four@clinic.test>\r\nDate: Sat, 28 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=b1\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		"Patient: Zebulon Quackenbush\r\nSSN: 078-05-1121\r\nMRN: 99887766\r\n" + bodyMarker + "\r\n" +
		"--b1\r\nContent-Type: text/plain; name=\"note.txt\"\r\nContent-Disposition: attachment; filename=\"note.txt\"\r\n\r\n" + attMarker + "\r\n--b1--\r\n"
}

var (
	csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	attLink   = regexp.MustCompile(`href="(/v/att/\d+)"`)
	codeLine  = regexp.MustCompile(`(?m)^\s*(\d{6,12})\s*$`)
	longToken = regexp.MustCompile(`[A-Za-z0-9_-]{16,}`)
	bccWord   = regexp.MustCompile(`(?i)\bbcc\b`)
)

func TestOneMessageToFourRecipientsGetsFourMethods(t *testing.T) {
	w := newPortalWorld(t, "policy:\n  notify_sender_on: [portal]\n")
	bobCert, smimeDecrypt := smimeRecipient(t, "bob@partner.test")
	carolKey, pgpDecrypt := gpgRecipient(t, "carol@partner.test")
	importKey(t, w.env, "bob.crt", bobCert)
	importKey(t, w.env, "carol.asc", carolKey)
	w.start(t)
	rcpts := []string{"bob@partner.test", "carol@partner.test", "dana@verified.test", "erin@home.test"}
	if err := send(w.env.Listen, "dr@clinic.test", rcpts, fourWayMessage()); err != nil {
		t.Fatal(err)
	}
	if !w.sink.WaitFor(60*time.Second, func(ms []capture.Message) bool { return len(ms) >= 5 }) {
		t.Fatalf("%d of 4 copies and the sender's notice arrived; queue: %+v", len(w.sink.Messages()), w.g.Relay().List())
	}
	by := map[string]capture.Message{}
	for _, m := range w.sink.Messages() {
		if len(m.Recipients) != 1 {
			t.Fatalf("a copy for %v: every recipient gets their own", m.Recipients)
		}
		if bytes.Contains(bytes.ToLower(m.Data), []byte("\nbcc:")) {
			t.Errorf("copy to %s carries a Bcc header", m.Recipients[0])
		}
		by[m.Recipients[0]] = m
	}
	if d := capture.Describe(by["bob@partner.test"]); d.Method != "S/MIME" || !strings.Contains(smimeDecrypt(d.Data), bodyMarker) {
		t.Errorf("bob: %s", d.Method)
	}
	carol := by["carol@partner.test"].Data
	if i, j := bytes.Index(carol, []byte("-----BEGIN PGP MESSAGE-----")), bytes.Index(carol, []byte("-----END PGP MESSAGE-----")); i < 0 || j < 0 ||
		!strings.Contains(pgpDecrypt(carol[i:j+25]), bodyMarker) {
		t.Errorf("carol's copy is not PGP that gpg opens")
	}
	dana := by["dana@verified.test"]
	if !bytes.Contains(dana.Data, []byte(bodyMarker)) || dana.TLS == "" || dana.ServerName != "localhost" {
		t.Errorf("dana: TLS %q SNI %q: want the message over TLS verified for the MX name", dana.TLS, dana.ServerName)
	}
	// policy.notify_sender_on: [portal] tells the sender, quoting nothing.
	if n := by["dr@clinic.test"].Data; !bytes.Contains(n, []byte("erin@home.test: portal")) || bytes.Contains(n, []byte(bodyMarker)) || bytes.Contains(n, []byte("Lab results")) {
		t.Errorf("sender's notice:\n%s", n)
	}
	erin := capture.Describe(by["erin@home.test"])
	if bytes.Contains(erin.Data, []byte(bodyMarker)) || bytes.Contains(erin.Data, []byte("078-05-1121")) || bytes.Contains(erin.Data, []byte("Lab results")) {
		t.Fatalf("the portal notice carries PHI or the subject:\n%s", erin.Data)
	}
	if len(erin.Links) != 1 || !strings.HasPrefix(erin.Links[0], w.portalURL+"/m/") {
		t.Fatalf("notice links %v (portal %s)", erin.Links, w.portalURL)
	}

	d := decisionOf(t, w.env, "")
	methods := map[string]string{}
	for _, r := range d.Recipients {
		methods[r.Addr] = r.Method
	}
	want := map[string]string{"bob@partner.test": "smime", "carol@partner.test": "pgp", "dana@verified.test": "tls-verified", "erin@home.test": "portal"}
	for a, m := range want {
		if methods[a] != m {
			t.Errorf("decision: %s went by %q, want %q (%+v)", a, methods[a], m, d.Recipients)
		}
	}

	readOnPortal(t, w, erin.Links[0], "erin@home.test")

	for _, dir := range []string{"portal", "audit"} {
		if hits := grepDir(t, filepath.Join(w.env.Dir, "data", dir), []byte(bodyMarker)); len(hits) > 0 {
			t.Errorf("%s holds the body in the clear: %v", dir, hits)
		}
	}
	seen := map[string]bool{}
	for _, r := range auditRecords(t, w.env) {
		if r.Type == audit.TypePortal {
			var p audit.Portal
			json.Unmarshal(r.Data, &p)
			seen[p.Event] = true
		}
	}
	// The same events, counted for Prometheus under a bounded label.
	counts := map[string]float64{}
	if mf := scrape(t, w.g)["sealgate_portal_events_total"]; mf != nil {
		for _, m := range mf.GetMetric() {
			counts[m.GetLabel()[0].GetValue()] = m.GetCounter().GetValue()
		}
	}
	for _, ev := range []string{"deposited", "opened", "code_sent", "verified", "attachment_downloaded", "replied"} {
		if !seen[ev] {
			t.Errorf("no portal %q record in the audit log (saw %v)", ev, seen)
		}
		if counts[ev] < 1 {
			t.Errorf("sealgate_portal_events_total{event=%q} = %v (all: %v)", ev, counts[ev], counts)
		}
	}
	if _, ok := counts["locked"]; !ok {
		t.Errorf("sealgate_portal_events_total{event=\"locked\"} not present at 0: %v", counts)
	}
}

// readOnPortal follows a notification link as the recipient: asks for a
// code, reads it from the code email, verifies, reads the body, downloads
// the attachment and replies; the reply reaches the sender protected.
func readOnPortal(t *testing.T, w *portalWorld, link, rcpt string) {
	t.Helper()
	c := w.browser()
	get := func(u string) string {
		t.Helper()
		resp, err := c.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s\n%s", u, resp.Status, b)
		}
		return string(b)
	}
	post := func(u string, form url.Values, want int) string {
		t.Helper()
		resp, err := c.PostForm(u, form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != want {
			t.Fatalf("POST %s: %s\n%s", u, resp.Status, b)
		}
		return resp.Header.Get("Location")
	}
	csrf := func(page string) string {
		t.Helper()
		m := csrfField.FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("no CSRF field in:\n%s", page)
		}
		return m[1]
	}
	landing := get(link)
	if strings.Contains(landing, bodyMarker) || strings.Contains(landing, "Lab results") {
		t.Fatal("the landing page shows content before verification")
	}
	if !strings.Contains(landing, "Dr Who") {
		t.Error("the landing page does not name the sender")
	}
	before := len(w.sink.Messages())
	post(link+"/code", url.Values{"csrf": {csrf(landing)}}, http.StatusSeeOther)
	var code string
	if !w.sink.WaitFor(30*time.Second, func(ms []capture.Message) bool {
		for _, m := range ms[before:] {
			if m.Recipients[0] == rcpt {
				if c := codeLine.FindSubmatch(m.Data); c != nil {
					code = string(c[1])
					return true
				}
			}
		}
		return false
	}) {
		t.Fatal("no code email arrived")
	}
	verify := get(link + "/verify")
	if loc := post(link+"/verify", url.Values{"csrf": {csrf(verify)}, "code": {code}}, http.StatusSeeOther); loc != "/v" {
		t.Fatalf("verify went to %q", loc)
	}
	view := get(w.portalURL + "/v")
	if !strings.Contains(view, bodyMarker) {
		t.Fatalf("the message is not shown after verification:\n%s", view)
	}
	// Random tokens in the page (CSRF, links: base64url) may spell "bcc" by
	// chance; a Bcc line or label is a word of its own.
	words := longToken.ReplaceAllString(view, "")
	if loc := bccWord.FindStringIndex(words); loc != nil {
		t.Errorf("the portal shows a Bcc: %q", words[max(0, loc[0]-40):min(len(words), loc[1]+40)])
	}
	att := attLink.FindStringSubmatch(view)
	if att == nil {
		t.Fatalf("no attachment link:\n%s", view)
	}
	if got := get(w.portalURL + att[1]); !strings.Contains(got, attMarker) {
		t.Fatalf("attachment bytes: %q", got)
	}
	reply := get(w.portalURL + "/v/reply")
	post(w.portalURL+"/v/reply", url.Values{"csrf": {csrf(reply)}, "body": {"Thanks. Her MRN: 99887766, SSN 078-05-1121. REPLY-1234"}}, http.StatusOK)
	var got *capture.Message
	if !w.sink.WaitFor(60*time.Second, func(ms []capture.Message) bool {
		for i := range ms {
			if ms[i].Recipients[0] == "dr@clinic.test" && bytes.Contains(ms[i].Data, []byte("REPLY-1234")) {
				got = &ms[i]
				return true
			}
		}
		return false
	}) {
		t.Fatalf("the reply did not reach the sender; queue %+v", w.g.Relay().List())
	}
	// PHI back to the sender's own domain: over TLS verified for its MX.
	if got.TLS == "" || got.ServerName != "localhost" {
		t.Fatalf("reply TLS %q SNI %q", got.TLS, got.ServerName)
	}
}
