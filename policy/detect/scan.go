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
	// Test patients: what sits on a ZZTEST^ALPHA or TEST^PATIENT line (hl7.go) is a
	// sandbox's, not a patient's: names and health statements drop, the rest is Low. A
	// name on the same line and in the same sentence as another test-record marker
	// ("patient name DOE JANE", as extraction labels a PID) drops too.
	var spans []hl7Span
	if bytes.IndexByte(text, '^') >= 0 {
		spans = hl7TestSpans(text, nil)
		if occupied != nil {
			for _, sp := range spans {
				occupied(sp.start, sp.end)
			}
		}
	}
	for _, h := range s.ac.run(text, s.pats, &sc.ac) {
		p := &s.pats[h.pat]
		if p.ctx != 0 {
			ci.hits = append(ci.hits, ctxHit{start: h.start, end: h.end, kind: p.ctx})
			ci.kinds |= p.ctx
		}
		if p.dict >= 0 {
			dict = append(dict, h)
		}
	}
	var cjkDict []hit
	cjk := hasCJK(text)
	if cjk {
		cjkDict = cjkContext(text, &ci, sc.cjk[:0])
		defer func() { sc.cjk = cjkDict }()
	}
	if inner := emit; len(spans) > 0 || (ci.kinds&ctxTestRec != 0 && s.names != nil) {
		emit = func(h hit) {
			if inHL7Test(spans, h.start) {
				if h.typ == TypePersonName || h.typ == TypePersonalHealth {
					return
				}
				h.conf = Low
			} else if h.typ == TypePersonName && ci.kinds&ctxTestRec != 0 && testRecord(text, &ci, h.start, h.end) {
				return
			}
			inner(h)
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
			if h.start < from || h.start >= to || emptyBoxBefore(text, h.start) || credentialAfter(text, h.start, h.end) {
				continue
			}
			conf := Low
			if ci.near(h.start, h.end)&identityKinds != 0 {
				conf = Medium
			}
			typ := s.dictType[s.pats[h.pat].dict]
			emit(hit{typ: typ, conf: conf, start: h.start, end: h.end})
			if s.enabled[TypePersonalHealth] {
				if ps, c := personalFromTerm(text, h.start, h.end, typ == TypeMedication); c != 0 {
					emit(hit{typ: TypePersonalHealth, conf: c, start: ps, end: h.end})
				}
			}
		}
	}
	for _, h := range cjkDict {
		if occupied != nil {
			occupied(h.start, h.end)
		}
		if h.start < from || h.start >= to || !(s.allOn || s.enabled[h.typ]) {
			continue
		}
		h.conf = Low
		if ci.near(h.start, h.end)&identityKinds != 0 {
			h.conf = Medium
		}
		emit(h)
	}
	if cjk && s.names != nil && (s.allOn || s.enabled[TypePersonName]) {
		cjkNames(text, &ci, func(h hit) {
			if occupied != nil {
				occupied(h.start, h.end)
			}
			if h.start >= from && h.start < to {
				emit(h)
			}
		})
	}
	if ci.kinds&(ctxVital|ctxResult) != 0 && s.enabled[TypePersonalHealth] {
		for _, h := range ci.hits {
			if h.start < from || h.start >= to || h.kind&(ctxVital|ctxResult) == 0 {
				continue
			}
			if (h.kind&ctxResult != 0 && !resultOfAThing(text, h.start) && !resultInAggregate(text, h.start, h.end) && !bloodTypeBefore(text, h.start) &&
				!indefiniteQuestion(text, h.start)) ||
				(h.kind&ctxResult == 0 && vitalValue(text, h.end) && !qcReading(text, &ci, h.start, h.end) && !countedItem(text, &ci, h.start) &&
					!aggregateBefore(text, h.start) && !implausibleReading(text, h.start, h.end)) {
				conf := Medium
				if readerBefore(text, h.start) {
					conf = High // "Your potassium is 6.1": the recipient's own reading
				}
				emit(hit{typ: TypePersonalHealth, conf: conf, start: h.start, end: h.end})
			}
		}
	}
	s.emitFiction(&ci, from, to, emit)
	s.emitAnimal(text, &ci, from, to, emit)
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
					conf := High
					if testRecord(text, &ci, ds, de) {
						conf = Low
					}
					emit(hit{typ: TypeDOB, conf: conf, start: ds, end: de})
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
		s.lowerSignatures(text, from, to, emit)
	}
	// Pass 6: HL7 v2 PID segments, where the field position says what a value is (hl7.go).
	if bytes.IndexByte(text, '|') >= 0 {
		s.scanHL7(text, from, to, emit, occupied)
	}
	if s.names != nil && bytes.Contains(text, []byte(`"family"`)) {
		s.scanFHIR(text, from, to, emit, occupied)
	}
}

