package gateway

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sealgate/sealgate/internal/browsertest"
	"github.com/sealgate/sealgate/internal/capture"
)

// TestPortalInTheBrowserThroughTheDaemon is the recipient's whole path in
// headless Chromium against the real daemon: the notification email's
// link, the code from the second email, the message, its attachment
// (bytes compared), and a reply that reaches the sender protected. Every
// page is screenshot at phone and desktop widths and audited with axe-core.
func TestPortalInTheBrowserThroughTheDaemon(t *testing.T) {
	w := newPortalWorld(t, "")
	w.start(t)
	br := browsertest.New(t, "portal-daemon")
	msg := strings.Replace(fourWayMessage(), "To: bob@partner.test, carol@partner.test, dana@verified.test\r\nBcc: erin@home.test\r\n", "To: erin@home.test\r\n", 1)
	if err := send(w.env.Listen, "dr@clinic.test", []string{"erin@home.test"}, msg); err != nil {
		t.Fatal(err)
	}
	var link string
	if !w.sink.WaitFor(30*time.Second, func(ms []capture.Message) bool {
		for _, m := range ms {
			if d := capture.Describe(m); len(d.Links) == 1 {
				link = d.Links[0]
				return true
			}
		}
		return false
	}) {
		t.Fatalf("no notification; queue %+v", w.g.Relay().List())
	}

	br.Do(chromedp.Navigate(link), chromedp.WaitVisible("button"))
	if h := br.Text("main"); !strings.Contains(h, "Dr Who") || strings.Contains(h, bodyMarker) || strings.Contains(h, "Lab results") {
		t.Fatalf("landing shows %q", h)
	}
	br.Shoot("01-landing")
	before := len(w.sink.Messages())
	br.Do(chromedp.Click("button"))
	br.WaitFor("#code")
	br.Shoot("02-enter-code")
	var code string
	if !w.sink.WaitFor(30*time.Second, func(ms []capture.Message) bool {
		for _, m := range ms[before:] {
			if c := codeLine.FindSubmatch(m.Data); c != nil && m.Recipients[0] == "erin@home.test" {
				code = string(c[1])
				return true
			}
		}
		return false
	}) {
		t.Fatal("no code email")
	}
	br.Do(chromedp.SendKeys("#code", code+"\r"))
	br.WaitFor(".body")
	if body := br.Text(".body"); !strings.Contains(body, bodyMarker) {
		t.Fatalf("message body %q", body)
	}
	br.Shoot("03-message")
	href, err := chromedp.Run(br.Ctx, chromedp.Evaluate[string](`document.querySelector('a[href^="/v/att/"]').getAttribute('href')`))
	if err != nil {
		t.Fatal(err)
	}
	if got := br.Download(`a[href="` + href + `"]`); string(got) != attMarker {
		t.Fatalf("downloaded %q, want the attachment's bytes %q", got, attMarker)
	}

	br.Do(chromedp.Click(`a[href="/v/reply"]`))
	br.WaitFor("#body")
	br.Shoot("04-reply")
	br.Do(chromedp.SendKeys("#body", "Thanks. Her MRN: 99887766, SSN 078-05-1121. BROWSER-REPLY-42"), chromedp.Click(`form button[type=submit]`))
	br.WaitFor(`[role=status]`)
	br.Shoot("05-reply-sent")
	var reply *capture.Message
	if !w.sink.WaitFor(60*time.Second, func(ms []capture.Message) bool {
		for i := range ms {
			if ms[i].Recipients[0] == "dr@clinic.test" && bytes.Contains(ms[i].Data, []byte("BROWSER-REPLY-42")) {
				reply = &ms[i]
				return true
			}
		}
		return false
	}) {
		t.Fatalf("the reply did not reach the sender; queue %+v", w.g.Relay().List())
	}
	if reply.TLS == "" || !reply.NameMatches {
		t.Fatalf("the reply (PHI) left over TLS %q for %q, certificate valid: %v", reply.TLS, reply.ServerName, reply.NameMatches)
	}
}
