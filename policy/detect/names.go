package detect

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/binary"
	"fmt"
	"strings"
	"sync"
)

// TypePersonName is the person-name detector. A name alone is not PHI (business mail is
// full of names); the shipped policy flags a patient's name together with clinical content.
const TypePersonName = "person_name"

//go:embed data/names/names.txt.gz
var namesGz []byte

// Flags of a name in the shipped list.
const (
	nameGiven     uint8 = 1 << iota // SSA given name
	nameSurname                     // 1990 Census surname
	nameAmbiguous                   // also a common English word, a place, a month or a medical term
)

// nameTable maps the FNV-1a hash of a lowercased name (letters only) to its flags. A hash
// instead of the string keeps the table at about 1 MB and a lookup free of comparisons; a
// 64-bit collision with a real word is not a practical concern.
type nameTable map[uint64]uint8

var loadNames = sync.OnceValues(func() (nameTable, error) {
	zr, err := gzip.NewReader(bytes.NewReader(namesGz))
	if err != nil {
		return nil, fmt.Errorf("detect: data/names/names.txt.gz: %w", err)
	}
	t := make(nameTable, 50000)
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		name, flags, ok := strings.Cut(line, " ")
		if !ok {
			return nil, fmt.Errorf("detect: data/names/names.txt.gz: bad line %q", line)
		}
		var f uint8
		for _, c := range flags {
			switch c {
			case 'g':
				f |= nameGiven
			case 's':
				f |= nameSurname
			case 'a':
				f |= nameAmbiguous
			}
		}
		h, ok := nameHash([]byte(name))
		if !ok {
			return nil, fmt.Errorf("detect: data/names/names.txt.gz: bad name %q", name)
		}
		t[h] = f
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("detect: data/names/names.txt.gz: %w", err)
	}
	return t, nil
})

// maxNameLen is the longest token looked up; longer ones are not names.
const maxNameLen = 24

// nameHash hashes the letters of b, lowercased, skipping apostrophes (' and ’) and
// folding Latin-1 accented letters to ASCII as the SSA and Census lists do ("José" is
// "jose"). It fails on any other byte or on a token longer than maxNameLen.
func nameHash(b []byte) (uint64, bool) {
	const offset, prime = 14695981039346656037, 1099511628211
	h := uint64(offset)
	n := 0
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c >= 'a' && c <= 'z':
		case c >= 'A' && c <= 'Z':
			c |= 0x20
		case c == '\'':
			continue
		case c == 0xE2 && i+2 < len(b) && b[i+1] == 0x80 && b[i+2] == 0x99: // ’
			i += 2
			continue
		case c == 0xC3 && i+1 < len(b) && b[i+1] >= 0x80 && b[i+1] <= 0xBF && latin1Fold[b[i+1]-0x80] != 0:
			c = latin1Fold[b[i+1]-0x80]
			i++
		default:
			return 0, false
		}
		h = (h ^ uint64(c)) * prime
		n++
	}
	return h, n > 0 && n <= maxNameLen
}

// latin1Fold maps the second byte of U+00C0..U+00FF (after 0xC3) to an ASCII letter.
var latin1Fold = [64]byte{
	'a', 'a', 'a', 'a', 'a', 'a', 0, 'c', 'e', 'e', 'e', 'e', 'i', 'i', 'i', 'i', // À-Ï
	0, 'n', 'o', 'o', 'o', 'o', 'o', 0, 'o', 'u', 'u', 'u', 'u', 'y', 0, 0, // Ð-ß
	'a', 'a', 'a', 'a', 'a', 'a', 0, 'c', 'e', 'e', 'e', 'e', 'i', 'i', 'i', 'i', // à-ï
	0, 'n', 'o', 'o', 'o', 'o', 'o', 0, 'o', 'u', 'u', 'u', 'u', 'y', 0, 'y', // ð-ÿ
}

// Token shapes.
const (
	tokInitial uint8 = 1 << 4 // one capital letter, optionally with a dot: "Q", "Q."
	tokOther   uint8 = 1 << 5 // non-ASCII letters: a capitalised word, never in the lists
)

// nameTok is one capitalised token of a chain.
type nameTok struct {
	start, end int   // the token, without an initial's dot
	comma      bool  // the next token follows ", " ("Smith, John")
	flags      uint8 // name flags, tokInitial, tokOther; 0 = a capitalised word not in the lists
	looked     bool  // flags are filled in
}