// scratch holds one scan's working slices; Scanner pools them so a scan allocates
// almost nothing once warm.
type scratch struct {
	ac   acBufs
	ctx  []ctxHit
	dict []acHit
	cjk  []hit
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
	big := cap(sc.ac.hits) > maxPooledHits || cap(sc.ctx) > maxPooledHits || cap(sc.dict) > maxPooledHits || cap(sc.cjk) > maxPooledHits
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
		// The label is the same for every candidate starting at group i; a far one counts
		// when there is no near one.
		label, far := ci.labels(text, g[i].start)
		if label == 0 {
			label = far
		}
		for j := min(len(g)-1, i+maxGroups-1); j >= i; j-- {
			if j < len(g)-1 && g[j].sep != ' ' {
				continue
			}
			if typ, conf := s.classify(text, g[i:j+1], ci, label); typ != "" {
				if (typ == TypeMRN || typ == TypeMemberID) && placeholderID(text[g[i].start:g[j].end]) {
					conf = Low
				}
				if typ == TypeDOB && celebration(text, ci, g[i].start, g[j].end) {
					conf = Low
				}
				// A test system's record identifies nobody: not even a low finding,
				// which the score would add up over a test plan's list of them. It
				// still claims its span (natives), so a site regex does not count it.
				test := (typ == TypeMRN || typ == TypeMemberID || typ == TypePatientAccount || typ == TypeDOB) &&
					(testRecord(text, ci, g[i].start, g[j].end) || (typ != TypeDOB && testPrefixed(text, g[i].start)))
				st := g[i].start
				if i == 0 && g[0].start > 0 && text[g[0].start-1] == '(' && g[0].sep == ')' {
					st--
				}
				if natives != nil && (typ == TypeMRN || typ == TypeMemberID) {
					*natives = append(*natives, hit{typ: typ, start: st, end: g[j].end})
				}
				if !test && st >= from && st < to && (s.allOn || s.enabled[typ]) {
					emit(hit{typ: typ, conf: conf, start: st, end: g[j].end})
				}
				i = j + 1
				matched = true
				break
			}
		}
		if !matched {
			if g[i].end-g[i].start == 4 && (s.allOn || s.enabled[TypeDOB]) {
				s.textDateAtYear(text, g[i].start, g[i].end, ci, from, to, emit, occupied)
				s.cjkDateAtYear(text, g[i].start, g[i].end, ci, from, to, emit, occupied)
			}
			i++
		}
	}
}

