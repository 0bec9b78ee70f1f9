package detect

import "bytes"

// HL7 v2 segments pasted into mail (an interface alert, an engine log, an analyst's
// ticket) carry no label words: the field position says what a value is. In a PID
// segment PID-3 is the patient's identifier list (the MRN first), PID-5 the name
// (family^given^middle) and PID-7 the date of birth (YYYYMMDD). Vendor sandboxes and
// training handouts use names that say they are nobody (ZZTEST^ALPHA, TEST^PATIENT,
// DOE^JANE): a line holding such a name is a test record, and what is on it is not a
// patient's.

// hl7Reach bounds what one segment or test name covers on either side, so that
// everything a hit depends on lies inside what Stream keeps around a cut.
const hl7Reach = 200

// hl7Span is a stretch of text (a test record's line) whose hits are not a patient's.
type hl7Span struct{ start, end int }

// hl7TestSpans returns the lines (each clipped to hl7Reach around its name) that hold an
// HL7-style test patient's name: a caret-joined name with a component starting "ZZ" or
// holding "TEST", or DOE^JANE / DOE^JOHN, the placeholder names of every spec.
func hl7TestSpans(text []byte, out []hl7Span) []hl7Span {
	for i := 0; i < len(text); {
		c := bytes.IndexByte(text[i:], '^')
		if c < 0 {
			break
		}
		c += i
		i = c + 1
		ls := c
		for ls > 0 && isAlpha(text[ls-1]) {
			ls--
		}
		re := c + 1
		for re < len(text) && isAlpha(text[re]) {
			re++
		}
		left, right := text[ls:c], text[c+1:re]
		if !testNamePart(left) && !testNamePart(right) &&
			!(equalFoldASCII(left, "doe") && (equalFoldASCII(right, "jane") || equalFoldASCII(right, "john"))) {
			continue
		}
		st, en := max(0, ls-hl7Reach), min(len(text), re+hl7Reach)
		if nl := bytes.LastIndexByte(text[st:ls], '\n'); nl >= 0 {
			st += nl + 1
		}
		if nl := bytes.IndexByte(text[re:en], '\n'); nl >= 0 {
			en = re + nl
		}
		out = append(out, hl7Span{st, en})
	}
	return out
}

// testNamePart reports a name component that says it is a test record: ZZTEST, ZZZPATIENT,
// TEST, TESTPATIENT.
func testNamePart(w []byte) bool {
	if len(w) >= 3 && w[0]|0x20 == 'z' && w[1]|0x20 == 'z' {
		return true
	}
	for i := 0; i+4 <= len(w); i++ {
		if equalFoldASCII(w[i:i+4], "test") {
			return true
		}
	}
	return false
}

func equalFoldASCII(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		if b[i]|0x20 != s[i] {
			return false
		}
	}
	return true
}

// inHL7Test reports a hit that starts inside one of the test spans.
func inHL7Test(spans []hl7Span, p int) bool {
	for _, sp := range spans {
		if p >= sp.start && p < sp.end {
			return true
		}
	}
	return false
}

// scanHL7 reads PID segments: "PID|" at a word boundary, fields split by '|', components
// by '^'. A segment whose PID-5 is a person's name (family and given, letters only) gives
// that name, its PID-7 date of birth and its PID-3 identifier at High. A test patient's
// segment gives nothing here (hl7TestSpans sets its line aside).
func (s *Scanner) scanHL7(text []byte, from, to int, emit func(hit), occupied func(int, int)) {
	for i := 0; i < len(text); {
		k := bytes.Index(text[i:], []byte("PID|"))
		if k < 0 {
			return
		}
		k += i
		i = k + 4
		if k > 0 && isWord(text[k-1]) {
			continue
		}
		end := min(len(text), k+hl7Reach)
		if nl := bytes.IndexAny(text[k:end], "\r\n"); nl >= 0 {
			end = k + nl
		}
		var fields [8][2]int // PID-0 .. PID-7
		n, fs := 0, k
		for p := k; p <= end && n < len(fields); p++ {
			if p == end || text[p] == '|' {
				fields[n] = [2]int{fs, p}
				n++
				fs = p + 1
			}
		}
		if n < 6 {
			continue
		}
		ns, ne, ok := hl7Name(text, fields[5][0], fields[5][1])
		if !ok {
			continue
		}
		if occupied != nil {
			occupied(k, end)
		}
		if k < from || k >= to {
			continue
		}
		if s.enabled[TypePersonName] {
			emit(hit{typ: TypePersonName, conf: High, start: ns, end: ne})
		}
		if n > 7 && s.enabled[TypeDOB] {
			if ds, de, ok := s.hl7Date(text, fields[7][0], fields[7][1]); ok {
				emit(hit{typ: TypeDOB, conf: High, start: ds, end: de})
			}
		}
		if s.enabled[TypeMRN] {
			a, b := fields[3][0], fields[3][1]
			if c := bytes.IndexAny(text[a:b], "^~"); c >= 0 {
				b = a + c
			}
			digits := 0
			for _, c := range text[a:b] {
				if isDigit(c) {
					digits++
				} else if !isAlpha(c) {
					digits = -100
				}
			}
			if digits >= 4 && b-a <= 20 && !placeholderID(text[a:b]) {
				emit(hit{typ: TypeMRN, conf: High, start: a, end: b})
			}
		}
	}
}

