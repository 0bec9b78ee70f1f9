package detect

import (
	"bytes"
	"encoding/binary"
	"sort"
)

// maxGroups bounds the groups a candidate may span ("1 555 123 4567" is four).
const maxGroups = 5

// maxCompound bounds the groups remembered per compound; longer chains are scanned in pieces.
const maxCompound = 64

// group is one run of word characters containing a digit, and the separator after it.
type group struct {
	start, end int
	sep        byte // separator to the next group: ' ', '-', '.', '/', ')' (for "(555) 123"), or 0
}

// scanWindow finds every match in text and calls emit for those starting in [from, to).
// Everything a match depends on lies within nearWindow+maxTermLen bytes of it, which is
// what lets Stream cut large inputs into overlapping windows with identical results.
// If occupied is not nil it receives the span of every candidate and term considered,
// so that Stream never cuts through one.
func (s *Scanner) scanWindow(text []byte, from, to int, emit func(hit), occupied func(start, end int)) {
	// Pass 1: keywords and dictionary terms.
	sc := s.getScratch()
	defer s.putScratch(sc)
	ci := ctxIndex{hits: sc.ctx[:0]}
	dict := sc.dict[:0]
	defer func() { sc.ctx, sc.dict = ci.hits, dict }()
	for _, h := range s.ac.run(text, s.pats, &sc.ac) {
		p := &s.pats[h.pat]
		if p.ctx != 0 {
			ci.hits = append(ci.hits, ctxHit{start: h.start, end: h.end, kind: p.ctx})
		}
		if p.dict >= 0 {
			dict = append(dict, h)
		}
	}
	if len(dict) > 0 {
		// Leftmost-longest, non-overlapping: "type 2 diabetes mellitus" counts once.
		sort.Slice(dict, func(i, j int) bool {
			if dict[i].start != dict[j].start {
				return dict[i].start < dict[j].start
			}
			return dict[i].end > dict[j].end
		})
		last := -1
		for _, h := range dict {
			if occupied != nil {
				occupied(h.start, h.end)
			}
			if h.start < last {
				continue
			}
			last = h.end
			if h.start < from || h.start >= to {
				continue
			}
			conf := Low
			if ci.near(h.start, h.end)&identityKinds != 0 {
				conf = Medium
			}
			emit(hit{typ: s.dictType[s.pats[h.pat].dict], conf: conf, start: h.start, end: h.end})
		}
	}
	// Pass 2: identifiers, from runs of word characters that contain a digit.
	var groups [maxCompound]group
	// natives remembers built-in MRN and member ID hits so a site regex does not count them twice.
	var natives *[]hit
	if len(s.regexes) > 0 {
		natives = new([]hit)
	}
	n := len(text)
	pos := 0
	for pos < n {
		d := nextDigit(text, pos)
		if d >= n {
			break
		}
		st := d
		for st > pos && isWord(text[st-1]) {
			st--
		}
		// Collect a compound: digit-bearing groups joined by one separator.
		ng := 0
		cur := st
		for {
			e := cur
			for e < n && isWord(text[e]) {
				e++
			}
			if ng > 0 && !hasDigit(text[cur:e]) {
				break
			}
			groups[ng] = group{start: cur, end: e}
			ng++
			if ng == maxCompound || e >= n {
				break
			}
			sep := text[e]
			next := e + 1
			switch sep {
			case ' ', '-', '.', '/':
			case ')':
				// "(555) 123-4567": only right after a lone 3-digit group opened by '('.
				if ng != 1 || e-cur != 3 || cur == 0 || text[cur-1] != '(' {
					sep = 0
				} else if next < n && text[next] == ' ' {
					next++
				}
			default:
				sep = 0
			}
			if sep == 0 || next >= n || !isWord(text[next]) {
				break
			}
			groups[ng-1].sep = sep
			cur = next
		}
		groups[ng-1].sep = 0
		s.classifyCompound(text, groups[:ng], &ci, from, to, emit, occupied, natives)
		pos = groups[ng-1].end
	}
	// Pass 3: textual dates after a DOB label ("DOB: March 3, 1975").
	if s.enabled[TypeDOB] {
		lastDS := -1
		for _, h := range ci.hits {
			if h.kind&ctxDOB == 0 {
				continue
			}
			if ds, de, ok := textualDate(text, h.end); ok && ds != lastDS {
				lastDS = ds
				if occupied != nil {
					occupied(h.start, de)
				}
				if ds >= from && ds < to && ci.label(ds)&ctxDOB != 0 {
					emit(hit{typ: TypeDOB, conf: High, start: ds, end: de})
				}
			}
		}
	}
	// Pass 4: configured regex detectors.
	for _, rd := range s.regexes {
		for _, m := range rd.re.FindAllIndex(text, -1) {
			if m[1] == m[0] {
				continue
			}
			if occupied != nil {
				occupied(m[0], m[1])
			}
			if m[0] < from || m[0] >= to || overlapsNative(*natives, rd.typ, m[0], m[1]) {
				continue
			}
			conf := rd.base
			if rd.ctxMask != 0 && ci.label(m[0])&rd.ctxMask != 0 {
				conf = High
			}
			emit(hit{typ: rd.typ, conf: conf, start: m[0], end: m[1]})
		}
	}
	// Pass 5: person names (names.go).
	if s.names != nil {
		s.scanNames(text, from, to, &ci, emit, occupied)
	}
}

