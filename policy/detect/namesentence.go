package detect

import (
	"bytes"
	"sort"
	"strings"
)

// Patient context in shapes writer N's settings showed and the earlier rules did not read
// (a patient writing from her phone, an EAP counselor's note to HR):
//
//   - a name that signs a message bare, alone on its line with nothing after it but a
//     phone's "Sent from my iPhone" or the quoted thread, under text in which the writer
//     tells of her own care in the first person ("I had my consult ... my corneas are too
//     thin for LASIK", "i have the induction appt thurs for the suboxone"): a patient's
//     own mail names her at its end, and staff sign with a role, a practice or a phone;
//   - a name as the subject of a verb in the past tense, at the start of its sentence,
//     with a clinical term heading its phrase later in that sentence ("Reza Farahani
//     self-referred to the EAP and is now enrolled in an outpatient program for alcohol
//     use disorder");
//   - neither, nor fresh10's pronoun clause, counts when the verb tells of someone's work
//     ("Meet Karen Walsh, she worked in dialysis for years", "Jane Smith presented on
//     diabetes"): that is a staff introduction.

// signBack is how far before a bare sign-off the first-person clause may start. It stays
// inside what Stream keeps before a cut, so Stream and Scan agree.
const signBack = streamKeep - maxTermLen - 8

// workVerbs tell of a job, a talk or a career, not of care received.
var workVerbs = map[string]bool{"worked": true, "served": true, "volunteered": true, "volunteers": true, "trained": true, "taught": true,
	"teaches": true, "practiced": true, "practised": true, "specialized": true, "specialised": true,
	"studied": true, "interned": true, "led": true, "leads": true, "coordinated": true,
	"supervised": true, "directed": true, "lectured": true, "presented": true, "presenting": true,
	"spoke": true, "wrote": true, "published": true, "researched": true, "organized": true,
	"organised": true, "joined": true, "retired": true, "hired": true, "certified": true,
	"staffed": true, "founded": true, "launched": true}

// topicWords before a clinical term make it the subject of talk, not a condition: "spoke
// on diabetes", "an article about hospice".
var topicWords = map[string]bool{"on": true, "about": true, "regarding": true, "re": true}

// thirdParties in a first-person sentence make it about someone else: "I have a patient
// with COPD".
var thirdParties = map[string]bool{"patient": true, "patients": true, "pt": true, "pts": true,
	"client": true, "clients": true, "resident": true, "residents": true, "member": true,
	"members": true, "participant": true, "participants": true, "employee": true, "employees": true}

// firstPersonWords are the writer speaking of herself.
var firstPersonWords = map[string]bool{"i": true, "i'm": true, "im": true, "i've": true, "ive": true,
	"i'd": true, "my": true, "me": true}

// sentenceWords calls f with each lowercased word (letters, digits, ' and -) of text[a:b];
// f returns false to stop. w is reused between calls.
func sentenceWords(text []byte, a, b int, f func(w []byte, s, e int) bool) {
	var buf [24]byte
	for p := a; p < b; {
		for p < b && !isAlnum(text[p]) {
			p++
		}
		s := p
		n := 0
		for p < b && (isAlnum(text[p]) || ((text[p] == '\'' || text[p] == '-') && p+1 < b && isAlpha(text[p+1]))) {
			if n < len(buf) {
				c := text[p]
				if isUpper(c) {
					c |= 0x20
				}
				buf[n] = c
				n++
			}
			p++
		}
		if p > s && !f(buf[:n], s, p) {
			return
		}
	}
}

// sentenceSpan returns the sentence around p, within [lo, hi).
func sentenceSpan(text []byte, p, lo, hi int) (int, int) {
	a := p
	for a > lo && !clauseEnd(text, a-1) {
		a--
	}
	b := p
	for b < hi && !clauseEnd(text, b) {
		b++
	}
	return a, b
}

// hasWorkVerb: a word of text[a:b] tells of a job or a talk.
func hasWorkVerb(text []byte, a, b int) bool {
	found := false
	sentenceWords(text, a, b, func(w []byte, _, _ int) bool {
		found = workVerbs[string(w)]
		return !found
	})
	return found
}

// hasGroupNoun: a word of text[a:b] counts a group ("12 cases of influenza", "three
// residents with flu"): a tally, not one person's care.
func hasGroupNoun(text []byte, a, b int) bool {
	found := false
	sentenceWords(text, a, b, func(w []byte, _, _ int) bool {
		found = groupNoun(w)
		return !found
	})
	return found
}

// careTerm: the clinical hit h heads its phrase, or names a drug's dose or refill ("my
// methadone dose"), and is not a topic of talk.
func careTerm(text []byte, h ctxHit, ci *ctxIndex) bool {
	if !termHead(text, h.end, ci) && !doseNoun(text, h.end) {
		return false
	}
	var buf [24]byte
	w, _, ok := wordBefore(text, h.start, buf[:0])
	return !ok || !topicWords[string(w)]
}