func (t *nameTok) known() bool    { return t.flags&(nameGiven|nameSurname) != 0 }
func (t *nameTok) firm() bool     { return t.known() && t.flags&nameAmbiguous == 0 }
func (t *nameTok) given() bool    { return t.flags&nameGiven != 0 }
func (t *nameTok) surname() bool  { return t.flags&nameSurname != 0 }
func (t *nameTok) initial() bool  { return t.flags&tokInitial != 0 }
func (t *nameTok) wordlike() bool { return t.flags&tokInitial == 0 }

// maxChain bounds the tokens of a chain that are examined; the rest of a longer chain (a
// line of ALL CAPS) is skipped.
const maxChain = 32

// nextUpper returns the offset of the first ASCII capital letter in text[i:], or len(text).
func nextUpper(text []byte, i int) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for ; i+8 <= len(text); i += 8 {
		x := binary.LittleEndian.Uint64(text[i:])
		lo := x &^ highs
		t := (ones*(127+'Z'+1) - lo) & ^x & (lo + ones*(127-('A'-1))) & highs
		if t != 0 {
			break
		}
	}
	for i < len(text) && (text[i]-'A') > 'Z'-'A' {
		i++
	}
	return i
}

// nameByte is a byte that continues a word for the purpose of finding capitalised words.
func nameByte(c byte) bool { return isAlnum(c) || c >= 0x80 || c == '_' }

// scanNames is the person-name pass: capitalised word chains, scored from the shipped lists
// and the words right before and after them. It looks only at capitalised tokens.
func (s *Scanner) scanNames(text []byte, from, to int, ci *ctxIndex, emit func(hit), occupied func(int, int)) {
	nt := s.names
	n := len(text)
	var toks [maxChain]nameTok
	pos := 0
	for {
		i := nextUpper(text, pos)
		if i >= n {
			return
		}
		if i > 0 && (nameByte(text[i-1]) || text[i-1] == '@' || text[i-1] == '/' || text[i-1] == '\\' ||
			(text[i-1] == '-' && i > 1 && isAlnum(text[i-2]))) {
			// Inside a word, an address, a path or a code ("312-B"): skip the word.
			pos = i + 1
			for pos < n && nameByte(text[pos]) {
				pos++
			}
			continue
		}
		k, end := parseChain(text, i, toks[:])
		pos = end
		if k == 0 {
			continue
		}
		if k > 1 && occupied != nil {
			occupied(toks[0].start, end)
		}
		if k == 1 && (!toks[0].wordlike() || !maybeLabel(text, toks[0].start) || nameLabel(text, toks[0].start) == 0) &&
			!(toks[0].wordlike() && greeted(text, toks[0].start, toks[0].end) && addresseeCare(text, toks[0].end, ci)) &&
			!(toks[0].wordlike() && loneRoomAfter(text, toks[0].end)) {
			// A lone capitalised word names someone only right after a label ("Mr. Smith"),
			// as the addressee of a letter about their care ("Harold, your appt ..."), or
			// before a room on a page ("Hargrove, 3S rm 9").
			continue
		}
		s.nameCandidates(text, toks[:k], from, to, nt, ci, emit)
	}
}

// parseChain reads the capitalised tokens starting at i, joined by one space, ". " after an
// initial, or one ", " after the first token ("Smith, John"). It keeps at most len(toks) and
// returns how many it kept and where the chain ends.
func parseChain(text []byte, i int, toks []nameTok) (int, int) {
	n := len(text)
	k := 0
	for {
		e, shape, ok := nameToken(text, i)
		if !ok {
			if k == 0 {
				// Not a name-like token ("A1", "ABC123"): skip the word.
				for e < n && nameByte(text[e]) {
					e++
				}
				return 0, e
			}
			return k, toks[k-1].end
		}
		stored := k < len(toks)
		if stored {
			toks[k] = nameTok{start: i, end: e, flags: shape}
			k++
		}
		p := e
		if shape == tokInitial && p < n && text[p] == '.' {
			p++
		}
		comma := false
		if p < n && text[p] == ',' && k == 1 && shape != tokInitial {
			comma = true
			p++
		}
		if p+1 >= n || text[p] != ' ' || !isUpper(text[p+1]) {
			return k, e
		}
		if stored {
			toks[k-1].comma = comma
		}
		i = p + 1
	}
}

