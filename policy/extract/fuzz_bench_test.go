package extract

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"strings"
	"testing"
	"time"
)

func seedMessages(t testing.TB) []string {
	return []string{
		crlf("Subject: =?UTF-8?Q?hi?=\nX-A: b\n\nSSN 123-45-6789\n"),
		crlf("Content-Type: text/html\n\n<p>a<b>b</b><script>x</script><img alt=q>"),
		crlf("Content-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: message/rfc822\n\nSubject: in\n\nbody\n--B--\n"),
		crlf("Content-Type: text/plain; charset=x-none\nContent-Transfer-Encoding: quoted-printable\n\na=\nb=C3=A9\n"),
		mimeWithAttachment("application/pdf", "a.pdf", buildPDF(t, "BT (x) Tj [(a)-300(b)] TJ ET", false)),
		mimeWithAttachment("application/zip", "a.zip", buildZip(t, zipEntry{name: "a.txt", data: []byte("hello")})),
		mimeWithAttachment("application/octet-stream", "a.docx", buildDocx(t, "hello world")),
		mimeWithAttachment("application/json", "a.json", []byte(`{"a":[1,"b",{"c":null}]}`)),
		mimeWithAttachment("text/xml", "a.xml", []byte(`<a b="c">d<!-- e --></a>`)),
		crlf("Content-Type: text/plain\n\nMSH|^~\\&|A\rPID|1||2||3\r"),
	}
}

func FuzzWalk(f *testing.F) {
	for _, s := range seedMessages(f) {
		f.Add([]byte(s))
	}
	lim := Limits{MaxPartBytes: 1 << 20, MaxDecodedBytes: 4 << 20, Timeout: 5 * time.Second, MaxParts: 200}
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := Walk(context.Background(), bytes.NewReader(data), lim, func(p *Part) error {
			_, err := io.Copy(io.Discard, p.Text)
			return err
		})
		if err != nil {
			t.Fatalf("Walk returned %v for hostile input", err)
		}
		if res.DecodedBytes > lim.MaxDecodedBytes || res.Parts > lim.MaxParts {
			t.Fatalf("limits broken: %+v", res)
		}
	})
}

func benchWalk(b *testing.B, msg string) {
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		_, err := Walk(context.Background(), strings.NewReader(msg), Limits{}, func(p *Part) error {
			_, err := io.Copy(io.Discard, p.Text)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

func benchText(n int) string {
	line := "Patient John Doe, DOB 01/02/1980, MRN 445566, seen for type 2 diabetes; call 555-123-4567.\r\n"
	return strings.Repeat(line, n/len(line)+1)
}

func BenchmarkWalkPlain(b *testing.B) {
	benchWalk(b, crlf("From: a@example.org\nTo: b@example.org\nSubject: notes\nContent-Type: text/plain; charset=utf-8\n\n")+benchText(1<<20))
}

func BenchmarkWalkHTML(b *testing.B) {
	var h strings.Builder
	h.WriteString("<html><head><style>p{color:red}</style></head><body><table>")
	for h.Len() < 1<<20 {
		h.WriteString(`<tr><td class="x">Patient <b>John Doe</b></td><td>DOB&nbsp;01/02/1980</td><td><img alt="MRN 445566" src="cid:x"></td></tr>` + "\r\n")
	}
	h.WriteString("</table></body></html>")
	benchWalk(b, crlf("Content-Type: text/html; charset=utf-8\n\n")+h.String())
}

// mixedMessage is a typical clinical mail: QP text and HTML alternatives,
// then a PDF, a docx and a zipped CSV as base64 attachments.
func mixedMessage(tb testing.TB) string {
	var m strings.Builder
	m.WriteString(crlf("From: a@example.org\nSubject: =?UTF-8?Q?Befund?=\nContent-Type: multipart/mixed; boundary=OUT\n\n--OUT\nContent-Type: multipart/alternative; boundary=ALT\n\n--ALT\nContent-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\n"))
	m.WriteString(benchText(64 << 10))
	m.WriteString(crlf("\n--ALT\nContent-Type: text/html\n\n<p>"))
	m.WriteString(benchText(64 << 10))
	m.WriteString(crlf("</p>\n--ALT--\n"))
	attach := func(ctype, name string, data []byte) {
		m.WriteString("--OUT\r\nContent-Type: " + ctype + "\r\nContent-Disposition: attachment; filename=" + name + "\r\nContent-Transfer-Encoding: base64\r\n\r\n")
		enc := base64.StdEncoding.EncodeToString(data)
		for len(enc) > 76 {
			m.WriteString(enc[:76] + "\r\n")
			enc = enc[76:]
		}
		m.WriteString(enc + "\r\n")
	}
	attach("application/pdf", "r.pdf", buildPDF(tb, "BT ("+strings.Repeat("Patient SSN 123-45-6789 ", 4000)+") Tj ET", false))
	attach("application/octet-stream", "c.docx", buildDocx(tb, strings.Repeat("MRN 445566 diabetes ", 5000)))
	attach("application/zip", "l.zip", buildZip(tb, zipEntry{name: "labs.csv", data: []byte(benchText(256 << 10))}))
	m.WriteString("--OUT--\r\n")
	return m.String()
}

func TestMixedMessageIsFullyScanned(t *testing.T) {
	o := walkString(t, mixedMessage(t), Limits{})
	if len(o.res.Unscannable) != 0 || o.res.Parts != 8 {
		t.Errorf("result = %+v", o.res)
	}
	kinds := map[string]bool{}
	for _, p := range o.parts {
		kinds[p.ContentType+" "+p.Filename] = strings.Contains(p.text, "445566")
	}
	for _, k := range []string{"text/plain ", "text/html ", "application/pdf r.pdf", "application/vnd.openxmlformats-officedocument.wordprocessingml.document c.docx", "text/csv labs.csv"} {
		if _, ok := kinds[k]; !ok {
			t.Errorf("no part %q in %v", k, kinds)
		}
	}
}

func BenchmarkWalkMixed(b *testing.B) {
	benchWalk(b, mixedMessage(b))
}
