package extract

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/url"
	"strconv"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// htmlText renders HTML to the text a reader could see: text nodes (entities
// decoded), alt/title/aria-label/placeholder/value attributes and comments,
// but not <script> or <style>. Inline elements add no space, so a number split
// by <b> tags stays one number; block elements end a line. Comments are
// written at the next line break instead of where they are, so
// "512-48-<!-- x -->3901" reads as one number and the comment is still
// scanned. Table cells are written after their column header (table.go).
func htmlText(r io.Reader, maxBuf int64) io.Reader {
	z := html.NewTokenizer(r)
	z.SetMaxBuf(int(min(maxBuf, 1<<30)))
	h := &htmlState{z: z}
	return &pullReader{next: h.next}
}

const (
	maxTableDepth   = 32       // nested tables followed; deeper ones are read as plain text
	maxHeldComments = 64 << 10 // comment text held for the next line break; more is written at once
)

type htmlState struct {
	z        *html.Tokenizer
	skip     bool // inside <script>/<style>
	tables   []tableState
	depth    int    // open tables in tables[:depth]
	overflow int    // open tables nested deeper than maxTableDepth
	comments []byte // comment text owed to the next line break
	attrs    []byte // attribute text of the current tag
}

// top is the innermost open table, structure is the one whose rows and
// cells are followed (nil while inside tables nested too deep).
func (h *htmlState) top() *tableState {
	if h.depth == 0 {
		return nil
	}
	return &h.tables[h.depth-1]
}

func (h *htmlState) structure() *tableState {
	if h.overflow > 0 {
		return nil
	}
	return h.top()
}

// newline ends a line and writes the comments held until now.
func (h *htmlState) newline(dst []byte) []byte {
	dst = append(dst, '\n')
	if len(h.comments) > 0 {
		dst = append(dst, h.comments...)
		dst = append(dst, '\n')
		h.comments = h.comments[:0]
	}
	return dst
}

// inline writes text that is not a text node (an attribute, stray text in
// a table): inside a cell it is cell content, elsewhere it stands apart.
func (h *htmlState) inline(dst, s []byte) []byte {
	if t := h.top(); t != nil && t.cellOpen {
		t.space(' ')
		dst = t.text(dst, s)
		t.space(' ')
		return dst
	}
	dst = append(dst, ' ')
	dst = appendNBSP(dst, s)
	return append(dst, ' ')
}

func (h *htmlState) brk(dst []byte, a atom.Atom) []byte {
	b := breakOf(a)
	if b == 0 {
		return dst
	}
	if t := h.top(); t != nil && t.cellOpen {
		t.space(b) // at a cell's edge a break is nothing; inside it, it is written
		return dst
	}
	if b == '\n' {
		return h.newline(dst)
	}
	return append(dst, b)
}

func (h *htmlState) next(dst []byte) ([]byte, error) {
	z := h.z
	for len(dst) < 16<<10 {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			err := z.Err()
			if errors.Is(err, html.ErrBufferExceeded) {
				err = unscannable(ReasonSize, err)
			}
			if len(h.comments) > 0 {
				dst = h.newline(dst)
			}
			return dst, err
		case html.TextToken:
			if h.skip {
				continue
			}
			text := z.Text()
			if t := h.top(); t == nil {
				dst = appendNBSP(dst, text)
			} else if t.cellOpen {
				dst = t.text(dst, text)
			} else if len(trimSpaceLeft(text)) > 0 {
				dst = h.inline(dst, text) // text between cells: shown above the table
			}
		case html.CommentToken:
			// Hidden but present: PHI in a comment still leaves the building.
			text := z.Text()
			if len(h.comments)+len(text) > maxHeldComments {
				dst = append(dst, ' ')
				dst = appendNBSP(dst, text)
				dst = append(dst, ' ')
				continue
			}
			h.comments = appendNBSP(h.comments, text)
			h.comments = append(h.comments, ' ')
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			// The name and the attributes of interest are found in the raw
			// tag: the tokenizer's TagName and TagAttr copy every name and
			// value, the largest cost of reading HTML mail.
			raw := z.Raw()
			a := tagAtom(raw)
			if tt == html.EndTagToken {
				dst = h.endTag(dst, a)
				continue
			}
			if tt == html.StartTagToken && (a == atom.Script || a == atom.Style) {
				h.skip = true
			}
			span := 1
			h.attrs = h.attrs[:0]
			hasAttr := mayHaveTextAttr(raw)
			for hasAttr {
				var k, v []byte
				k, v, hasAttr = z.TagAttr()
				switch string(k) {
				case "alt", "title", "aria-label", "placeholder", "value", "label", "summary":
					h.attrs = append(h.attrs, ' ')
					h.attrs = append(h.attrs, v...)
				case "href":
					h.attrs = appendQuery(h.attrs, v)
				case "colspan":
					if n, err := strconv.Atoi(string(bytes.TrimSpace(v))); err == nil && n > 1 {
						span = min(n, 1000) // the HTML limit
					}
				}
			}
			dst = h.startTag(dst, a, tt == html.SelfClosingTagToken, span)
			if len(h.attrs) > 0 {
				dst = h.inline(dst, h.attrs[1:])
			}
		}
	}
	return dst, nil
}

