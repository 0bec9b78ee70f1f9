package notice

import (
	"html"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestNotificationStructure(t *testing.T) {
	tm := mustLoad(t, "", Branding{OrgName: "Clinic Example", SupportContact: "help desk, +1 555 0100",
		Footer: "Clinic Example\n1 Main Street"})
	n := testNotification()
	msg, err := tm.Notification(n)
	if err != nil {
		t.Fatal(err)
	}
	p := readBack(t, msg)
	if mt, _, _ := p.h.ContentType(); mt != "multipart/alternative" {
		t.Errorf("top type %q", mt)
	}
	if strings.Join(p.types, ",") != "text/plain,text/html" {
		t.Fatalf("parts %v", p.types)
	}
	if from, _ := p.h.AddressList("From"); len(from) != 1 || from[0].Address != n.From || from[0].Name != "Dr. Lee" {
		t.Errorf("From %v", from)
	}
	if to, _ := p.h.AddressList("To"); len(to) != 1 || to[0].Address != n.To {
		t.Errorf("To %v", to)
	}
	if s, _ := p.h.Subject(); s != "Secure message from Dr. Lee" {
		t.Errorf("Subject %q", s)
	}
	if d, err := p.h.Date(); err != nil || !d.Equal(testDate) {
		t.Errorf("Date %v %v", d, err)
	}
	if id, _ := p.h.MessageID(); !regexp.MustCompile(`^[0-9a-f]{32}@gw\.clinic\.example$`).MatchString(id) {
		t.Errorf("Message-ID %q", id)
	}
	for k, v := range map[string]string{"MIME-Version": "1.0", NoticeHeader: KindPortal} {
		if got := p.h.Get(k); got != v {
			t.Errorf("%s = %q", k, got)
		}
	}
	if p.h.Has("Auto-Submitted") || p.h.Has("In-Reply-To") || p.h.Has("References") {
		t.Error("notification carries a header it must not")
	}
	for name, body := range map[string]string{"text": p.text, "html": html.UnescapeString(p.html)} {
		for _, want := range []string{n.Link, "Dr. Lee", n.From, "Friday, 1 January 2027 at 08:00 UTC", "in 30 days",
			"one-time code", "did not expect", "help desk, +1 555 0100", "1 Main Street", "protected"} {
			if !strings.Contains(body, want) {
				t.Errorf("%s part lacks %q", name, want)
			}
		}
	}
	// The HTML shows the link as a button and as text.
	if strings.Count(p.html, `href="`+n.Link+`"`) != 2 || !strings.Contains(p.html, ">"+n.Link+"</a>") {
		t.Error("HTML does not link and show the portal link")
	}
	if !strings.Contains(p.html, `<html lang="en">`) || !strings.Contains(p.html, `role="presentation"`) {
		t.Error("HTML lacks lang or presentation tables")
	}
}

func TestNoSubjectUnlessOptedIn(t *testing.T) {
	tm := mustLoad(t, "", Branding{})
	n := testNotification()
	msg, err := tm.Notification(n)
	if err != nil {
		t.Fatal(err)
	}
	p := readBack(t, msg)
	if strings.Contains(p.text, "Subject:") || strings.Contains(p.html, "Subject:") {
		t.Error("a subject line appears without opt-in")
	}
	n.Subject = "Biopsy results for MRN 12345"
	msg, err = tm.Notification(n)
	if err != nil {
		t.Fatal(err)
	}
	p = readBack(t, msg)
	if s, _ := p.h.Subject(); s != n.Subject {
		t.Errorf("opted-in Subject header %q", s)
	}
	if !strings.Contains(p.text, "Subject: "+n.Subject) || !strings.Contains(p.html, "Subject: "+n.Subject) {
		t.Error("opted-in subject not shown in the body")
	}
}

func TestNonASCIIEncoded(t *testing.T) {
	tm := mustLoad(t, "", Branding{OrgName: "Hôpital Sainte-Élise"})
	n := testNotification()
	n.FromName, n.Subject = "Dr. Zoë Müller", "Résultats d'analyse — très long sujet pour forcer le pliage de la ligne d'en-tête"
	msg, err := tm.Notification(n)
	if err != nil {
		t.Fatal(err)
	}
	head := string(msg[:strings.Index(string(msg), "\r\n\r\n")])
	for _, raw := range []string{"Zoë", "Résultats", "Müller"} {
		if strings.Contains(head, raw) {
			t.Errorf("header holds raw %q", raw)
		}
	}
	if !strings.Contains(head, "=?utf-8?") {
		t.Error("no RFC 2047 word in the header")
	}
	p := readBack(t, msg)
	if s, _ := p.h.Subject(); s != n.Subject {
		t.Errorf("Subject decodes to %q", s)
	}
	if from, _ := p.h.AddressList("From"); len(from) != 1 || from[0].Name != n.FromName {
		t.Errorf("From decodes to %v", from)
	}
	if !strings.Contains(p.text, "Dr. Zoë Müller") || !strings.Contains(p.html, "Hôpital Sainte-Élise") {
		t.Error("body lost the UTF-8 text")
	}
	// ASCII that looks like an encoded word is encoded, so it reads as written.
	n.Subject = "=?utf-8?q?Urgent=21?= see =?x?"
	msg, err = tm.Notification(n)
	if err != nil {
		t.Fatal(err)
	}
	if p := readBack(t, msg); p.subject() != n.Subject {
		t.Errorf("look-alike subject reads as %q", p.subject())
	}
}

func TestHTMLEscaped(t *testing.T) {
	tm := mustLoad(t, "", Branding{OrgName: `<b>Org</b>`, Footer: "<script>alert(1)</script>\nline 2"})
	n := testNotification()
	n.FromName, n.Subject = `<img src=x onerror=alert(1)>`, `"><script>alert(2)</script>`
	msg, err := tm.Notification(n)
	if err != nil {
		t.Fatal(err)
	}
	p := readBack(t, msg)
	for _, bad := range []string{"<script", "<img src=x", "<b>Org"} {
		if strings.Contains(p.html, bad) {
			t.Errorf("HTML holds unescaped %q", bad)
		}
	}
	if !strings.Contains(p.html, "&lt;script&gt;alert(1)&lt;/script&gt;<br>line 2") {
		t.Error("footer not escaped line by line")
	}
}

func TestNoRemoteAssetsButLogo(t *testing.T) {
	srcs := regexp.MustCompile(`(?i)(src|background|url)\s*[=(]\s*["']?([^"' )>]+)`)
	for _, logo := range []string{"", "https://portal.clinic.example/static/logo.png"} {
		tm := mustLoad(t, "", Branding{OrgName: "Clinic", LogoURL: logo})
		for _, msg := range [][]byte{mustNotify(t, tm), mustCode(t, tm)} {
			p := readBack(t, msg)
			var got []string
			for _, m := range srcs.FindAllStringSubmatch(p.html, -1) {
				got = append(got, m[2])
			}
			if logo == "" && len(got) != 0 || logo != "" && (len(got) != 1 || got[0] != logo) {
				t.Errorf("logo %q: remote references %v", logo, got)
			}
			if logo != "" && !strings.Contains(p.html, `alt="Clinic"`) {
				t.Error("logo without alt text")
			}
			if strings.Contains(strings.ToLower(p.html), "<link") || strings.Contains(p.html, "<script") {
				t.Error("HTML loads a stylesheet or script")
			}
		}
	}
	if _, err := Load("", Branding{LogoURL: "http://portal.clinic.example/logo.png"}); err == nil {
		t.Error("http logo accepted")
	}
}

func mustNotify(t *testing.T, tm *Templates) []byte {
	t.Helper()
	msg, err := tm.Notification(testNotification())
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

func mustCode(t *testing.T, tm *Templates) []byte {
	t.Helper()
	msg, err := tm.Code(testCode())
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

func TestCodeMail(t *testing.T) {
	tm := mustLoad(t, "", Branding{OrgName: "Clinic Example"})
	c := testCode()
	p := readBack(t, mustCode(t, tm))
	if p.h.Get("Auto-Submitted") != "auto-generated" || p.h.Get(NoticeHeader) != KindCode {
		t.Errorf("headers: Auto-Submitted %q, notice %q", p.h.Get("Auto-Submitted"), p.h.Get(NoticeHeader))
	}
	if s, _ := p.h.Subject(); strings.Contains(s, c.Code) || s != "Your code to open a secure message from Clinic Example" {
		t.Errorf("Subject %q", s)
	}
	if from, _ := p.h.AddressList("From"); len(from) != 1 || from[0].Address != c.From || from[0].Name != "Clinic Example" {
		t.Errorf("From %v", from)
	}
	for name, body := range map[string]string{"text": p.text, "html": p.html} {
		for _, want := range []string{c.Code, "10 minutes", "Wednesday, 2 December 2026 at 08:10 UTC", "did not ask", "Never give"} {
			if !strings.Contains(body, want) {
				t.Errorf("%s part lacks %q", name, want)
			}
		}
	}
	// ValidFor 0: the life is what is left until Expires.
	c.ValidFor = 0
	c.Expires = testDate.Add(15 * time.Minute)
	msg, err := tm.Code(c)
	if err != nil {
		t.Fatal(err)
	}
	if p := readBack(t, msg); !strings.Contains(p.text, "for\n15 minutes (until Wednesday, 2 December 2026 at 08:15 UTC)") {
		t.Errorf("computed life missing:\n%s", p.text)
	}
}

func TestInjectionRefused(t *testing.T) {
	tm := mustLoad(t, "", Branding{})
	bad := map[string]func(*Notification){
		"FromName CRLF":  func(n *Notification) { n.FromName = "Lee\r\nBcc: evil@x.example" },
		"FromName LF":    func(n *Notification) { n.FromName = "Lee\nBcc: evil@x.example" },
		"Subject CR":     func(n *Notification) { n.Subject = "hi\rBcc: evil@x.example" },
		"Subject NUL":    func(n *Notification) { n.Subject = "hi\x00" },
		"Subject C1":     func(n *Notification) { n.Subject = "hi\u0085there" },
		"Subject UTF8":   func(n *Notification) { n.Subject = "hi\xff" },
		"Subject long":   func(n *Notification) { n.Subject = strings.Repeat("a", 2000) },
		"From list":      func(n *Notification) { n.From = "a@x.example, b@y.example" },
		"From named":     func(n *Notification) { n.From = "Evil <evil@x.example>" },
		"From CRLF":      func(n *Notification) { n.From = "a@x.example\r\nBcc: b@y.example" },
		"To empty":       func(n *Notification) { n.To = "" },
		"To garbage":     func(n *Notification) { n.To = "not an address" },
		"Link http":      func(n *Notification) { n.Link = "http://portal.clinic.example/m/x" },
		"Link js":        func(n *Notification) { n.Link = "javascript:alert(1)" },
		"Link space":     func(n *Notification) { n.Link = "https://portal.clinic.example/m/x y" },
		"Link userinfo":  func(n *Notification) { n.Link = "https://u:p@portal.clinic.example/m/x" },
		"Link quote":     func(n *Notification) { n.Link = `https://portal.clinic.example/m/"x` },
		"Hostname CRLF":  func(n *Notification) { n.Hostname = "gw.example\r\nBcc: x" },
		"Hostname >":     func(n *Notification) { n.Hostname = "gw.example>" },
		"Expires passed": func(n *Notification) { n.Expires = testDate.Add(-time.Hour) },
	}
	for name, mutate := range bad {
		n := testNotification()
		n.Subject = "Lab results" // a value that must not show in errors
		mutate(&n)
		msg, err := tm.Notification(n)
		if err == nil {
			t.Errorf("%s: accepted:\n%s", name, msg)
			continue
		}
		if !strings.HasPrefix(err.Error(), "notice: ") || strings.Contains(err.Error(), "evil") || strings.Contains(err.Error(), "Lab results") {
			t.Errorf("%s: error %q", name, err)
		}
	}
	for name, mutate := range map[string]func(*Code){
		"Code letters+space": func(c *Code) { c.Code = "1234 5678" },
		"Code CRLF":          func(c *Code) { c.Code = "1234\r\n5678" },
		"Code short":         func(c *Code) { c.Code = "12" },
		"To CRLF":            func(c *Code) { c.To = "a@x.example\r\nBcc: b@y.example" },
		"From named":         func(c *Code) { c.From = "X <a@x.example>" },
	} {
		c := testCode()
		mutate(&c)
		if _, err := tm.Code(c); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	for name, b := range map[string]Branding{
		"OrgName CRLF":   {OrgName: "Org\r\nBcc: x@y.example"},
		"Support LF":     {SupportContact: "a\nb"},
		"Footer CR":      {Footer: "a\rb"},
		"Footer control": {Footer: "a\x1bb"},
		"Logo js":        {LogoURL: "javascript:alert(1)"},
	} {
		if _, err := Load("", b); err == nil {
			t.Errorf("%s: Load accepted", name)
		}
	}
}

func TestCustomTemplates(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, NotificationText, "CUSTOM TEXT {{.SenderName}} {{.Link}} {{.Expires}}\n")
	write(t, dir, CodeHTML, "<p>CUSTOM HTML {{.Code}}</p>")
	tm := mustLoad(t, dir, Branding{})
	p := readBack(t, mustNotify(t, tm))
	if !strings.HasPrefix(p.text, "CUSTOM TEXT Dr. Lee https://portal.clinic.example/m/") {
		t.Errorf("custom text not used: %q", p.text)
	}
	if !strings.Contains(p.html, "You have a secure message") {
		t.Error("missing notification.html did not fall back to the default")
	}
	p = readBack(t, mustCode(t, tm))
	if p.html != "<p>CUSTOM HTML 48213977</p>" || !strings.Contains(p.text, "48213977") {
		t.Errorf("code templates: html %q", p.html)
	}
}

func TestBrokenTemplateNamesFile(t *testing.T) {
	for name, src := range map[string]string{
		"parse": "{{.SenderName",
		"field": "{{.PatientName}}",
		"func":  "{{nosuch .Link}}",
	} {
		dir := t.TempDir()
		write(t, dir, NotificationHTML, src)
		_, err := Load(dir, Branding{})
		want := "notice: " + filepath.Join(dir, NotificationHTML) + ": template: "
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: error %v, want prefix %q", name, err, want)
		}
	}
	// A template dir that cannot be read is an error, not the default.
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, CodeText), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir, Branding{}); err == nil {
		t.Error("unreadable code.txt fell back silently")
	}
}

func TestExpiryInWords(t *testing.T) {
	for d, want := range map[time.Duration]string{
		30*24*time.Hour - time.Second: "30 days", 24 * time.Hour: "24 hours", 47 * time.Hour: "47 hours",
		3 * 24 * time.Hour: "3 days", 10 * time.Minute: "10 minutes", time.Minute: "1 minute", 5 * time.Second: "1 minute",
		2 * time.Hour: "2 hours", 90 * time.Minute: "90 minutes",
	} {
		if got := duration(d); got != want {
			t.Errorf("duration(%v) = %q, want %q", d, got, want)
		}
	}
}

func write(t *testing.T, dir, name, src string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
}
