package web

import (
	"bytes"
	"mime"
	"os"
	"strconv"
	"strings"
	"testing"
)

func TestSanitizeRemovesActiveContent(t *testing.T) {
	cases := map[string]struct{ in, mustNot string }{
		"script":          {`<p>hi</p><script>alert(1)</script>`, "<script"},
		"onerror":         {`<img src=x onerror="alert(1)">`, "onerror"},
		"javascript link": {`<a href="javascript:alert(1)">x</a>`, "javascript:"},
		"entity js link":  {`<a href="&#106;avascript:alert(1)">x</a>`, "avascript"},
		"css expression":  {`<div style="width:expression(alert(1))">x</div>`, "expression"},
		"style element":   {`<style>body{background:url(https://t.example/x)}</style>`, "<style"},
		"svg onload":      {`<svg onload="alert(1)"></svg>`, "onload"},
		"iframe":          {`<iframe src="https://evil.example"></iframe>`, "<iframe"},
		"form":            {`<form action="https://evil.example"><input name=pw></form>`, "<form"},
		"meta refresh":    {`<meta http-equiv="refresh" content="0;url=https://evil.example">`, "<meta"},
		"base":            {`<base href="https://evil.example/">`, "<base"},
		"data uri link":   {`<a href="data:text/html,<script>alert(1)</script>">x</a>`, "data:"},
		"mxss math":       {`<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>`, "onerror"},
		"object":          {`<object data="https://evil.example/x.swf"></object>`, "<object"},
		"vbscript":        {`<a href="vbscript:msgbox(1)">x</a>`, "vbscript"},
	}
	for name, c := range cases {
		out, _ := sanitizeHTML(c.in)
		if strings.Contains(strings.ToLower(string(out)), c.mustNot) {
			t.Errorf("%s: output still holds %q: %s", name, c.mustNot, out)
		}
	}
}

func TestSanitizeBlocksRemoteImages(t *testing.T) {
	out, n := sanitizeHTML(`<p>a<img src="https://tracker.example/p.gif?u=bob" alt="Logo">b<img src="cid:x@y"></p>`)
	// The cid: image has no allowed scheme: bluemonday drops it before the count.
	if n != 1 || strings.Contains(string(out), "<img") || strings.Contains(string(out), "tracker.example") {
		t.Fatalf("images: %d blocked, output %s", n, out)
	}
	if !strings.Contains(string(out), "[image not loaded: Logo]") {
		t.Errorf("no notice in %s", out)
	}
}

func TestSanitizeShowsLinkTargets(t *testing.T) {
	out, _ := sanitizeHTML(`<a href="https://evil.example/phish">https://bank.example/login</a>`)
	s := string(out)
	if !strings.Contains(s, "[https://evil.example/phish]") {
		t.Fatalf("real target not shown: %s", s)
	}
	if !strings.Contains(s, `rel="nofollow noreferrer noopener"`) && !strings.Contains(s, "noreferrer") {
		t.Errorf("link without noreferrer: %s", s)
	}
}

func TestPlainTextEscaped(t *testing.T) {
	e := newEnv(t, nil)
	raw := []byte("From: a@b.example\r\nTo: bob@patient.example\r\nSubject: <b>s</b>\r\nContent-Type: text/plain\r\n\r\n<script>window.x=1</script> & <b>" + bodyMarker + "</b>\r\n")
	e.addMessage("tok-plain-00000000000000", "m1", "bob@patient.example", raw)
	c := e.client()
	page := e.login(c, "tok-plain-00000000000000", "bob@patient.example")
	if strings.Contains(page.body, "<script>window") || strings.Contains(page.body, "<b>s</b>") {
		t.Fatal("plain text or subject not escaped")
	}
	if !strings.Contains(page.body, "&lt;script&gt;window.x=1&lt;/script&gt; &amp; &lt;b&gt;"+bodyMarker) {
		t.Errorf("escaped text missing:\n%s", page.body)
	}
}

func TestXSSFixtureSanitisedInPage(t *testing.T) {
	raw, err := os.ReadFile("../../../testdata/portal/xss.eml")
	if err != nil {
		t.Fatal(err)
	}
	v, err := parseView(bytes.NewReader(raw), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.ToLower(string(v.HTML))
	for _, bad := range []string{"<script", "onerror", "onload", "javascript:", "expression", "<iframe", "<form", "<base", "<meta", "<link", "tracker.evil.example/pixel", "style="} {
		if strings.Contains(s, bad) {
			t.Errorf("sanitised body holds %q", bad)
		}
	}
	if !strings.Contains(s, "xss-probe-body") || !strings.Contains(s, "[https://evil.example/phish]") {
		t.Errorf("legitimate content lost: %s", s)
	}
}

func TestAttachmentFilenameSafe(t *testing.T) {
	cases := map[string]string{
		"../../etc/passwd":         "passwd",
		`C:\Users\x\evil.exe`:      "evil.exe",
		"a\r\nSet-Cookie: x=1.pdf": "aSet-Cookie: x=1.pdf",
		`q"uote.pdf`:               "quote.pdf",
		"":                         "attachment-4",
		"...":                      "attachment-4",
		"résumé\u202etxt.pdf":      "résumétxt.pdf",
	}
	for in, want := range cases {
		got := safeFilename(in, 3)
		if got != want {
			t.Errorf("safeFilename(%q) = %q, want %q", in, got, want)
		}
		cd := mime.FormatMediaType("attachment", map[string]string{"filename": got})
		_, params, err := mime.ParseMediaType(cd)
		if err != nil || params["filename"] != got || strings.ContainsAny(cd, "\r\n") {
			t.Errorf("Content-Disposition for %q: %q (%v)", in, cd, err)
		}
	}
	for in, want := range map[string]string{"application/pdf": "application/pdf", "text/html": "text/html", "bogus": "application/octet-stream", "a/b\r\nx": "application/octet-stream"} {
		if got := safeMediaType(in); got != want {
			t.Errorf("safeMediaType(%q) = %q", in, got)
		}
	}
}

func TestDeepNestingRefused(t *testing.T) {
	var b strings.Builder
	b.WriteString("Content-Type: multipart/mixed; boundary=b0\r\n\r\n")
	for i := range 20 {
		b.WriteString("--b" + strconv.Itoa(i) + "\r\nContent-Type: multipart/mixed; boundary=b" + strconv.Itoa(i+1) + "\r\n\r\n")
	}
	if _, err := parseView(strings.NewReader(b.String()), 1<<20); err == nil {
		t.Fatal("a message nested 20 deep parsed")
	}
}
