package extract

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// xlsxBook is what the sheets of a workbook need from its other parts:
// the shared strings (most text cells are indexes into them), which cell
// styles are dates (Excel stores a date as a day number), and the 1904 date
// system flag.
type xlsxBook struct {
	strs      []byte   // shared strings, concatenated
	ends      []uint32 // end offset of each string in strs
	used      []uint64 // bitset: strings a cell referenced
	dateStyle []bool   // per cellXfs index
	digits    []string // per cellXfs index: a digit template ("000-00-0000"), or ""
	date1904  bool
	names     []string // sheet names (text a reader sees on the tabs)
}

// loadXlsx reads sharedStrings.xml, styles.xml and workbook.xml. The shared
// strings are held in memory, like a PDF, at most MaxPartBytes (openMember
// refuses bigger members); a broken part is flagged and the rest still read.
func (w *walker) loadXlsx(zr *zip.Reader, idx int) *xlsxBook {
	b := &xlsxBook{}
	for _, f := range zr.File {
		var load func(*xml.Decoder) error
		switch f.Name {
		case "xl/sharedStrings.xml":
			load = b.loadStrings
		case "xl/styles.xml":
			load = b.loadStyles
		case "xl/workbook.xml":
			load = b.loadWorkbook
		default:
			continue
		}
		rc := w.openMember(f, idx)
		if rc == nil {
			continue
		}
		d := xml.NewDecoder(newCtxReader(w.ctx, rc))
		d.Strict = false
		d.CharsetReader = func(_ string, in io.Reader) (io.Reader, error) { return in, nil }
		if err := load(d); err != nil && err != io.EOF {
			w.fail(idx, unscannable(ReasonDecode, err))
		}
		rc.Close()
	}
	b.used = make([]uint64, (len(b.ends)+63)/64)
	return b
}

func (b *xlsxBook) loadStrings(d *xml.Decoder) error {
	inT := 0
	for {
		tok, err := d.RawToken()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local == "t" {
				inT++
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "t":
				inT = max(0, inT-1)
			case "si":
				if len(b.strs) > math.MaxUint32 {
					return unscannable(ReasonSize, nil)
				}
				b.ends = append(b.ends, uint32(len(b.strs)))
			}
		case xml.CharData:
			if inT > 0 {
				b.strs = append(b.strs, t...)
			}
		}
	}
}

// str returns shared string i and marks it used.
func (b *xlsxBook) str(i int) ([]byte, bool) {
	if i < 0 || i >= len(b.ends) {
		return nil, false
	}
	b.used[i/64] |= 1 << (i % 64)
	start := uint32(0)
	if i > 0 {
		start = b.ends[i-1]
	}
	return b.strs[start:b.ends[i]], true
}

func (b *xlsxBook) loadStyles(d *xml.Decoder) error {
	type numFmt struct {
		date bool
		tmpl string
	}
	custom := map[int]numFmt{}
	inXfs := false
	for {
		tok, err := d.RawToken()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "numFmt":
				id, code := -1, ""
				for _, a := range t.Attr {
					switch a.Name.Local {
					case "numFmtId":
						id, _ = strconv.Atoi(a.Value)
					case "formatCode":
						code = a.Value
					}
				}
				if id >= 0 && len(custom) < 1<<16 {
					custom[id] = numFmt{isDateFormat(code), digitTemplate(code)}
				}
			case "cellXfs":
				inXfs = true
			case "xf":
				if inXfs && len(b.dateStyle) < 1<<16 {
					id := 0
					for _, a := range t.Attr {
						if a.Name.Local == "numFmtId" {
							id, _ = strconv.Atoi(a.Value)
						}
					}
					nf, ok := custom[id]
					if !ok {
						nf.date = builtinDateFormat(id)
					}
					b.dateStyle = append(b.dateStyle, nf.date)
					b.digits = append(b.digits, nf.tmpl)
				}
			}
		case xml.EndElement:
			if t.Name.Local == "cellXfs" {
				inXfs = false
			}
		}
	}
}

