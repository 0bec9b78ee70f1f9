package detect

import (
	"encoding/binary"
	"sort"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Folding: what a careless sender's editor puts into a number is turned back into the ASCII
// the detectors read, before either pass runs.
//
//   - invisible format characters (Unicode Cf: zero-width space/joiners U+200B-U+200D, word
//     joiner U+2060, BOM U+FEFF, soft hyphen U+00AD, bidi controls, tag characters) are removed;
//   - space separators (Zs: no-break spaces U+00A0, U+202F, figure space U+2007, ...) become ' ',
//     line and paragraph separators '\n';
//   - dashes (Pd: hyphen U+2010, non-breaking hyphen U+2011, en dash, em dash, ...) and the
//     minus sign U+2212 become '-';
//   - a Latin letter with accents becomes its ASCII letter ("é" -> "e"), so Spanish and
//     French clinical words and names match the ASCII lists;
//   - every other rune whose NFKC compatibility decomposition is ASCII takes it: fullwidth
//     digits and letters, mathematical digits, ligatures (PDF text), "№" -> "No". "™", "℠"
//     and superscripts and subscripts keep their bytes: "Lipitor™" must not become the word
//     "LipitorTM", nor "diabetes²" the word "diabetes2".
//
// Everything else, invalid UTF-8 included, is copied as is. The mapping is rune by rune (no
// composition across runes), so folding a text in pieces cut between runes gives the same
// bytes as folding it whole, which keeps Stream equal to Scan. Text without a byte >= 0x80
// (nearly all mail) is never copied.

// foldEdit records one rune whose folded form differs: n is its offset in the folded text,
// o in the original, nl and ol the lengths there.
type foldEdit struct {
	n, o   int
	nl, ol int
}

// firstNonASCII returns the offset of the first byte >= 0x80 in b, or len(b).
func firstNonASCII(b []byte) int {
	const highs = 0x8080808080808080
	i := 0
	for ; i+32 <= len(b); i += 32 {
		w := b[i : i+32]
		if (binary.LittleEndian.Uint64(w)|binary.LittleEndian.Uint64(w[8:])|
			binary.LittleEndian.Uint64(w[16:])|binary.LittleEndian.Uint64(w[24:]))&highs != 0 {
			break
		}
	}
	for ; i+8 <= len(b); i += 8 {
		if binary.LittleEndian.Uint64(b[i:])&highs != 0 {
			break
		}
	}
	for i < len(b) && b[i] < 0x80 {
		i++
	}
	return i
}

// foldRune returns the folded form of the rune at the start of b (which starts with a byte
// >= 0x80), the rune's length, and whether the form differs from the original bytes.
func foldRune(b []byte) (rep []byte, size int, changed bool) {
	r, size := utf8.DecodeRune(b)
	if r == utf8.RuneError && size <= 1 {
		return nil, 1, false
	}
	var c uint8
	if r < foldTableLen {
		foldOnce.Do(buildFoldTable)
		c = foldTable[r]
	} else {
		c = foldClass(r, b[:size])
	}
	switch c {
	case foldDrop:
		return nil, size, true
	case foldSpace:
		return space, size, true
	case foldHyphen:
		return hyphen, size, true
	case foldNewline:
		return newline, size, true
	case foldDecomp:
		return norm.NFKC.Properties(b[:size]).Decomposition(), size, true
	case foldBase:
		return norm.NFD.Properties(b[:size]).Decomposition()[:1], size, true
	}
	return nil, size, false
}

// What foldRune does with a rune.
const (
	foldKeep uint8 = iota
	foldDrop
	foldSpace
	foldHyphen
	foldNewline
	foldDecomp // its NFKC decomposition, which is ASCII
	foldBase   // a Latin letter with accents: its ASCII base letter ("á" -> "a")
)

// foldClass decides what folding does with r, encoded in b.
func foldClass(r rune, b []byte) uint8 {
	switch {
	case r == 0x2122 || r == 0x2120 || superSub(r):
		// ™, ℠, footnote marks and exponents: their ASCII form would glue to the word
		// before ("diabetes²" must stay the term "diabetes", "Lipitor™" the drug).
		return foldKeep
	case r == 0x85 || r == 0x2028 || r == 0x2029:
		return foldNewline
	case r == 0x2212 || unicode.Is(unicode.Pd, r):
		return foldHyphen
	case unicode.Is(unicode.Zs, r):
		return foldSpace
	case unicode.Is(unicode.Cf, r):
		return foldDrop
	}
	d := norm.NFKC.Properties(b).Decomposition()
	if len(d) == 0 || firstNonASCII(d) < len(d) {
		if accented(b) {
			return foldBase
		}
		return foldKeep
	}
	return foldDecomp
}

// accented reports a Latin letter whose canonical decomposition is an ASCII letter and
// combining marks only: "presión", "diálisis", "Gutiérrez" are read as the ASCII words the
// dictionaries and name lists hold (Spanish mail is often typed without accents too).
func accented(b []byte) bool {
	d := norm.NFD.Properties(b).Decomposition()
	if len(d) < 2 || !isAlpha(d[0]) {
		return false
	}
	for _, r := range string(d[1:]) {
		if !unicode.Is(unicode.Mn, r) {
			return false
		}
	}
	return true
}

// foldTable caches foldClass for the runes below foldTableLen (Latin, punctuation, symbols:
// nearly every non-ASCII rune in mail), built on first use.
const foldTableLen = 0x3100

var (
	foldTable [foldTableLen]uint8
	foldOnce  sync.Once
)

func buildFoldTable() {
	var b [utf8.UTFMax]byte
	for r := rune(0x80); r < foldTableLen; r++ {
		if r >= 0xD800 && r < 0xE000 {
			continue // surrogates never decode
		}
		foldTable[r] = foldClass(r, utf8.AppendRune(b[:0], r))
	}
}

// superSub reports the superscript and subscript forms (and modifier letters) whose NFKC
// form is an ASCII letter or digit.
func superSub(r rune) bool {
	switch {
	case r == 0xAA, r == 0xB2, r == 0xB3, r == 0xB9, r == 0xBA:
		return true
	case r >= 0x2B0 && r <= 0x2FF, r >= 0x1D2C && r <= 0x1DBF, r >= 0x2070 && r <= 0x209F:
		return true
	}
	return false
}

var (
	newline = []byte{'\n'}
	hyphen  = []byte{'-'}
	space   = []byte{' '}
)

// foldAppend appends the folded src to dst. If edits is not nil it receives one entry per
// changed rune: n is the offset in dst, o the offset in src plus srcOff.
func foldAppend(dst, src []byte, srcOff int, edits *[]foldEdit) []byte {
	i := 0
	for i < len(src) {
		j := i + firstNonASCII(src[i:])
		dst = append(dst, src[i:j]...)
		i = j
		for i < len(src) && src[i] >= 0x80 {
			rep, size, changed := foldRune(src[i:])
			if !changed {
				dst = append(dst, src[i:i+size]...)
			} else {
				if edits != nil {
					*edits = append(*edits, foldEdit{n: len(dst), o: srcOff + i, nl: len(rep), ol: size})
				}
				dst = append(dst, rep...)
			}
			i += size
		}
	}
	return dst
}

// fold returns text folded, reusing buf, and fills edits (if not nil) for foldMap. It
// returns text itself, false and no edits when nothing changes.
func fold(text, buf []byte, edits *[]foldEdit) ([]byte, bool) {
	if edits != nil {
		*edits = (*edits)[:0]
	}
	i := firstNonASCII(text)
	for i < len(text) {
		if text[i] < 0x80 {
			i++
			continue
		}
		_, size, changed := foldRune(text[i:])
		if changed {
			if cap(buf) < len(text) {
				// Folding rarely grows text ("⒇" -> "(20)"): one allocation, no regrowth.
				buf = make([]byte, 0, len(text)+len(text)/16+16)
			}
			return foldAppend(append(buf[:0], text[:i]...), text[i:], i, edits), true
		}
		i += size
	}
	return text, false
}

// foldMap maps offsets in a folded text back to the original.
type foldMap []foldEdit

// start maps the offset of the first byte of a match.
func (m foldMap) start(p int) int {
	// Last edit starting at or before p.
	k := sort.Search(len(m), func(i int) bool { return m[i].n > p }) - 1
	if k < 0 {
		return p
	}
	e := m[k]
	if p < e.n+e.nl {
		return e.o
	}
	return e.o + e.ol + p - (e.n + e.nl)
}
