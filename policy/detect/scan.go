package detect

import (
	"bytes"
	"encoding/binary"
	"sort"
	"strings"
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
			ci.kinds |= p.ctx
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
			typ := s.dictType[s.pats[h.pat].dict]
			emit(hit{typ: typ, conf: conf, start: h.start, end: h.end})
			if s.enabled[TypePersonalHealth] {
				if ps, ok := personalFromTerm(text, h.start, h.end, typ == TypeMedication); ok {
					emit(hit{typ: TypePersonalHealth, conf: Medium, start: ps, end: h.end})
				}
			}
		}
	}
	if ci.kinds&(ctxVital|ctxResult) != 0 && s.enabled[TypePersonalHealth] {
		for _, h := range ci.hits {
			if h.start < from || h.start >= to || h.kind&(ctxVital|ctxResult) == 0 {
				continue
			}
			if h.kind&ctxResult != 0 || vitalValue(text, h.end) {
				emit(hit{typ: TypePersonalHealth, conf: Medium, start: h.start, end: h.end})
			}
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
			if g[i].end-g[i].start == 4 && (s.allOn || s.enabled[TypeDOB]) {
				s.textDateAtYear(text, g[i].start, g[i].end, ci, from, to, emit, occupied)
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
	for _, p := range [2]int{tokenBefore(text, t1, ys-maxTextDate), t1} {
		if p >= 0 && (isDigit(text[p]) || monthInitial[text[p]]) {
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
	if occupied != nil {
		occupied(ds, ye)
	}
	if ds >= from && ds < to {
		emit(hit{typ: TypeDOB, conf: conf, start: ds, end: ye})
	}
}

// monthInitial holds the first letters of the month names, either case.
var monthInitial = func() (t [256]bool) {
	for _, c := range "JFMASOND" {
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

// parenClinicalAge is how many years back a date in parentheses after a name must lie to
// count as a date of birth with only clinical words near.
const parenClinicalAge = 12

// maxTextDate is the longest day and month before a year: "September 30th, ".
const maxTextDate = 20

// bareDOB decides whether a date without a DOB label is a date of birth; y is its year. An
// age stated near it that fits the year ("63-year-old", "63 y/o", "age 63") makes it High;
// a past date in parentheses right after a name ("Deborah X (04-26-1946)") with patient
// words near, or clinical words and a date parenClinicalAge years back, is Medium. Any other
// date (an appointment, an invoice) is nothing.
func (s *Scanner) bareDOB(text []byte, start, end, y int, ci *ctxIndex) Confidence {
	if y > s.year || y < s.year-120 {
		return 0
	}
	paren := y < s.year && parenAfterName(text, start, end)
	if !paren && ci.kinds&ctxAge == 0 {
		return 0 // no age stated anywhere, the common case: skip the lookups
	}
	nk := ci.near(start, end)
	if nk&ctxAge != 0 && s.ageNear(text, start, end, y) {
		return High
	}
	if paren {
		// A patient word or identifier near is enough; clinical words alone only for a date
		// old enough not to be a policy's or a visit's ("Updated Policy (01/01/2020)").
		if nk&identityKinds != 0 || (nk&ctxClinical != 0 && y <= s.year-parenClinicalAge) {
			return Medium
		}
	}
	return 0
}

// ageNear reports whether an age that fits birth year y is stated within nearWindow bytes of
// [start, end). It fits if the date was written this year or up to three years ago.
func (s *Scanner) ageNear(text []byte, start, end, y int) bool {
	lo, hi := max(0, start-nearWindow), min(len(text), end+nearWindow)
	for i := lo; i < hi; {
		a := nextDigit(text[:hi], i)
		if a >= hi {
			break
		}
		j := a
		for j < hi && isDigit(text[j]) {
			j++
		}
		i = j
		if (a >= start && a < end) || j-a > 3 || (a > 0 && isWord(text[a-1])) {
			continue
		}
		if d := s.year - y - num(text[a:j]); d < 0 || d > 3 {
			continue
		}
		if ageAfter(text[j:hi]) || ageBefore(text[lo:a]) {
			return true
		}
	}
	return false
}

var ageSuffixes = []string{"years old", "year old", "year-old", "years-old", "yr old", "yr-old", "yrs old", "yrs-old",
	"years of age", "year of age", "y/o", "y.o", "yo"}

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

// classify decides what the groups g are, if anything, from their shape, validation and context.
// label is ci.label(g[0].start), or its farLabel when that is 0.
func (s *Scanner) classify(text []byte, g []group, ci *ctxIndex, label uint64) (string, Confidence) {
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
	neg := label&negKinds != 0
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
	near := func() uint64 { return ci.near(start, end) }

	// A patient's account number is an identifier; an invoice's is not (see patientAccount).
	if label&ctxAcct != 0 && len(g) == 1 && acctShape(d) {
		if c := patientAccount(text, start, end, ci); c != 0 {
			return TypePatientAccount, c
		}
	}
	if digits && len(g) == 1 {
		switch {
		case label&ctxSSN != 0 && len(d) == 9 && validSSN(d):
			return TypeSSN, High
		case label&ctxNDC != 0 && (len(d) == 10 || len(d) == 11):
			return TypeNDC, ndcConf(true, ci, start, end)
		case label&ctxMRN != 0 && len(d) >= 6 && len(d) <= 10:
			return TypeMRN, High
		case label&ctxMember != 0 && len(d) >= 6 && len(d) <= 20:
			return TypeMemberID, High
		case label&ctxCPT != 0 && len(d) == 5:
			return TypeCPT, High
		case label&ctxDOB != 0 && len(d) == 8 && compactDate(d):
			return TypeDOB, High // HL7/X12 style: DOB 19770614
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
		// SSN 123-45-6789 / 123 45 6789 / 123.45.6789. The label the number sits under
		// decides first: "Order ID: 103-13-1030" stays Low however clinical the lines
		// around it are. Dots are rarer in an SSN, so a dotted one needs context.
		if lens(3, 2, 4) && (sp == "--" || sp == "  " || sp == "..") && validSSN(d) {
			dotted := sp == ".."
			switch {
			case label&ctxSSN != 0:
				return TypeSSN, High
			case neg:
				// "Order ID: 103-13-1030", "Ref 512-40-7781": the label says what it is.
				return "", 0
			case near()&(ctxSSN|identityKinds) != 0:
				return TypeSSN, High
			case dotted:
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
			if neg {
				return "", 0
			}
			return TypeNDC, ndcConf(label&ctxNDC != 0, ci, start, end)
		}
		// Dates of birth: with a DOB label, or as bareDOB accepts.
		if len(g) == 3 && same && (sp[0] == '/' || sp[0] == '-' || sp[0] == '.') {
			if y, ok := dateYear(text, g, s.year); ok {
				if label&ctxDOB != 0 {
					return TypeDOB, High
				}
				if c := s.bareDOB(text, start, end, y, ci); c != 0 {
					return TypeDOB, c
				}
			}
		}
		// Payment cards with spaces or dashes.
		if same && (sp[0] == ' ' || sp[0] == '-') && len(d) >= 13 && validCard(d) && !neg {
			if label&ctxCard != 0 {
				return TypeCard, High
			}
			return TypeCard, Medium
		}
		// A member ID typed in spaced groups under its label ("mbr# ZGP 900 145 672").
		if same && sp[0] == ' ' && label&ctxMember != 0 && memberShape(d) {
			return TypeMemberID, High
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
			return mbiConf(d, false, label, ci, start, end)
		case len(d) == 11 && label&ctxMBI != 0 && validMBI(upperInto(make([]byte, 0, 11), d)):
			return TypeMBI, High // a lower-case MBI under its label
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
		return mbiConf(d, true, label, ci, start, end)
	}
	// Under its own label, an MBI typed in lower case or in spaced groups ("mbi 3tj1 q87
	// gj26") and a member ID in spaced groups ("mbr# ZGP 900 145 672") are still theirs.
	if label&(ctxMBI|ctxMember) != 0 && len(g) <= 4 {
		sp := seps()
		if strings.Trim(sp, " ") == "" || strings.Trim(sp, "-") == "" {
			var ub [24]byte
			u := upperInto(ub[:0], d)
			switch {
			case label&ctxMBI != 0 && len(u) == 11 && validMBI(u):
				return TypeMBI, High
			case label&ctxMember != 0 && memberShape(u) && isUpperAlnum(d):
				return TypeMemberID, High
			}
		}
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

// ndcConf: an NDC names a product. It is about a person only with patient or identity
// context near; a price list or a vaccine inventory is not PHI, so there it is Low (and
// Score gives a Low NDC no weight without an identity finding).
func ndcConf(labelled bool, ci *ctxIndex, start, end int) Confidence {
	if ci.near(start, end)&identityKinds == 0 {
		return Low
	}
	if labelled {
		return High
	}
	return Medium
}

// mbiConf: the MBI shape alone is weak evidence (an 11-character log or queue ID can have
// it). Medicare context makes it High; patient context, or the 4-3-4 dashes of the CMS card
// (dashed), Medium; neither Low. An MBI whose letters are all hex digits is most likely a
// hex ID: without Medicare context it is Low near a patient and nothing otherwise.
func mbiConf(d []byte, dashed bool, label uint64, ci *ctxIndex, start, end int) (string, Confidence) {
	if label&ctxMBI != 0 {
		return TypeMBI, High
	}
	nk := ci.near(start, end)
	switch {
	case nk&ctxMBI != 0:
		return TypeMBI, High
	case isHex(d):
		if nk&identityKinds != 0 {
			return TypeMBI, Low
		}
		return "", 0
	case label&negKinds != 0:
		return TypeMBI, Low
	case nk&identityKinds != 0 || dashed:
		return TypeMBI, Medium
	}
	return TypeMBI, Low
}

func isHex(b []byte) bool {
	for _, c := range b {
		if !isDigit(c) && (c < 'A' || c > 'F') {
			return false
		}
	}
	return true
}

// patientIdentity is the context that makes an account number a patient's: a patient word
// that can mean nothing else, or another patient identifier.
const patientIdentity = ctxPt | ctxDOB | ctxMRN | ctxSSN | ctxMember | ctxMBI | ctxDx

// patientAccount decides whether the number at [start, end) under an account label is a
// patient's account number (a HIPAA identifier) and how sure that is: High when a patient
// word qualifies the label ("Patient Account #", "pt acct"), Medium when a patient word or
// identifier is in the same line and sentence ("Pt: Jane Doe  MR# 123456  Acct# 7765123"),
// Medium too when billing-for-care words or a clinical term are near; else 0: "Account #"
// on an invoice, or "... daily. Account 0901207342 is past due.", is not PHI.
func patientAccount(text []byte, start, end int, ci *ctxIndex) Confidence {
	if h, ok := ci.labelHit(start, nearWindow); ok && h.kind&ctxAcct != 0 && ci.qualified(text, h, ctxPt) {
		return High
	}
	if ci.sameClause(text, start, end, patientIdentity) {
		return Medium
	}
	// A billing office's account: a copay, a date of service, a visit or a refund near
	// it ("Acct 600377104, DOS 10/02/2026 (dermatology biopsy)"). Clinical terms alone
	// are not enough: a supplier's invoice for EKG electrodes has an account too.
	if ci.near(start, end)&ctxCare != 0 {
		return Medium
	}
	return 0
}

// acctShape: 5-20 digits, or 6-20 capitals and digits with at least 5 digits.
func acctShape(d []byte) bool {
	if allDigits(d) {
		return len(d) >= 5 && len(d) <= 20
	}
	return memberShape(d)
}

// compactDate: eight digits that are a date as YYYYMMDD (HL7, X12) or MMDDYYYY.
func compactDate(d []byte) bool {
	y, m, dd := num(d[:4]), num(d[4:6]), num(d[6:8])
	if y >= 1880 && y <= 2100 && validDate(y, m, dd) {
		return true
	}
	m, dd, y = num(d[:2]), num(d[2:4]), num(d[4:8])
	return y >= 1880 && y <= 2100 && validDate(y, m, dd)
}

// upperInto appends b upper-cased (ASCII) to dst.
func upperInto(dst, b []byte) []byte {
	for _, c := range b {
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
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
		return 0
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
	y, e, ok := year(q, dash)
	if !ok || !validDate(y, m, day) {
		return 0, 0, false
	}
	return start, e, true
}
