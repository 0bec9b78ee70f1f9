package detect

import "bytes"

// Patient context in shapes writer M's settings showed and the earlier rules did not read
// (a courier's note, an interpreter's cancellation, a parent's Spanish mail, a client list):
//
//   - a clinical term written straight after a name on its line, as a specimen label or a
//     requisition puts it ("Albright Janelle breast core L 2 o'clock", "Ann Lee colonoscopy
//     3/4"), and a surname written before the given name without a comma, as labels and
//     wristbands do ("ALBRIGHT JANELLE");
//   - a third-person pronoun later in the name's sentence that is the subject of a clinical
//     clause ("for Rosa Benitez on L&D, she delivered at noon (c section)");
//   - a name that begins an organisation's name ("Hollis Family Medicine", "Westbrook
//     Ortho", "Westbrook Women's") is no person, whatever label sits before it;
//   - dates written the Spanish and Portuguese way ("3 de marzo de 2022", "14 de fevereiro
//     de 1975") and the words before a birth date ("nacio el", "born on").

// termAfterName: a clinical dictionary term starts one space after the name, in lower
// case, on the name's line. A capitalised term there is a title or a program ("Jane Smith
// Diabetes Educator") and punctuation between ends the name's phrase.
func termAfterName(text []byte, end int, ci *ctxIndex) bool {
	if end+1 >= len(text) || text[end] != ' ' || !isLowerAlpha(text[end+1]) {
		return false
	}
	return clinicalIn(ci, end+1, end+2)
}

// thirdPersonPronouns are the subjects that take a name's place later in its sentence.
var thirdPersonPronouns = map[string]bool{"she": true, "he": true, "shes": true, "hes": true}

// pronounClinical: after the name and before its sentence ends (within lim), "she" or "he"
// starts a clause that holds a clinical term: the name's person is the one the term is
// about. The pronoun must follow a comma or a conjunction, as a new clause does, not
// the name itself ("Jane Smith she ..." is a typo either way).
func pronounClinical(text []byte, end, lim int, ci *ctxIndex) bool {
	if ci == nil {
		return false
	}
	// The sentence's end bounds both the pronoun and the term.
	se := end
	for se < lim && !clauseEnd(text, se) {
		se++
	}
	for p := end; p < se; p++ {
		if !isLowerAlpha(text[p]) || (p > 0 && isWord(text[p-1])) {
			continue
		}
		q := p
		for q < se && (isAlpha(text[q]) || text[q] == '\'') {
			q++
		}
		w := bytes.ReplaceAll(text[p:q], []byte{'\''}, nil)
		if !thirdPersonPronouns[string(w)] {
			p = q
			continue
		}
		b := p - 1
		for b > end && text[b] == ' ' {
			b--
		}
		if b <= end || (text[b] != ',' && !wordEndsWith(text[:b+1], "and") && !wordEndsWith(text[:b+1], "but")) {
			p = q
			continue
		}
		if clinicalIn(ci, q, se) {
			return true
		}
		p = q
	}
	return false
}

// wordEndsWith: b ends with the word w.
func wordEndsWith(b []byte, w string) bool {
	n := len(b) - len(w)
	return n >= 0 && hasPrefixFold(b[n:], w) && (n == 0 || !isWord(b[n-1]))
}

// orgWords, after a name in a capitalised chain, make the chain an organisation's name.
var orgWords = map[string]bool{
	"family": true, "medicine": true, "medical": true, "health": true, "healthcare": true, "clinic": true,
	"clinics": true, "hospital": true, "center": true, "centre": true, "associates": true, "group": true,
	"partners": true, "practice": true, "pharmacy": true, "lab": true, "labs": true, "laboratory": true,
	"laboratories": true, "pediatrics": true, "pediatric": true, "ortho": true, "orthopedics": true,
	"orthopaedics": true, "women's": true, "womens": true, "nephrology": true, "cardiology": true,
	"dermatology": true, "oncology": true, "urology": true, "neurology": true, "radiology": true,
	"imaging": true, "dialysis": true, "surgery": true, "surgical": true, "dental": true, "dentistry": true,
	"physicians": true, "specialists": true, "rehab": true, "rehabilitation": true, "urgent": true,
	"internal": true, "obgyn": true, "ob/gyn": true, "gastroenterology": true, "pulmonology": true,
	"endocrinology": true, "podiatry": true, "chiropractic": true, "optometry": true, "wellness": true,
	"inc": true, "llc": true, "pllc": true, "foundation": true, "institute": true, "memorial": true,
}

// orgAfter: the token that follows a name in its chain is an organisation word.
func orgAfter(text []byte, t *nameTok) bool {
	w := text[t.start:t.end]
	if len(w) > 16 {
		return false
	}
	var buf [16]byte
	for i, c := range w {
		if isUpper(c) {
			c |= 0x20
		}
		buf[i] = c
	}
	return orgWords[string(buf[:len(w)])]
}

// Romance-language month names, matched by prefix like the English ones.
var romanceMonths = [...]struct {
	name string
	m    int
}{
	{"enero", 1}, {"janeiro", 1}, {"janvier", 1}, {"febrero", 2}, {"fevereiro", 2}, {"fevrier", 2},
	{"marzo", 3}, {"marco", 3}, {"mars", 3}, {"abril", 4}, {"avril", 4}, {"mayo", 5}, {"maio", 5},
	{"mai", 5}, {"junio", 6}, {"junho", 6}, {"juin", 6}, {"julio", 7}, {"julho", 7}, {"juillet", 7},
	{"agosto", 8}, {"aout", 8}, {"septiembre", 9}, {"setiembre", 9}, {"setembro", 9},
	{"septembre", 9}, {"octubre", 10}, {"outubro", 10}, {"octobre", 10}, {"noviembre", 11},
	{"novembro", 11}, {"novembre", 11}, {"diciembre", 12}, {"dezembro", 12}, {"decembre", 12},
}

// romanceMonth: w (at least 3 letters) is a Spanish, Portuguese or French month or its
// abbreviation ("dic", "fev").
func romanceMonth(w []byte) int {
	if len(w) < 3 {
		return 0
	}
	for _, rm := range romanceMonths {
		if len(w) <= len(rm.name) && hasPrefixFold(w, rm.name[:len(w)]) {
			return rm.m
		}
	}
	return 0
}

// deWord: the connector of a Spanish or Portuguese date starts at p ("de", "del"), followed
// by a space; it returns where the next word starts, or p.
func deWord(text []byte, p int) int {
	for _, w := range []string{"de ", "del "} {
		if hasPrefixFold(text[p:], w) {
			q := p + len(w)
			for q < len(text) && text[q] == ' ' {
				q++
			}
			return q
		}
	}
	return p
}

// dateLeadWords may sit between a DOB label and its date: "born on March 3, 1950", "nacio
// el 3 de marzo de 2022", "nasceu em", "ne le".
var dateLeadWords = []string{"on ", "el ", "em ", "le ", "the "}
