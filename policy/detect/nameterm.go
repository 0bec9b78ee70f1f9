package detect

import (
	"bytes"
	"sort"
)

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
//     de 1975"), after the words for "born" ("nacio el", "nascido em").

// termAfterName: a clinical dictionary term starts one space after the name, in lower
// case, on the name's line, and is the head of its phrase (termHead). A capitalised term
// there is a title or a program ("Jane Smith Diabetes Educator"), punctuation between ends
// the name's phrase, and a term before a noun is a role ("Karen Walsh diabetes educator").
func termAfterName(text []byte, end int, ci *ctxIndex) bool {
	if end+1 >= len(text) || text[end] != ' ' || !isLowerAlpha(text[end+1]) {
		return false
	}
	h, ok := clinicalAt(ci, end+1, end+2)
	return ok && termHead(text, h.end, ci)
}

// clinicalAt returns the first condition, medication or procedure hit that starts in
// [from, to).
func clinicalAt(ci *ctxIndex, from, to int) (ctxHit, bool) {
	if ci == nil {
		return ctxHit{}, false
	}
	i := sort.Search(len(ci.hits), func(i int) bool { return ci.hits[i].end > from })
	for ; i < len(ci.hits) && ci.hits[i].start < to; i++ {
		if h := ci.hits[i]; h.kind&ctxClinical != 0 && h.start >= from {
			return h, true
		}
	}
	return ctxHit{}, false
}

// termHead: the clinical term ending at e is not the modifier of a noun after it ("diabetes
// educator", "dialysis unit", "diabetes walk"): what follows on its line is punctuation, a
// number, a capital ("L 2 o'clock"), another clinical term, a function word or nothing.
// It reads at most 3 spaces and one word of up to 12 letters, well inside what Stream keeps.
func termHead(text []byte, e int, ci *ctxIndex) bool {
	p := e
	for p < len(text) && p-e < 3 && text[p] == ' ' {
		p++
	}
	if p >= len(text) || !isLowerAlpha(text[p]) {
		return true
	}
	if _, ok := clinicalAt(ci, p, p+1); ok {
		return true
	}
	q := p
	for q < len(text) && q-p <= 12 && isAlpha(text[q]) {
		q++
	}
	return functionWords[string(text[p:q])]
}

// functionWords may follow the head of a clinical phrase: prepositions, conjunctions,
// articles and words of time ("a colonoscopy on Tuesday", "c section at noon", "chest pain
// since Sunday").
var functionWords = map[string]bool{"a": true, "an": true, "the": true, "at": true, "on": true, "in": true,
	"for": true, "to": true, "and": true, "or": true, "but": true, "with": true, "of": true, "this": true,
	"last": true, "next": true, "today": true, "yesterday": true, "tomorrow": true, "tonight": true,
	"again": true, "so": true, "x": true, "pending": true, "since": true, "after": true, "before": true,
	"until": true}

// thirdPersonPronouns are the subjects that take a name's place later in its sentence.
var thirdPersonPronouns = map[string]bool{"she": true, "he": true}

// pastVerbs are irregular simple past verbs of what happens to a patient; regular ones end
// in "ed".
var pastVerbs = map[string]bool{"had": true, "got": true, "went": true, "fell": true, "came": true,
	"broke": true, "woke": true, "began": true, "gave": true, "took": true, "left": true, "ran": true}

// pronounClinical: after the name and before its sentence ends (within lim), "she" or "he"
// opens a new clause (after a comma, "and" or "but") with a verb in the simple past, and a
// clinical term that heads its phrase follows in the sentence: "for Rosa Benitez on L&D,
// she delivered at noon (c section)". The past tense tells an event, not a role: "Meet
// Karen Walsh, she has worked in dialysis", "she is a certified diabetes educator" and
// "she brings ten years of diabetes education" do not count.
func pronounClinical(text []byte, end, lim int, ci *ctxIndex) bool {
	if ci == nil {
		return false
	}
	se := end
	for se < lim && !clauseEnd(text, se) {
		se++
	}
	word := func(p int) int {
		q := p
		for q < se && isAlpha(text[q]) {
			q++
		}
		return q
	}
	for p := end; p < se; p++ {
		if !isLowerAlpha(text[p]) || (p > 0 && isWord(text[p-1])) {
			continue
		}
		q := word(p)
		if !thirdPersonPronouns[string(text[p:q])] {
			p = q
			continue
		}
		b := p - 1
		for b > end && text[b] == ' ' {
			b--
		}
		if b < end || (text[b] != ',' && !wordEndsWith(text[:b+1], "and") && !wordEndsWith(text[:b+1], "but")) {
			p = q
			continue
		}
		// The verb, after "just" or "already".
		v := q + 1
		ve := word(v)
		if w := string(text[v:ve]); w == "just" || w == "already" || w == "finally" {
			v = ve + 1
			ve = word(v)
		}
		if v >= se || ve == v {
			p = q
			continue
		}
		w := text[v:ve]
		if (!(len(w) >= 4 && bytes.HasSuffix(w, []byte("ed"))) && !pastVerbs[string(w)]) || hasWorkVerb(text, v, se) {
			// Not an event, or the clause tells of a job: "Meet Karen Walsh, she worked in
			// dialysis for years".
			p = q
			continue
		}
		for t := ve; t < se; {
			h, ok := clinicalAt(ci, t, se)
			if !ok {
				break
			}
			if termHead(text, h.end, ci) {
				return true
			}
			t = h.end
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
