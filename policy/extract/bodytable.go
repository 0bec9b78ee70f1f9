package extract

import (
	"bufio"
	"bytes"
	"io"
)

// Tables typed into a plain-text body: a billing office pastes a collections
// list, a unit clerk a chair schedule, a payer an overpayment list, with the
// columns lined up by spaces or tabs:
//
//	Acct      Patient              DOB         DOS        Bal
//	NG-40217  Kyle Brandon Foss    04/19/1990  06/02/26   $412.75
//
// As in a spreadsheet (table.go), the label of "04/19/1990" is the header
// above it, which the detectors cannot see from the row. bodyTables finds a
// header line (three or more short label cells split by tabs, by "|" or by
// runs of two or more spaces) and writes each cell of the rows under it with
// its column's label in front, cells apart by a tab:
//
//	Acct: NG-40217	Patient: Kyle Brandon Foss	DOB: 04/19/1990	...
//
// Lines that are not rows (prose, a total, a blank line) pass unchanged and
// end the table. It works line by line: memory is one header and a read
// buffer; a line longer than the buffer is never a row.

const bodyTableLine = 4 << 10 // longer lines pass through and end a table

type cellMode uint8

const (
	cellsBySpaces cellMode = iota // runs of two or more spaces (or a tab)
	cellsByTabs
	cellsByPipes
)

type bodyCell struct{ start, end int } // byte offsets in the line

// splitCells splits one line (without its line ending) into cells.
func splitCells(line []byte, mode cellMode, dst []bodyCell) []bodyCell {
	dst = dst[:0]
	switch mode {
	case cellsByTabs, cellsByPipes:
		sep := byte('\t')
		if mode == cellsByPipes {
			sep = '|'
		}
		st := 0
		for i := 0; i <= len(line); i++ {
			if i == len(line) || line[i] == sep {
				s, e := st, i
				for s < e && (line[s] == ' ' || line[s] == '\t') {
					s++
				}
				for e > s && (line[e-1] == ' ' || line[e-1] == '\t') {
					e--
				}
				if e > s || mode == cellsByTabs {
					dst = append(dst, bodyCell{s, e}) // an empty TSV cell keeps its column
				}
				st = i + 1
			}
		}
	default:
		i := 0
		for i < len(line) {
			for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
				i++
			}
			if i == len(line) {
				break
			}
			st := i
			for i < len(line) {
				if line[i] == '\t' || (line[i] == ' ' && i+1 < len(line) && line[i+1] == ' ') {
					break
				}
				i++
			}
			e := i
			for e > st && line[e-1] == ' ' {
				e--
			}
			dst = append(dst, bodyCell{st, e})
		}
	}
	return dst
}

// headerLike reports whether the cells read as column names: at least three,
// each short, with a letter, and at most two digits ("Claim #", "EDW (kg)",
// "Req #"; a row of data has dates and amounts).
func headerLike(line []byte, cells []bodyCell) bool {
	named := 0
	for _, c := range cells {
		s := line[c.start:c.end]
		if len(s) == 0 {
			continue
		}
		if len(s) > maxLabelLen {
			return false
		}
		letters, digits := 0, 0
		for _, b := range s {
			switch {
			case isAlphaByte(b):
				letters++
			case b >= '0' && b <= '9':
				digits++
			}
		}
		if letters == 0 || digits > 2 || s[len(s)-1] == ':' || s[len(s)-1] == '.' {
			return false // "Total:" and sentences are not headers
		}
		named++
	}
	return named >= 3
}

func isAlphaByte(b byte) bool { return (b|0x20) >= 'a' && (b|0x20) <= 'z' || b >= 0x80 }

// ruleLine: "-----  ------" or "==== ====" under a header.
func ruleLine(line []byte) bool {
	n := 0
	for _, b := range line {
		switch b {
		case '-', '=', '+', '|', ':':
			n++
		case ' ', '\t':
		default:
			return false
		}
	}
	return n >= 3
}

type bodyTable struct {
	mode   cellMode
	labels [][]byte // "DOB: "
	starts []int    // header cells' start columns (cellsBySpaces)
}

// modeOf picks how a candidate header line splits: tabs or pipes when it has
// at least two of them, else spaces.
func modeOf(line []byte) cellMode {
	switch {
	case bytes.Count(line, []byte{'\t'}) >= 2:
		return cellsByTabs
	case bytes.Count(line, []byte{'|'}) >= 2:
		return cellsByPipes
	}
	return cellsBySpaces
}

// column says under which header a data cell sits.
func (t *bodyTable) column(i int, c bodyCell) int {
	if t.mode != cellsBySpaces {
		return i
	}
	// The last header that starts at or before the cell, with two columns of
	// slack for right-aligned amounts; a cell left of every header is the first's.
	k := 0
	for j, s := range t.starts {
		if s <= c.start+2 {
			k = j
		}
	}
	return k
}

func bodyTables(r io.Reader) io.Reader {
	br := bufio.NewReaderSize(r, bodyTableLine)
	var (
		tbl      *bodyTable
		midLine  bool // inside a line longer than the buffer
		cells    []bodyCell
		hdrCells []bodyCell
	)
	return &pullReader{next: func(dst []byte) ([]byte, error) {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			midLine, tbl = true, nil
			return append(dst, line...), nil
		}
		if midLine || len(line) == 0 {
			midLine = false
			return append(dst, line...), err
		}
		body := bytes.TrimRight(line, "\r\n")
		eol := line[len(body):]
		if tbl != nil {
			if ruleLine(body) {
				return append(dst, line...), err
			}
			cells = splitCells(body, tbl.mode, cells)
			nonEmpty := 0
			for _, c := range cells {
				if c.end > c.start {
					nonEmpty++
				}
			}
			if nonEmpty >= 2 && !headerLike(body, cells) {
				for i, c := range cells {
					if c.end == c.start {
						continue
					}
					if len(dst) > 0 && dst[len(dst)-1] != '\n' {
						dst = append(dst, '\t')
					}
					if k := tbl.column(i, c); k >= 0 && k < len(tbl.labels) {
						dst = append(dst, tbl.labels[k]...)
					}
					dst = append(dst, body[c.start:c.end]...)
				}
				return append(dst, eol...), err
			}
			tbl = nil // prose, a total, a blank line, or a new header
		}
		mode := modeOf(body)
		hdrCells = splitCells(body, mode, hdrCells)
		if headerLike(body, hdrCells) {
			tbl = &bodyTable{mode: mode}
			for _, c := range hdrCells {
				var l []byte
				if c.end > c.start {
					l = append(append(l, body[c.start:c.end]...), ':', ' ')
				}
				tbl.labels = append(tbl.labels, l)
				tbl.starts = append(tbl.starts, c.start)
			}
		}
		return append(dst, line...), err
	}}
}