// nameToken reads one token at i (text[i] is a capital): Title Case, ALL CAPS, an initial,
// "O'Brien", "McDonald", "Smith-Jones". It reports the end and the shape (tokInitial,
// tokOther or 0), and false when the word is not name-like (digits, underscores).
func nameToken(text []byte, i int) (int, uint8, bool) {
	n := len(text)
	e := i + 1
	var shape uint8
	for e < n {
		c := text[e]
		switch {
		case isAlpha(c):
			e++
		case c == '\'' && e+1 < n && isAlpha(text[e+1]):
			e += 2
		case c == '-' && e+1 < n && isUpper(text[e+1]):
			e += 2
		case c == 0xC3 && e+1 < n && text[e+1] >= 0x80 && text[e+1] <= 0xBF && latin1Fold[text[e+1]-0x80] != 0:
			e += 2 // "José": looked up as "jose"
		case c == 0xE2 && e+3 < n && text[e+1] == 0x80 && text[e+2] == 0x99 && isAlpha(text[e+3]):
			e += 3 // "O’Brien"
		case c >= 0x80:
			// Other scripts and letters: a capitalised word the lists cannot hold.
			shape = tokOther
			e++
		case isDigit(c) || c == '_':
			return e, 0, false
		default:
			if e-i == 1 {
				return e, tokInitial, true
			}
			return e, shape, e-i <= 40
		}
	}
	if e-i == 1 {
		return e, tokInitial, true
	}
	return e, shape, e-i <= 40
}

// lookup fills in the list flags of t. A hyphenated token is a surname if any part is one.
func (nt nameTable) lookup(text []byte, t *nameTok, allCaps bool) {
	if t.looked {
		return
	}
	t.looked = true
	if t.flags&(tokInitial|tokOther) != 0 {
		return
	}
	w := text[t.start:t.end]
	// "Smith's", "Smith’s": the name without the possessive.
	if l := len(w); l > 3 && (w[l-1] == 's' || w[l-1] == 'S') && w[l-2] == '\'' {
		w = w[:l-2]
	} else if l > 5 && (w[l-1] == 's' || w[l-1] == 'S') && w[l-2] == 0x99 && w[l-3] == 0x80 && w[l-4] == 0xE2 {
		w = w[:l-4]
	}
	if len(w) == 2 && isUpper(w[1]) && (!allCaps || stateAbbrev[[2]byte{w[0], w[1]}]) {
		// "Boston MA", "Dallas TX": a state, not a surname ("Ma", "Le" and "Ng" stay names
		// in an ALL CAPS chain).
		return
	}
	if h, ok := nameHash(w); ok {
		t.flags |= nt[h]
		return
	}
	if bytes.IndexByte(w, '-') < 0 {
		return
	}
	var f uint8 = nameAmbiguous
	for part := range bytes.SplitSeq(w, []byte{'-'}) {
		if h, ok := nameHash(part); ok {
			pf := nt[h]
			f |= pf & (nameGiven | nameSurname)
			if pf != 0 && pf&nameAmbiguous == 0 {
				f &^= nameAmbiguous
			}
		}
	}
	if f&(nameGiven|nameSurname) != 0 {
		t.flags |= f
	}
}

