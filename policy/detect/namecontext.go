package detect

import (
	"bytes"
	_ "embed"
	"sort"
	"strings"
)

// The context around a name that says whether it is about a patient: labels and
// honorifics before it, clinician titles and credentials, and what follows it (a date
// of birth, an age, a clinical verb, a room).

type nameLabelKind uint8

const (
	labelHonorific nameLabelKind = 1 + iota // Mr. Mrs. Ms. Mx.
	labelPatient                            // patient, pt, Name:, Member:, Miss
	labelSubject                            // Re: (a subject: "Re: Johnson Controls" is a company)
)

// prevWord returns the word that ends right before pos, skipping up to 6 bytes of spaces,
// tabs, one line break and the punctuation ": # - ." in between, and whether a colon was
// among them. The word may carry a trailing dot (kept in dot).
func prevWord(text []byte, pos int) (w []byte, colon, dot bool) {
	p := pos
	lines := 0
	for skipped := 0; p > 0 && skipped < 6; skipped++ {
		c := text[p-1]
		switch c {
		case ' ', '\t':
		case '\r':
		case '\n':
			lines++
			if lines > 1 {
				return nil, false, false
			}
		case ':':
			colon = true
		case '-':
			if p >= 2 && text[p-2] == ' ' {
				colon = true // "Patient name - Maria Lopez"
			}
		case '#':
		case '.':
			dot = true
		default:
			skipped = 6
			continue
		}
		p--
	}
	e := p
	for p > 0 && e-p < 12 && isAlpha(text[p-1]) {
		p--
	}
	if p == e || (p > 0 && (nameByte(text[p-1]) || text[p-1] == '-')) {
		// Inside a longer word or a compound ("Upstream-Name:"): not a label.
		return nil, false, false
	}
	return text[p:e], colon, dot
}

// greeted reports whether the name at [start, end) is the one a message is addressed to:
// followed by a comma, and first on its line ("Harold, this is ...") or after a greeting
// word ("Hi Samantha,", "Dear Maria Lopez,", "Good morning Ann,").
func greeted(text []byte, start, end int) bool {
	if end >= len(text) || text[end] != ',' {
		return false
	}
	p := start
	for p > 0 && (text[p-1] == ' ' || text[p-1] == '\t') {
		p--
	}
	if p == 0 || text[p-1] == '\n' {
		return true
	}
	w, colon, _ := prevWord(text, start)
	if colon || len(w) < 2 || len(w) > 9 {
		return false
	}
	var lw [9]byte
	for i, c := range w {
		lw[i] = c | 0x20 // prevWord returns letters only
	}
	switch string(lw[:len(w)]) { // compared in place, no allocation
	case "hi", "hello", "dear", "hey", "morning", "afternoon", "evening":
		return true
	}
	return false
}

// ageSex reports the age-and-sex shorthand of clinical notes right after a name: "71f",
// "45m" (lowercased by nameFollow); 1-3 digits and one of f, m.
func ageSex(w string) bool {
	n := len(w)
	if n < 2 || n > 4 || (w[n-1] != 'f' && w[n-1] != 'm') {
		return false
	}
	return allDigits([]byte(w[:n-1]))
}

// ageSexBefore reports the age-and-sex shorthand right before a name, as pages, triage
// lines and sign-outs put it first: "67M Raymond Szabo", "8f Lily Tran". Only one space
// between, and nothing alphanumeric or a currency sign before the shorthand ("$10M").
func ageSexBefore(text []byte, start int) bool {
	if start < 3 || text[start-1] != ' ' {
		return false
	}
	e := start - 1
	p := e
	for p > 0 && e-p < 4 && isAlnum(text[p-1]) {
		p--
	}
	if p > 0 && (isAlnum(text[p-1]) || text[p-1] == '$' || text[p-1] == '.' || text[p-1] == ',') {
		return false
	}
	var lw [4]byte
	l := lw[:e-p]
	for i, c := range text[p:e] {
		l[i] = c | 0x20
	}
	return ageSex(string(l))
}

