package protect

import (
	"bufio"
	"bytes"
	"fmt"
	"html"
	"io"
	"mime"
	"mime/quotedprintable"
	"strings"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/charset"
	"github.com/emersion/go-message/textproto"

	"github.com/sealgate/sealgate/internal/bufpool"
)

// maxDepth bounds the MIME nesting the legacy display descends into; deeper
// parts are copied as they are.
const maxDepth = 16

// htmlPeek is how much of an HTML part is searched for its <body> tag.
const htmlPeek = 64 << 10

// decodeSubject turns an RFC 2047 Subject into text for the legacy display;
// an undecodable one is shown as it is.
func decodeSubject(raw string) string {
	dec := mime.WordDecoder{CharsetReader: charset.Reader}
	s, err := dec.DecodeHeader(strings.TrimSpace(raw))
	if err != nil {
		return strings.TrimSpace(raw)
	}
	// A folded or hostile Subject must not add lines to the display.
	return strings.Join(strings.Fields(s), " ")
}

// pipeInner is the inner entity written by a goroutine.
type pipeInner struct {
	pr   *io.PipeReader
	done chan struct{}
}

func (p *pipeInner) Read(b []byte) (int, error) { return p.pr.Read(b) }

// Close stops the writer (its next write fails) and waits for it.
func (p *pipeInner) Close() error {
	p.pr.CloseWithError(io.ErrClosedPipe)
	<-p.done
	return nil
}

func startLegacyDisplay(h textproto.Header, body *bufio.Reader, subject string) io.ReadCloser {
	pr, pw := io.Pipe()
	p := &pipeInner{pr: pr, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		bw := bufpool.Writer(pw)
		err := writeEntity(bw, h, body, subject, true, 0)
		if err == nil {
			err = bw.Flush()
		}
		bufpool.PutWriter(bw)
		pw.CloseWithError(err)
	}()
	return p
}

// writeEntity writes the entity h+body to w; if it is a main body part
// (RFC 9788 §4.5.3.1: the text parts a legacy client renders first) its
// text starts with the legacy display.
func writeEntity(w io.Writer, h textproto.Header, body io.Reader, subject string, main bool, depth int) error {
	ct := h.Get("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	if ct == "" {
		mt, params, err = "text/plain", map[string]string{}, nil
	}
	if disp, _, _ := mime.ParseMediaType(h.Get("Content-Disposition")); disp == "attachment" {
		main = false
	}
	switch {
	case !main || err != nil || depth > maxDepth:
	case mt == "text/plain" || mt == "text/html":
		if ok, err := writeDisplayed(w, h, mt, params, body, subject); ok || err != nil {
			return err
		}
	case mt == "multipart/mixed" || mt == "multipart/alternative" || mt == "multipart/related":
		if b := params["boundary"]; b != "" {
			return writeMultipart(w, h, mt, b, body, subject, depth)
		}
	}
	if err := textproto.WriteHeader(w, h); err != nil {
		return err
	}
	_, err = bufpool.Copy(w, body)
	return err
}

// writeMultipart copies a multipart entity part by part: in an alternative
// every part is a main body part, in mixed and related the first (the
// related root by default). Preamble and epilogue are dropped.
func writeMultipart(w io.Writer, h textproto.Header, mt, boundary string, body io.Reader, subject string, depth int) error {
	if err := textproto.WriteHeader(w, h); err != nil {
		return err
	}
	mr := textproto.NewMultipartReader(body, boundary)
	for i := 0; ; i++ {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("protect: multipart: %w", err)
		}
		if _, err := fmt.Fprintf(w, "--%s\r\n", boundary); err != nil {
			return err
		}
		if err := writeEntity(w, p.Header, p, subject, mt == "multipart/alternative" || i == 0, depth+1); err != nil {
			return err
		}
		if _, err := io.WriteString(w, "\r\n"); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintf(w, "--%s--\r\n", boundary)
	return err
}

// writeDisplayed writes a main text part decoded, with the legacy display
// first, as UTF-8 quoted-printable marked hp-legacy-display="1". It
// reports false, having written nothing, when the part's transfer encoding
// or charset is unknown: that part goes out unchanged.
func writeDisplayed(w io.Writer, h textproto.Header, mt string, params map[string]string, body io.Reader, subject string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(h.Get("Content-Transfer-Encoding"))) {
	case "", "7bit", "8bit", "binary", "quoted-printable", "base64":
	default:
		return false, nil
	}
	if cs := params["charset"]; cs != "" {
		// Probe the charset on nothing, so an unknown one consumes no body.
		if _, err := charset.Reader(cs, strings.NewReader("")); err != nil && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "us-ascii") {
			return false, nil
		}
	}
	e, err := message.New(message.Header{Header: h}, body)
	if err != nil {
		return false, nil
	}
	out := h.Copy()
	params["charset"] = "utf-8"
	params["hp-legacy-display"] = "1"
	out.Set("Content-Type", formatContentType(mt, params))
	out.Set("Content-Transfer-Encoding", "quoted-printable")
	if err := textproto.WriteHeader(w, out); err != nil {
		return true, err
	}
	qw := quotedprintable.NewWriter(w)
	if mt == "text/plain" {
		// RFC 9788 §4.5.3.2: the fields, then a blank line.
		if _, err := io.WriteString(qw, "Subject: "+subject+"\r\n\r\n"); err != nil {
			return true, err
		}
	} else {
		// RFC 9788 §4.5.3.3: a div of that class, right after <body>.
		buf := make([]byte, htmlPeek)
		n, err := io.ReadFull(e.Body, buf)
		if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
			return true, err
		}
		buf = buf[:n]
		at := 0
		if i := bytes.Index(bytes.ToLower(buf), []byte("<body")); i >= 0 {
			if j := bytes.IndexByte(buf[i:], '>'); j >= 0 {
				at = i + j + 1
			}
		}
		div := `<div class="header-protection-legacy-display"><pre>Subject: ` + html.EscapeString(subject) + "</pre></div>"
		for _, b := range [][]byte{buf[:at], []byte(div), buf[at:]} {
			if _, err := qw.Write(b); err != nil {
				return true, err
			}
		}
	}
	if _, err := io.Copy(qw, e.Body); err != nil {
		return true, err
	}
	return true, qw.Close()
}
