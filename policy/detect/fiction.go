package detect

import (
	"bytes"
	"sort"
)

// What says a text is about nobody real: a made-up case, a placeholder number, a
// coworker's birthday.

// TypeTeachingCase marks a text that says its case is made up: "the case is fictional",
// "a teaching case - details changed", "no pt-specific details". Continuing education,
// journal clubs, training slides and teaching pearls describe a patient who does not exist,
// in the very words a real note would use. A grant or quality report that counts
// "unduplicated clients" or gives "aggregate outcomes" is about no one person either. The finding weighs nothing (Score) and names
// nobody; the shipped policy does not let a name or a health statement alone decide such a
// message, while identifiers (an SSN, an MRN, even a test patient's) still do.
const TypeTeachingCase = "teaching_case"

// emitFiction emits one teaching_case finding per fiction word in [from, to).
func (s *Scanner) emitFiction(ci *ctxIndex, from, to int, emit func(hit)) {
	if ci.kinds&ctxFiction == 0 || !s.enabled[TypeTeachingCase] {
		return
	}
	for _, h := range ci.hits {
		if h.kind&ctxFiction != 0 && h.start >= from && h.start < to {
			emit(hit{typ: TypeTeachingCase, conf: Medium, start: h.start, end: h.end})
		}
	}
}

// placeholderID reports an identifier whose digits are a placeholder, not a number anyone
// was given: all zeros or one digit repeated ("MRN 0000000", "9999999"), zeros and a
// single other digit ("CHP000000001" on a sample card).
// Such an MRN or member ID is Low: it is a form's or a sample's, not a patient's.
func placeholderID(b []byte) bool {
	var d [24]byte
	n := 0
	for _, c := range b {
		if isDigit(c) && n < len(d) {
			d[n] = c
			n++
		}
	}
	if n < 6 {
		return false
	}
	same, zeros := true, 0
	for i := 0; i < n; i++ {
		same = same && d[i] == d[0]
		if d[i] == '0' {
			zeros++
		}
	}
	return same || zeros >= n-1
}

// testPrefixed reports an identifier written with a word that says it is no one's in
// front of its digits: "MRN DEMO-000123", "TEST_4471203", "SAMPLE00123". A word apart
// ("strep test 4471203") is not part of the value.
func testPrefixed(text []byte, start int) bool {
	i := start
	if i > 0 && (text[i-1] == '-' || text[i-1] == '_') {
		i--
	}
	for _, w := range [...]string{"demo", "test", "sample", "dummy", "fake"} {
		if i >= len(w) && bytes.EqualFold(text[i-len(w):i], []byte(w)) && (i == len(w) || !isAlpha(text[i-len(w)-1])) {
			return true
		}
	}
	return false
}

// paragraphWindow is how far back ssnInParagraph looks for an SSN word. With the term's
// length it stays inside what Stream keeps around a cut (streamKeep).
const paragraphWindow = 320

// ssnInParagraph reports an SSN word up to paragraphWindow bytes before a bare 9-digit
// number with no label of its own, in the same paragraph (no blank line between) and with
// no other 9-digit or longer number between: "The SSN on the claim was wrong. ... I
// called her and read it back, the correct one is 083132114." The number is then Medium:
// the sentence that named it is earlier in the paragraph.
func ssnInParagraph(text []byte, ci *ctxIndex, pos int) bool {
	lo := max(0, pos-paragraphWindow)
	found := -1
	for i := sort.Search(len(ci.hits), func(i int) bool { return ci.hits[i].start >= lo }); i < len(ci.hits); i++ {
		h := ci.hits[i]
		if h.start >= pos {
			break
		}
		if h.kind&ctxSSN != 0 {
			found = h.end
		}
	}
	if found < 0 {
		return false
	}
	run := 0
	for i, c := range text[found:pos] {
		switch {
		case isDigit(c):
			if run++; run >= 9 {
				return false // another number the word may name
			}
		case c == '\n':
			run = 0
			if j := found + i + 1; j < pos && (text[j] == '\n' || (text[j] == '\r' && j+1 < pos && text[j+1] == '\n')) {
				return false // a blank line: a new paragraph
			}
		default:
			run = 0
		}
	}
	return true
}