// roomBefore reports a bed or room number right before a name: "Bed 14, Loretta
// Simmons", "Rm 312-B Raymond Pelletier" (a census, a shift report).
func roomBefore(text []byte, start int) bool {
	p := start
	for p > 0 && start-p < 3 && (text[p-1] == ' ' || text[p-1] == ',' || text[p-1] == '\t' || text[p-1] == ':') {
		p--
	}
	e := p
	for p > 0 && e-p < 8 && (isAlnum(text[p-1]) || text[p-1] == '-') {
		p--
	}
	if e == p || !isDigit(text[p]) {
		return false // the number must start with a digit
	}
	if unitRoom(text, p, e, start) {
		return true
	}
	for p > 0 && (text[p-1] == ' ' || text[p-1] == '#' || text[p-1] == '.') && e-p < 12 {
		p--
	}
	w := p
	for w > 0 && p-w < 4 && isAlpha(text[w-1]) {
		w--
	}
	if w > 0 && isAlnum(text[w-1]) {
		return false
	}
	var lw [4]byte
	l := lw[:p-w]
	for i, c := range text[w:p] {
		l[i] = c | 0x20
	}
	switch string(l) {
	case "bed", "rm", "room":
		return true
	}
	return false
}

// careWords after a greeted name make the letter about the addressee's health care
// ("Hi Samantha, you have an appointment", "Harold, ... your appt for crown prep").
var careWords = []string{"appointment", "appt", "visit", "procedure", "results", "prescription", "reminder",
	"refill", "surgery", "infusion", "treatment", "therapy", "screening", "vaccine", "vaccination",
	"medication", "biopsy", "follow-up", "checkup", "check-up", "lab work", "test result", "good faith estimate"}

// careByFirst indexes careWords by their first letter.
var careByFirst = func() (m [26][]string) {
	for _, w := range careWords {
		m[w[0]-'a'] = append(m[w[0]-'a'], w)
	}
	return m
}()

// yourCareAfter reports a care word within careWindow bytes after end. The window stays
// inside what Stream keeps around a candidate (nearWindow), so Stream and Scan agree.
func yourCareAfter(text []byte, end int) bool {
	const careWindow = nearWindow
	var lw [careWindow]byte
	w := lw[:copy(lw[:], text[end:min(len(text), end+careWindow)])]
	for i, c := range w {
		w[i] = c | 0x20 // ASCII letters folded; other bytes never start a care word
	}
	for i := 0; i < len(w); i++ {
		c := w[i]
		if c < 'a' || c > 'z' || (i > 0 && w[i-1] >= 'a' && w[i-1] <= 'z') {
			continue // not the start of a word
		}
		for _, cw := range careByFirst[c-'a'] {
			if bytes.HasPrefix(w[i:], []byte(cw)) {
				return true
			}
		}
	}
	return false
}

// maybeLabel is a quick test that the word before pos could be a label for nameLabel:
// labels without a colon (or " - ") end in r, s, x or t (Mr, Mrs, Ms, Mx, Miss, patient, pt).
func maybeLabel(text []byte, pos int) bool {
	for p := pos - 1; p >= 0 && p >= pos-6; p-- {
		switch c := text[p]; c {
		case '-':
			if p > 0 && text[p-1] == ' ' {
				return true // " - " stands for a colon
			}
		case ' ', '\t', '\r', '\n', '.', '#':
			continue
		case ':', 'r', 's', 'x', 't', 'R', 'S', 'X', 'T':
			return true
		case 'a', 'A':
			return p > 0 && (text[p-1]|0x20 == 'r' || text[p-1]|0x20 == 't' || text[p-1] == 'n') // Sra., Srta., doña
		case 'n', 'N':
			return p > 0 && (text[p-1] == 'o' || text[p-1]|0x20 == 'a') // Spanish "don", "Veteran:"
		case 'e', 'E':
			return p > 0 && (text[p-1]|0x20 == 't' || text[p-1]|0x20 == 'e') // inmate, detainee, athlete
		default:
			return false
		}
	}
	return false
}

