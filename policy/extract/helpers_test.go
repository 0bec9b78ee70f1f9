package extract

import (
	"archive/zip"
	"bytes"
	"compress/zlib"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"strings"
	"testing"
)

type got struct {
	Part
	text string
}

type walkOut struct {
	parts []got
	res   Result
}

// all is every extracted text joined, for "does it contain" checks.
func (o walkOut) all() string {
	var b strings.Builder
	for _, p := range o.parts {
		b.WriteString(p.text)
		b.WriteString("\n")
	}
	return b.String()
}

func (o walkOut) reasons() []string {
	var rs []string
	for _, u := range o.res.Unscannable {
		rs = append(rs, u.Reason)
	}
	return rs
}

func (o walkOut) hasReason(r string) bool {
	for _, u := range o.res.Unscannable {
		if u.Reason == r {
			return true
		}
	}
	return false
}

func walkString(t testing.TB, msg string, lim Limits) walkOut {
	t.Helper()
	return walkReader(t, strings.NewReader(msg), lim)
}

func walkReader(t testing.TB, r io.Reader, lim Limits) walkOut {
	t.Helper()
	var out walkOut
	res, err := Walk(context.Background(), r, lim, func(p *Part) error {
		b, err := io.ReadAll(p.Text)
		if err != nil {
			return fmt.Errorf("callback read: %w", err)
		}
		g := got{Part: *p, text: string(b)}
		g.Text = nil
		out.parts = append(out.parts, g)
		return nil
	})
	if err != nil {
		t.Fatalf("Walk: %v", err)
	}
	out.res = res
	return out
}

func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

// mimeWithAttachment builds a two-part message with one base64 attachment.
func mimeWithAttachment(ctype, filename string, data []byte) string {
	var b strings.Builder
	b.WriteString("From: a@example.org\nTo: b@example.org\nSubject: files\nMIME-Version: 1.0\n")
	b.WriteString("Content-Type: multipart/mixed; boundary=\"BOUND\"\n\n")
	b.WriteString("--BOUND\nContent-Type: text/plain\n\nsee attached\n")
	b.WriteString("--BOUND\nContent-Type: " + ctype + "\n")
	if filename != "" {
		b.WriteString("Content-Disposition: attachment; filename=\"" + filename + "\"\n")
	}
	b.WriteString("Content-Transfer-Encoding: base64\n\n")
	enc := base64.StdEncoding.EncodeToString(data)
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\n--BOUND--\n")
	return crlf(b.String())
}

type zipEntry struct {
	name    string
	data    []byte
	encrypt bool
}

func buildZip(t testing.TB, entries ...zipEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		fh := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		if e.encrypt {
			fh.Flags |= 1
			fh.Method = zip.Store
		}
		w, err := zw.CreateHeader(fh)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(e.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// buildPDF writes a minimal one-page PDF whose content stream is
// FlateDecode-compressed and shows the given lines with Tj and TJ.
func buildPDF(t testing.TB, content string, encrypt bool) []byte {
	t.Helper()
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write([]byte(content))
	zw.Close()
	var b bytes.Buffer
	offs := []int{}
	obj := func(s string) {
		offs = append(offs, b.Len())
		b.WriteString(s)
	}
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	obj("1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n")
	obj("2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n")
	obj("3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>\nendobj\n")
	offs = append(offs, b.Len())
	fmt.Fprintf(&b, "4 0 obj\n<< /Length %d /Filter /FlateDecode >>\nstream\n", z.Len())
	b.Write(z.Bytes())
	b.WriteString("\nendstream\nendobj\n")
	obj("5 0 obj\n<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>\nendobj\n")
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	enc := ""
	if encrypt {
		enc = " /Encrypt 6 0 R"
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n", len(offs)+1, enc, xref)
	return b.Bytes()
}

func buildDocx(t testing.TB, paragraphs ...string) []byte {
	t.Helper()
	var doc strings.Builder
	doc.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>`)
	for _, p := range paragraphs {
		// Split each paragraph into two runs mid-way, as Word does.
		h := len(p) / 2
		fmt.Fprintf(&doc, `<w:p><w:r><w:t>%s</w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t xml:space="preserve">%s</w:t></w:r></w:p>`, p[:h], p[h:])
	}
	doc.WriteString(`</w:body></w:document>`)
	return buildZip(t,
		zipEntry{name: "[Content_Types].xml", data: []byte(`<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`)},
		zipEntry{name: "word/document.xml", data: []byte(doc.String())},
		zipEntry{name: "word/styles.xml", data: []byte(`<w:styles xmlns:w="x"><w:style w:styleId="SSN999999999"/></w:styles>`)},
	)
}