// scratch holds one scan's working slices; Scanner pools them so a scan allocates
// almost nothing once warm.
type scratch struct {
	ac   acBufs
	ctx  []ctxHit
	dict []acHit
}

// maxPooledHits bounds what a pooled scratch may hold, so one huge part does not pin memory.
const maxPooledHits = 1 << 16

func (s *Scanner) getScratch() *scratch {
	if sc, ok := s.scratch.Get().(*scratch); ok {
		return sc
	}
	return new(scratch)
}

func (s *Scanner) putScratch(sc *scratch) {
	big := cap(sc.ac.hits) > maxPooledHits || cap(sc.ctx) > maxPooledHits || cap(sc.dict) > maxPooledHits
	for _, l := range sc.ac.lanes {
		big = big || cap(l) > maxPooledHits
	}
	if big {
		return
	}
	s.scratch.Put(sc)
}

func overlapsNative(hs []hit, typ string, start, end int) bool {
	for _, h := range hs {
		if h.typ == typ && h.start < end && start < h.end {
			return true
		}
	}
	return false
}

// nextDigit returns the offset of the first ASCII digit in text[i:], or len(text). It tests
// eight bytes at a time: most text has long stretches without digits.
func nextDigit(text []byte, i int) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for ; i+8 <= len(text); i += 8 {
		x := binary.LittleEndian.Uint64(text[i:])
		// A byte of t has its high bit set iff the byte of x is in '0'..'9' (x < 0x80 only).
		lo := x &^ highs
		t := (ones*(127+'9'+1) - lo) & ^x & (lo + ones*(127-('0'-1))) & highs
		if t != 0 {
			break
		}
	}
	for i < len(text) && (text[i]-'0') > 9 {
		i++
	}
	return i
}

func hasDigit(b []byte) bool {
	for _, c := range b {
		if isDigit(c) {
			return true
		}
	}
	return false
}

// classifyCompound tries the longest candidate first at each group; a candidate may only be
// cut out of a compound at a space, so "V10.2.1" is never read as ICD code "V10.2".
func (s *Scanner) classifyCompound(text []byte, g []group, ci *ctxIndex, from, to int, emit func(hit), occupied func(int, int), natives *[]hit) {
	if occupied != nil {
		occupied(g[0].start, g[len(g)-1].end)
	}
	for i := 0; i < len(g); {
		if i > 0 && g[i-1].sep != ' ' {
			i++
			continue
		}
		matched := false
		label := ci.label(g[i].start) // the same for every candidate starting at group i
		for j := min(len(g)-1, i+maxGroups-1); j >= i; j-- {
			if j < len(g)-1 && g[j].sep != ' ' {
				continue
			}
			if typ, conf := s.classify(text, g[i:j+1], ci, label); typ != "" {
				st := g[i].start
				if i == 0 && g[0].start > 0 && text[g[0].start-1] == '(' && g[0].sep == ')' {
					st--
				}
				if natives != nil && (typ == TypeMRN || typ == TypeMemberID) {
					*natives = append(*natives, hit{typ: typ, start: st, end: g[j].end})
				}
				if st >= from && st < to && (s.allOn || s.enabled[typ]) {
					emit(hit{typ: typ, conf: conf, start: st, end: g[j].end})
				}
				i = j + 1
				matched = true
				break
			}
		}
		if !matched {
			i++
		}
	}
}

