package detect

import "bytes"

// A writer who types on a phone signs in lower case: "pain is better anyway. will call mon
// to reschedule. rick baptiste". The capitalised-chain pass never sees such a name; this
// one looks only at the end of each line: two lowercase words, a given name and a surname
// from the shipped lists (the surname not also a common word), after the start of the line
// or the end of a sentence, and nothing after them on the line. Such a name is the writer's
// own, told with what they wrote: High.

// lowerSignatures emits the lowercase full names that end a line in [from, to).
func (s *Scanner) lowerSignatures(text []byte, from, to int, emit func(hit)) {
	// A name that starts before to may end on a line that ends after it.
	lim := min(len(text), to+2*maxNameLen+4)
	for p := from; p < lim; {
		i := bytes.IndexByte(text[p:lim], '\n')
		if i < 0 {
			return
		}
		nl := p + i
		p = nl + 1
		e := nl
		for e > 0 && (text[e-1] == '\r' || text[e-1] == ' ' || text[e-1] == '\t') {
			e--
		}
		if e < 5 || !isLowerAlpha(text[e-1]) {
			continue // the common case: a line ending in punctuation, a digit or a capital
		}
		if st, ok := s.lowerName(text, e); ok && st >= from && st < to {
			emit(hit{typ: TypePersonName, conf: High, start: st, end: e})
		}
	}
}

func isLowerAlpha(c byte) bool { return c >= 'a' && c <= 'z' }

// lowerName reports whether the two words that end at e are a lowercase given name and
// surname at a line start or after a sentence end (". ", "- ", ", "), and where they start.
func (s *Scanner) lowerName(text []byte, e int) (int, bool) {
	sb := e
	for sb > 0 && e-sb <= maxNameLen && isLowerAlpha(text[sb-1]) {
		sb--
	}
	if sb == e || sb == 0 || text[sb-1] != ' ' {
		return 0, false
	}
	ge := sb - 1
	gb := ge
	for gb > 0 && ge-gb <= maxNameLen && isLowerAlpha(text[gb-1]) {
		gb--
	}
	if gb == ge || ge-gb < 2 || e-sb < 2 {
		return 0, false
	}
	if gb > 0 {
		q := gb
		for q > 0 && (text[q-1] == ' ' || text[q-1] == '\t') {
			q--
		}
		if q > 0 && q < gb {
			switch text[q-1] {
			case '.', '!', '?', '-', ',', '\n':
			default:
				return 0, false
			}
		} else if q > 0 && text[q-1] != '\n' {
			return 0, false
		}
	}
	g, ok1 := nameHash(text[gb:ge])
	sn, ok2 := nameHash(text[sb:e])
	if !ok1 || !ok2 {
		return 0, false
	}
	gf, sf := s.names[g], s.names[sn]
	if gf&nameGiven == 0 || sf&nameSurname == 0 || sf&nameAmbiguous != 0 {
		return 0, false
	}
	return gb, true
}
