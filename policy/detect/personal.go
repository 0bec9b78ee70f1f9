package detect

import (
	"bytes"
	"slices"
)

// TypePersonalHealth marks a statement about one person's health rather than health in
// general: a possessive or a person before a clinical term ("my hip replacement", "her
// chemo", "she had a L hip ORIF"), a result read out to someone ("your A1c is 7.9",
// "tested positive"), a vital sign or lab value with its number ("BP 88/50", "EF 45%"),
// or a drug with its dose and schedule ("morphine 5mg SL q2h prn"). A health newsletter
// talks about diabetes; a nurse's reply talks about her diabetes. Alone it is not PHI
// (nobody is named); the shipped policy pairs it with a person's name.
const TypePersonalHealth = "personal_health"

// personalWindow bounds how far a dose or a result word may follow its term.
const personalWindow = 40

// wordBefore returns the lowercased word (letters, digits, ' and /) that ends before
// pos with only spaces, tabs and at most one line break between, and its start; ok is
// false at a blank line, punctuation or the start of the text.
func wordBefore(text []byte, pos int, buf []byte) (w []byte, start int, ok bool) {
	p := pos
	for p > 0 && (text[p-1] == ' ' || text[p-1] == '\t') {
		p--
	}
	// One line break: plain text is hard-wrapped ("He is on\r\nwarfarin"); a blank line
	// is a new paragraph.
	if p > 0 && text[p-1] == '\n' {
		p--
		if p > 0 && text[p-1] == '\r' {
			p--
		}
		for p > 0 && (text[p-1] == ' ' || text[p-1] == '\t') {
			p--
		}
		if p > 0 && text[p-1] == '\n' {
			return nil, 0, false
		}
	}
	e := p
	for p > 0 && p > e-24 && (isAlnum(text[p-1]) || text[p-1] == '\'' || text[p-1] == '/') {
		p--
	}
	if p == e || (p > 0 && isAlnum(text[p-1])) {
		return nil, 0, false
	}
	buf = buf[:0]
	for _, c := range text[p:e] {
		if isUpper(c) {
			c |= 0x20
		}
		buf = append(buf, c)
	}
	return buf, p, true
}