func (h *htmlState) startTag(dst []byte, a atom.Atom, selfClosing bool, span int) []byte {
	switch a {
	case atom.Table:
		if selfClosing {
			return dst
		}
		if h.overflow > 0 || h.depth >= maxTableDepth {
			h.overflow++
			return h.newline(dst)
		}
		if t := h.top(); t != nil && t.cellOpen {
			t.nested()
		}
		if h.depth == len(h.tables) {
			h.tables = append(h.tables, tableState{})
		}
		h.tables[h.depth].reset()
		h.depth++
		return h.newline(dst)
	case atom.Tr:
		if t := h.structure(); t != nil {
			t.beginRow()
		}
		return h.newline(dst)
	case atom.Td, atom.Th:
		if t := h.structure(); t != nil {
			t.beginCell(-1, span, a == atom.Th)
			return dst
		}
	case atom.Thead, atom.Tbody, atom.Tfoot:
		if t := h.structure(); t != nil {
			t.endRow()
			t.inHead = a == atom.Thead
			return dst
		}
	}
	return h.brk(dst, a)
}

func (h *htmlState) endTag(dst []byte, a atom.Atom) []byte {
	switch a {
	case atom.Script, atom.Style:
		h.skip = false
	case atom.Table:
		if h.overflow > 0 {
			h.overflow--
		} else if t := h.top(); t != nil {
			t.endRow()
			h.depth--
		}
		return h.newline(dst)
	case atom.Tr:
		if t := h.structure(); t != nil {
			t.endRow()
		}
		return h.newline(dst)
	case atom.Td, atom.Th:
		if t := h.structure(); t != nil {
			t.endCell()
			return dst
		}
	case atom.Thead:
		if t := h.structure(); t != nil {
			t.endRow()
			t.inHead = false
			return dst
		}
	}
	return h.brk(dst, a)
}

// tagAtom returns the element of a raw start or end tag ("<TD class=x>",
// "</td>"), 0 for names no atom has.
func tagAtom(raw []byte) atom.Atom {
	i := 1
	if i < len(raw) && raw[i] == '/' {
		i++
	}
	var buf [16]byte
	n := 0
	for ; i < len(raw); i++ {
		c := raw[i]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '/' || c == '>' {
			break
		}
		if n == len(buf) {
			return 0 // no atom is this long
		}
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[n] = c
		n++
	}
	return atom.Lookup(buf[:n])
}

// textAttrs are the attributes whose values are read (and colspan); see
// mayHaveTextAttr.
var textAttrs = [...]string{"alt", "title", "label", "placeholder", "value", "summary", "colspan", "href"}

// appendQuery appends the query string of a link as labelled text: a portal link
// "...?mrn=4455667&dob=1961-03-11" reads "mrn: 4455667 / dob: 1961-03-11", so what a
// link carries is scanned like what the page shows. The rest of the URL is not read
// (paths and tokens are noise).
func appendQuery(dst, href []byte) []byte {
	i := bytes.IndexByte(href, '?')
	if i < 0 {
		return dst
	}
	q := href[i+1:]
	if j := bytes.IndexByte(q, '#'); j >= 0 {
		q = q[:j]
	}
	for len(q) > 0 {
		var pair []byte
		pair, q, _ = bytes.Cut(q, []byte{'&'})
		k, v, ok := bytes.Cut(pair, []byte{'='})
		if !ok || len(v) == 0 {
			continue
		}
		ku, err1 := url.QueryUnescape(string(k))
		vu, err2 := url.QueryUnescape(string(v))
		if err1 != nil || err2 != nil {
			ku, vu = string(k), string(v)
		}
		dst = append(dst, " / "...)
		dst = append(dst, ku...)
		dst = append(dst, ": "...)
		dst = append(dst, vu...)
	}
	return dst
}

