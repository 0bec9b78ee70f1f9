package tlsrpt

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"time"
)

// mailMessage is RFC 8460 §5.3's report message: multipart/report;
// report-type="tlsrpt" with a text/plain part and the gzip as
// application/tlsrpt+gzip, the TLS-Report-Domain and TLS-Report-Submitter
// fields and the Subject the RFC gives. The report is no PHI (see the
// package comment), so it needs none of the protection messages get.
func (r *Reporter) mailMessage(rcpt, domain string, rep *Report, gz []byte) ([]byte, error) {
	if strings.ContainsAny(rcpt+domain+r.o.From+r.o.Submitter, "\r\n") {
		return nil, errors.New("tlsrpt: line break in a header value")
	}
	var buf bytes.Buffer
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	boundary := mw.Boundary()
	fmt.Fprintf(&buf, "From: %s\r\n", r.o.From)
	fmt.Fprintf(&buf, "To: %s\r\n", rcpt)
	fmt.Fprintf(&buf, "Date: %s\r\n", r.o.Now().Format(time.RFC1123Z))
	// §5.3: "Report Domain: <domain> Submitter: <submitter> Report-ID: <id>",
	// folded as the RFC's example is.
	fmt.Fprintf(&buf, "Subject: Report Domain: %s\r\n Submitter: %s\r\n Report-ID: <%s>\r\n", domain, r.o.Submitter, rep.ReportID)
	fmt.Fprintf(&buf, "Message-ID: <%s.%s>\r\n", randHex(8), rep.ReportID)
	fmt.Fprintf(&buf, "TLS-Report-Domain: %s\r\n", domain)
	fmt.Fprintf(&buf, "TLS-Report-Submitter: %s\r\n", r.o.Submitter)
	buf.WriteString("Auto-Submitted: auto-generated\r\n")
	buf.WriteString("MIME-Version: 1.0\r\n")
	fmt.Fprintf(&buf, "Content-Type: multipart/report; report-type=\"tlsrpt\";\r\n boundary=\"%s\"\r\n\r\n", boundary)
	buf.WriteString("This is a multipart message in MIME format.\r\n\r\n")

	th := textproto.MIMEHeader{}
	th.Set("Content-Type", `text/plain; charset="us-ascii"`)
	th.Set("Content-Transfer-Encoding", "7bit")
	pw, err := mw.CreatePart(th)
	if err != nil {
		return nil, fmt.Errorf("tlsrpt: mail: %w", err)
	}
	fmt.Fprintf(pw, "This is an aggregate TLS report (RFC 8460) from %s\r\nfor %s, %s.\r\n", r.o.Submitter, domain, rep.DateRange.Start.Format(dayLayout))

	gh := textproto.MIMEHeader{}
	gh.Set("Content-Type", "application/tlsrpt+gzip")
	gh.Set("Content-Transfer-Encoding", "base64")
	gh.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": filename(r.o.Submitter, domain, rep.DateRange)}))
	pw, err = mw.CreatePart(gh)
	if err != nil {
		return nil, fmt.Errorf("tlsrpt: mail: %w", err)
	}
	enc := base64.StdEncoding.EncodeToString(gz)
	for len(enc) > 76 {
		io.WriteString(pw, enc[:76]+"\r\n")
		enc = enc[76:]
	}
	io.WriteString(pw, enc+"\r\n")
	if err := mw.Close(); err != nil {
		return nil, fmt.Errorf("tlsrpt: mail: %w", err)
	}
	buf.Write(body.Bytes())
	return buf.Bytes(), nil
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// drain reads a little of the body so the connection can be reused.
func drain(resp *http.Response) { io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) }