// personBefore reports whether a clinical term at start is about one person: "my", "his"
// or "her" up to two words before it ("her stage II breast cancer"), or "I", "he" or "she"
// and a verb of having before it ("she had a L hip ORIF", "I was diagnosed with"), or a
// relative named by a possessive and a verb ("your mom finished the Macrobid"). A
// preposition or conjunction between breaks it: "her research on diabetes", "my patients
// with asthma" are not about her or me. first reports the writer's own health ("my", "I").
func personBefore(text []byte, start int) (pos int, ok, first bool) {
	var buf [24]byte
	p := start
	var verb, article bool
	for k, steps := 0, 0; k < 5 && steps < 8; k, steps = k+1, steps+1 {
		w, ws, ok := wordBefore(text, p, buf[:0])
		if !ok {
			return 0, false, false
		}
		if allDigits(w) || durationUnit(w) {
			// A length of stay or a course does not push the subject out of reach: "he's
			// going into a 28 day alcohol rehab", "she finished a 10 day course of".
			k--
			p = ws
			continue
		}
		switch string(w) {
		case "hx", "h/o", "s/p":
			// "hx Guillain-Barre", "s/p CABG": a history in a note is a patient's.
			return ws, k == 0, false
		case "my", "his", "her":
			// At most two words between: "her stage II breast cancer".
			return ws, !verb && !article && k <= 2, string(w) == "my"
		case "i", "he", "she", "i'm", "im", "he's", "she's", "hes", "shes":
			// "hes on hospice": a phone drops the apostrophe.
			return ws, verb, w[0] == 'i'
		case "mi":
			// Spanish "mi" is "my": "mi diabetes", "mi presion alta".
			return ws, !verb && !article && k <= 2, true
		case "yo", "ella":
			// Spanish "yo" (I) and "ella" (she) with a verb of having: "ella tiene 23
			// semanas de embarazo". Not "su": it is also "your" and "their", as a flyer
			// writes ("controle su diabetes").
			return ws, verb, w[0] == 'y'
		case "they":
			// "they found gestational diabetes", "they diagnosed a DVT": what the doctors
			// found in the writer; the verb right before the term (an article between).
			return ws, verb && k <= 2, false
		case "mom", "mother", "dad", "father", "husband", "wife", "son", "daughter", "grandmother",
			"grandfather", "grandma", "grandpa", "sister", "brother", "aunt", "uncle",
			"esposa", "esposo", "mama", "papa", "madre", "padre", "hijo", "hija", "abuela", "abuelo",
			"hermana", "hermano":
			// "your mom finished the Macrobid", "my husband has CHF": a relative, named by
			// the possessive before, stands where "she" or "he" would.
			if o, os, ok := wordBefore(text, ws, buf[:0]); ok && verb && kinOwner(o) {
				return os, true, false
			}
			return 0, false, false
		case "has", "had", "have", "got", "gets", "takes", "taking", "started", "needs", "on", "with",
			"was", "is", "am", "diagnosed", "found", "finished", "completed", "stopped",
			"going", "entering", "entered", "checked", "admitted", "getting", "receiving", "undergoing":
			// "she has CHF", "I'm on insulin", "I was diagnosed with", "he's going into a 28
			// day alcohol rehab", "she's getting the epidural injection next week";
			// "patients with asthma" stops at "patients".
			verb = true
		case "tiene", "tengo", "tuvo", "tuve", "toma", "tomo", "esta", "estoy", "con":
			// Spanish verbs of having, taking and being: "tengo diabetes", "toma insulina".
			verb = true
		case "un", "una", "la":
			article = true
		case "de", "en", "para", "sobre", "su", "sus", "pacientes":
			// "semanas de embarazo" keeps reading; see semanas below. Other Spanish
			// prepositions and possessives break it as their English ones do.
			if string(w) != "de" || !spanishSpan(text, ws) {
				return 0, false, false
			}
			k--
		case "semanas", "meses", "dias":
			if allDigitsBefore(text, ws) {
				k--
			}
		case "the", "a", "an":
			article = true // "she had a L hip ORIF"; never "her the ..."
		case "of":
			// "she's out of the guanfacine", "I ran out of my insulin": a drug she takes.
			// Any other "of" breaks it: "her research on the treatment of diabetes".
			o, os, ok := wordBefore(text, ws, buf[:0])
			if !ok || string(o) != "out" {
				return 0, false, false
			}
			verb = true
			ws = os
		case "about", "in", "for", "to", "and", "or", "at", "from", "by", "than", "our",
			"your", "their", "this", "that", "these", "those", "patients", "members", "staff":
			return 0, false, false
		}
		p = ws
	}
	return 0, false, false
}

// durationUnit: the unit of a length of stay or a course ("28 day", "6 week").
func durationUnit(w []byte) bool {
	switch string(w) {
	case "day", "days", "week", "weeks", "month", "months":
		return true
	}
	return false
}

// kinOwner: the possessive before a relative ("your mom", "my dad", "his wife").
func kinOwner(w []byte) bool {
	switch string(w) {
	case "my", "your", "his", "her", "our", "mi", "nuestra", "nuestro":
		return true
	}
	return false
}

// placeNouns after a clinical term make it the name of a place or a business, not someone's
// health: "the 3 dialysis centers", "I'm with the wound care company". A person's care
// team ("her cancer team") is not among them: that is still about her.
var placeNouns = []string{"center", "centers", "centre", "centres", "clinic", "clinics", "unit", "units",
	"program", "programs", "department", "facility", "facilities", "company", "companies",
	"provider", "providers", "vendor", "vendors", "supplies", "supplier", "suppliers"}

// placeAfter reports one of placeNouns as the word right after end.
func placeAfter(text []byte, end int) bool {
	p := end
	if p >= len(text) || text[p] != ' ' {
		return false
	}
	p++
	e := p
	for e < len(text) && e-p < 12 && isAlpha(text[e]) {
		e++
	}
	if e == p || (e < len(text) && isAlpha(text[e])) {
		return false
	}
	for _, w := range placeNouns {
		if e-p == len(w) && hasPrefixFold(text[p:e], w) {
			return true
		}
	}
	return false
}

