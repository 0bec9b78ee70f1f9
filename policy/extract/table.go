package extract

import "bytes"

// Column-aware rendering of tables (CSV/TSV, xlsx sheets, HTML tables).
//
// In a spreadsheet the label of a value is its column header, not the text
// beside it: "Name | DOB | MRN | SSN" above rows of bare numbers. The
// detectors only see a label that ends shortly before a value, so each data
// cell is written with its column's header in front ("MRN: 4455667\tSSN:
// 512483901"). Only the header row is kept, never the table: cells are
// written as they arrive.
//
// Separators: cells under one header (a merged or spanned header cell, or no
// header at all) are joined by one space, so an SSN typed as "512 | 48 |
// 3901" stays one number; a cell ending in '-', '/' or '.' followed by one
// starting with a digit is joined without any ("512-48-" | "3901"). Cells
// under different headers are separated by a tab, which the detectors never
// join across.

const (
	maxTableCols   = 1024 // header columns remembered; cells further right get no label
	maxLabelLen    = 48   // longer header cells name no column (a sentence is not a label)
	headerScanRows = 10   // title rows above a header: look this far for the first header
)

// hdrCol is what a header row says about one column.
type hdrCol struct {
	group int    // header cell covering the column; columns of one cell (or merged) share it
	label string // "MRN: "; "" when the header cell names nothing
}

// candCell is a cell of a row that may turn out to be a header row.
type candCell struct {
	col, span int
	label     string
	empty     bool
}

type tableState struct {
	hdr []hdrCol

	// The current row.
	inRow       bool
	candidate   bool // this row may become the header
	thOnly      bool // ... only because it starts with <th>: then all its cells must be <th>
	cells       int  // cells begun in the row
	rowNonEmpty int
	allTH       bool
	anyTH       bool
	allLabel    bool
	cand        []candCell
	prevGroup   int  // header group of the previous non-empty cell in the row
	lastByte    byte // last byte written for the row's cells
	inHead      bool // HTML <thead>
	rowsSeen    int  // non-blank rows since the table's start or its last blank row
	afterBlank  bool // the row before this one was blank
	nextCol     int  // where a cell without an explicit column goes

	// The current cell.
	cellOpen   bool
	complex    bool // holds a nested table: never a header
	col, span  int
	th         bool
	hasContent bool
	pendingWS  byte // ' ' or '\n' owed before the next content of the cell
	capBuf     []byte
	capOver    bool
	digits     int
	letters    bool
}

const noGroup = -1 << 30

func (t *tableState) reset() {
	*t = tableState{hdr: t.hdr[:0], cand: t.cand[:0], capBuf: t.capBuf[:0]}
}

func (t *tableState) beginRow() {
	if t.inRow {
		t.endRow()
	}
	t.inRow = true
	t.rowNonEmpty = 0
	t.allTH, t.allLabel, t.anyTH = true, true, false
	t.cand = t.cand[:0]
	t.prevGroup = noGroup
	t.lastByte = 0
	t.nextCol = 0
	t.cells = 0
	t.thOnly = false
	t.candidate = t.inHead || t.afterBlank || (len(t.hdr) == 0 && t.rowsSeen < headerScanRows)
}

// beginCell opens a cell at column col (-1: right of the previous one)
// spanning span columns.
func (t *tableState) beginCell(col, span int, th bool) {
	if !t.inRow {
		t.beginRow()
	}
	t.endCell()
	if col < 0 {
		col = t.nextCol
	}
	span = max(1, min(span, maxTableCols))
	t.cellOpen = true
	t.col, t.span, t.th = col, span, th
	t.nextCol = min(col+span, 1<<20)
	t.hasContent, t.complex = false, false
	t.pendingWS = 0
	t.capBuf, t.capOver, t.digits, t.letters = t.capBuf[:0], false, 0, false
	if th && t.cells == 0 && !t.candidate {
		t.candidate, t.thOnly = true, true // a row of <th> is a header wherever it is
	}
	t.cells++
}

// setSpan changes the span of the open cell (Word gives it after the cell starts).
func (t *tableState) setSpan(n int) {
	if t.cellOpen && n > 1 {
		t.span = min(n, maxTableCols)
		t.nextCol = min(t.col+t.span, 1<<20)
	}
}

func (t *tableState) groupAt(col int) (int, string) {
	if col < len(t.hdr) {
		return t.hdr[col].group, t.hdr[col].label
	}
	return -2 - col, "" // right of the header: a column of its own, unnamed
}

