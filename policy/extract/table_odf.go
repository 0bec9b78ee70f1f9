package extract

import (
	"archive/zip"
	"encoding/xml"
	"io"
	"strconv"
	"strings"
)

// isODF recognises an OpenDocument package (.ods, .odt, .odp from
// LibreOffice): a "mimetype" member and a content.xml.
func isODF(zr *zip.Reader) bool {
	var mt, content bool
	for _, f := range zr.File {
		switch f.Name {
		case "mimetype":
			mt = true
		case "content.xml":
			content = true
		}
	}
	return mt && content
}

// odfContent reads an OpenDocument content.xml as one part: its text with
// tables (a Calc sheet, a Writer table) rendered column-aware (table.go).
func (w *walker) odfContent(f *zip.File, idx, depth int) {
	rc := w.openMember(f, idx)
	if rc == nil {
		return
	}
	defer rc.Close()
	w.emit(&Part{Index: idx, Kind: KindAttachment, ContentType: "application/xml", Filename: f.Name,
		Size: int64(f.CompressedSize64), Depth: depth}, odfText(newCtxReader(w.ctx, rc)))
}

// odfSkipAttr are attributes that only point at styles or describe the
// grid; every other attribute value in the body is read (cell values,
// formulas, link targets, names), as for any XML.
func odfSkipAttr(local string) bool {
	switch local {
	case "value-type", "number-columns-repeated", "number-columns-spanned", "number-rows-repeated",
		"number-rows-spanned", "number-matrix-columns-spanned", "number-matrix-rows-spanned", "c":
		return true
	}
	return strings.HasSuffix(local, "style-name")
}

func odfText(r io.Reader) io.Reader {
	d := xml.NewDecoder(r)
	d.Strict = false
	d.CharsetReader = func(_ string, in io.Reader) (io.Reader, error) { return in, nil }
	var tn tableNest
	inBody := false
	var attrs []byte // attribute values of the current row, written after it
	flushAttrs := func(dst []byte) []byte {
		if len(attrs) > 0 {
			dst = append(dst, attrs...)
			attrs = attrs[:0]
		}
		return dst
	}
	return &pullReader{next: func(dst []byte) ([]byte, error) {
		for len(dst) < 16<<10 {
			tok, err := d.RawToken()
			if err != nil {
				if err == io.EOF {
					return flushAttrs(dst), io.EOF
				}
				return flushAttrs(dst), unscannable(ReasonDecode, err)
			}
			switch t := tok.(type) {
			case xml.StartElement:
				if inBody {
					for _, a := range t.Attr {
						if a.Name.Space == "xmlns" || a.Name.Local == "xmlns" || odfSkipAttr(a.Name.Local) || a.Value == "" {
							continue
						}
						attrs = append(attrs, a.Value...)
						attrs = append(attrs, '\n')
					}
					if tn.depth == 0 || len(attrs) > 64<<10 {
						dst = flushAttrs(dst)
					}
				}
				switch t.Name.Local {
				case "body":
					inBody = true
				case "table":
					dst = tn.open(dst)
				case "table-row":
					if tt := tn.top(); tt != nil {
						tt.beginRow()
					}
				case "table-cell":
					tt := tn.top()
					if tt == nil {
						break
					}
					// A repeated cell (the same value in n columns) is written
					// once, spanning them; a spanned one is followed by
					// covered cells that take no column of their own.
					span := 1
					for _, a := range t.Attr {
						if a.Name.Local == "number-columns-repeated" || a.Name.Local == "number-columns-spanned" {
							if n, err := strconv.Atoi(a.Value); err == nil && n > span {
								span = n
							}
						}
					}
					tt.beginCell(-1, span, false)
				case "s", "tab":
					dst = tn.brk(dst, ' ')
				case "line-break":
					dst = tn.brk(dst, '\n')
				}
			case xml.EndElement:
				switch t.Name.Local {
				case "body":
					inBody = false
				case "p", "h":
					dst = tn.brk(dst, '\n')
				case "table-cell":
					if tt := tn.top(); tt != nil {
						tt.endCell()
					}
				case "table-row":
					if tt := tn.top(); tt != nil {
						tt.endRow()
					}
					dst = append(dst, '\n')
					dst = flushAttrs(dst)
				case "table":
					dst = tn.close(dst)
					dst = flushAttrs(dst)
				}
			case xml.CharData:
				if tn.cell() != nil || len(trimSpaceLeft(t)) > 0 {
					dst = tn.text(dst, t)
				}
			}
		}
		return dst, nil
	}}
}