// mayHaveTextAttr says whether a raw tag may carry one of textAttrs
// ("aria-label" contains "label"): a cheap case-insensitive search that may
// say yes for a value mentioning one, never no for a tag that has one.
func mayHaveTextAttr(raw []byte) bool {
	for i := 1; i < len(raw); i++ {
		c := raw[i] | 0x20
		if c != 'a' && c != 't' && c != 'l' && c != 'p' && c != 'v' && c != 's' && c != 'c' && c != 'h' {
			continue
		}
		for _, w := range textAttrs {
			if w[0] == c && len(raw)-i >= len(w) && asciiEqualFold(raw[i:i+len(w)], w) {
				return true
			}
		}
	}
	return false
}

func asciiEqualFold(b []byte, lower string) bool {
	for k := 0; k < len(lower); k++ {
		if b[k]|0x20 != lower[k] {
			return false
		}
	}
	return true
}

// appendNBSP appends text with no-break spaces turned into spaces.
func appendNBSP(dst, s []byte) []byte {
	for {
		i := bytes.Index(s, []byte("\u00a0"))
		if i < 0 {
			return append(dst, s...)
		}
		dst = append(dst, s[:i]...)
		dst = append(dst, ' ')
		s = s[i+2:]
	}
}

// breakOf says what an element adds around its content: a line break for
// blocks, a space for cells and form controls, nothing for inline elements.
func breakOf(a atom.Atom) byte {
	switch a {
	case atom.Br, atom.P, atom.Div, atom.Tr, atom.Li, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6,
		atom.Table, atom.Ul, atom.Ol, atom.Dl, atom.Dt, atom.Dd, atom.Blockquote, atom.Pre, atom.Hr,
		atom.Section, atom.Article, atom.Header, atom.Footer, atom.Address, atom.Title, atom.Option, atom.Caption:
		return '\n'
	case atom.Td, atom.Th, atom.Img, atom.Input, atom.Button, atom.Label:
		return ' '
	}
	return 0
}

// xmlTokens reads d's raw tokens, handing each to on, which appends text to
// dst: the pull loop every XML text reader here shares. A broken document is
// unscannable ("decode").
func xmlTokens(d *xml.Decoder, on func(dst []byte, tok xml.Token) []byte) io.Reader {
	return &pullReader{next: func(dst []byte) ([]byte, error) {
		for len(dst) < 16<<10 {
			tok, err := d.RawToken()
			if err != nil {
				if err == io.EOF {
					return dst, io.EOF
				}
				return dst, unscannable(ReasonDecode, err)
			}
			dst = on(dst, tok)
		}
		return dst, nil
	}}
}

// xmlText yields text nodes and attribute values, one per line. Entities are
// decoded; DTD entities are not expanded (no billion laughs).
func xmlText(r io.Reader) io.Reader {
	d := xml.NewDecoder(r)
	d.Strict = false
	d.Entity = xml.HTMLEntity
	d.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		return in, nil // the MIME layer already converted; a lying prolog must not stop us
	}
	return xmlTokens(d, func(dst []byte, tok xml.Token) []byte {
		switch t := tok.(type) {
		case xml.StartElement:
			for _, a := range t.Attr {
				if a.Name.Space == "xmlns" || a.Name.Local == "xmlns" {
					continue
				}
				dst = append(dst, a.Value...)
				dst = append(dst, '\n')
			}
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				dst = append(dst, t...)
				dst = append(dst, '\n')
			}
		case xml.Comment:
			dst = append(dst, t...)
			dst = append(dst, '\n')
		}
		return dst
	})
}

// jsonText yields keys, string values and numbers, one per line: keys stay
// because "ssn" or a FHIR identifier system next to a value is context the
// detectors use.
// maxJSONDepth bounds nesting: the decoder keeps a stack entry per open
// bracket, and brackets alone yield no text to charge the byte budget.
const maxJSONDepth = 1000

