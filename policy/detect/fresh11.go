package detect

import "sort"

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
	for i := sort.Search(len(ci.hits), func(i int) bool { return ci.hits[i].start >= lo }); i < len(ci.hits); i++ {
		h := ci.hits[i]
		if h.end > pos {
			break
		}
		if h.kind&ctxClinical == 0 || !careTerm(text, h, ci) {
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
