package web

import (
	"bytes"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// activeContent parses out as a browser would and names the first element
// or attribute that could run code, load something or restyle the page; ""
// when there is none.
func activeContent(out string) string {
	nodes, err := html.ParseFragment(strings.NewReader(out), &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div})
	if err != nil {
		return "unparseable"
	}
	forbidden := map[string]bool{"script": true, "img": true, "iframe": true, "style": true, "object": true, "embed": true,
		"form": true, "input": true, "base": true, "meta": true, "link": true, "svg": true, "math": true, "frame": true}
	var walk func(n *html.Node) string
	walk = func(n *html.Node) string {
		if n.Type == html.ElementNode {
			if forbidden[n.Data] {
				return "<" + n.Data + ">"
			}
			for _, a := range n.Attr {
				k := strings.ToLower(a.Key)
				if strings.HasPrefix(k, "on") || k == "style" || k == "srcset" || k == "formaction" {
					return "attribute " + k
				}
				if k == "href" || k == "src" || k == "action" || k == "cite" {
					u, err := url.Parse(strings.TrimSpace(a.Val))
					if err != nil {
						return "bad url"
					}
					if sc := strings.ToLower(u.Scheme); sc != "" && sc != "http" && sc != "https" && sc != "mailto" {
						return "scheme " + sc
					}
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if bad := walk(c); bad != "" {
				return bad
			}
		}
		return ""
	}
	for _, n := range nodes {
		if bad := walk(n); bad != "" {
			return bad
		}
	}
	return ""
}

func seedMessages(f *testing.F) {
	raw, _ := testMessage(f, "r\u00e9sum\u00e9.pdf", 64)
	f.Add(raw)
	if x, err := os.ReadFile("../../../testdata/portal/xss.eml"); err == nil {
		f.Add(x)
	}
	f.Add([]byte("Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: text/html\r\n\r\n<img src=x onerror=1>\r\n--x--\r\n"))
	f.Add([]byte("Subject: =?utf-8?b?w6k=?=\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\n\xe9"))
}

// FuzzParseView: no input crashes the parser, and whatever HTML comes out
// holds no script, handler or image.
func FuzzParseView(f *testing.F) {
	seedMessages(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		done := make(chan string, 1)
		go func() { done <- checkParsed(raw) }()
		select {
		case bad := <-done:
			if bad != "" {
				t.Fatal(bad)
			}
		case <-time.After(5 * time.Second):
			os.WriteFile(filepath.Join(os.TempDir(), "parseview-hang.eml"), raw, 0o600)
			t.Fatalf("parse of %d bytes takes over 5s", len(raw))
		}
	})
}

// checkParsed parses raw and names what is unsafe in the result, or "".
func checkParsed(raw []byte) string {
	v, err := parseView(bytes.NewReader(raw), 1<<16)
	if err != nil {
		return ""
	}
	if bad := activeContent(string(v.HTML)); bad != "" {
		return "unsafe HTML out (" + bad + "): " + string(v.HTML)
	}
	for _, a := range v.Attachments {
		if strings.ContainsAny(a.Filename, "/\\\r\n\"") {
			return "unsafe filename " + a.Filename
		}
	}
	return ""
}

// FuzzOpenPart: walking to any part of any input ends without panic.
func FuzzOpenPart(f *testing.F) {
	seedMessages(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		for i := range 4 {
			_, _ = openPart(bytes.NewReader(raw), i, func(a Attachment, body io.Reader) error {
				_, err := io.Copy(io.Discard, body)
				return err
			})
		}
	})
}

// FuzzSanitize: the sanitiser's output never holds active content.
func FuzzSanitize(f *testing.F) {
	for _, s := range []string{`<script>alert(1)</script>`, `<a href="javascript:x">y</a>`, `<img src=x onerror=alert(1)>`,
		`<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>`, `<div style="x:expression(1)">`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, _ := sanitizeHTML(in)
		if bad := activeContent(string(out)); bad != "" {
			t.Fatalf("%q -> %q holds %s", in, out, bad)
		}
	})
}