// textDateAtYear handles a textual date ending in the 4-digit year at [ys, ye) ("(September
// 17, 1962) is a 63-year-old"). A date right after a DOB label is pass 3's; this reports
// one with words between it and its DOB label ("DOB - per patient - Sept 17 1962"), one
// with a far DOB label, and the unlabelled ones bareDOB accepts.
func (s *Scanner) textDateAtYear(text []byte, ys, ye int, ci *ctxIndex, from, to int, emit func(hit), occupied func(int, int)) {
	y := num(text[ys:ye])
	if !allDigits(text[ys:ye]) || y < 1880 || y > s.year {
		return
	}
	// The date starts one or two tokens before the year: at the month in "September 17,
	// 1962" and "Sept. 3rd 1975", at the day in "17 Sep 1962" and "15-Jan-1973".
	ds := -1
	t1 := tokenBefore(text, ys, ys-maxTextDate)
	if t1 < 0 {
		return
	}
	// Spanish and Portuguese put "de" between the parts ("3 de marzo de 2022"): up to four
	// tokens back.
	var cands [4]int
	cands[0] = t1
	nc := 1
	for nc < len(cands) {
		p := tokenBefore(text, cands[nc-1], ys-maxTextDate)
		if p < 0 {
			break
		}
		cands[nc] = p
		nc++
	}
	for k := nc - 1; k >= 0; k-- {
		p := cands[k]
		if isDigit(text[p]) || monthInitial[text[p]] {
			if _, e, ok := parseTextDate(text, p); ok && e == ye {
				ds = p
				break
			}
		}
	}
	if ds < 0 {
		return
	}
	conf := High
	if ci.label(ds)&ctxDOB != 0 {
		// Pass 3 reports the date if it comes first after the label; only the nearest
		// label can be followed by it, anything else would sit between.
		if h, ok := ci.labelHit(ds, labelWindow); ok {
			if ps, _, ok := textualDate(text, h.end); ok && ps == ds {
				return
			}
		}
	} else if ci.farLabel(text, ds)&ctxDOB == 0 {
		if conf = s.bareDOB(text, ds, ye, y, ci); conf == 0 {
			return
		}
	}
	if testRecord(text, ci, ds, ye) {
		conf = Low
	}
	if occupied != nil {
		occupied(ds, ye)
	}
	if ds >= from && ds < to {
		emit(hit{typ: TypeDOB, conf: conf, start: ds, end: ye})
	}
}

// monthInitial holds the first letters of the month names, either case.
var monthInitial = func() (t [256]bool) {
	for _, c := range "JFMASONDE" { // E: enero
		t[c], t[c|0x20] = true, true
	}
	return t
}()

// tokenBefore returns the start of the run of letters and digits that ends at most three
// separator bytes (space , . - /) before p, or -1 if there is none at or after lo.
func tokenBefore(text []byte, p, lo int) int {
	q := p
	for k := 0; k < 3 && q > 0 && (text[q-1] == ' ' || text[q-1] == ',' || text[q-1] == '.' || text[q-1] == '-' || text[q-1] == '/'); k++ {
		q--
	}
	if q == p || q == 0 || !isAlnum(text[q-1]) {
		return -1
	}
	for q > 0 && isAlnum(text[q-1]) {
		q--
	}
	if q < max(lo, 0) {
		return -1
	}
	return q
}

// ageAfter: b follows a number; does it say the number is an age ("-year-old", " y/o", "yo F")?
func ageAfter(b []byte) bool {
	k := 0
	if k < len(b) && (b[k] == ' ' || b[k] == '-') {
		k++
	}
	for _, suf := range ageSuffixes {
		if !hasPrefixFold(b[k:], suf) {
			continue
		}
		e := k + len(suf)
		if suf != "yo" || e == len(b) || !isAlpha(b[e]) {
			return true
		}
		// "63yoF", "63 yo M"
		if c := b[e] | 0x20; (c == 'm' || c == 'f') && (e+1 == len(b) || !isAlpha(b[e+1])) {
			return true
		}
		return false
	}
	return false
}

// ageBefore: b precedes a number; does it end with "age" or "aged" ("Age: 63")?
func ageBefore(b []byte) bool {
	e := len(b)
	for k := 0; k < 2 && e > 0 && (b[e-1] == ' ' || b[e-1] == ':'); k++ {
		e--
	}
	for _, w := range []string{"aged", "age"} {
		st := e - len(w)
		if st >= 0 && hasPrefixFold(b[st:e], w) && (st == 0 || !isAlpha(b[st-1])) {
			return true
		}
	}
	return false
}

