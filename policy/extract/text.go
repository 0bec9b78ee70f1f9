package extract

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// htmlText renders HTML to the text a reader could see: text nodes (entities
// decoded), alt/title/aria-label/placeholder/value attributes and comments,
// but not <script> or <style>. Inline elements add no space, so a number split
// by <b> tags stays one number; block elements end a line.
func htmlText(r io.Reader, maxBuf int64) io.Reader {
	z := html.NewTokenizer(r)
	z.SetMaxBuf(int(min(maxBuf, 1<<30)))
	skip := false // inside <script>/<style>
	return &pullReader{next: func(dst []byte) ([]byte, error) {
		for len(dst) < 16<<10 {
			tt := z.Next()
			switch tt {
			case html.ErrorToken:
				err := z.Err()
				if errors.Is(err, html.ErrBufferExceeded) {
					err = unscannable(ReasonSize, err)
				}
				return dst, err
			case html.TextToken:
				if !skip {
					dst = appendNBSP(dst, z.Text())
				}
			case html.CommentToken:
				// Hidden but present: PHI in a comment still leaves the building.
				dst = append(dst, ' ')
				dst = appendNBSP(dst, z.Text())
				dst = append(dst, ' ')
			case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
				name, hasAttr := z.TagName()
				a := atom.Lookup(name)
				if tt == html.EndTagToken {
					if a == atom.Script || a == atom.Style {
						skip = false
					}
					dst = appendBreak(dst, a)
					continue
				}
				if tt == html.StartTagToken && (a == atom.Script || a == atom.Style) {
					skip = true
				}
				for hasAttr {
					var k, v []byte
					k, v, hasAttr = z.TagAttr()
					switch string(k) {
					case "alt", "title", "aria-label", "placeholder", "value", "label", "summary":
						dst = append(dst, ' ')
						dst = appendNBSP(dst, v)
						dst = append(dst, ' ')
					}
				}
				dst = appendBreak(dst, a)
			}
		}
		return dst, nil
	}}
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

func appendBreak(dst []byte, a atom.Atom) []byte {
	switch a {
	case atom.Br, atom.P, atom.Div, atom.Tr, atom.Li, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6,
		atom.Table, atom.Ul, atom.Ol, atom.Dl, atom.Dt, atom.Dd, atom.Blockquote, atom.Pre, atom.Hr,
		atom.Section, atom.Article, atom.Header, atom.Footer, atom.Address, atom.Title, atom.Option:
		return append(dst, '\n')
	case atom.Td, atom.Th, atom.Img, atom.Input, atom.Button, atom.Label:
		return append(dst, ' ')
	}
	return dst
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
	return &pullReader{next: func(dst []byte) ([]byte, error) {
		for len(dst) < 16<<10 {
			tok, err := d.RawToken()
			if err != nil {
				if err == io.EOF {
					return dst, io.EOF
				}
				return dst, unscannable(ReasonDecode, err)
			}
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
		}
		return dst, nil
	}}
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
	var seg [3]byte
	segLen := 0
	field := 0
	return &pullReader{next: func(dst []byte) ([]byte, error) {
		n, err := r.Read(buf)
		for _, c := range buf[:n] {
			switch c {
			case '\r', '\n':
				if segLen > 0 || field > 0 {
					dst = append(dst, '\n')
				}
				segLen, field = 0, 0
				continue
			case '|':
				field++
				dst = append(dst, ' ')
				if segLen == 3 && string(seg[:]) == "PID" {
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
			if field == 0 && segLen < 3 {
				seg[segLen] = c
				segLen++
			}
			dst = append(dst, c)
		}
		return dst, err
	}}
}