// nameLabel looks at the word right before a name: an honorific, or a patient label.
func nameLabel(text []byte, pos int) nameLabelKind {
	w, colon, dot := prevWord(text, pos)
	if len(w) < 2 || len(w) > 11 {
		return 0
	}
	switch string(w) {
	case "Mr", "Mrs", "Ms", "Mx", "MR", "MRS":
		if !colon {
			return labelHonorific
		}
	case "MS":
		// "MS Teams", "MS Word": Microsoft or multiple sclerosis, unless written "MS.".
		if dot && !colon {
			return labelHonorific
		}
	case "Sra", "Srta", "SRA", "SRTA":
		if !colon {
			return labelHonorific // Spanish Mrs., Miss
		}
	case "Sr", "SR":
		if !colon {
			return labelPatient // Spanish Mr.; also "Senior": needs a listed name
		}
	case "don", "dona":
		// Spanish "don" and "doña" (folded "dona") before a given name, written lower
		// case; "Don" capitalised is an English given name.
		if !colon && !dot {
			return labelPatient // needs a listed name
		}
	case "Miss", "MISS":
		if !colon && !dot {
			return labelPatient // needs a listed name: "Don't Miss Out" is not a person
		}
	}
	var lw [12]byte
	l := lw[:len(w)]
	for i, c := range w {
		l[i] = c | 0x20
	}
	switch string(l) {
	case "patient", "pt":
		return labelPatient
	case "inmate", "detainee":
		// Correctional health names its patient so: "inmate Gregory Pike went to surgery",
		// "Inmate: ...".
		if !dot {
			return labelPatient
		}
	case "is":
		if !colon && thisBefore(text, cap(text)-cap(w)) {
			return labelPatient // "hi this is Dorothy Franklin, I got a bill": the writer
		}
		if !colon && patientIsBefore(text, cap(text)-cap(w)) {
			return labelPatient // "Pt is Amina Hersi, rm 6E-22": the patient label as a sentence
		}
	case "re", "fw", "fwd":
		if colon {
			return labelSubject // a reply's or a forward's subject
		}
	case "recall":
		if colon && cap(text)-cap(w) == 0 {
			// Outlook's recall notice repeats the recalled subject after "Recall:"; only
			// at the start of the text (the Subject), not a product recall in a body.
			return labelSubject
		}
	case "name", "member", "subscriber", "insured", "guarantor", "client", "resident", "beneficiary",
		"enrollee", "decedent", "deceased", "child", "infant", "son", "daughter",
		// Occupational health names its patient by role: a drug or alcohol test's donor, the
		// employee on an audiogram or an OSHA log row ("Employee: ..." is also how a CSV
		// column header labels its cells), a comp claimant.
		"employee", "donor", "claimant",
		// A school nurse's or a camp's list names its patient by role too: "Student: ..."
		// (a body table's header labels each cell so).
		"student", "pupil", "camper",
		// The VA's, a jail's and a team's lists name theirs so: "Veteran: ...".
		"offender", "veteran", "athlete":
		if colon {
			return labelPatient
		}
		if string(l) == "donor" && lineStart(text, cap(text)-cap(w)) {
			return labelPatient // a result form's first word: "Donor Marcus Ellery, CDL driver"
		}
	}
	return 0
}

// lineStart reports whether only spaces or tabs sit between the start of its line and p.
func lineStart(text []byte, p int) bool {
	for p > 0 && (text[p-1] == ' ' || text[p-1] == '\t') {
		p--
	}
	return p == 0 || text[p-1] == '\n'
}

// stateAbbrev are the US state and territory codes.
var stateAbbrev = func() map[[2]byte]bool {
	m := map[[2]byte]bool{}
	for _, s := range strings.Fields(`AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO
		MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR GU VI AS MP`) {
		m[[2]byte{s[0], s[1]}] = true
	}
	return m
}()

// followWindow is how far after a name nameFollow looks.
const followWindow = 72