// resultAfter reports whether a term is followed in its clause by a value or a reading
// ("your A1c is 7.9", "your TB skin test read today was positive").
func resultAfter(text []byte, end int) bool {
	lim := min(len(text), end+personalWindow)
	for p := end; p < lim; p++ {
		switch c := text[p]; {
		case c == '\n' || c == ';' || c == '?' || c == '!':
			return false
		case c == '.' && (p+1 >= len(text) || !isDigit(text[p+1])):
			return false
		case isDigit(c) && p > end && (text[p-1] == ' ' || text[p-1] == ':'):
			return true
		case isAlpha(c) && (p == end || !isAlpha(text[p-1])):
			for _, w := range resultWords {
				if hasPrefixFold(text[p:lim], w) && (p+len(w) >= len(text) || !isAlpha(text[p+len(w)])) {
					return true
				}
			}
		}
	}
	return false
}

var resultWords = []string{"positive", "negative", "normal", "abnormal", "elevated", "high", "low",
	"came back", "showed", "shows", "detected"}

// doseAfter reports whether a medication is followed by its dose and a schedule:
// "morphine 5mg SL q2h prn", "apixaban 2.5 bid", "metformin to 1000 mg twice daily".
func doseAfter(text []byte, end int) bool {
	lim := min(len(text), end+personalWindow)
	num := false
	for p := end; p < lim; p++ {
		c := text[p]
		if c == '\n' {
			return false
		}
		if isDigit(c) && (p == end || !isAlpha(text[p-1])) {
			num = true
			continue
		}
		if !num || !isAlpha(c) || (p > 0 && isAlpha(text[p-1])) {
			continue
		}
		for _, w := range doseSchedules {
			if hasPrefixFold(text[p:lim], w) && (p+len(w) >= lim || !isAlpha(text[p+len(w)])) {
				return true
			}
		}
		if (c|0x20) == 'q' && qInterval(text[p+1:lim]) {
			return true // q2h, q4-6h
		}
	}
	return false
}

// qInterval reports the interval of a "q" schedule right after the q: digits, an optional
// range, and a unit of hours or days ("2h", "4-6h", "12 hrs", "3d"). "Q3 2024" is a quarter
// of a year on a dashboard, not a dosing schedule.
func qInterval(b []byte) bool {
	i := 0
	for i < len(b) && i < 3 && isDigit(b[i]) {
		i++
	}
	if i == 0 {
		return false
	}
	if i+1 < len(b) && b[i] == '-' && isDigit(b[i+1]) {
		for i++; i < len(b) && isDigit(b[i]); i++ {
		}
	}
	if i < len(b) && b[i] == ' ' {
		i++
	}
	if i >= len(b) {
		return false
	}
	switch b[i] | 0x20 {
	case 'h', 'd', 'w':
		return i+1 >= len(b) || !isAlpha(b[i+1]) || hasPrefixFold(b[i:], "hr") || hasPrefixFold(b[i:], "hour") ||
			hasPrefixFold(b[i:], "day") || hasPrefixFold(b[i:], "wk") || hasPrefixFold(b[i:], "week")
	}
	return false
}

var doseSchedules = []string{"bid", "tid", "qid", "qd", "qhs", "qam", "qpm", "qod", "prn", "daily",
	"nightly", "twice", "once", "every", "weekly", "b.i.d", "t.i.d", "q.d",
	// An instruction for tonight's dose: "Menopur 75 IU tonight", "melatonin 3 mg at bedtime".
	"tonight", "bedtime"}

