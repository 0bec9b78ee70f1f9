package extract

import (
	"bufio"
	"bytes"
	"html"
	"io"
)

// pdftotext -htmlmeta writes the document information (title, subject,
// keywords, author: what Word and LibreOffice fill in from File > Properties,
// and what a scanner names "Ruiz Maria DOB 04-02-1980") in an HTML head,
// then the text in one <pre>. htmlMeta keeps the head's values apart, to be
// scanned as a part of their own so they never count as page text (a scanned
// page with a title is still a scan), and passes the text on unescaped.

const maxPDFMeta = 8 << 10 // metadata text kept; the rest is dropped

type htmlMeta struct {
	br     *bufio.Reader
	meta   []byte
	inBody bool
	done   bool
	carry  []byte // an entity cut by the read buffer
	out    []byte
}

func newHTMLMeta(r io.Reader) *htmlMeta {
	return &htmlMeta{br: bufio.NewReaderSize(r, 32<<10)}
}

// metaNames are the information entries worth scanning; dates and producer
// names are not.
var metaNames = [][]byte{[]byte(`"Subject"`), []byte(`"Keywords"`), []byte(`"Author"`)}

func (h *htmlMeta) head(line []byte) {
	line = bytes.TrimSpace(line)
	add := func(v []byte) {
		if len(h.meta)+len(v)+1 <= maxPDFMeta {
			h.meta = append(h.meta, html.UnescapeString(string(v))...)
			h.meta = append(h.meta, '\n')
		}
	}
	if v, ok := bytes.CutPrefix(line, []byte("<title>")); ok {
		add(bytes.TrimSuffix(v, []byte("</title>")))
		return
	}
	if !bytes.HasPrefix(line, []byte("<meta name=")) {
		return
	}
	for _, n := range metaNames {
		if bytes.Contains(line, n) {
			if _, v, ok := bytes.Cut(line, []byte(`content="`)); ok {
				if i := bytes.LastIndexByte(v, '"'); i >= 0 {
					add(v[:i])
				}
			}
		}
	}
}

func (h *htmlMeta) Read(p []byte) (int, error) {
	for len(h.out) == 0 {
		if h.done {
			return 0, io.EOF
		}
		line, err := h.br.ReadSlice('\n')
		full := err == bufio.ErrBufferFull
		if err != nil && !full && err != io.EOF {
			return 0, err
		}
		switch {
		case !h.inBody:
			if bytes.HasPrefix(bytes.TrimSpace(line), []byte("<pre>")) {
				h.inBody = true
			} else if !full {
				h.head(line)
			}
		case bytes.Equal(bytes.TrimRight(line, "\r\n"), []byte("</pre>")) && len(h.carry) == 0:
			h.done = true // the rest is </body></html>
			_, _ = io.Copy(io.Discard, h.br)
		default:
			buf := append(h.carry, line...)
			h.carry = nil
			if full {
				// Hold back a possibly cut entity ("&am") for the next read.
				if i := bytes.LastIndexByte(buf, '&'); i >= 0 && i >= len(buf)-8 && bytes.IndexByte(buf[i:], ';') < 0 {
					h.carry = append([]byte(nil), buf[i:]...)
					buf = buf[:i]
				}
			}
			h.out = append(h.out[:0], html.UnescapeString(string(buf))...)
		}
		if err == io.EOF {
			h.done = true
			if len(h.carry) > 0 {
				h.out = append(h.out, h.carry...)
				h.carry = nil
			}
		}
	}
	n := copy(p, h.out)
	h.out = h.out[n:]
	return n, nil
}