// hl7Name reports a PID-5 that is a person's name: family^given, each at least two
// letters (spaces, hyphens and apostrophes inside), and not a test patient's.
func hl7Name(text []byte, a, b int) (int, int, bool) {
	parts := bytes.SplitN(text[a:b], []byte("^"), 3)
	if len(parts) < 2 {
		return 0, 0, false
	}
	for _, p := range parts[:2] {
		letters := 0
		for _, c := range p {
			switch {
			case isAlpha(c):
				letters++
			case c == ' ' || c == '-' || c == '\'':
			default:
				return 0, 0, false
			}
		}
		if letters < 2 || testNamePart(p) {
			return 0, 0, false
		}
	}
	if equalFoldASCII(parts[0], "doe") {
		return 0, 0, false
	}
	return a, a + len(parts[0]) + 1 + len(parts[1]), true
}

// hl7Date reads an HL7 DTM date of birth: YYYYMMDD, optionally followed by a time,
// a valid date no later than this year and no more than 120 years back.
func (s *Scanner) hl7Date(text []byte, a, b int) (int, int, bool) {
	if b-a < 8 {
		return 0, 0, false
	}
	v := [8]int{}
	for i := range 8 {
		c := text[a+i]
		if !isDigit(c) {
			return 0, 0, false
		}
		v[i] = int(c - '0')
	}
	for p := a + 8; p < b; p++ {
		if !isDigit(text[p]) && text[p] != '.' && text[p] != '-' && text[p] != '+' && text[p] != '^' {
			return 0, 0, false
		}
	}
	y := v[0]*1000 + v[1]*100 + v[2]*10 + v[3]
	m, d := v[4]*10+v[5], v[6]*10+v[7]
	if !validDate(y, m, d) || y > s.year || y < s.year-120 {
		return 0, 0, false
	}
	return a, a + 8, true
}

// FHIR JSON pasted into mail (a vendor's escalation, a gateway's log) names its patient
// by field too: a HumanName's "family" and "given" are a person's name whatever the
// words around them, and a Patient's "identifier" value is their MRN. scanFHIR reads
// `"family": "X"` followed within fhirReach bytes by `"given": "Y"` or `["Y"`; a test
// patient's name (ZZTEST, TEST) gives nothing.
const fhirReach = 120

func (s *Scanner) scanFHIR(text []byte, from, to int, emit func(hit), occupied func(int, int)) {
	key := []byte(`"family"`)
	for i := 0; i < len(text); {
		k := bytes.Index(text[i:], key)
		if k < 0 {
			return
		}
		k += i
		i = k + len(key)
		fs, fe, ok := jsonStringAfterKey(text, k+len(key), false)
		if !ok || !nameValue(text[fs:fe]) {
			continue
		}
		lim := min(len(text), fe+fhirReach)
		g := bytes.Index(text[fe:lim], []byte(`"given"`))
		if g < 0 {
			continue
		}
		gs, ge, ok := jsonStringAfterKey(text, fe+g+len(`"given"`), true)
		if !ok || !nameValue(text[gs:ge]) {
			continue
		}
		if occupied != nil {
			occupied(k, ge)
		}
		if fs < from || fs >= to {
			continue
		}
		emit(hit{typ: TypePersonName, conf: High, start: fs, end: fe})
	}
}

// jsonStringAfterKey reads `: "value"` (or `: ["value"` when array) after a key and
// returns the value's offsets; the value is at most 40 bytes without escapes.
func jsonStringAfterKey(text []byte, p int, array bool) (int, int, bool) {
	skip := func() {
		for p < len(text) && (text[p] == ' ' || text[p] == '\t' || text[p] == '\n' || text[p] == '\r') {
			p++
		}
	}
	skip()
	if p >= len(text) || text[p] != ':' {
		return 0, 0, false
	}
	p++
	skip()
	if array && p < len(text) && text[p] == '[' {
		p++
		skip()
	}
	if p >= len(text) || text[p] != '"' {
		return 0, 0, false
	}
	p++
	st := p
	for p < len(text) && p-st <= 40 && text[p] != '"' && text[p] != '\\' && text[p] != '\n' {
		p++
	}
	if p >= len(text) || text[p] != '"' || p == st {
		return 0, 0, false
	}
	return st, p, true
}

// nameValue: letters (at least two), spaces, hyphens and apostrophes, and not a test
// patient's name part.
func nameValue(b []byte) bool {
	letters := 0
	for _, c := range b {
		switch {
		case isAlpha(c):
			letters++
		case c == ' ' || c == '-' || c == '\'' || c == '.':
		default:
			return false
		}
	}
	return letters >= 2 && !testNamePart(b)
}