// vitalValue reports whether a vital-sign or lab label at [start, end) is followed by its
// reading: "BP 88/50", "HR 118", "SpO2 91%", "EF 45%", "A1c 7.9", "INR: 4.2". A number
// after "of" is a threshold in a lesson ("an A1c of 6.5% or higher"), not a reading.
func vitalValue(text []byte, end int) bool {
	p := end
	for p < len(text) && p < end+4 && (text[p] == ' ' || text[p] == ':' || text[p] == '=') {
		p++
	}
	for _, w := range []string{"is ", "was ", "now ", "at "} {
		if hasPrefixFold(text[p:], w) {
			p += len(w)
			break
		}
	}
	d := p
	for p < len(text) && isDigit(text[p]) {
		p++
	}
	n := p - d
	if n == 0 || n > 3 {
		return false
	}
	if p < len(text) && (text[p] == '/' || text[p] == '.') && p+1 < len(text) && isDigit(text[p+1]) {
		p += 2
		for p < len(text) && isDigit(text[p]) {
			p++
		}
	}
	// A dose, not a reading: "Vit D 400 IU" on a shelf list.
	if q := p; q+3 <= len(text) && text[q] == ' ' && hasPrefixFold(text[q+1:], "iu") && (q+3 == len(text) || !isAlnum(text[q+3])) {
		return false
	}
	// A time point of a protocol, not a reading: "hs-troponin 0/1 hr algorithm", "lactate
	// 2 hrs after": a number with a unit of time after it is when, not how much.
	if q := p; q < len(text) && text[q] == ' ' && timeUnitAt(text[q+1:]) {
		return false
	}
	// Not a phone number, a date or a longer code: "HR: 555-0142", "HR 12/01/2026".
	return p >= len(text) || !(text[p] == '-' || text[p] == '/' || isAlnum(text[p]))
}

// implausibleReading reports a creatinine label with a three- or four-digit whole number
// after it: "CR 380 junto al canal" is a county road. Creatinine is reported in mg/dL
// (0.5-15, with a decimal point as often as not), so such a number is not its reading.
func implausibleReading(text []byte, start, end int) bool {
	if end-start != 2 || text[start]|0x20 != 'c' || text[start+1]|0x20 != 'r' {
		return false
	}
	p := end
	for p < len(text) && p < end+3 && (text[p] == ' ' || text[p] == ':') {
		p++
	}
	d := p
	for p < len(text) && isDigit(text[p]) {
		p++
	}
	return p-d >= 3 && (p >= len(text) || text[p] != '.')
}

// timeUnitAt reports a unit of time as the word at the start of b: "hr", "hrs", "hour",
// "hours", "h", "min", "minutes".
func timeUnitAt(b []byte) bool {
	for _, u := range []string{"hours", "hour", "hrs", "hr", "h", "minutes", "mins", "min"} {
		if hasPrefixFold(b, u) && (len(b) == len(u) || !isAlnum(b[len(u)])) {
			return true
		}
	}
	return false
}

// bloodTypeBefore reports a result word right after an ABO group and a hyphen: "use
// O-positive for unknown-type males", "AB-negative units" name a blood type, not a test
// a person had.
func bloodTypeBefore(text []byte, start int) bool {
	p := start
	if p == 0 || text[p-1] != '-' {
		return false
	}
	p--
	q := p
	for q > 0 && q > p-2 && (text[q-1] == 'A' || text[q-1] == 'B' || text[q-1] == 'O' || text[q-1] == 'a' || text[q-1] == 'b' || text[q-1] == 'o') {
		q--
	}
	if q == p || (q > 0 && isAlnum(text[q-1])) {
		return false
	}
	switch w := string(text[q:p]); w {
	case "A", "B", "O", "AB", "o", "a", "b", "ab":
		return true
	}
	return false
}

// personalFromTerm is called for each clinical dictionary term: it is personal when a
// person owns it, or when it is a drug with a dose and schedule.
//
// The statement is High when it is the writer's own ("my", "I") or a result read out to
// the reader ("your A1c is 7.9"): the sender or the recipient is the person, whoever the
// rest of the text is about (the shipped policy keeps it in veterinary mail).
func personalFromTerm(text []byte, start, end int, medication bool) (int, Confidence) {
	if placeAfter(text, end) || blankFieldAfter(text, end) {
		return 0, 0
	}
	if s, ok, first := personBefore(text, start); ok {
		if first {
			return s, High
		}
		return s, Medium
	}
	if w, ws, ok := wordBefore(text, start, make([]byte, 0, 24)); ok && string(w) == "your" && resultAfter(text, end) {
		// The reader's own result: the recipient is the person, as the sender is
		// for "my".
		return ws, High
	}
	if medication && doseAfter(text, end) {
		return start, Medium
	}
	return 0, 0
}

