package detect

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestEvasionsAreFoundLikeTheirASCIIForm: the characters a word processor, a web form or a
// hurried sender put into a number or a label must not hide it. Each text must give exactly
// the findings of its ASCII form.
func TestEvasionsAreFoundLikeTheirASCIIForm(t *testing.T) {
	s := newScanner(t, Config{})
	cases := []struct{ name, text, ascii string }{
		{"zero-width space", "SSN: 219\u200B-45-6780", "SSN: 219-45-6780"},
		{"zero-width joiner", "SSN: 219-45-\u200D6780", "SSN: 219-45-6780"},
		{"zero-width non-joiner", "SSN 2194\u200C56780", "SSN 219456780"},
		{"word joiner in the label", "S\u2060SN 219-45-6780", "SSN 219-45-6780"},
		{"BOM", "\uFEFFSSN 219-45-6780", "SSN 219-45-6780"},
		{"soft hyphens", "SSN 219\u00AD45\u00AD6780", "SSN 219456780"},
		{"no-break spaces", "SSN:\u00A0219\u00A045\u00A06780", "SSN: 219 45 6780"},
		{"narrow no-break space", "SSN 219\u202F45\u202F6780", "SSN 219 45 6780"},
		{"figure space", "MRN\u2007004829131", "MRN 004829131"},
		{"non-breaking hyphens", "SSN 219\u201145\u20116780", "SSN 219-45-6780"},
		{"en dashes", "SSN 219\u201345\u20136780", "SSN 219-45-6780"},
		{"minus signs", "SSN 219\u221245\u22126780", "SSN 219-45-6780"},
		{"fullwidth", "\uFF33\uFF33\uFF2E\uFF1A\uFF12\uFF11\uFF19\uFF0D\uFF14\uFF15\uFF0D\uFF16\uFF17\uFF18\uFF10", "SSN:219-45-6780"},
		{"fullwidth digits only", "SSN 219-45-\uFF16\uFF17\uFF18\uFF10", "SSN 219-45-6780"},
		{"mathematical digits", "NPI \U0001D7CF\U0001D7D0\U0001D7D1\U0001D7D2\U0001D7D3\U0001D7D4\U0001D7D5\U0001D7D6\U0001D7D7\U0001D7D1", "NPI 1234567893"},
		{"MBI with non-breaking hyphens", "Medicare ID 1EG4\u2011TE5\u2011MK74", "Medicare ID 1EG4-TE5-MK74"},
		{"DOB with no-break space", "DOB:\u00A003/14/1962", "DOB: 03/14/1962"},
		{"ligature in a term", "history of atrial \uFB01brillation", "history of atrial fibrillation"},
		{"bidi controls", "SSN \u202D219-45-6780\u202C", "SSN 219-45-6780"},
		{"footnote mark after a term", "history of diabetes\u00B2 and asthma\u00B9", "history of diabetes and asthma"},
		{"trademark after a drug", "takes Lipitor\u2122 daily", "takes Lipitor daily"},
	}
	for _, c := range cases {
		want := scanOne(t, s, c.ascii)
		if len(want) == 0 {
			t.Fatalf("%s: the ASCII form %q finds nothing", c.name, c.ascii)
		}
		if got := scanOne(t, s, c.text); !equalFindings(got, want) {
			t.Errorf("%s: %+v, want %+v", c.name, got, want)
		}
	}
}