// hasPrefixFold reports whether b starts with the lower-case ASCII string p, ignoring case.
func hasPrefixFold(b []byte, p string) bool {
	if len(b) < len(p) {
		return false
	}
	for i := 0; i < len(p); i++ {
		c := b[i]
		if isUpper(c) {
			c |= 0x20
		}
		if c != p[i] {
			return false
		}
	}
	return true
}

// parenAfterName: the date is in parentheses right after a capitalised word or an initial.
func parenAfterName(text []byte, start, end int) bool {
	if start < 2 || end >= len(text) || text[start-1] != '(' || text[end] != ')' {
		return false
	}
	p := start - 1
	if text[p-1] == ' ' {
		p--
	}
	e := p
	for p > 0 && isAlpha(text[p-1]) {
		p--
	}
	return p < e && isUpper(text[p]) && (p == 0 || !isWord(text[p-1]))
}

// dateYear accepts m/d/yyyy, m/d/yy, m-d-yyyy, m.d.yyyy and yyyy-mm-dd (and d/m/y) and
// returns the year; a two-digit year is taken as the latest one not after thisYear.
func dateYear(text []byte, g []group, thisYear int) (int, bool) {
	a, b, c := text[g[0].start:g[0].end], text[g[1].start:g[1].end], text[g[2].start:g[2].end]
	if len(a) == 4 && len(b) <= 2 && len(c) <= 2 {
		return num(a), validDate(num(a), num(b), num(c))
	}
	if len(a) <= 2 && len(b) <= 2 && (len(c) == 4 || len(c) == 2) {
		y := num(c)
		if !validDate(y, num(a), num(b)) && !validDate(y, num(b), num(a)) {
			return 0, false
		}
		if len(c) == 2 {
			y += thisYear / 100 * 100
			if y > thisYear {
				y -= 100
			}
		}
		return y, true
	}
	return 0, false
}

var monthNames = []string{"january", "february", "march", "april", "may", "june", "july", "august",
	"september", "october", "november", "december"}

// textualDate looks right after a DOB label for "March 3, 1975", "Mar 3 1975", "3 March 1975"
// or "15-Jan-1973".
func textualDate(text []byte, p int) (int, int, bool) {
	lim := min(len(text), p+labelWindow)
	for p < lim && !isAlnum(text[p]) {
		p++
	}
	if p >= lim {
		return 0, 0, false
	}
	return parseTextDate(text, p)
}

