package detect

import "strings"

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
	row := y <= s.year-parenClinicalAge && rowAfterName(text, start)
	if y <= s.year-parenClinicalAge && initialsAfterPatient(text, start) {
		return Medium // "pt J.M. 7/19/1988 on my 4pm": who the patient is, by initials and birth date
	}
	if s.parenAgeAfter(text, end, y) {
		return High // a chart banner: "04/02/1952 (74 y.o. F)", "3/9/1961 (65 yrs)"
	}
	if !paren && !row && ci.kinds&ctxAge == 0 {
		return 0 // no age stated anywhere, the common case: skip the lookups
	}
	nk := ci.near(start, end)
	if nk&ctxAge != 0 && s.ageNear(text, start, end, y) {
		return High
	}
	if row && nk&(identityKinds|ctxClinical) != 0 {
		return Medium // "Whitcombe, Harold  01/17/1955  CHP301928475  colonoscopy"
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

// initialsAfterPatient reports a date right after a patient's initials, which come right
// after "pt" or "patient": "pt J.M. 7/19/1988", "Patient: RK (04/02/1950)". Initials and a
// birth date are how staff name a patient without writing the name.
func initialsAfterPatient(text []byte, start int) bool {
	p := start
	if p > 0 && text[p-1] == '(' {
		p--
	}
	for p > 0 && text[p-1] == ' ' {
		p--
	}
	letters := 0
	for p > 0 && start-p < 12 && (isUpper(text[p-1]) || text[p-1] == '.' || text[p-1] == ' ') {
		if isUpper(text[p-1]) {
			if p > 1 && isAlpha(text[p-2]) {
				return false // a word, not an initial
			}
			letters++
		}
		p--
	}
	if letters < 2 || letters > 3 {
		return false
	}
	for p > 0 && (text[p-1] == ' ' || text[p-1] == ':') {
		p--
	}
	for _, w := range []string{"pt", "pt.", "patient"} {
		if p >= len(w) && hasPrefixFold(text[p-len(w):], w) && (p == len(w) || !isWord(text[p-len(w)-1])) {
			return true
		}
	}
	return false
}

// parenAgeAfter reports an age in parentheses right after a date that fits its year, as an
// EHR's patient banner writes it: "(74 y.o. F)", "(65 yrs)", "(74y)". Only the number and
// the "y" that starts its unit are read, so a photo's OCR that garbles "y.o." into "y-0-"
// still counts.
func (s *Scanner) parenAgeAfter(text []byte, end, y int) bool {
	p := end
	for p < len(text) && p-end < 3 && (text[p] == ' ' || text[p] == ',') {
		p++
	}
	if p >= len(text) || text[p] != '(' {
		return false
	}
	p++
	a := p
	for p < len(text) && p-a < 3 && isDigit(text[p]) {
		p++
	}
	if p == a {
		return false
	}
	age := num(text[a:p])
	if p < len(text) && text[p] == ' ' {
		p++
	}
	if p >= len(text) || text[p]|0x20 != 'y' {
		return false
	}
	// The unit is an abbreviation ("y", "y.o.", "yo", "yr", "yrs", "y/o"), never a word:
	// "(74 years of service)" is an anniversary.
	w := p
	for w < len(text) && w-p < 4 && isAlpha(text[w]) {
		w++
	}
	switch strings.ToLower(string(text[p:w])) {
	case "y", "yo", "yr", "yrs":
	default:
		return false
	}
	d := s.year - y - age
	return d >= 0 && d <= 1
}
