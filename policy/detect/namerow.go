package detect

import (
	"bytes"
	"sort"
)

// Patient context written the way lists, pages and case notes put it right after a name,
// beyond the words nameFollow reads: an age between commas ("Carmen Ruiz, 58, woke up"),
// an identifier in parentheses ("Marcus Delgado (CHP112039487)"), a possessive before a
// visit or a clinical term ("Hiroshi Tanaka's 12/2 colonoscopy"), a unit-and-room code
// ("Sophia Lindgren in 4N-12"), and a list item whose text is clinical ("1. Gloria
// Espinoza - suspicious mole"). Each reads the name's own line only.

// lineEnd returns the offset of the line break at or after p (or lim).
func lineEnd(text []byte, p, lim int) int {
	if i := bytes.IndexByte(text[p:lim], '\n'); i >= 0 {
		return p + i
	}
	return lim
}

// nameFollowRow reports the patient context above after the name at [start, end).
func nameFollowRow(text []byte, start, end int, ci *ctxIndex) bool {
	le := lineEnd(text, end, min(len(text), end+followWindow))
	switch {
	case ageBetweenCommas(text, end, le), parenID(text, end, le), parenKin(text, end, le), unitAfterIn(text, end, le), patientAfter(text, end, le):
		return true
	case codeDash(text, end, le):
		// A census or docket row: "Dale Pruitt, 27-MH-00402 - 30-day commitment".
		return clinicalIn(ci, end, le)
	case possessive(text, end):
		return careOrClinical(text, end, min(le, end+possessiveWindow), ci)
	case listItemStart(text, start):
		return listDash(text, end, le) && clinicalIn(ci, end, le)
	}
	return false
}

// codeDash: ", <record or case number> - " right after the name: a comma, a token of
// letters, digits and dashes (5-20 long, at least 3 digits: not a year), and a dash or a
// colon.
func codeDash(text []byte, end, le int) bool {
	p := end
	if p >= le || text[p] != ',' {
		return false
	}
	p++
	for p < le && text[p] == ' ' {
		p++
	}
	a, digits := p, 0
	for p < le && p-a <= 20 && (isAlnum(text[p]) || text[p] == '-' || text[p] == '#') {
		if isDigit(text[p]) {
			digits++
		}
		p++
	}
	if p-a < 5 || p-a > 20 || digits < 3 || text[p-1] == '-' {
		return false
	}
	return listDash(text, p, le)
}

// possessiveWindow is how far after "Name's" a visit or clinical term may start.
const possessiveWindow = 40

// ageBetweenCommas: ", 58," or ", 58)" right after the name; an age from 1 to 110.
func ageBetweenCommas(text []byte, end, le int) bool {
	if end >= le || text[end] != ',' {
		return false
	}
	p := end + 1
	for p < le && text[p] == ' ' {
		p++
	}
	d := p
	for p < le && isDigit(text[p]) {
		p++
	}
	if p-d == 0 || p-d > 3 || p >= le || (text[p] != ',' && text[p] != ')') {
		return false
	}
	v := num(text[d:p])
	return v >= 1 && v <= 110
}

// parenID: "(CHP112039487)", "(MRN 00482913)" right after the name: up to 4 letters (and a
// space) before 5 to 16 digits. A phone "(555) 0142" or a year "(2024)" is not one.
func parenID(text []byte, end, le int) bool {
	p := end
	if p < le && text[p] == ' ' {
		p++
	}
	if p >= le || text[p] != '(' {
		return false
	}
	p++
	a := p
	for p < le && p-a < 4 && isAlpha(text[p]) {
		p++
	}
	if p < le && text[p] == ' ' && p > a {
		p++
	}
	d := p
	for p < le && isDigit(text[p]) {
		p++
	}
	return p-d >= 5 && p-d <= 16 && p < le && text[p] == ')'
}

// parenKin: "(daughter)", "(POA)", "(esposa)" right after the name: a patient's relative or
// caregiver, as a delivery ticket, a consent or a contact list writes them. HIPAA counts a
// relative's name among the patient's identifiers.
func parenKin(text []byte, end, le int) bool {
	p := end
	if p < le && text[p] == ' ' {
		p++
	}
	if p >= le || text[p] != '(' {
		return false
	}
	p++
	a := p
	for p < le && p-a < 16 && isAlpha(text[p]) {
		p++
	}
	if p >= le || text[p] != ')' || p == a {
		return false
	}
	var buf [16]byte
	w := buf[:0]
	for _, c := range text[a:p] {
		w = append(w, c|0x20)
	}
	switch string(w) {
	case "daughter", "son", "wife", "husband", "spouse", "mother", "father", "mom", "dad", "parent",
		"sister", "brother", "granddaughter", "grandson", "niece", "nephew", "caregiver", "guardian",
		"poa", "hija", "hijo", "esposa", "esposo", "madre", "padre":
		return true
	}
	return false
}