// classify decides what the groups g are, if anything, from their shape, validation and context.
// label is ci.label(g[0].start).
func (s *Scanner) classify(text []byte, g []group, ci *ctxIndex, label uint32) (string, Confidence) {
	var buf [40]byte
	d := buf[:0]
	for _, x := range g {
		if len(d)+x.end-x.start > len(buf) {
			return "", 0
		}
		d = append(d, text[x.start:x.end]...)
	}
	start, end := g[0].start, g[len(g)-1].end
	if len(g) > 1 && label == 0 && g[0].sep == ')' && start > 0 {
		label = ci.label(start - 1)
	}
	neg := label&ctxNeg != 0
	digits := allDigits(d)
	seps := func() string {
		var b [maxGroups]byte
		for k := 0; k < len(g)-1; k++ {
			b[k] = g[k].sep
		}
		return string(b[:len(g)-1])
	}
	lens := func(want ...int) bool {
		if len(want) != len(g) {
			return false
		}
		for k, w := range want {
			if g[k].end-g[k].start != w {
				return false
			}
		}
		return true
	}
	near := func() uint32 { return ci.near(start, end) }

	if digits && len(g) == 1 {
		switch {
		case label&ctxSSN != 0 && len(d) == 9 && validSSN(d):
			return TypeSSN, High
		case label&ctxNDC != 0 && (len(d) == 10 || len(d) == 11):
			return TypeNDC, High
		case label&ctxMRN != 0 && len(d) >= 6 && len(d) <= 10:
			return TypeMRN, High
		case label&ctxMember != 0 && len(d) >= 6 && len(d) <= 20:
			return TypeMemberID, High
		case label&ctxCPT != 0 && len(d) == 5:
			return TypeCPT, High
		case label&ctxPhone != 0 && len(d) == 10 && validNANP(d[:3], d[3:6]):
			return TypePhone, Medium
		case label&ctxPhone != 0 && len(d) == 11 && d[0] == '1' && validNANP(d[1:4], d[4:7]):
			return TypePhone, Medium
		case len(d) == 10 && validNPI(d) && !neg:
			if label&ctxNPI != 0 {
				return TypeNPI, High
			}
			if near()&(ctxNPI|ctxPatient|ctxClinical|ctxDx) != 0 {
				return TypeNPI, Medium
			}
			return TypeNPI, Low
		case len(d) >= 13 && validCard(d) && !neg:
			if label&ctxCard != 0 {
				return TypeCard, High
			}
			return TypeCard, Medium
		}
		return "", 0
	}
	if digits {
		sp := seps()
		same := true
		for k := 1; k < len(sp); k++ {
			if sp[k] != sp[0] {
				same = false
			}
		}
		// SSN 123-45-6789 / 123 45 6789.
		if lens(3, 2, 4) && (sp == "--" || sp == "  ") && validSSN(d) {
			switch {
			case label&ctxSSN != 0 || near()&(ctxSSN|identityKinds|ctxClinical) != 0:
				return TypeSSN, High
			case neg:
				return TypeSSN, Low
			}
			return TypeSSN, Medium
		}
		// US phone: (NXX) NXX-XXXX, NXX-NXX-XXXX, NXX.NXX.XXXX, NXX NXX XXXX, 1-NXX-...
		pg := g
		if len(g) == 4 && g[0].end-g[0].start == 1 && text[g[0].start] == '1' {
			pg = g[1:]
		}
		if len(pg) == 3 && pg[0].end-pg[0].start == 3 && pg[1].end-pg[1].start == 3 && pg[2].end-pg[2].start == 4 &&
			(same || (pg[0].sep == ')' && pg[1].sep == '-')) && (sp[len(sp)-1] == '-' || sp[len(sp)-1] == '.' || sp[len(sp)-1] == ' ') &&
			validNANP(text[pg[0].start:pg[0].end], text[pg[1].start:pg[1].end]) {
			if neg {
				return "", 0
			}
			if label&ctxPhone != 0 || near()&(ctxPatient|ctxPhone) != 0 {
				return TypePhone, Medium
			}
			return TypePhone, Low
		}
		// NDC 4-4-2, 5-3-2, 5-4-1 and 11-digit 5-4-2.
		if sp == "--" && (lens(4, 4, 2) || lens(5, 3, 2) || lens(5, 4, 1) || lens(5, 4, 2)) {
			switch {
			case label&ctxNDC != 0:
				return TypeNDC, High
			case neg:
				return "", 0
			case near()&(ctxNDC|ctxClinical) != 0:
				return TypeNDC, Medium
			}
			return TypeNDC, Low
		}
		// Dates of birth: only with a DOB label.
		if label&ctxDOB != 0 && len(g) == 3 && same && (sp[0] == '/' || sp[0] == '-' || sp[0] == '.') && isDate(text, g) {
			return TypeDOB, High
		}
		// Payment cards with spaces or dashes.
		if same && (sp[0] == ' ' || sp[0] == '-') && len(d) >= 13 && validCard(d) && !neg {
			if label&ctxCard != 0 {
				return TypeCard, High
			}
			return TypeCard, Medium
		}
		return "", 0
	}
	// Letters and digits.
	if len(g) == 1 {
		switch {
		case len(d) == 9 && validDEA(d):
			if label&ctxDEA != 0 {
				return TypeDEA, High
			}
			if neg {
				return TypeDEA, Low
			}
			return TypeDEA, Medium
		case len(d) == 11 && validMBI(d) && isUpperAlnum(d):
			if label&ctxMBI != 0 || near()&ctxMBI != 0 {
				return TypeMBI, High
			}
			return TypeMBI, Medium
		case len(d) == 5 && (d[4] == 'F' || d[4] == 'T') && allDigits(d[:4]) && label&ctxCPT != 0:
			return TypeCPT, High
		case len(d) == 3 && s.icd.category(d):
			// A bare category ("C12") is a gate or a room unless a diagnosis label names it.
			if label&ctxDx != 0 {
				return TypeICD10, High
			}
		case label&ctxMRN != 0 && mrnShape(d):
			return TypeMRN, High
		case label&ctxMember != 0 && memberShape(d):
			return TypeMemberID, High
		}
		return "", 0
	}
	if len(g) == 3 && seps() == "--" && lens(4, 3, 4) && validMBI(d) && isUpperAlnum(d) {
		if label&ctxMBI != 0 || near()&ctxMBI != 0 {
			return TypeMBI, High
		}
		return TypeMBI, Medium
	}
	if len(g) == 2 && g[0].sep == '.' && g[0].end-g[0].start == 3 && len(d) >= 4 && len(d) <= 7 &&
		s.icd.category(d[:3]) && isUpperAlnum(d[3:]) {
		nk := near()
		switch {
		case label&ctxDx != 0 || nk&ctxDx != 0:
			return TypeICD10, High
		case neg:
			return "", 0
		case nk&(ctxClinical|ctxPatient) != 0 || s.icd.common[string(d)]:
			return TypeICD10, Medium
		}
		return TypeICD10, Low
	}
	return "", 0
}