func jsonText(r io.Reader) io.Reader {
	d := json.NewDecoder(r)
	d.UseNumber()
	depth := 0
	return &pullReader{next: func(dst []byte) ([]byte, error) {
		for len(dst) < 16<<10 {
			tok, err := d.Token()
			if err != nil {
				if err == io.EOF {
					return dst, io.EOF
				}
				return dst, unscannable(ReasonDecode, err)
			}
			if delim, ok := tok.(json.Delim); ok {
				if delim == '[' || delim == '{' {
					if depth++; depth > maxJSONDepth {
						return dst, unscannable(ReasonDepth, errors.New("extract: JSON nested too deep"))
					}
				} else {
					depth--
				}
			}
			switch t := tok.(type) {
			case string:
				dst = append(dst, t...)
				dst = append(dst, '\n')
			case json.Number:
				dst = append(dst, t...)
				dst = append(dst, '\n')
			}
		}
		return dst, nil
	}}
}

// hl7Text turns HL7 v2 ER7 into words: segments become lines and the
// field, component, repetition, escape and subcomponent separators become
// spaces. A few PID fields get a label in front so proximity scoring sees
// them as what they are (PID-3 MRN, PID-5 name, PID-7 DOB, PID-19 SSN).
func hl7Text(r io.Reader) io.Reader {
	buf := make([]byte, 16<<10)
	var seg [4]byte
	segLen := 0 // the word before a line's first '|'; 5: longer than a segment name
	field := 0
	pid := false
	return &pullReader{next: func(dst []byte) ([]byte, error) {
		n, err := r.Read(buf)
		for _, c := range buf[:n] {
			switch c {
			case '\r', '\n':
				if segLen > 0 || field > 0 {
					dst = append(dst, '\n')
				}
				segLen, field, pid = 0, 0, false
				continue
			case '|':
				field++
				dst = append(dst, ' ')
				if field == 1 {
					pid = patientSegment(seg[:min(segLen, len(seg))], segLen)
				}
				if pid {
					switch field {
					case 3:
						dst = append(dst, "MRN "...)
					case 5:
						dst = append(dst, "patient name "...)
					case 7:
						dst = append(dst, "DOB "...)
					case 19:
						dst = append(dst, "SSN "...)
					}
				}
				continue
			case '^', '~', '&', '\\':
				dst = append(dst, ' ')
				continue
			}
			if field == 0 {
				switch {
				case c == ' ' || c == '\t' || c == ']':
					segLen = 0 // a log line's timestamp or tag before the record: "[RX] 2P|"
				case segLen < len(seg):
					seg[segLen] = c
					segLen++
				default:
					segLen = len(seg) + 1
				}
			}
			dst = append(dst, c)
		}
		return dst, err
	}}
}

// patientSegment reports the segments whose fields 3, 5, 7 (and 19) are the patient's
// identifier, name and date of birth: HL7 v2 PID, and the ASTM E1394 patient record "P",
// which instruments send with a frame number before it ("2P|1||00917734||DOE^JANE||19480207").
func patientSegment(seg []byte, n int) bool {
	switch {
	case n == 3:
		return string(seg) == "PID"
	case n == 1:
		return seg[0] == 'P'
	case n == 2:
		return seg[0] >= '0' && seg[0] <= '7' && seg[1] == 'P'
	}
	return false
}

// unquote drops the reply markers at the start of quoted lines ("> ",
// "> > ", ">>") of a plain-text body, so a term, a label or a number that a
// mail client wrapped inside a quote reads as it was written: "heart\n>
// failure" is "heart\nfailure". A '>' not followed by a space, another '>'
// or the line's end (">5 mg/dL") is kept.
func unquote(r io.Reader) io.Reader {
	buf := make([]byte, 16<<10)
	atStart := true // at the start of a line, or inside its run of markers
	pending := 0    // '>' seen at a line start, not yet known to be a marker
	return &pullReader{next: func(dst []byte) ([]byte, error) {
		n, err := r.Read(buf)
		for _, c := range buf[:n] {
			if atStart {
				switch {
				case c == '>':
					pending++
					continue
				case pending > 0 && (c == ' ' || c == '\t'):
					pending = 0 // markers confirmed; spaces after them go too
					continue
				case pending > 0 && (c == '\n' || c == '\r'):
					pending = 0
				case pending > 0:
					for ; pending > 0; pending-- {
						dst = append(dst, '>')
					}
					atStart = false
				default:
					atStart = false
				}
			}
			dst = append(dst, c)
			if c == '\n' {
				atStart = true
			}
		}
		if err != nil {
			for ; pending > 0; pending-- {
				dst = append(dst, '>')
			}
		}
		return dst, err
	}}
}