// text appends content of the open cell to dst: leading and trailing
// white space of the cell is dropped, the separator and the column's label
// go before its first byte.
func (t *tableState) text(dst, s []byte) []byte {
	if !t.hasContent {
		s = trimSpaceLeft(s)
		if len(s) == 0 {
			return dst
		}
	}
	core, trail := splitSpaceRight(s)
	if len(core) == 0 {
		t.space(' ')
		return dst
	}
	if !t.hasContent {
		dst = t.cellStart(dst, core[0])
		t.hasContent = true
	} else if t.pendingWS != 0 {
		dst = append(dst, t.pendingWS)
		t.captureSpace()
	}
	t.pendingWS = 0
	if trail {
		t.pendingWS = ' '
	}
	dst = appendNBSP(dst, core)
	t.lastByte = core[len(core)-1]
	if t.candidate {
		t.capture(core)
	}
	return dst
}

// space records white space (' ') or a line break ('\n') inside the cell;
// it is written only if more content follows.
func (t *tableState) space(c byte) {
	if t.hasContent && t.pendingWS != '\n' {
		t.pendingWS = c
	}
}

func (t *tableState) cellStart(dst []byte, first byte) []byte {
	g, label := t.groupAt(t.col)
	join := false
	switch {
	case t.prevGroup == noGroup: // first cell of the row
	case (t.lastByte == '-' || t.lastByte == '/' || t.lastByte == '.') && first >= '0' && first <= '9':
		join = true // "512-48-" | "3901"
	case g == t.prevGroup || len(t.hdr) == 0:
		dst = append(dst, ' ')
	default:
		dst = append(dst, '\t')
	}
	if !join && g != t.prevGroup && label != "" {
		dst = append(dst, label...)
	}
	t.prevGroup = g
	return dst
}

func (t *tableState) captureSpace() {
	if t.candidate && len(t.capBuf) > 0 && t.capBuf[len(t.capBuf)-1] != ' ' {
		t.capture([]byte{' '})
	}
}

func (t *tableState) capture(s []byte) {
	if t.capOver {
		return
	}
	if len(t.capBuf)+len(s) > maxLabelLen {
		t.capOver = true
		return
	}
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			t.digits++
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= 0x80:
			t.letters = true
		}
		if c == '\n' || c == '\t' || c == '\r' {
			c = ' '
		}
		t.capBuf = append(t.capBuf, c)
	}
}

// nested marks the open cell as holding a nested table.
func (t *tableState) nested() {
	t.complex = true
	t.candidate = false
}

func (t *tableState) endCell() {
	if !t.cellOpen {
		return
	}
	t.cellOpen = false
	if t.hasContent {
		t.rowNonEmpty++
	}
	if !t.candidate || t.col >= maxTableCols {
		return // only the first maxTableCols columns are ever named
	}
	c := candCell{col: t.col, span: t.span, empty: !t.hasContent}
	if t.hasContent {
		// A label is short text with letters and at most two digits
		// ("ICD10", "Phone 2"); a date or an ID is data.
		// A first cell ending in ':' starts a "Name: | Jane" form row.
		// A reading's header may hold a few more in short runs ("D2 (48h)",
		// "Q1 2025" is data: a run of four).
		isLabel := !t.capOver && t.letters && (t.digits <= 2 || t.digits <= 4 && maxDigitRun(t.capBuf) <= 2) && !t.complex &&
			!(len(t.cand) == 0 && bytes.HasSuffix(trimSpaceRight(t.capBuf), []byte(":")))
		if !isLabel {
			t.allLabel = false
		}
		if !t.th {
			t.allTH = false
		} else {
			t.anyTH = true
		}
		if !t.capOver && !t.complex {
			l := trimSpaceRight(t.capBuf)
			for len(l) > 0 && l[len(l)-1] == ':' {
				l = l[:len(l)-1]
			}
			if len(l) > 0 {
				c.label = string(l) + ": "
			}
		}
	}
	t.cand = append(t.cand, c)
}

func (t *tableState) endRow() {
	if !t.inRow {
		return
	}
	t.endCell()
	t.inRow = false
	if t.rowNonEmpty == 0 {
		t.afterBlank = true
		t.rowsSeen = 0
		return
	}
	t.rowsSeen++
	t.afterBlank = false
	// <th> then <td> is a row labelled by its first cell, not a header.
	mixed := t.anyTH && !t.allTH
	if t.candidate && t.rowNonEmpty >= 2 && (t.allTH || (!t.thOnly && !mixed && (t.allLabel || t.inHead))) {
		t.setHeader()
	}
}