func (b *xlsxBook) loadWorkbook(d *xml.Decoder) error {
	for {
		tok, err := d.RawToken()
		if err != nil {
			return err
		}
		if t, ok := tok.(xml.StartElement); ok {
			switch t.Name.Local {
			case "workbookPr":
				for _, a := range t.Attr {
					if a.Name.Local == "date1904" && (a.Value == "1" || a.Value == "true") {
						b.date1904 = true
					}
				}
			case "sheet":
				for _, a := range t.Attr {
					if a.Name.Local == "name" && len(b.names) < 1<<16 {
						b.names = append(b.names, a.Value)
					}
				}
			}
		}
	}
}

// builtinDateFormat: ECMA-376 §18.8.30 built-in formats that show a date
// (14-17, 22) and the East Asian date formats (27-36, 50-58).
func builtinDateFormat(id int) bool {
	return (id >= 14 && id <= 17) || id == 22 || (id >= 27 && id <= 36) || (id >= 50 && id <= 58)
}

// isDateFormat says whether a number format code shows a date: it has a
// day or year part outside quoted text, escapes and [brackets].
func isDateFormat(code string) bool {
	if i := strings.IndexByte(code, ';'); i >= 0 {
		code = code[:i]
	}
	for i := 0; i < len(code); i++ {
		switch c := code[i]; c {
		case '"':
			if j := strings.IndexByte(code[i+1:], '"'); j >= 0 {
				i += j + 1
			} else {
				return false
			}
		case '[':
			if j := strings.IndexByte(code[i+1:], ']'); j >= 0 {
				i += j + 1
			}
		case '\\', '_', '*':
			i++
		case 'd', 'D', 'y', 'Y':
			return true
		}
	}
	return false
}

// appendNumber writes a numeric cell as Excel would show its digits: day
// numbers in a date style as m/d/yyyy, exponents spelled out when the
// value is a whole number ("1.23456789E+8" is 123456789).
func (b *xlsxBook) appendNumber(dst, v []byte, style int) []byte {
	if style >= 0 && style < len(b.dateStyle) && b.dateStyle[style] {
		if f, err := strconv.ParseFloat(string(v), 64); err == nil && f >= 1 && f < 2958466 {
			return appendExcelDate(dst, f, b.date1904)
		}
	}
	start := len(dst)
	dst = append(dst, v...)
	if bytes.ContainsAny(v, "eE") {
		if f, err := strconv.ParseFloat(string(v), 64); err == nil && f == math.Trunc(f) && math.Abs(f) < 1e21 {
			dst = strconv.AppendFloat(dst[:start], f, 'f', -1, 64)
		}
	}
	if style >= 0 && style < len(b.digits) && b.digits[style] != "" && allDigits(dst[start:]) {
		// "Special: Social Security Number" (000-00-0000) shows 83132114 as
		// 083-13-2114: the leading zero and the dashes are what a reader sees.
		var num [32]byte
		n := copy(num[:], dst[start:])
		if n == len(dst)-start {
			dst = appendDigitTemplate(dst[:start], num[:n], b.digits[style])
		}
	}
	return dst
}

func allDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0
}

// digitTemplate returns a number format made only of '0' digit slots and
// literal characters ("000\-00\-0000", "00000", "(000) 000\-0000") as
// the characters it shows, '0' for a slot; "" for any other format.
func digitTemplate(code string) string {
	if i := strings.IndexByte(code, ';'); i >= 0 {
		code = code[:i]
	}
	var t []byte
	slots := 0
	for i := 0; i < len(code) && len(t) < 32; i++ {
		switch c := code[i]; c {
		case '0':
			t = append(t, '0')
			slots++
		case '\\':
			if i+1 < len(code) && code[i+1] != '0' {
				i++
				t = append(t, code[i])
			} else {
				return ""
			}
		case '"':
			j := strings.IndexByte(code[i+1:], '"')
			if j < 0 || strings.IndexByte(code[i+1:i+1+j], '0') >= 0 {
				return ""
			}
			t = append(t, code[i+1:i+1+j]...)
			i += j + 1
		case '-', '(', ')', ' ', '/', ':', '+':
			t = append(t, c)
		default:
			return ""
		}
	}
	if slots < 2 || len(t) >= 32 {
		return ""
	}
	return string(t)
}