// nameCandidates finds the names in one chain and emits them.
func (s *Scanner) nameCandidates(text []byte, toks []nameTok, from, to int, nt nameTable, ci *ctxIndex, emit func(hit)) {
	allCaps := true
	for i := range toks {
		allCaps = allCaps && (toks[i].initial() || isUpper(text[toks[i].end-1]))
	}
	for i := range toks {
		nt.lookup(text, &toks[i], allCaps)
	}
	for i := 0; i < len(toks); {
		if i == 0 {
			if e, ok := formName(text, toks[0].start); ok {
				// A form's name field: "Patient Last Name: KRISTIANSEN First: Halvard".
				if toks[0].start >= from && toks[0].start < to {
					emit(hit{typ: TypePersonName, conf: High, start: toks[0].start, end: e})
				}
				return
			}
		}
		if j, ok := newbornAt(text, toks, i); ok {
			// "Baby Boy Reinholt", "BABY GIRL OKAFOR": how a hospital registers a
			// newborn before it has a given name; the designation is the patient's name.
			conf := High
			start, end := toks[i].start, toks[j].end
			if ci != nil && celebration(text, ci, start, end) {
				conf = Medium // "Welcome Baby Girl Sophia!": a coworker's news
			}
			if start >= from && start < to {
				emit(hit{typ: TypePersonName, conf: conf, start: start, end: end})
			}
			i = j + 1
			continue
		}
		j, conf := nameAt(toks, i)
		if j < 0 {
			i++
			continue
		}
		start, end := toks[i].start, toks[j].end
		if j+1 < len(toks) && orgAfter(text, &toks[j+1]) {
			// "Hollis Family Medicine", "Westbrook Ortho": an organisation's name.
			return
		}
		if j > i && titleToken(text[toks[i].start:toks[i].end]) {
			// "Dr Ahmed", "NP Walsh", "MA Trinh": a title written without its dot
			// was read as a given name; the name is a clinician's.
			i = j + 1
			continue
		}
		var lbl nameLabelKind
		if maybeLabel(text, start) {
			lbl = nameLabel(text, start)
		}
		if (conf != 0 || nameAttached(toks[i:j+1], lbl)) && nameProvider(text, start, end) {
			// A clinician ("Dr. Jane Smith", "Jane Smith, MD"), not a patient.
			i = j + 1
			continue
		}
		if lbl == 0 && ageSexBefore(text, start) {
			lbl = labelPatient // a page or a triage line: "67M Raymond Szabo, LKW 0115"
		}
		if lbl == 0 && roomBefore(text, start) {
			lbl = labelPatient // a census or shift report: "Bed 14, Loretta Simmons"
		}
		if lbl == 0 && bedAfter(text, end) {
			lbl = labelPatient // "Family of Loretta Simmons in MICU bed 7": the mirror of roomBefore
		}
		if lbl == 0 && resultOn(text, start) {
			lbl = labelPatient // "the confirmatory came back on <name>": her result
		}
		if lbl == 0 && orderedFor(text, start, ci) {
			lbl = labelPatient // "an order for MRI lumbar spine for Bertrand Okafor"
		}
		if lbl == 0 && greeted(text, start, end) && addresseeCare(text, end, ci) {
			// "Hi Samantha, ... your appointment", "Harold, ... your appt for":
			// a letter to a patient about their care.
			lbl = labelPatient
		}
		if nameAttached(toks[i:j+1], lbl) && (lbl != 0 || nameFollow(text, end, ci) || nameFollowRow(text, start, end, ci) ||
			subjectClinical(text, start, end, ci)) {
			conf = High
		} else if lbl == 0 && givenUnlisted(toks[i:j+1]) && !nameProvider(text, start, end) && (nameFollow(text, end, ci) || nameFollowRow(text, start, end, ci)) {
			conf = High // "Grace Okonkwo is cleared to return": a surname the lists lack
		} else if (lbl == 0 || lbl == labelPatient) && unlistedPair(text, toks, i) && (ageRightAfter(text, toks[i+1].end) || bedAfter(text, toks[i+1].end) || resultOn(text, start)) {
			conf = High // "Folasade Adebayo, 34 weeks pregnant": neither word listed
			end = toks[i+1].end
		}
		if conf == Medium && lbl == 0 && bareSignOff(text, start, end) && firstPersonCare(text, start, ci) {
			conf = High // a patient's own mail, signed: "... too thin for LASIK\n\nAnneliese Korhonen"
		}
		if conf == High && lbl == 0 && ci != nil && celebration(text, ci, start, end) {
			conf = Medium // "Happy birthday to Maria Santos! She was born ...": a coworker
		}
		if conf == 0 {
			i++
			continue
		}
		if start >= from && start < to {
			emit(hit{typ: TypePersonName, conf: conf, start: start, end: end})
		}
		i = j + 1
	}
}

// newbornAt reports whether toks[i:] starts with a newborn's registration name, "Baby
// Boy" or "Infant Girl" and a surname, and returns the surname's index. A word the
// lists lack counts only at the end of its chain: "Baby Boy Reinholt - NICU", not
// "Baby Girl Clothing Drive"; a given name is a family's news, "her Baby Girl Sophia".
func newbornAt(text []byte, toks []nameTok, i int) (int, bool) {
	if i+2 >= len(toks) || !toks[i+2].wordlike() || toks[i].comma || toks[i+1].comma ||
		(!toks[i+2].surname() && (i+3 < len(toks) || toks[i+2].given())) {
		return -1, false
	}
	w0, w1 := text[toks[i].start:toks[i].end], text[toks[i+1].start:toks[i+1].end]
	if !(bytes.EqualFold(w0, []byte("baby")) || bytes.EqualFold(w0, []byte("infant"))) ||
		!(bytes.EqualFold(w1, []byte("boy")) || bytes.EqualFold(w1, []byte("girl"))) {
		return -1, false
	}
	return i + 2, true
}