// blankFieldAfter reports a form's empty field right after a term: "My goal INR: ______",
// "Why I take warfarin:\n________". A handout to fill in is about nobody yet.
func blankFieldAfter(text []byte, end int) bool {
	p := end
	for p < len(text) && p < end+4 && (text[p] == ' ' || text[p] == ':' || text[p] == '\t' || text[p] == '\r' || text[p] == '\n') {
		p++
	}
	return p+3 <= len(text) && text[p] == '_' && text[p+1] == '_' && text[p+2] == '_'
}

// credentialAfter reports a term that names a staff credential rather than care: "CPR
// Expires", "CPR cert 03/2027", "CPR card", as an HR or credentialing tracker's columns write
// it. A resuscitation is something done to a patient; a CPR card is a nurse's.
func credentialAfter(text []byte, start, end int) bool {
	if end-start != 3 || !bytes.EqualFold(text[start:end], []byte("cpr")) {
		return false
	}
	p := end
	for p < len(text) && p < end+3 && (text[p] == ' ' || text[p] == '/' || text[p] == '-' || text[p] == '_') {
		p++
	}
	var buf [16]byte
	n := 0
	for p+n < len(text) && n < len(buf) && isAlpha(text[p+n]) {
		buf[n] = text[p+n] | 0x20
		n++
	}
	return credentialWords[string(buf[:n])]
}

// credentialWords follow "CPR" when it names a staff credential.
var credentialWords = map[string]bool{"exp": true, "expires": true, "expiry": true, "expiration": true,
	"expired": true, "expiring": true, "cert": true, "certs": true, "certified": true, "certification": true,
	"certifications": true, "card": true, "cards": true, "class": true, "classes": true, "training": true,
	"renewal": true, "recert": true, "recertification": true, "instructor": true, "due": true,
	"current": true, "course": true, "aed": true, "bls": true}

// readerBefore reports "your" right before a vital or lab label: the reader's own reading.
func readerBefore(text []byte, start int) bool { return prevWordIn(text, start, "your") }

// prevWordIn reports whether the word right before start (wordBefore) is one of words.
func prevWordIn(text []byte, start int, words ...string) bool {
	var buf [24]byte
	w, _, ok := wordBefore(text, start, buf[:0])
	return ok && slices.Contains(words, string(w))
}

// emptyBoxBefore reports an empty checkbox right before a term: "[ ] Stroke", "☐ Diabetes",
// "( ) COPD". A form's options are what it asks about, not what anyone has; a ticked box
// ("[x] Diabetes") is an answer and still counts.
func emptyBoxBefore(text []byte, start int) bool {
	// Back over the option's other words: "[ ] Alzheimer's / dementia", and over one line
	// break, where a PDF's table cell wraps the option: "☐ This is my first\nmammogram".
	p, nl := start, false
	for p > 0 && start-p < 40 {
		c := text[p-1]
		if c == '\n' && !nl {
			nl = true
		} else if !isAlpha(c) && c != ' ' && c != '\t' && c != '/' && c != '\'' && c != '-' && c != ',' {
			break
		}
		p--
	}
	switch {
	case p >= 3 && (text[p-1] == ']' || text[p-1] == ')') && text[p-2] == ' ' && (text[p-3] == '[' || text[p-3] == '('):
		return true
	case p >= 2 && (text[p-1] == ']' || text[p-1] == ')') && (text[p-2] == '[' || text[p-2] == '('):
		return true
	case p >= 3 && text[p-3] == 0xE2 && text[p-2] == 0x98 && text[p-1] == 0x90: // ☐ U+2610
		return true
	case p >= 3 && text[p-3] == 0xE2 && text[p-2] == 0x96 && text[p-1] == 0xA1: // □ U+25A1
		return true
	}
	return false
}

// aggregateBefore reports a statistic's word right before a vital or lab label: "Median A1c
// 8.2 overall", "mean INR 2.6", "average EF 55%". A clinic's quality numbers report on a
// group, not on one person.
func aggregateBefore(text []byte, start int) bool {
	return prevWordIn(text, start, "median", "mean", "average", "avg", "averaged", "aggregate", "overall", "target")
}