// appendDigitTemplate fills the slots of tmpl with digits, right-aligned and
// zero-padded as Excel does; digits beyond the slots go before the first.
func appendDigitTemplate(dst, digits []byte, tmpl string) []byte {
	slots := strings.Count(tmpl, "0")
	extra := len(digits) - slots
	k := 0 // next digit
	first := true
	for i := 0; i < len(tmpl); i++ {
		if tmpl[i] != '0' {
			dst = append(dst, tmpl[i])
			continue
		}
		if first && extra > 0 {
			dst = append(dst, digits[:extra]...)
			k = extra
		}
		first = false
		if extra < 0 {
			dst = append(dst, '0')
			extra++
			continue
		}
		dst = append(dst, digits[k])
		k++
	}
	return dst
}

func appendExcelDate(dst []byte, serial float64, date1904 bool) []byte {
	days := int(serial)
	var base time.Time
	switch {
	case date1904:
		base = time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC)
	case days == 60:
		return append(dst, "02/29/1900"...) // Lotus 1-2-3's leap day, kept by Excel
	case days < 60:
		base = time.Date(1899, 12, 31, 0, 0, 0, 0, time.UTC)
	default:
		base = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	}
	return base.AddDate(0, 0, days).AppendFormat(dst, "01/02/2006")
}

// cellRef parses the column of a cell reference ("AB12" is 27), -1 if none.
func cellRef(r string) int {
	col := 0
	n := 0
	for n < len(r) && r[n] >= 'A' && r[n] <= 'Z' {
		col = col*26 + int(r[n]-'A'+1)
		n++
		if col > 16384 {
			return -1
		}
	}
	if n == 0 {
		return -1
	}
	return col - 1
}