func isUpperAlnum(b []byte) bool {
	for _, c := range b {
		if !isDigit(c) && !isUpper(c) {
			return false
		}
	}
	return true
}

// mrnShape: the default MRN is 6-10 digits, optionally after 1-3 capital letters.
func mrnShape(d []byte) bool {
	i := 0
	for i < len(d) && i < 3 && isUpper(d[i]) {
		i++
	}
	r := len(d) - i
	return r >= 6 && r <= 10 && allDigits(d[i:])
}

// memberShape: the default member ID is 6-20 capital letters and digits with at least 5 digits.
func memberShape(d []byte) bool {
	if len(d) < 6 || len(d) > 20 || !isUpperAlnum(d) {
		return false
	}
	n := 0
	for _, c := range d {
		if isDigit(c) {
			n++
		}
	}
	return n >= 5
}

// isDate accepts m/d/yyyy, m/d/yy, m-d-yyyy, m.d.yyyy and yyyy-mm-dd.
func isDate(text []byte, g []group) bool {
	a, b, c := text[g[0].start:g[0].end], text[g[1].start:g[1].end], text[g[2].start:g[2].end]
	if len(a) == 4 && len(b) <= 2 && len(c) <= 2 {
		return validDate(num(a), num(b), num(c))
	}
	if len(a) <= 2 && len(b) <= 2 && (len(c) == 4 || len(c) == 2) {
		return validDate(num(c), num(a), num(b)) || validDate(num(c), num(b), num(a))
	}
	return false
}