// bareSignOff: the name text[start:end] is alone on its line, and after it come only blank
// lines and then the end of the text, a phone's trailer or the start of a quoted message.
func bareSignOff(text []byte, start, end int) bool {
	if !lineStart(text, start) {
		return false
	}
	p := end
	for p < len(text) && (text[p] == ' ' || text[p] == '\t' || text[p] == ',') {
		p++
	}
	if p < len(text) && text[p] != '\r' && text[p] != '\n' {
		return false
	}
	for p < len(text) && isSpace(text[p]) {
		p++
	}
	if p == len(text) {
		return true
	}
	rest := text[p:min(len(text), p+32)]
	for _, t := range []string{"sent from my", "get outlook for", "enviado desde", ">", "on ", "-----original",
		"from:", "________"} {
		if hasPrefixFold(rest, t) {
			return true
		}
	}
	return false
}

// doseNoun: the word after a drug at e is its dose or its refill.
func doseNoun(text []byte, e int) bool {
	if e >= len(text) || text[e] != ' ' {
		return false
	}
	for _, w := range []string{"dose", "doses", "refill", "refills"} {
		if hasPrefixFold(text[e+1:], w) && (e+1+len(w) == len(text) || !isAlpha(text[e+1+len(w)])) {
			return true
		}
	}
	return false
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// firstPersonCare: in the signBack bytes before pos, a sentence in which the writer speaks
// in the first person holds a clinical term that heads its phrase, with no patient or
// client of hers, no group and no verb of work in it ("I had my consult ... too thin for
// LASIK").
func firstPersonCare(text []byte, pos int, ci *ctxIndex) bool {
	if ci == nil || ci.kinds&ctxClinical == 0 {
		return false
	}
	lo := max(0, pos-signBack)
	// The hits are in order of their ends, as clinicalAt reads them.
	for i := sort.Search(len(ci.hits), func(i int) bool { return ci.hits[i].end > lo }); i < len(ci.hits); i++ {
		h := ci.hits[i]
		if h.end > pos {
			break
		}
		if h.start < lo || h.kind&ctxClinical == 0 || !careTerm(text, h, ci) {
			continue
		}
		a, b := sentenceSpan(text, h.start, lo, pos)
		first, other := false, false
		sentenceWords(text, a, b, func(w []byte, _, _ int) bool {
			first = first || firstPersonWords[string(w)]
			other = other || thirdParties[string(w)] || workVerbs[string(w)] || groupNoun(w)
			return !other
		})
		if first && !other {
			return true
		}
	}
	return false
}

// subjectAt: the name at start opens its sentence: the start of a line or of the text, or
// after a sentence's or a label's punctuation.
func subjectAt(text []byte, start int) bool {
	p := start
	for p > 0 && (text[p-1] == ' ' || text[p-1] == '\t') {
		p--
	}
	if p == 0 {
		return true
	}
	switch text[p-1] {
	case '\n', '.', ':', ';', '!', '?':
		return true
	}
	return false
}

// subjectAdverbs and auxiliaries may stand between a subject and its verb.
var subjectAdverbs = map[string]bool{"is": true, "was": true, "has": true, "had": true, "been": true,
	"now": true, "just": true, "already": true, "recently": true, "finally": true, "also": true,
	"then": true}

// subjectClinical: the name at [start, end) opens its sentence and is the subject of a verb
// in the past tense (or a participle after "is", "was", "has"), and a clinical term that
// heads its phrase follows in the sentence, within nearWindow; the sentence tells of no job
// and counts no group.
func subjectClinical(text []byte, start, end int, ci *ctxIndex) bool {
	if ci == nil || ci.kinds&ctxClinical == 0 || end >= len(text) || text[end] != ' ' || !subjectAt(text, start) {
		return false
	}
	lim := min(len(text), end+nearWindow)
	_, se := sentenceSpan(text, end, end, lim)
	verb := -1
	n := 0
	sentenceWords(text, end, se, func(w []byte, _, e int) bool {
		n++
		if n > 4 {
			return false
		}
		if subjectAdverbs[string(w)] {
			return true
		}
		if (len(w) >= 4 && w[len(w)-2] == 'e' && w[len(w)-1] == 'd') || pastVerbs[string(w)] {
			verb = e
		}
		return false
	})
	if verb < 0 || hasWorkVerb(text, end, se) || hasGroupNoun(text, verb, se) {
		return false
	}
	for t := verb; t < se; {
		h, ok := clinicalAt(ci, t, se)
		if !ok {
			return false
		}
		if careTerm(text, h, ci) {
			return true
		}
		t = h.end
	}
	return false
}

// A form's name field names its person whether or not the shipped lists know the name:
// "Patient Last Name: KRISTIANSEN First: Halvard", "Printed name of Participant: BARTHOLOMEW
// NAKASHIMA", "Patient Name: Oyelowo, Adaeze". Forms are where OCR text comes from (a
// faxed POLST, a consent's signature page), and a name unusual enough to be missing from
// the lists is as much a patient's as a common one.

// formLabelKind is what a form's label before a colon asks for.
type formLabelKind uint8

const (
	formNone formLabelKind = iota
	formFull               // the person's whole name
	formLast               // the family name; the given name follows under "First:"
)

// formLabel reads the label that ends with the colon before pos, on pos's line.
func formLabel(text []byte, pos int) formLabelKind {
	p := pos
	for p > 0 && (text[p-1] == ' ' || text[p-1] == '\t') {
		p--
	}
	if p == 0 || text[p-1] != ':' {
		return formNone
	}
	e := p - 1
	a := e
	for a > 0 && e-a < 40 && text[a-1] != '\n' && text[a-1] != ':' && !(text[a-1] == ' ' && a > 1 && text[a-2] == ' ') {
		a--
	}
	var lw [40]byte
	l := lw[:0]
	for _, c := range text[a:e] {
		if isUpper(c) {
			c |= 0x20
		}
		l = append(l, c)
	}
	lab := string(bytes.TrimSpace(l))
	for _, s := range []string{"last name", "surname", "family name", "apellido", "apellidos"} {
		if lab == s || strings.HasSuffix(lab, " "+s) && formPerson(lab[:len(lab)-len(s)-1]) {
			return formLast
		}
	}
	for _, who := range []string{"patient", "participant", "resident", "client", "member", "subject"} {
		if lab == who+" name" || lab == who+"'s name" || strings.HasSuffix(lab, "name of "+who) ||
			strings.HasSuffix(lab, " "+who+" name") || strings.HasSuffix(lab, " "+who+"'s name") {
			return formFull
		}
	}
	return formNone
}

// formPerson: what stands before "last name" is the person the form is about.
func formPerson(s string) bool {
	switch s {
	case "patient", "patient's", "participant", "participant's", "resident", "client", "member":
		return true
	}
	return false
}

// formWords are a form's own words, which stand in a blank field's place: "Patient Name:
// Date of Birth:", "Last Name: Unknown".
var formWords = map[string]bool{"date": true, "dob": true, "sex": true, "gender": true, "signature": true,
	"mrn": true, "unknown": true, "none": true, "same": true, "self": true, "first": true, "last": true,
	"middle": true, "name": true, "required": true, "optional": true, "print": true, "printed": true,
	"address": true, "phone": true, "age": true, "id": true, "test": true, "sample": true}

// formToken reads one capitalised word of letters (with ' and - inside) at p, and where
// it ends; ok is false for anything else, for a form's own word and for a word a colon ends.
func formToken(text []byte, p int) (int, bool) {
	if p >= len(text) || !isUpper(text[p]) {
		return p, false
	}
	e := p
	for e < len(text) && (isAlpha(text[e]) || ((text[e] == '\'' || text[e] == '-') && e+1 < len(text) && isAlpha(text[e+1]))) {
		e++
	}
	if e-p < 2 || (e < len(text) && (isAlnum(text[e]) || text[e] == ':')) {
		return e, false
	}
	var lw [16]byte
	if e-p <= len(lw) {
		l := lw[:e-p]
		for i, c := range text[p:e] {
			l[i] = c | 0x20
		}
		if formWords[string(l)] {
			return e, false
		}
	}
	return e, true
}

// formName reports a name written in a form's name field at start, and where it ends.
func formName(text []byte, start int) (int, bool) {
	switch formLabel(text, start) {
	case formFull:
		// Two to four words ("BARTHOLOMEW NAKASHIMA", "Mary Ann Quist"), or "Surname, Given".
		p, n, end := start, 0, 0
		for n < 4 {
			e, ok := formToken(text, p)
			if !ok {
				break
			}
			n, end = n+1, e
			if e+1 < len(text) && text[e] == ' ' {
				p = e + 1
			} else if n == 1 && e+2 < len(text) && text[e] == ',' && text[e+1] == ' ' {
				p = e + 2
			} else {
				break
			}
		}
		return end, n >= 2
	case formLast:
		// "KRISTIANSEN First: Halvard", "Kristiansen   First Name: Halvard".
		e, ok := formToken(text, start)
		if !ok {
			return 0, false
		}
		p := e
		for p < len(text) && p-e < 8 && (text[p] == ' ' || text[p] == '\t' || text[p] == ',') {
			p++
		}
		for _, l := range []string{"first name:", "first:", "given name:", "given:", "nombre:"} {
			if hasPrefixFold(text[p:], l) {
				q := p + len(l)
				for q < len(text) && q-p < 16 && (text[q] == ' ' || text[q] == '\t') {
					q++
				}
				if ge, ok := formToken(text, q); ok {
					return ge, true
				}
			}
		}
	}
	return 0, false
}