// sheetText renders a worksheet row by row, each cell after its column
// header (table.go). Shared strings are looked up; numbers are formatted;
// formulas are not text (their cached value is); page headers and footers
// are read as lines of their own.
func (b *xlsxBook) sheetText(r io.Reader) io.Reader {
	d := xml.NewDecoder(r)
	d.Strict = false
	var t tableState
	var (
		lastRow   = 0
		typ       string
		style     = -1
		inV, inIS bool
		inT       int
		inHF      bool
		val       []byte
		valOver   bool
		scratch   []byte
	)
	return &pullReader{next: func(dst []byte) ([]byte, error) {
		for len(dst) < 16<<10 {
			tok, err := d.RawToken()
			if err != nil {
				if err == io.EOF {
					t.endRow()
					return dst, io.EOF
				}
				return dst, unscannable(ReasonDecode, err)
			}
			switch x := tok.(type) {
			case xml.StartElement:
				switch x.Name.Local {
				case "row":
					n := 0
					for _, a := range x.Attr {
						if a.Name.Local == "r" {
							n, _ = strconv.Atoi(a.Value)
						}
					}
					if t.inRow {
						t.endRow()
					}
					if lastRow > 0 && n > lastRow+1 {
						t.beginRow() // rows left out are blank: a break between tables
						t.endRow()
					}
					if n > 0 {
						lastRow = n
					} else {
						lastRow++
					}
					t.beginRow()
				case "c":
					col := -1
					typ, style = "", -1
					for _, a := range x.Attr {
						switch a.Name.Local {
						case "r":
							col = cellRef(a.Value)
						case "t":
							typ = a.Value
						case "s":
							style, _ = strconv.Atoi(a.Value)
						}
					}
					t.beginCell(col, 1, false)
					val, valOver = val[:0], false
				case "v":
					inV = true
				case "is":
					inIS = true
				case "t":
					inT++
				case "oddHeader", "oddFooter", "evenHeader", "evenFooter", "firstHeader", "firstFooter":
					inHF = true
				}
			case xml.EndElement:
				switch x.Name.Local {
				case "v":
					inV = false
				case "is":
					inIS = false
				case "t":
					inT = max(0, inT-1)
				case "c":
					if !t.cellOpen {
						continue
					}
					scratch = scratch[:0]
					switch typ {
					case "s":
						if i, err := strconv.Atoi(string(bytes.TrimSpace(val))); err == nil {
							if s, ok := b.str(i); ok {
								dst = t.text(dst, s)
							}
						}
					case "b":
						if string(val) == "1" {
							dst = t.text(dst, []byte("TRUE"))
						} else if string(val) == "0" {
							dst = t.text(dst, []byte("FALSE"))
						}
					case "", "n":
						if !valOver {
							scratch = b.appendNumber(scratch, bytes.TrimSpace(val), style)
							dst = t.text(dst, scratch)
						}
					default: // "str", "inlineStr" stream below; "d", "e" are kept as text
						if !valOver {
							dst = t.text(dst, val)
						}
					}
					t.endCell()
				case "row":
					t.endRow()
					dst = append(dst, '\n')
				case "oddHeader", "oddFooter", "evenHeader", "evenFooter", "firstHeader", "firstFooter":
					inHF = false
					dst = append(dst, '\n')
				}
			case xml.CharData:
				switch {
				case inHF:
					dst = appendHeaderFooter(dst, x)
				case !t.cellOpen:
				case inIS && inT > 0, inV && (typ == "str" || typ == "inlineStr"):
					dst = t.text(dst, x) // strings stream, however long
				case inV:
					if !valOver && len(val)+len(x) <= 64 {
						val = append(val, x...)
					} else if !valOver {
						// Not a number or index any more: write it as it is.
						dst = t.text(dst, val)
						dst = t.text(dst, x)
						valOver = true
					} else {
						dst = t.text(dst, x)
					}
				}
			}
		}
		return dst, nil
	}}
}

// appendHeaderFooter writes a page header/footer without its "&" codes
// (&C centre, &12 font size, &"Arial,Bold" font, &P page number).
func appendHeaderFooter(dst, s []byte) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] != '&' || i+1 >= len(s) {
			dst = append(dst, s[i])
			continue
		}
		i++
		switch c := s[i]; {
		case c == '&':
			dst = append(dst, '&')
		case c == '"':
			if j := bytes.IndexByte(s[i+1:], '"'); j >= 0 {
				i += j + 1
			}
		case c >= '0' && c <= '9':
			for i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9' {
				i++
			}
		}
		dst = append(dst, ' ')
	}
	return dst
}

// unusedStrings yields the shared strings no cell referenced (deleted
// cells, strings only a pivot table or chart uses): still text in the file.
func (b *xlsxBook) unusedStrings() io.Reader {
	i := 0
	return &pullReader{next: func(dst []byte) ([]byte, error) {
		for ; i < len(b.ends) && len(dst) < 16<<10; i++ {
			if b.used[i/64]&(1<<(i%64)) != 0 {
				continue
			}
			start := uint32(0)
			if i > 0 {
				start = b.ends[i-1]
			}
			dst = append(dst, b.strs[start:b.ends[i]]...)
			dst = append(dst, '\n')
		}
		if i >= len(b.ends) {
			return dst, io.EOF
		}
		return dst, nil
	}}
}

// sheetNames yields the sheet tab names, one per line.
func (b *xlsxBook) sheetNames() io.Reader {
	var s strings.Builder
	for _, n := range b.names {
		s.WriteString(n)
		s.WriteByte('\n')
	}
	return strings.NewReader(s.String())
}