// unitAfterIn: "in 4N-12", "in 3S 09", "in 12B" is a bed on a unit: 1-3 digits, one or two
// capitals, then an optional "-" or space and 1-3 digits. "in 2024" or "in 3 weeks" is not.
func unitAfterIn(text []byte, end, le int) bool {
	p := end
	for p < le && p-end < 2 && (text[p] == ' ' || text[p] == ',') {
		p++
	}
	if !hasPrefixFold(text[p:le], "in ") {
		return false
	}
	return unitCode(text[p+3 : le])
}

// unitCode: a unit and bed code at the start of b ("4N-12", "3S", "6W 14", "12B").
func unitCode(b []byte) bool {
	p := 0
	for p < len(b) && p < 3 && isDigit(b[p]) {
		p++
	}
	if p == 0 {
		return false
	}
	l := p
	for p < len(b) && p-l < 2 && isUpper(b[p]) {
		p++
	}
	if p == l {
		return false
	}
	if p < len(b) && (b[p] == '-' || b[p] == ' ') && p+1 < len(b) && isDigit(b[p+1]) {
		p++
		d := p
		for p < len(b) && isDigit(b[p]) {
			p++
		}
		if p-d > 3 {
			return false
		}
	}
	return p >= len(b) || !isAlnum(b[p])
}

// possessive: the name ends in 's or ’s.
func possessive(text []byte, end int) bool {
	if end < 3 || (text[end-1] != 's' && text[end-1] != 'S') {
		return false
	}
	return text[end-2] == '\'' || (end >= 5 && text[end-2] == 0x99 && text[end-3] == 0x80 && text[end-4] == 0xE2)
}

// careOrClinical: a care word (careWords) or a clinical dictionary term starts in [from, to).
func careOrClinical(text []byte, from, to int, ci *ctxIndex) bool {
	if clinicalIn(ci, from, to) {
		return true
	}
	for i := from; i < to; i++ {
		c := text[i] | 0x20
		if c < 'a' || c > 'z' || (i > from && isAlpha(text[i-1])) {
			continue
		}
		for _, cw := range careByFirst[c-'a'] {
			if hasPrefixFold(text[i:to], cw) {
				return true
			}
		}
	}
	return false
}

// clinicalIn: a condition, medication or procedure term starts in [from, to).
func clinicalIn(ci *ctxIndex, from, to int) bool {
	if ci == nil {
		return false
	}
	i := sort.Search(len(ci.hits), func(i int) bool { return ci.hits[i].end > from })
	for ; i < len(ci.hits) && ci.hits[i].start < to; i++ {
		if h := ci.hits[i]; h.kind&ctxClinical != 0 && h.start >= from {
			return true
		}
	}
	return false
}

// listItemStart: the name begins its line, after an optional list marker ("1.", "2)", "-",
// "*", "•") and spaces.
func listItemStart(text []byte, start int) bool {
	p := start
	for p > 0 && (text[p-1] == ' ' || text[p-1] == '\t') {
		p--
	}
	switch {
	case p == 0 || text[p-1] == '\n':
		return true
	case text[p-1] == '-' || text[p-1] == '*':
		p--
	case p >= 3 && text[p-1] == 0xA2 && text[p-2] == 0x80 && text[p-3] == 0xE2: // •
		p -= 3
	case text[p-1] == '.' || text[p-1] == ')':
		p--
		d := p
		for p > 0 && d-p < 3 && isDigit(text[p-1]) {
			p--
		}
		if p == d {
			return false
		}
	default:
		return false
	}
	for p > 0 && (text[p-1] == ' ' || text[p-1] == '\t') {
		p--
	}
	return p == 0 || text[p-1] == '\n'
}

// listDash: the item's text follows the name after " - ", " – " (folded) or ": ".
func listDash(text []byte, end, le int) bool {
	p := end
	for p < le && p-end < 2 && text[p] == ' ' {
		p++
	}
	return p+1 < le && (text[p] == '-' || text[p] == ':') && text[p+1] == ' '
}