// celebration reports a date of birth told at a birthday celebration ("Happy birthday to
// our unit clerk! She was born 11/5/1975"): a celebration word near and no patient,
// clinical or identifier word near. Such a date is Low: a coworker's, not a patient's.
func celebration(text []byte, ci *ctxIndex, start, end int) bool {
	if ci.kinds&(ctxCeleb|ctxDOB) == 0 {
		return false
	}
	nk := ci.near(start, end)
	if nk&(identityKinds&^ctxDOB|ctxClinical|ctxCare) != 0 {
		return false
	}
	return nk&ctxCeleb != 0 || (nk&ctxDOB != 0 && happyBirthdayNear(text, ci, start, end))
}

// happyBirthdayNear reports "birthday" within nearWindow of [start, end) with "happy" up to
// two words before it: "Happy 40th birthday", "happy belated birthday", "happy early
// bday", which the fixed celebration phrases miss.
func happyBirthdayNear(text []byte, ci *ctxIndex, start, end int) bool {
	lo, hi := start-nearWindow, end+nearWindow
	var buf [24]byte
	i := sort.Search(len(ci.hits), func(i int) bool { return ci.hits[i].end >= lo })
	for ; i < len(ci.hits) && ci.hits[i].start <= hi; i++ {
		h := ci.hits[i]
		if h.kind&ctxDOB == 0 || !(hasPrefixFold(text[h.start:h.end], "birthday") || hasPrefixFold(text[h.start:h.end], "bday")) {
			continue
		}
		pos := h.start
		for k := 0; k < 2; k++ {
			w, ws, ok := wordBefore(text, pos, buf[:0])
			if !ok {
				break
			}
			if string(w) == "happy" {
				return true
			}
			pos = ws
		}
	}
	return false
}

// testRecord reports an identifier on the same line and in the same sentence as a
// test-record marker: "test patient ZZTEST, PEDS (MRN 99000041, DOB 01/01/2026)", an HL7
// PID segment for ZZTEST^CARDIO. Such an MRN, member ID, account number or date of birth
// is a test or training system's, not a patient's: Low. The marker reaches no further
// than its line, so a real patient named on the next line keeps her identifiers; and "test
// patient" after the name of a test ("the strep test patient in room 4") is a patient who
// had the test, no marker.
func testRecord(text []byte, ci *ctxIndex, start, end int) bool {
	if ci.kinds&ctxTestRec == 0 {
		return false
	}
	lo, hi := start-nearWindow, end+nearWindow
	var buf [24]byte
	i := sort.Search(len(ci.hits), func(i int) bool { return ci.hits[i].end >= lo })
	for ; i < len(ci.hits) && ci.hits[i].start <= hi; i++ {
		h := ci.hits[i]
		if h.kind&ctxTestRec == 0 {
			continue
		}
		a, b := h.end, start
		if h.start >= end {
			a, b = end, h.start
		}
		if a <= b && breaksClause(text[a:b]) { // overlapping: the marker is the record itself
			continue
		}
		if text[h.start]|0x20 == 'z' {
			return true // ZZTEST
		}
		if w, _, ok := wordBefore(text, h.start, buf[:0]); ok && (clinicalTest[string(w)] || ci.clinicalEndsAt(h.start)) {
			continue
		}
		return true
	}
	return false
}

// clinicalTest are tests a patient has, named right before "test patient".
var clinicalTest = map[string]bool{"strep": true, "covid": true, "flu": true, "pcr": true, "rapid": true,
	"stress": true, "drug": true, "pregnancy": true, "allergy": true, "hearing": true, "vision": true,
	"tb": true, "hiv": true, "sweat": true, "glucose": true, "breath": true, "patch": true, "skin": true}

// clinicalEndsAt reports a clinical dictionary term ending right before pos (one space
// between): "mono test patient".
func (c *ctxIndex) clinicalEndsAt(pos int) bool {
	i := sort.Search(len(c.hits), func(i int) bool { return c.hits[i].end >= pos-1 })
	for ; i < len(c.hits) && c.hits[i].end <= pos; i++ {
		if c.hits[i].kind&ctxClinical != 0 {
			return true
		}
	}
	return false
}
