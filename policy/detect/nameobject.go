package detect

import "strings"

// Patient context in shapes writer O's settings showed (a blood bank, radiology, a
// physician advisor) and the earlier rules did not read: the name is the object of "for"
// after what is ordered or done for the person, "an order for MRI lumbar spine for
// <name>", "a CT abdomen for <name>", "did the p2p for <name>". A name after "for"
// elsewhere ("thanks for <name>'s help", "coverage for <name>") stays as the lists rate it.

// forBack is how far before "for" the clinical term or the review word may end. It stays
// well inside what Stream keeps before a candidate.
const forBack = 32

// reviewFor are utilization-review words whose object is a patient: "the p2p for <name>",
// "prior auth for <name>".
var reviewFor = []string{"p2p", "peer to peer", "peer-to-peer", "prior auth", "precert", "pre-cert"}

// orderedFor reports a name at start that follows "for", with a clinical term (or a review
// word) ending at most forBack bytes before "for" on the same line and in the same clause.
func orderedFor(text []byte, start int, ci *ctxIndex) bool {
	p := start
	for p > 0 && start-p < 2 && text[p-1] == ' ' {
		p--
	}
	if p < 4 || !hasPrefixFold(text[p-3:p], "for") || isAlnum(text[p-4]) {
		return false
	}
	f := p - 3
	lo := f
	for lo > 0 && f-lo < forBack {
		c := text[lo-1]
		if c == '\n' || c == '.' || c == ';' || c == '!' || c == '?' || c == ',' || c == ':' {
			break
		}
		lo--
	}
	if h, ok := clinicalAt(ci, lo, f); ok && h.end <= f {
		return true
	}
	for _, w := range reviewFor {
		for q := lo; q+len(w) <= f; q++ {
			if hasPrefixFold(text[q:], w) && (q == 0 || !isAlnum(text[q-1])) && !isAlnum(text[q+len(w)]) {
				return true
			}
		}
	}
	return false
}

// ageRightAfter reports an age or a gestation right after a name, after a comma or in a
// parenthesis: ", 34 weeks pregnant", " (29 wks gestation)", ", 63-year-old", ", 71 yo".
func ageRightAfter(text []byte, end int) bool {
	p := end
	if p < len(text) && text[p] == ',' {
		p++
	}
	for p < len(text) && p-end < 3 && (text[p] == ' ' || text[p] == '(') {
		p++
	}
	d := p
	for p < len(text) && isDigit(text[p]) {
		p++
	}
	if p == d || p-d > 3 {
		return false
	}
	words := 0
	for words < 3 && p < len(text) {
		for p < len(text) && (text[p] == ' ' || text[p] == '-') {
			p++
		}
		s := p
		for p < len(text) && (isAlpha(text[p]) || text[p] == '/') {
			p++
		}
		if p == s {
			return false
		}
		switch w := strings.ToLower(string(text[s:p])); w {
		case "weeks", "week", "wks", "wk", "year", "years", "yr", "yrs", "month", "months", "mo":
			words++
			continue
		case "yo", "y/o":
			return words == 0
		case "pregnant", "gestation", "old":
			return words == 1
		}
		return false
	}
	return false
}

// bedAfter reports a bed right after a name, in a unit or not: "<name> in MICU bed 7",
// "<name> in bed 12", "<name> (bed 4)". A bed is a patient's; a room may be a meeting's.
func bedAfter(text []byte, end int) bool {
	p := end
	for p < len(text) && p-end < 2 && (text[p] == ' ' || text[p] == ',' || text[p] == '(') {
		p++
	}
	if hasPrefixFold(text[p:], "in ") {
		p += 3
	}
	for words := 0; words < 3 && p < len(text); words++ {
		s := p
		for p < len(text) && (isAlnum(text[p]) || text[p] == '-') {
			p++
		}
		if p == s {
			return false
		}
		if strings.EqualFold(string(text[s:p]), "bed") {
			for p < len(text) && (text[p] == ' ' || text[p] == '#') {
				p++
			}
			return p < len(text) && isDigit(text[p])
		}
		if p >= len(text) || text[p] != ' ' {
			return false
		}
		p++
	}
	return false
}

// resultOnPhrases before a name say a test's result is that person's: "Confirmatory came
// back on <name>", "path is back on <name>", "results on <name>".
var resultOnPhrases = []string{"came back on", "come back on", "is back on", "are back on", "was back on",
	"results on", "result on", "resulted on"}

// calendarWords start a date, not a name: "came back on Tuesday, ...".
var calendarWords = []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
	"mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun", "january", "february",
	"march", "april", "may", "june", "july", "august", "september", "october", "november", "december",
	"jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"}

// resultOn reports a name at start right after a resultOnPhrases phrase, not a date.
func resultOn(text []byte, start int) bool {
	e := start
	for e < len(text) && isAlpha(text[e]) {
		e++
	}
	for _, w := range calendarWords {
		if e-start == len(w) && hasPrefixFold(text[start:e], w) {
			return false
		}
	}
	p := start
	for p > 0 && start-p < 2 && text[p-1] == ' ' {
		p--
	}
	for _, w := range resultOnPhrases {
		if q := p - len(w); q >= 0 && hasPrefixFold(text[q:p], w) && (q == 0 || !isAlnum(text[q-1])) {
			return true
		}
	}
	return false
}