// nameFollow reports patient context right after a name: a date of birth or an age
// ("(September 17, 1962) is a 63-year-old", ", DOB 4/26/1946", "63 y/o") or a clinical
// verb ("was admitted", "presents with"). It reads at most followWindow bytes and one
// line break.
func nameFollow(text []byte, end int, ci *ctxIndex) bool {
	lim := min(len(text), end+followWindow)
	for p := end; p < lim; p++ {
		if text[p] == '\n' {
			if i := bytes.IndexByte(text[p+1:lim], '\n'); i >= 0 {
				lim = p + 1 + i
			}
			break
		}
	}
	q := end
	for q < lim && q-end < 3 && (text[q] == ' ' || text[q] == ',') {
		q++
	}
	paren := q < lim && text[q] == '('
	// Lowercased words of the window: runs of letters and digits, "/" inside ("y/o").
	var buf [followWindow]byte
	var ws [followWindow / 2][2]int
	nw := 0
	for p := end; p < lim; {
		for p < lim && !isAlnum(text[p]) {
			p++
		}
		st := p
		for p < lim && (isAlnum(text[p]) || (text[p] == '/' && p > st && p+1 < lim && isAlpha(text[p+1]))) {
			buf[p-end] = text[p] | 0x20*byte(boolInt(isUpper(text[p])))
			p++
		}
		if p > st {
			ws[nw] = [2]int{st - end, p - end}
			nw++
		}
	}
	word := func(k int) string {
		if k >= nw {
			return ""
		}
		return string(buf[ws[k][0]:ws[k][1]])
	}
	// clinicalFrom: a condition, medication or procedure term starts at or after word k
	// (exactly at it if at), in the window.
	clinicalFrom := func(k int, at bool) bool {
		if k >= nw || ci == nil {
			return false
		}
		from := end + ws[k][0]
		i := sort.Search(len(ci.hits), func(i int) bool { return ci.hits[i].end > from })
		for ; i < len(ci.hits) && ci.hits[i].start < lim; i++ {
			if h := ci.hits[i]; h.kind&ctxClinical != 0 && h.start >= from && (!at || h.start == from) {
				return true
			}
		}
		return false
	}
	clinical := func(k int) bool { return clinicalFrom(k, false) }
	for k := 0; k < nw; k++ {
		w := word(k)
		switch w {
		case "dob", "birthdate", "mrn", "underwent", "doi":
			// DOI: a comp claim's date of injury ("Dwayne Ostrowski, DOI 10/07/2026").
			return true
		case "born":
			// "born 15-Jan-1973", "born on March 3, 1950"; not "born and raised in Ohio".
			for n := k + 1; n <= k+3 && n < nw; n++ {
				if x := word(n); isDigit(x[0]) || (len(x) >= 3 && monthPrefix(x)) {
					return true
				}
			}
		case "last":
			// "Brenda Lindqvist (last 4 6612)": the last four of her SSN or account, which
			// staff write to tell two patients of one name apart.
			if k == 0 && (word(1) == "4" || word(1) == "four") {
				return true
			}
		case "sex", "gender":
			// A form's demographic line: "Name: Park, Daniel   Sex: M".
			if e := end + ws[k][1]; k == 0 && e < lim && (text[e] == ':' || text[e] == ';') {
				return true
			}
		case "died", "expired":
			// A death notice: "Arnold Feeney died peacefully at home at 0310".
			if k == 0 {
				return true
			}
		case "passed":
			if k == 0 && word(1) == "away" {
				return true
			}
		case "diagnosed":
			if word(k+1) == "with" {
				return true
			}
		case "presents", "presented", "complains", "complaining":
			if w := word(k + 1); w == "with" || w == "of" || w == "to" {
				return true // "presents with", "complains of"; not "presented the financials"
			}
		case "d":
			if word(k+1) == "o" && word(k+2) == "b" {
				return true // D.O.B.
			}
		case "date":
			if word(k+1) == "of" && (word(k+2) == "birth" || word(k+2) == "injury") {
				return true
			}
		case "age", "aged":
			if allDigits([]byte(word(k + 1))) {
				return true
			}
		case "year", "years", "yr", "yrs", "day", "days", "week", "weeks", "wk", "wks", "month", "months", "mo", "mos":
			if k > 0 && allDigits([]byte(word(k-1))) && word(k+1) == "old" {
				// "63-year-old", "63 years old", an infant's "10 day old", "18 month old";
				// not "after 14 years", "a 6 week course"
				return true
			}
		case "pregnant", "gestation":
			// A gestational age stands where an age would: "Folasade Adebayo, 34 weeks
			// pregnant", "<name> (29 wks gestation)"; not "after 14 weeks".
			if x := word(k - 1); k >= 2 && (x == "weeks" || x == "wks" || x == "wk" || x == "week") && allDigits([]byte(word(k-2))) {
				return true
			}
		case "shows", "showed", "reveals", "revealed", "demonstrates", "demonstrated":
			// "Rebecca Hartley, frozen section shows papillary carcinoma", "- echo reveals
			// cardiomyopathy": a test of hers and what it found. A test names the verb's
			// subject ("Jane Smith shows asthma patients how" is a class), and the finding
			// follows the verb at once or after an article, a qualifier or a size ("shows a
			// 2 cm adenoma"); "whose survey showed that diabetes education works" is not one.
			if k == 0 || !(testNouns[word(k-1)] || clinicalFrom(k-1, true)) {
				break
			}
			for n := k + 1; n <= k+4 && n < nw; n++ {
				if clinicalFrom(n, true) {
					return true
				}
				if x := word(n); !findingQualifier[x] && !isDigit(x[0]) {
					break
				}
			}
		case "yo", "y/o":
			if k > 0 && allDigits([]byte(word(k-1))) {
				return true // "63 yo", "63 y/o"
			}
		case "was", "is", "has", "had", "been":
			switch word(k + 1) {
			case "admitted", "discharged", "diagnosed", "hospitalized", "intubated", "cleared":
				return true // "was admitted", "has been diagnosed"
			case "seen", "referred", "treated", "evaluated", "scheduled", "started":
				// "is scheduled for a colonoscopy", not "is scheduled to present".
				if clinical(k + 2) {
					return true
				}
			}
		case "for":
			// "schedule Maria Lopez for a colonoscopy", not "thanks to Jane Smith for
			// organizing the diabetes walk": the term must come right after "for".
			n := k + 1
			switch word(n) {
			case "a", "an", "the", "her", "his", "their", "repeat", "follow":
				n++
			}
			if clinicalFrom(n, true) {
				return true
			}
		case "in":
			// "seen Maria Lopez in clinic today", "Mrs. Vasquez-Hart in 612 fell"
			n := k + 1
			if word(n) == "the" {
				n++
			}
			switch word(n) {
			case "clinic", "ed", "er", "icu", "emergency":
				return true
			case "rm", "room", "bed":
				if roomNumber(word(n + 1)) {
					return true
				}
			}
			// A bare number after "in" is a room only with three or four digits: "in 612",
			// not "in 3 practices" or "in 2 h".
			if w := word(n); len(w) >= 3 && roomNumber(w) && k+1 < nw && ws[k+1][0]-ws[k][1] == 1 {
				return true
			}
		case "rm", "room", "bed":
			// "Raymond Hollis (rm 518)", "Ann Lee, bed 4"
			if k <= 1 && roomNumber(word(k+1)) {
				return true
			}
		case "history", "hx":
			// "history of hypertension", not "a long history of leadership".
			if word(k+1) == "of" && clinical(k+2) {
				return true
			}
		}
		if len(w) > 2 && isDigit(w[0]) && (strings.HasSuffix(w, "yo") || strings.HasSuffix(w, "y/o")) {
			return true // "63yo"
		}
		if k == 0 && ageSex(w) {
			return true // "Loretta Simmons, 71F", "Juan Ortiz 45 M"
		}
		if k == 0 && allDigits([]byte(w)) && len(w) <= 3 && (word(1) == "f" || word(1) == "m") && (nw < 3 || word(2) != "x") {
			return true
		}
	}
	if termAfterName(text, end, ci) || pronounClinical(text, end, lim, ci) {
		return true // "Albright Janelle breast core", "Rosa Benitez on L&D, she delivered (c section)"
	}
	// "Luis Ferreira-Banks (chest pain, incident 26-118842)": the complaint in parentheses.
	return paren && (parenDate(text[q+1:lim]) || clinicalFrom(0, true))
}