func (t *tableState) setHeader() {
	width := 0
	for _, c := range t.cand {
		width = max(width, min(c.col+c.span, maxTableCols))
	}
	t.hdr = t.hdr[:0]
	for i := 0; i < width; i++ {
		t.hdr = append(t.hdr, hdrCol{group: -2 - i}) // uncovered: its own unnamed column
	}
	prev := -1
	for i, c := range t.cand {
		if c.col >= width {
			break
		}
		end := min(c.col+c.span, width)
		if c.empty {
			// An empty header cell right of a named one continues it (a
			// merged header written as one cell and blanks).
			if prev >= 0 {
				for k := c.col; k < end; k++ {
					t.hdr[k] = t.hdr[prev]
				}
			}
			continue
		}
		for k := c.col; k < end; k++ {
			t.hdr[k] = hdrCol{group: i, label: c.label}
		}
		// Columns skipped before the next cell (sparse xlsx rows) continue it too.
		next := width
		if i+1 < len(t.cand) {
			next = min(t.cand[i+1].col, width)
		}
		for k := end; k < next; k++ {
			t.hdr[k] = t.hdr[c.col]
		}
		prev = c.col
	}
}

func isSpaceByte(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }

// trimSpaceLeft drops leading ASCII white space and no-break spaces.
func trimSpaceLeft(s []byte) []byte {
	for len(s) > 0 {
		if isSpaceByte(s[0]) {
			s = s[1:]
		} else if len(s) >= 2 && s[0] == 0xc2 && s[1] == 0xa0 {
			s = s[2:]
		} else {
			break
		}
	}
	return s
}

func trimSpaceRight(s []byte) []byte {
	core, _ := splitSpaceRight(s)
	return core
}

// splitSpaceRight cuts trailing ASCII white space and no-break spaces off s.
func splitSpaceRight(s []byte) ([]byte, bool) {
	n := len(s)
	for n > 0 {
		if isSpaceByte(s[n-1]) {
			n--
		} else if n >= 2 && s[n-2] == 0xc2 && s[n-1] == 0xa0 {
			n -= 2
		} else {
			break
		}
	}
	return s[:n], n < len(s)
}

// tableNest tracks the tables open in an XML document (Word and PowerPoint
// w:tbl/a:tbl, OpenDocument table:table), nested at most maxTableDepth deep;
// deeper ones are read as plain text.
type tableNest struct {
	tables   []tableState
	depth    int
	overflow int // tables opened beyond maxTableDepth, not tracked
}

// top is the innermost tracked table, or nil outside one (or in an
// untracked one).
func (n *tableNest) top() *tableState {
	if n.depth == 0 || n.overflow > 0 {
		return nil
	}
	return &n.tables[n.depth-1]
}

// cell is the innermost table if a cell of it is open.
func (n *tableNest) cell() *tableState {
	if n.depth == 0 || !n.tables[n.depth-1].cellOpen {
		return nil
	}
	return &n.tables[n.depth-1]
}

// brk writes a break: a space kind inside a cell, else c itself.
func (n *tableNest) brk(dst []byte, c byte) []byte {
	if tc := n.cell(); tc != nil {
		tc.space(c)
		return dst
	}
	return append(dst, c)
}

// text writes character data, through the open cell if there is one.
func (n *tableNest) text(dst, s []byte) []byte {
	if tc := n.cell(); tc != nil {
		return tc.text(dst, s)
	}
	return append(dst, s...)
}

// open starts a table.
func (n *tableNest) open(dst []byte) []byte {
	if n.overflow > 0 || n.depth >= maxTableDepth {
		n.overflow++
		return dst
	}
	if tc := n.cell(); tc != nil {
		tc.nested()
	}
	if n.depth == len(n.tables) {
		n.tables = append(n.tables, tableState{})
	}
	n.tables[n.depth].reset()
	n.depth++
	return append(dst, '\n')
}

// close ends the innermost table.
func (n *tableNest) close(dst []byte) []byte {
	if n.overflow > 0 {
		n.overflow--
	} else if n.depth > 0 {
		n.tables[n.depth-1].endRow()
		n.depth--
	}
	return append(dst, '\n')
}

// maxDigitRun is the length of the longest run of ASCII digits in b.
func maxDigitRun(b []byte) int {
	best, run := 0, 0
	for _, c := range b {
		if c >= '0' && c <= '9' {
			run++
			best = max(best, run)
		} else {
			run = 0
		}
	}
	return best
}