// indefiniteQuestion reports a result phrase whose subject is nobody in particular, in a
// question: "who got the TB test and who was positive?", "has anyone tested positive?".
// It asks about a group; an answer naming someone is found on its own.
func indefiniteQuestion(text []byte, start int) bool {
	if !prevWordIn(text, start, "who", "anyone", "anybody", "everyone", "everybody", "somebody", "someone", "whoever") {
		return false
	}
	for p := start; p < len(text) && p < start+120; p++ {
		switch text[p] {
		case '?':
			return true
		case '\n', '!':
			return false
		case '.':
			if p+1 >= len(text) || !isDigit(text[p+1]) {
				return false
			}
		}
	}
	return false
}

// thingTests are tests of equipment and of a building, not of a person: a sterilizer's
// spore test (biological indicator, CDC/ADA infection-control guidance), a water, radon,
// mold or air sample, a surface swab.
var thingTests = []string{"spore", "biological indicator", "sterilizer", "autoclave", "water", "legionella",
	"radon", "mold", "air sample", "surface"}

// resultOfAThing reports a result phrase ("came back positive") whose clause, in the 48
// bytes before it, names a test of equipment or of the building: "last week's spore test
// came back POSITIVE" is the autoclave's result, not a patient's.
func resultOfAThing(text []byte, start int) bool {
	lo := start
	for lo > 0 && start-lo < 48 {
		c := text[lo-1]
		if c == '\n' || c == '.' || c == ';' || c == '!' || c == '?' {
			break
		}
		lo--
	}
	clause := text[lo:start]
	for i := range clause {
		if i > 0 && isAlpha(clause[i-1]) {
			continue
		}
		for _, w := range thingTests {
			if hasPrefixFold(clause[i:], w) {
				return true
			}
		}
	}
	return false
}

// resultInAggregate reports a result phrase whose clause counts a share of a group: "positive
// for norovirus in 3 of 4 specimens", "12 of 40 campers tested positive", "positive in 7/30
// samples". An outbreak summary or a screening tally reports on a group, not on one person.
func resultInAggregate(text []byte, start, end int) bool {
	lo, hi := start, end
	for lo > 0 && start-lo < 64 && !clauseEnd(text, lo-1) {
		lo--
	}
	for hi < len(text) && hi-end < 64 && !clauseEnd(text, hi) {
		hi++
	}
	c := text[lo:hi]
	for i := 0; i < len(c); i++ {
		if !isDigit(c[i]) || (i > 0 && isAlnum(c[i-1])) {
			continue
		}
		j := i
		for j < len(c) && isDigit(c[j]) {
			j++
		}
		switch {
		case hasPrefixFold(c[j:], " of ") && j+4 < len(c) && isDigit(c[j+4]):
			return true
		case j+1 < len(c) && c[j] == '/' && isDigit(c[j+1]):
			// "7/30 samples", not a date "3/4/2026" or "12/5": a plural noun after it.
			k := j + 1
			for k < len(c) && isDigit(c[k]) {
				k++
			}
			if k+1 < len(c) && c[k] == ' ' && groupNoun(c[k+1:]) {
				return true
			}
		}
		i = j
	}
	return false
}

// clauseEnd: a sentence or line ends at text[p] (a decimal point does not).
func clauseEnd(text []byte, p int) bool {
	switch text[p] {
	case '\n', ';', '!', '?':
		return true
	case '.':
		return p+1 >= len(text) || !isDigit(text[p+1])
	}
	return false
}

// groupNoun: the plural noun of a tally ("samples", "specimens", "cases", "students").
func groupNoun(b []byte) bool {
	for _, w := range []string{"samples", "specimens", "cases", "students", "campers", "residents",
		"patients", "staff", "employees", "children", "participants", "tests", "swabs"} {
		if hasPrefixFold(b, w) && (len(b) == len(w) || !isAlpha(b[len(w)])) {
			return true
		}
	}
	return false
}

// spanishSpan: "de" after a count of weeks, months or days ("23 semanas de embarazo"):
// a span of time before the term, which does not push the subject out of reach.
func spanishSpan(text []byte, ws int) bool {
	var buf [24]byte
	w, _, ok := wordBefore(text, ws, buf[:0])
	if !ok {
		return false
	}
	switch string(w) {
	case "semanas", "meses", "dias":
		return true
	}
	return false
}

// allDigitsBefore: the word before ws is a number.
func allDigitsBefore(text []byte, ws int) bool {
	var buf [24]byte
	w, _, ok := wordBefore(text, ws, buf[:0])
	return ok && allDigits(w)
}
