package extract

import (
	"bufio"
	"bytes"
	"io"
	"path"
	"strings"
)

// isCSV says whether a text part is a delimited table, by its declared type
// or its name; the delimiter is sniffed from the content.
func isCSV(mt, filename string) bool {
	switch mt {
	case "text/csv", "text/x-csv", "application/csv", "text/comma-separated-values",
		"text/x-comma-separated-values", "text/tab-separated-values":
		return true
	}
	switch strings.ToLower(path.Ext(filename)) {
	case ".csv", ".tsv", ".tab":
		return true
	}
	return false
}

// looksDelimited reports whether a text attachment that is not labelled CSV
// is one anyway (an EHR export saved as .txt): two consecutive lines among
// its first few (a title row may come first) split into the same number, at
// least three, of cells on one of , ; tab |.
func looksDelimited(head []byte) bool {
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	lines := bytes.SplitN(head, []byte("\n"), 7)
	lines = lines[:len(lines)-1] // the last may be cut by the sample's end
	for i := 0; i+1 < len(lines); i++ {
		for _, d := range []byte{',', ';', '\t', '|'} {
			a, b := cellsOn(lines[i], d), cellsOn(lines[i+1], d)
			if a >= 3 && a == b {
				return true
			}
		}
	}
	return false
}

// cellsOn counts the cells of one line split on d outside double quotes.
func cellsOn(line []byte, d byte) int {
	n, quoted := 1, false
	for _, c := range bytes.TrimRight(line, "\r") {
		switch {
		case c == '"':
			quoted = !quoted
		case c == d && !quoted:
			n++
		}
	}
	return n
}

// csvText renders a CSV/TSV file row by row with each cell preceded by its
// column header (see table.go). It is its own small RFC 4180 reader rather
// than encoding/csv because it must stream: encoding/csv holds a whole
// record, and an unclosed quote makes the rest of the file one record. Here
// a field is written as it is read, whatever its length, so memory is the
// header row plus a read buffer. Quotes are lenient like Excel's: a quote
// inside an unquoted field is text, and text after a closing quote stays in
// the field.
func csvText(r io.Reader) io.Reader {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 16<<10)
	}
	if b, _ := br.Peek(3); bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		_, _ = br.Discard(3) // Excel's "CSV UTF-8" starts with a BOM
	}
	head, _ := br.Peek(8 << 10)
	c := &csvReader{br: br, delim: sniffDelim(head)}
	c.buf = make([]byte, 16<<10)
	return &pullReader{next: c.next}
}

type csvReader struct {
	br         *bufio.Reader
	delim      byte
	t          tableState
	buf        []byte
	inRow      bool
	inQuote    bool
	quoteSeen  bool // a '"' inside a quoted field: closing, or the first of ""
	fieldStart bool
	cr         bool // the last byte ended a row with '\r'
}

var quoteByte = []byte{'"'}

// next reads one buffer of input and writes its cells; runs of field
// bytes go to the table in one piece, straight from the read buffer.
func (c *csvReader) next(dst []byte) ([]byte, error) {
	n, err := c.br.Read(c.buf)
	b := c.buf[:n]
	for i := 0; i < len(b); {
		if c.cr {
			c.cr = false
			if b[i] == '\n' {
				i++
				continue
			}
		}
		if !c.inRow {
			c.inRow = true
			c.t.beginRow()
			c.t.beginCell(-1, 1, false)
			c.fieldStart = true
		}
		if c.inQuote {
			if !c.quoteSeen {
				j := bytes.IndexByte(b[i:], '"')
				if j < 0 {
					dst = c.t.text(dst, b[i:])
					break
				}
				dst = c.t.text(dst, b[i:i+j])
				c.quoteSeen = true
				i += j + 1
				continue
			}
			c.quoteSeen = false
			if b[i] == '"' {
				dst = c.t.text(dst, quoteByte) // "" is one quote
				i++
				continue
			}
			c.inQuote = false // closed: b[i] is read as unquoted below
		}
		switch b[i] {
		case c.delim:
			c.t.beginCell(-1, 1, false)
			c.fieldStart = true
			i++
			continue
		case '\n', '\r':
			c.t.endRow()
			dst = append(dst, '\n')
			c.inRow = false
			c.cr = b[i] == '\r'
			i++
			continue
		case '"':
			if c.fieldStart {
				c.inQuote = true
				c.fieldStart = false
				i++
				continue
			}
		}
		c.fieldStart = false
		j := i + 1 // a quote inside an unquoted field is text
		for j < len(b) && b[j] != c.delim && b[j] != '\n' && b[j] != '\r' {
			j++
		}
		dst = c.t.text(dst, b[i:j])
		i = j
	}
	if err != nil && c.inRow {
		c.t.endRow()
		dst = append(dst, '\n')
		c.inRow = false
	}
	return dst, err
}

// sniffDelim picks the delimiter that splits the first lines most
// consistently: ',' (LibreOffice, US Excel), ';' (Excel in locales with a
// decimal comma), tab (TSV, Excel "Unicode Text") or '|'.
func sniffDelim(head []byte) byte {
	var lines [][]byte
	inQ := false
	start := 0
	for i := 0; i < len(head) && len(lines) < 10; i++ {
		switch head[i] {
		case '"':
			inQ = !inQ
		case '\n':
			if !inQ {
				lines = append(lines, head[start:i])
				start = i + 1
			}
		}
	}
	if len(lines) == 0 {
		lines = append(lines, head)
	}
	// Per delimiter, the most common non-zero count over the lines (a title
	// row above the header has none) and how many lines have it.
	best, bestSame, bestCount := byte(','), 0, 0
	for _, d := range []byte{',', ';', '\t', '|'} {
		freq := map[int]int{}
		for _, l := range lines {
			if n := countOutsideQuotes(l, d); n > 0 {
				freq[n]++
			}
		}
		for count, same := range freq {
			if same > bestSame || (same == bestSame && count > bestCount) {
				best, bestSame, bestCount = d, same, count
			}
		}
	}
	return best
}

func countOutsideQuotes(line []byte, d byte) int {
	n := 0
	inQ := false
	for _, c := range line {
		if c == '"' {
			inQ = !inQ
		} else if c == d && !inQ {
			n++
		}
	}
	return n
}