// nameAt returns the last token of the name that starts at toks[i] and its confidence from
// the lists alone: Medium for a given name and a surname ("Jane Smith", "Smith, Jane",
// "Mary Ann Smith", "Jane Q. Smith"), Low when both are also common words ("Will Brown"),
// 0 for a weaker shape that counts only after a label or before patient context
// (a lone name, "Jane Testcase", "Deborah X", "J. Smith"). -1: nothing starts here.
func nameAt(toks []nameTok, i int) (int, Confidence) {
	t := &toks[i]
	last := len(toks) - 1
	pair := func(a, b *nameTok) Confidence {
		if a.flags&nameAmbiguous != 0 && b.flags&nameAmbiguous != 0 {
			return Low
		}
		return Medium
	}
	switch {
	case t.wordlike() && t.comma && i < last && toks[i+1].given() && toks[i+1].wordlike():
		// "Smith, Jane" or "Testcase, Jane", with an optional initial after.
		j := i + 1
		if j < last && toks[j+1].initial() {
			j++
		}
		if t.surname() {
			return j, pair(t, &toks[i+1])
		}
		return j, 0
	case t.given() && t.wordlike() && !t.comma:
		j := i + 1
		for j <= last && j-i <= 3 {
			if toks[j].initial() {
				j++ // "Jane Q. Smith", "Deborah X"
				continue
			}
			if j < last && toks[j].given() && toks[j+1].wordlike() && toks[j+1].surname() {
				j++ // a middle name: "Mary Ann Smith"
				continue
			}
			break
		}
		if j <= last && toks[j].wordlike() {
			if toks[j].surname() {
				return j, pair(t, &toks[j])
			}
			return j, 0
		}
		return j - 1, 0
	case t.initial():
		// "J. Smith", "J. R. Smith"
		j := i + 1
		for j < last && toks[j].initial() {
			j++
		}
		if j <= last && toks[j].wordlike() && toks[j].surname() {
			return j, 0
		}
		return -1, 0
	case t.wordlike():
		if (t.flags == 0 || t.flags&(nameGiven|nameSurname) == nameSurname) && !t.comma && i < last && toks[i+1].wordlike() && toks[i+1].surname() {
			// A given name the lists lack, "Chidi Okafor", or one they hold only as a
			// surname, "Bertrand Okafor": the census lists many given names as surnames.
			return i + 1, 0
		}
		if t.surname() && !t.comma && i < last && toks[i+1].wordlike() && toks[i+1].given() {
			return i + 1, 0 // surname first without a comma, as a label writes it: "Albright Janelle"
		}
		return i, 0
	}
	return -1, 0
}

// nameAttached reports whether a name shape next to patient context is a person: after an
// honorific any capitalised word is ("Mr. Testcase"); otherwise the shape must hold a name
// from the lists that is not also a common word.
func nameAttached(toks []nameTok, lbl nameLabelKind) bool {
	switch lbl {
	case labelHonorific:
		return true // "Mr. Testcase", "Mrs. J. Smith"
	case labelSubject:
		// A given name that is not also a word, or "Last, First".
		for i := range toks {
			if toks[i].firm() && (toks[i].given() || (i > 0 && toks[i-1].comma)) {
				return true
			}
		}
		return false
	}
	for i := range toks {
		if toks[i].firm() {
			return true
		}
	}
	return false
}

// givenUnlisted: a given name (also a word, "Grace") followed by one capitalised word the
// lists do not hold ("Okonkwo"): a person only with patient context after it.
func givenUnlisted(toks []nameTok) bool {
	return len(toks) == 2 && toks[0].given() && toks[0].wordlike() && !toks[0].comma &&
		toks[1].flags == 0
}

// unlistedPair: toks[i] and toks[i+1] are two capitalised words the lists do not hold,
// written as a name ("Folasade Adebayo", "Mihaela Constantin"): a person only with patient
// context right after them (an age or a gestation: ageRightAfter), as fresh12's mothers.
func unlistedPair(text []byte, toks []nameTok, i int) bool {
	// The whole chain is the two words ("Breast Cancer Awareness Month" is a heading), and
	// a comma or a parenthesis opens the context: "Folasade Adebayo, 34 weeks pregnant".
	if i != 0 || len(toks) != 2 {
		return false
	}
	a, b := &toks[0], &toks[1]
	if b.end >= len(text) || (text[b.end] != ',' && !(text[b.end] == ' ' && b.end+1 < len(text) && text[b.end+1] == '(')) {
		return false
	}
	return a.flags == 0 && b.flags == 0 && !a.comma && a.end-a.start >= 3 && b.end-b.start >= 3 &&
		isUpper(text[a.start]) && isUpper(text[b.start]) && !isUpper(text[a.start+1]) && !isUpper(text[b.start+1])
}