// loneRoomAfter is the quick test that lets a lone capitalised word be looked at as a
// surname: a room or a bed right after it ("Hargrove, 3S rm 9", "Okafor in 12B", "Lee, bed
// 4"). nameFollow then decides.
func loneRoomAfter(text []byte, end int) bool {
	n := min(len(text), end+followWindow)
	p := end
	if p < n && text[p] == ',' {
		p++
	}
	if p+1 >= n || text[p] != ' ' {
		return false
	}
	p++
	if c := text[p] | 0x20; c != 'i' && c != 'r' && c != 'b' && !isDigit(text[p]) {
		return false // the common case: a sentence goes on
	}
	switch {
	case hasPrefixFold(text[p:n], "in "):
		w := text[p+3 : n]
		d := 0
		for d < len(w) && isDigit(w[d]) {
			d++
		}
		return unitCode(w) || (d >= 3 && d <= 4 && (d == len(w) || !isAlnum(w[d])) && roomNumber(string(w[:d])))
	case unitCode(text[p:n]):
		return true
	}
	for _, w := range []string{"rm ", "room ", "bed "} {
		if hasPrefixFold(text[p:n], w) && p+len(w) < n && isDigit(text[p+len(w)]) {
			return true
		}
	}
	return false
}

// rowAfterName reports a date that starts the column after a name in a list row: a gap
// of two spaces, a tab, " | " or " - " between a capitalised word and the date
// ("Whitcombe, Harold  01/17/1955", "Lee, Ann\t3/2/1961"). bareDOB takes it as a date of
// birth only when it lies parenClinicalAge years back and clinical or patient words are
// near: a list of names and old dates is a patient list, not a schedule.
func rowAfterName(text []byte, start int) bool {
	p := start
	gap := 0
	tab := false
	for p > 0 && start-p < 4 && (text[p-1] == ' ' || text[p-1] == '\t' || text[p-1] == '|' || text[p-1] == '-') {
		tab = tab || text[p-1] != ' '
		gap++
		p--
	}
	if gap < 2 && !tab {
		return false
	}
	e := p
	for p > 0 && e-p < 24 && isAlpha(text[p-1]) {
		p--
	}
	return p < e && isUpper(text[p]) && (p == 0 || !isWord(text[p-1]))
}

// addresseeCare reports, after a greeted name, a care word (careWords) or "your" right
// before a clinical term ("Hi Linda, ... your crown balance is now $0"): the letter is
// about the addressee's own care. Both look within nearWindow bytes.
func addresseeCare(text []byte, end int, ci *ctxIndex) bool {
	if yourCareAfter(text, end) {
		return true
	}
	if ci == nil || ci.kinds&ctxClinical == 0 {
		return false
	}
	lim := min(len(text), end+nearWindow)
	var buf [24]byte
	i := sort.Search(len(ci.hits), func(i int) bool { return ci.hits[i].end > end })
	for ; i < len(ci.hits) && ci.hits[i].start < lim; i++ {
		h := ci.hits[i]
		if h.kind&ctxClinical == 0 || h.start < end {
			continue
		}
		if w, _, ok := wordBefore(text, h.start, buf[:0]); ok && string(w) == "your" {
			return true
		}
	}
	return false
}

// patientAfter: ", patient of Dr. Lee", ", a patient of", ", es paciente del dr", ", paciente
// de la Dra." right after the name (or after one more surname); not "patients".
func patientAfter(text []byte, end, le int) bool {
	p := end
	if p+1 < le && text[p] == ' ' && isUpper(text[p+1]) {
		// A second surname the chain did not take: "Ramiro Soto Villa, es paciente".
		for p++; p < le && isAlpha(text[p]); p++ {
		}
	}
	if p >= le || text[p] != ',' {
		return false
	}
	p++
	for p < le && text[p] == ' ' {
		p++
	}
	for _, w := range []string{"es ", "is ", "a ", "una ", "un "} {
		if hasPrefixFold(text[p:le], w) {
			p += len(w)
			break
		}
	}
	for _, w := range []string{"paciente", "patient"} {
		if hasPrefixFold(text[p:le], w) {
			q := p + len(w)
			return q >= le || !isAlpha(text[q])
		}
	}
	return false
}

// thisBefore reports the word "this" right before pos (one space between): a caller or a
// writer naming themselves, "this is Dorothy Franklin" in a voicemail or a patient's text.
func thisBefore(text []byte, pos int) bool {
	return pos >= 5 && text[pos-1] == ' ' && hasPrefixFold(text[pos-5:], "this") && (pos == 5 || !isAlpha(text[pos-6]))
}

// patientIsBefore reports "pt" or "patient" as the word right before the "is" at pos
// ("Pt is Amina Hersi", "the patient is Omar Ali").
func patientIsBefore(text []byte, pos int) bool {
	if pos < 1 || text[pos-1] != ' ' {
		return false
	}
	e := pos - 1
	p := e
	for p > 0 && e-p < 8 && isAlpha(text[p-1]) {
		p--
	}
	if p > 0 && nameByte(text[p-1]) {
		return false
	}
	w := text[p:e]
	return len(w) >= 2 && (hasPrefixFold(w, "pt") && len(w) == 2 || len(w) == 7 && hasPrefixFold(w, "patient"))
}
