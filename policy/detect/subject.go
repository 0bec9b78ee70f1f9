package detect

// FieldSubject is the Location.Field of the Subject header. A subject is a label for
// what the message is about: "Jasmine Whitfield - no show x3", "FW: Everett Hollis -
// 2nd level appeal" name the patient the body then discusses without naming again. A
// name that leads the subject reads as one after "Re:" does (labelSubject: a given name
// that is not also a word, or "Last, First"); a name later in the subject does not.
const FieldSubject = "header:subject"

// subjectLabel is what a subject is read as when it has no reply or forward prefix.
var subjectLabel = []byte("Re: ")

// subjectText returns the text to scan for a subject and how many bytes were put
// before it: a subject that does not start with a reply or forward prefix is read
// after "Re: ", so a name leading it is labelled; every other field is read as is.
func subjectText(text []byte, loc Location) ([]byte, int) {
	if loc.Field != FieldSubject || len(text) == 0 || subjectPrefixed(text) || !leadingName(text) {
		return text, 0
	}
	out := make([]byte, 0, len(subjectLabel)+len(text))
	return append(append(out, subjectLabel...), text...), len(subjectLabel)
}

// subjectPrefixed reports "Re:", "Fw:", "Fwd:" or Outlook's "Recall:" (any case) at the
// start of text.
func subjectPrefixed(text []byte) bool {
	for _, p := range []string{"re:", "fw:", "fwd:", "recall:"} {
		if hasPrefixFold(text, p) {
			return true
		}
	}
	return false
}

// leadingName reports a subject that starts with two to four capitalised words (initials
// allowed) set off by " - ", ":", ",", " (" or the end: "Jasmine Whitfield - no show x3",
// "Hollis, Everett: appeal". "JD for REQ-26-04418" or "Board Meeting Minutes Q3 Review"
// do not lead with a name set off like that.
func leadingName(text []byte) bool {
	p, words := 0, 0
	for words < 5 {
		if p >= len(text) || !isUpper(text[p]) {
			return false
		}
		q := p + 1
		for q < len(text) && (isAlpha(text[q]) || text[q] == '\'' || text[q] == '-' || text[q] == '.') {
			q++
		}
		words++
		p = q
		if p < len(text) && text[p] == ',' && words == 1 {
			p++ // "Hollis, Everett"
		}
		switch {
		case p >= len(text):
			return words >= 2
		case hasPrefixFold(text[p:], " - "), text[p] == ':', text[p] == ',', hasPrefixFold(text[p:], " ("):
			return words >= 2 && words <= 4
		case text[p] == ' ':
			p++
		default:
			return false
		}
	}
	return false
}