var monthNames = []string{"january", "february", "march", "april", "may", "june", "july", "august",
	"september", "october", "november", "december"}

// textualDate looks right after a DOB label for "March 3, 1975", "Mar 3 1975" or "3 March 1975".
func textualDate(text []byte, p int) (int, int, bool) {
	n := len(text)
	lim := min(n, p+labelWindow)
	for p < lim && !isAlnum(text[p]) {
		p++
	}
	if p >= lim {
		return 0, 0, false
	}
	start := p
	word := func(q int) (int, int) {
		e := q
		for e < n && e-q < 12 && isAlpha(text[e]) {
			e++
		}
		return q, e
	}
	numAt := func(q int, maxLen int) (int, int) {
		e := q
		for e < n && e-q <= maxLen && isDigit(text[e]) {
			e++
		}
		return num(text[q:e]), e - q
	}
	month := func(q, e int) int {
		w := bytes.ToLower(text[q:e])
		if len(w) < 3 {
			return 0
		}
		for i, m := range monthNames {
			if bytes.HasPrefix([]byte(m), w) || (len(w) == 3 && bytes.HasPrefix([]byte(m), w[:3])) {
				return i + 1
			}
		}
		return 0
	}
	skip := func(q int) int {
		for q < n && (text[q] == ' ' || text[q] == ',' || text[q] == '.') {
			q++
		}
		return q
	}
	if isAlpha(text[start]) {
		ws, we := word(start)
		m := month(ws, we)
		if m == 0 {
			return 0, 0, false
		}
		q := skip(we)
		if q >= n || !isDigit(text[q]) {
			return 0, 0, false
		}
		day, dl := numAt(q, 2)
		if dl == 0 || dl > 2 {
			return 0, 0, false
		}
		q = q + dl
		for _, suf := range []string{"st", "nd", "rd", "th"} {
			if bytes.HasPrefix(text[q:], []byte(suf)) {
				q += 2
				break
			}
		}
		q = skip(q)
		if q >= n || !isDigit(text[q]) {
			return 0, 0, false
		}
		y, yl := numAt(q, 4)
		if yl != 4 || !validDate(y, m, day) || (q+yl < n && isWord(text[q+yl])) {
			return 0, 0, false
		}
		return start, q + yl, true
	}
	day, dl := numAt(start, 2)
	if dl == 0 || dl > 2 {
		return 0, 0, false
	}
	q := skip(start + dl)
	if q >= n || !isAlpha(text[q]) {
		return 0, 0, false
	}
	ws, we := word(q)
	m := month(ws, we)
	if m == 0 {
		return 0, 0, false
	}
	q = skip(we)
	if q >= n || !isDigit(text[q]) {
		return 0, 0, false
	}
	y, yl := numAt(q, 4)
	if yl != 4 || !validDate(y, m, day) || (q+yl < n && isWord(text[q+yl])) {
		return 0, 0, false
	}
	return start, q + yl, true
}