// findingQualifier may sit between a result verb and the finding ("showed a new 2 cm
// ...", "reveals possible ...").
var findingQualifier = map[string]bool{"a": true, "an": true, "the": true, "new": true, "possible": true,
	"probable": true, "likely": true, "early": true, "mild": true, "moderate": true, "severe": true,
	"acute": true, "chronic": true, "small": true, "large": true, "cm": true, "mm": true, "no": true}

// testNouns are tests and their reports that "shows" or "revealed" may follow.
var testNouns = map[string]bool{"ct": true, "cta": true, "mri": true, "mra": true, "pet": true, "xray": true,
	"cxr": true, "kub": true, "us": true, "ultrasound": true, "echo": true, "tte": true, "tee": true, "ekg": true,
	"ecg": true, "eeg": true, "emg": true, "scan": true, "imaging": true, "film": true, "films": true,
	"biopsy": true, "bx": true, "path": true, "pathology": true, "cytology": true, "section": true, "smear": true,
	"culture": true, "cultures": true, "cx": true, "swab": true, "panel": true, "labs": true, "lab": true,
	"report": true, "study": true, "workup": true, "scope": true, "exam": true, "endoscopy": true, "ray": true}

// unitRoom: a census line that starts with a unit and room code ("4W-417", "3E-302")
// and a column gap (two spaces or a tab) before the name: "  4E-422  Vasquez, Eleanor".
func unitRoom(text []byte, p, e, name int) bool {
	letters, hyphen := false, false
	for _, c := range text[p:e] {
		letters = letters || isAlpha(c)
		hyphen = hyphen || c == '-'
	}
	gap := text[e:name]
	if !letters || !hyphen || !(bytes.Contains(gap, []byte("  ")) || bytes.IndexByte(gap, '\t') >= 0) {
		return false
	}
	for q := p; q > 0; q-- {
		switch text[q-1] {
		case '\n':
			return true
		case ' ', '\t':
		default:
			return false
		}
	}
	return true
}