// parseTextDate reads a date with a month name starting exactly at start: "March 3, 1975",
// "Sept. 3rd 1975", "3 March 1975", "15-Jan-1973", "15-JAN-73". A two-digit year is taken
// only after '-' or '/', the form of lab and pharmacy systems. It returns the date's span.
func parseTextDate(text []byte, start int) (int, int, bool) {
	n := len(text)
	if start >= n {
		return 0, 0, false
	}
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
		w := text[q:e]
		if len(w) < 3 {
			return 0
		}
		for i, m := range monthNames {
			if len(w) <= len(m) && hasPrefixFold(w, m[:len(w)]) {
				return i + 1
			}
		}
		return romanceMonth(w)
	}
	// skip passes at most three separator bytes and reports whether one was '-' or '/'.
	skip := func(q int) (int, bool) {
		dash := false
		for k := 0; k < 3 && q < n; k++ {
			switch text[q] {
			case ' ', ',', '.':
			case '-', '/':
				dash = true
			default:
				return q, dash
			}
			q++
		}
		return q, dash
	}
	year := func(q int, dash bool) (int, int, bool) {
		if q >= n || !isDigit(text[q]) {
			return 0, 0, false
		}
		y, yl := numAt(q, 4)
		if (yl != 4 && (yl != 2 || !dash)) || (q+yl < n && isWord(text[q+yl])) {
			return 0, 0, false
		}
		return y, q + yl, true
	}
	var m, day, dl int
	q := start
	if isAlpha(text[start]) {
		ws, we := word(start)
		if m = month(ws, we); m == 0 {
			return 0, 0, false
		}
		q, _ = skip(we)
		if q >= n || !isDigit(text[q]) {
			return 0, 0, false
		}
		if day, dl = numAt(q, 2); dl == 0 || dl > 2 {
			return 0, 0, false
		}
		q += dl
		for _, suf := range []string{"st", "nd", "rd", "th"} {
			if bytes.HasPrefix(text[q:], []byte(suf)) {
				q += 2
				break
			}
		}
	} else {
		if day, dl = numAt(start, 2); dl == 0 || dl > 2 {
			return 0, 0, false
		}
		q, _ = skip(start + dl)
		if q < n {
			q = deWord(text, q) // "3 de marzo"
		}
		if q >= n || !isAlpha(text[q]) {
			return 0, 0, false
		}
		ws, we := word(q)
		if m = month(ws, we); m == 0 {
			return 0, 0, false
		}
		q = we
	}
	q, dash := skip(q)
	if q < n && !dash {
		q = deWord(text, q) // "marzo de 2022"
	}
	y, e, ok := year(q, dash)
	if !ok || !validDate(y, m, day) {
		return 0, 0, false
	}
	return start, e, true
}

// cjkDateAtYear reports a date written the Chinese, Japanese or Korean way, year first
// with unit characters ("1958年3月12日", "2015년 6월 3일"), as a date of birth when a DOB
// label ("出生日期", "생년월일", "DOB") sits before it. Unlabelled, such a date is an
// appointment or a due date as often as a birth date.
func (s *Scanner) cjkDateAtYear(text []byte, ys, ye int, ci *ctxIndex, from, to int, emit func(hit), occupied func(int, int)) {
	y := num(text[ys:ye])
	if !allDigits(text[ys:ye]) || y < 1880 || y > s.year {
		return
	}
	e, ok := cjkMonthDay(text, ye)
	if !ok {
		return
	}
	near, far := ci.labels(text, ys)
	if (near|far)&ctxDOB == 0 {
		return
	}
	conf := High
	if near == 0 {
		conf = Medium
	}
	if testRecord(text, ci, ys, e) {
		conf = Low
	}
	if occupied != nil {
		occupied(ys, e)
	}
	if ys >= from && ys < to {
		emit(hit{typ: TypeDOB, conf: conf, start: ys, end: e})
	}
}

// cjkMonthDay parses "年3月12日" or "년 6월 3일" at p, right after a year; it returns where
// the date ends. A space may follow each unit (Korean writes one).
func cjkMonthDay(text []byte, p int) (int, bool) {
	unit := func(p int, units ...string) (int, bool) {
		for _, u := range units {
			if bytes.HasPrefix(text[p:], []byte(u)) {
				p += len(u)
				for p < len(text) && text[p] == ' ' {
					p++
				}
				return p, true
			}
		}
		return p, false
	}
	number := func(p, hi int) (int, bool) {
		q := p
		for q < len(text) && q-p < 2 && isDigit(text[q]) {
			q++
		}
		if q == p || (q < len(text) && isDigit(text[q])) {
			return p, false
		}
		n := num(text[p:q])
		return q, n >= 1 && n <= hi
	}
	var ok bool
	if p, ok = unit(p, "年", "년"); !ok {
		return 0, false
	}
	if p, ok = number(p, 12); !ok {
		return 0, false
	}
	if p, ok = unit(p, "月", "월"); !ok {
		return 0, false
	}
	if p, ok = number(p, 31); !ok {
		return 0, false
	}
	if p, ok = unit(p, "日", "号", "號", "일"); !ok {
		return 0, false
	}
	for p > 0 && text[p-1] == ' ' {
		p--
	}
	return p, true
}
