package detect

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/binary"
	"fmt"
	"sort"
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
			!(toks[0].wordlike() && greeted(text, toks[0].start, toks[0].end) && yourCareAfter(text, toks[0].end)) {
			// A lone capitalised word names someone only right after a label ("Mr. Smith")
			// or as the addressee of a letter about their care ("Harold, your appt ...").
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
		j, conf := nameAt(toks, i)
		if j < 0 {
			i++
			continue
		}
		start, end := toks[i].start, toks[j].end
		var lbl nameLabelKind
		if maybeLabel(text, start) {
			lbl = nameLabel(text, start)
		}
		if (conf != 0 || nameAttached(toks[i:j+1], lbl)) && nameProvider(text, start, end) {
			// A clinician ("Dr. Jane Smith", "Jane Smith, MD"), not a patient.
			i = j + 1
			continue
		}
		if lbl == 0 && roomBefore(text, start) {
			lbl = labelPatient // a census or shift report: "Bed 14, Loretta Simmons"
		}
		if lbl == 0 && greeted(text, start, end) && yourCareAfter(text, end) {
			// "Hi Samantha, ... your appointment", "Harold, ... your appt for":
			// a letter to a patient about their care.
			lbl = labelPatient
		}
		if nameAttached(toks[i:j+1], lbl) && (lbl != 0 || nameFollow(text, end, ci)) {
			conf = High
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
	"medication", "biopsy", "follow-up", "checkup", "check-up", "lab work", "test result"}

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
	case "re":
		if colon {
			return labelSubject
		}
	case "name", "member", "subscriber", "insured", "guarantor", "client", "resident", "beneficiary",
		"enrollee", "decedent", "deceased", "child", "infant", "son", "daughter":
		if colon {
			return labelPatient
		}
	}
	return 0
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

// providerWords before a name mark a clinician, not a patient.
var providerWords = map[string]bool{
	"dr": true, "drs": true, "doctor": true, "nurse": true, "prof": true, "professor": true,
	"physician": true, "provider": true, "pcp": true, "attending": true, "surgeon": true,
	"clinician": true, "therapist": true, "pharmacist": true, "prescriber": true, "practitioner": true,
	"radiologist": true, "referring": true, "dentist": true, "midwife": true, "rn": true, "np": true,
}

// credentials after a name mark a clinician ("Jane Smith, MD"). Case-sensitive, dots removed.
var credentials = map[string]bool{
	"MD": true, "DO": true, "RN": true, "NP": true, "PA": true, "PA-C": true, "DDS": true, "DMD": true,
	"DPM": true, "OD": true, "PhD": true, "PHD": true, "PharmD": true, "APRN": true, "FNP": true,
	"FNP-C": true, "FNP-BC": true, "CRNA": true, "LPN": true, "LVN": true, "CNM": true, "MBBS": true,
	"FACP": true, "FACS": true, "FAAP": true, "LCSW": true, "DNP": true, "MSN": true, "BSN": true,
	"DC": true, "PT": true, "DPT": true, "OT": true, "OTR": true, "RPh": true, "MSW": true, "CNA": true,
	"MA": true, "ANP": true, "ARNP": true, "CNP": true, "DNP-C": true, "MPH": true, "MBA": true,
}

// nameProvider reports a clinician title before the name or a credential after it.
func nameProvider(text []byte, start, end int) bool {
	if w, _, _ := prevWord(text, start); len(w) >= 2 && len(w) <= 12 {
		var lw [12]byte
		l := lw[:len(w)]
		for i, c := range w {
			l[i] = c | 0x20
		}
		if providerWords[string(l)] {
			return true
		}
	}
	p := end
	n := len(text)
	if p < n && text[p] == ',' {
		p++
	}
	for p < n && p-end < 3 && text[p] == ' ' {
		p++
	}
	var cb [12]byte
	c := cb[:0]
	for q := p; q < n && q-p < 12; q++ {
		ch := text[q]
		if ch == '.' {
			continue
		}
		if !isAlpha(ch) && ch != '-' {
			if nameByte(ch) {
				return false
			}
			break
		}
		c = append(c, ch)
	}
	return len(c) >= 2 && credentials[string(c)]
}

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
		case "dob", "birthdate", "mrn", "underwent":
			return true
		case "born":
			// "born 15-Jan-1973", "born on March 3, 1950"; not "born and raised in Ohio".
			for n := k + 1; n <= k+3 && n < nw; n++ {
				if x := word(n); isDigit(x[0]) || (len(x) >= 3 && monthPrefix(x)) {
					return true
				}
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
			if word(k+1) == "of" && word(k+2) == "birth" {
				return true
			}
		case "age", "aged":
			if allDigits([]byte(word(k + 1))) {
				return true
			}
		case "year", "years", "yr", "yrs":
			if k > 0 && allDigits([]byte(word(k-1))) && word(k+1) == "old" {
				return true // "63-year-old", "63 years old"; not "after 14 years"
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
	return paren && parenDate(text[q+1:lim])
}

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