// roomNumber: a room or bed number, 1-4 digits, not a year ("in 2024").
func roomNumber(w string) bool {
	if len(w) == 0 || len(w) > 4 || !allDigits([]byte(w)) {
		return false
	}
	return len(w) < 4 || !(strings.HasPrefix(w, "19") || strings.HasPrefix(w, "20"))
}

// parenDate reports whether b starts with a date and a closing parenthesis: "September 17,
// 1962)", "04-26-1946)", "4/26/1946)". Letters may only spell a month.
func parenDate(b []byte) bool {
	year, sep := false, false
	for i := 0; i < len(b) && i < 24; {
		c := b[i]
		switch {
		case c == ')':
			return year && sep
		case isDigit(c):
			j := i
			for j < len(b) && isDigit(b[j]) {
				j++
			}
			if j-i == 4 && (b[i] == '1' && b[i+1] == '9' || b[i] == '2' && b[i+1] == '0') {
				year = true
			} else if j-i > 2 {
				return false
			}
			i = j
		case isAlpha(c):
			j := i
			for j < len(b) && isAlpha(b[j]) {
				j++
			}
			var lw [9]byte
			if j-i < 3 || j-i > len(lw) {
				return false
			}
			for k := i; k < j; k++ {
				lw[k-i] = b[k] | 0x20
			}
			if !monthPrefix(string(lw[:j-i])) {
				return false
			}
			sep = true // a month name separates day and year
			i = j
		case c == '/' || c == '-' || c == '.':
			sep = true
			i++
		case c == ' ' || c == ',':
			i++
		default:
			return false
		}
	}
	return false
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

var nameMonths = []string{"january", "february", "march", "april", "may", "june", "july", "august",
	"september", "october", "november", "december"}

// monthPrefix: w is a month or its abbreviation ("sep", "sept").
func monthPrefix(w string) bool {
	for _, m := range nameMonths {
		if strings.HasPrefix(m, w) {
			return true
		}
	}
	return false
}

// maskName keeps the first letter of every word of a name, for the local CLI only.
func maskName(b []byte) string {
	out := make([]byte, 0, len(b))
	for i, c := range b {
		switch {
		case c >= 0x80 && c < 0xC0:
			// a UTF-8 continuation byte: part of the letter already masked or kept
		case i > 0 && (isAlpha(b[i-1]) || b[i-1] >= 0x80) && (isAlpha(c) || c >= 0x80):
			out = append(out, '*')
		default:
			if c >= 0x80 {
				// keep a leading multi-byte letter whole
				j := i + 1
				for j < len(b) && b[j] >= 0x80 && b[j] < 0xC0 {
					j++
				}
				out = append(out, b[i:j]...)
				continue
			}
			out = append(out, c)
		}
	}
	return string(out)
}
