package web

import (
	"html/template"
	"net/url"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// policy is bluemonday's UGC policy: no script, no event handlers, no style
// attributes (so no CSS expressions), URLs limited to safe schemes, and
// rel="nofollow noreferrer" on links.
func policy() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.AllowURLSchemes("http", "https", "mailto")
	p.RequireNoReferrerOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true)
	return p
}

// sanitizeHTML makes an email's HTML safe to show: bluemonday first (the
// security boundary), then every image replaced by a notice (remote images
// would tell the sender the message was read, and where), and every link
// followed by its real target so a misleading text cannot hide it. The
// result goes through bluemonday again, so the rewrite cannot add anything
// unsafe.
func sanitizeHTML(raw string) (template.HTML, int) {
	p := policy()
	clean := p.Sanitize(raw)
	ctx := &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}
	nodes, err := html.ParseFragment(strings.NewReader(clean), ctx)
	if err != nil {
		return "", 0
	}
	root := &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}
	for _, n := range nodes {
		root.AppendChild(n)
	}
	blocked := rewrite(root)
	var b strings.Builder
	for c := root.FirstChild; c != nil; c = c.NextSibling {
		if err := html.Render(&b, c); err != nil {
			return "", 0
		}
	}
	return template.HTML(p.Sanitize(b.String())), blocked
}

// rewrite walks n, replacing images and annotating links; it returns the
// number of images replaced.
func rewrite(n *html.Node) int {
	blocked := 0
	for c := n.FirstChild; c != nil; {
		next := c.NextSibling
		switch {
		case c.Type == html.ElementNode && c.DataAtom == atom.Img:
			n.InsertBefore(&html.Node{Type: html.TextNode, Data: "[image not loaded" + altText(c) + "]"}, c)
			n.RemoveChild(c)
			blocked++
		case c.Type == html.ElementNode && c.DataAtom == atom.A:
			blocked += rewrite(c)
			if t := linkTarget(c); t != "" {
				n.InsertBefore(&html.Node{Type: html.TextNode, Data: " [" + t + "]"}, next)
			}
		default:
			blocked += rewrite(c)
		}
		c = next
	}
	return blocked
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func altText(img *html.Node) string {
	if a := strings.TrimSpace(attr(img, "alt")); a != "" {
		return ": " + a
	}
	return ""
}

// linkTarget is the href as the browser would follow it, decoded for
// display, or "" when the link has none.
func linkTarget(a *html.Node) string {
	href := strings.TrimSpace(attr(a, "href"))
	if href == "" {
		return ""
	}
	u, err := url.Parse(href)
	if err != nil {
		return href
	}
	if s, err := url.PathUnescape(u.String()); err == nil {
		return s
	}
	return u.String()
}