// TestExplainOffsetsPointIntoTheOriginalText: matches are found in the folded text, but an
// offset must say where the match starts in what the sender wrote, and the preview must be
// masked (a fullwidth digit is a digit).
func TestExplainOffsetsPointIntoTheOriginalText(t *testing.T) {
	s := newScanner(t, Config{Enabled: []string{TypeSSN, TypeMRN}})
	text := "Pt\u00A0name\u200B: Jane \uFEFF\u00A0SSN\u00A0\uFF12\uFF11\uFF19\u2013\uFF14\uFF15\u2013\uFF16\uFF17\uFF18\uFF10, MRN 00482913"
	ms := s.Explain([]byte(text), Location{})
	var got []string
	for _, m := range ms {
		got = append(got, m.Type)
		switch m.Type {
		case TypeSSN:
			if want := strings.Index(text, "\uFF12"); m.Offset != want || m.Masked != "***-**-6780" {
				t.Errorf("ssn: offset %d masked %q, want %d ***-**-6780", m.Offset, m.Masked, want)
			}
		case TypeMRN:
			if want := strings.Index(text, "00482913"); m.Offset != want {
				t.Errorf("mrn: offset %d, want %d", m.Offset, want)
			}
		}
	}
	if strings.Join(got, ",") != "ssn,mrn" {
		t.Errorf("matches %v, want ssn, mrn", got)
	}
}

// TestFoldMapsEveryKeptByteBackToItself checks foldMap on random mixes of ASCII, changed and
// unchanged runes, and invalid bytes.
func TestFoldMapsEveryKeptByteBackToItself(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	pieces := []string{"a", "7", " ", "-", "\u00A0", "\u200B", "\u2013", "\uFF17", "\uFB01", "\u00E9", "\u2122",
		"\xE2\x80", "\xFF", "\U0001D7CF", "\u00AD", "\u4E2D"}
	for round := range 3000 {
		var b strings.Builder
		for range r.IntN(30) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		text := []byte(b.String())
		var edits []foldEdit
		ft, changed := fold(text, nil, &edits)
		if !changed && (string(ft) != string(text) || len(edits) > 0) {
			t.Fatalf("round %d: unchanged fold differs", round)
		}
		whole := foldAppend(nil, text, 0, nil)
		if string(whole) != string(ft) {
			t.Fatalf("round %d: fold %q != foldAppend %q", round, ft, whole)
		}
		fm := foldMap(edits)
		for p := 0; p < len(ft); p++ {
			o := fm.start(p)
			if o < 0 || o >= len(text) {
				t.Fatalf("round %d: %q -> %q: start(%d) = %d out of range", round, text, ft, p, o)
			}
			if ft[p] < 0x80 && text[o] < 0x80 && text[o] != ft[p] && !strings.ContainsRune(" -\n", rune(ft[p])) {
				// An ASCII byte kept as is must map onto itself; a replacement maps to its rune.
				if _, size := utf8.DecodeRune(text[o:]); size == 1 {
					t.Fatalf("round %d: %q -> %q: byte %d (%q) maps to %d (%q)", round, text, ft, p, ft[p], o, text[o])
				}
			}
		}
	}
}

// TestStreamFoldsRunesCutBetweenWrites: a rune split across two Writes is folded like the
// whole rune, so the stream still equals Scan.
func TestStreamFoldsRunesCutBetweenWrites(t *testing.T) {
	s := newScanner(t, Config{})
	text := []byte(strings.Repeat("Patient\u00A0SSN\u00A0\uFF12\uFF11\uFF19\u2011\uFF14\uFF15\u2011\uFF16\uFF17\uFF18\uFF10, Dx\u200B: E11.9 \u4E2D\u6587 \xE2\x80 ok. ", 40) + "\xF0\x9F")
	want := s.Scan(text, Location{Field: "body"})
	if f, ok := findingOf(want, TypeSSN); !ok || f.Count != 40 {
		t.Fatalf("scan: %+v", want)
	}
	for chunk := 1; chunk <= 9; chunk++ {
		st := s.NewStream(Location{Field: "body"})
		st.window = 64
		for i := 0; i < len(text); i += chunk {
			st.Write(text[i:min(i+chunk, len(text))])
		}
		if got := st.Findings(); st.Inexact() || !equalFindings(got, want) {
			t.Errorf("chunk %d: stream %+v, scan %+v", chunk, got, want)
		}
	}
}
