package detect

import (
	"bytes"
	"fmt"
	"html"
	"math/rand/v2"
	"testing"
)

// benchText builds about size bytes of realistic mixed mail text: mostly prose, some numbers,
// and an identifier or clinical term every few hundred bytes.
func benchText(size int, asHTML bool) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	prose := []string{
		"Thanks for your help with this, the office will be closed on Friday afternoon.",
		"Please review the attached notes before the meeting on 03/14/2025 at 10:30.",
		"Your order 48213377 shipped via UPS 1Z999AA10123456784 and should arrive Tuesday.",
		"We moved the team lunch to the main conference room on the 4th floor.",
		"Invoice INV-2024-00123 totals $1,234.56 including tax; version 2.14.3 is required.",
		"The quarterly numbers improved by 12.5% compared with last year, ZIP 02139-4307.",
	}
	phi := []string{
		"Patient: John Doe, DOB: 03/14/1962, SSN 219-45-6780.",
		"MRN: 00482913, Dx: E11.9 and I10, takes metformin and lisinopril.",
		"Referring NPI 1234567893, call (617) 555-0142 to schedule the colonoscopy.",
		"Medicare ID 1EG4-TE5-MK74, member ID XZW123456789, history of congestive heart failure.",
	}
	var b bytes.Buffer
	for b.Len() < size {
		var s string
		if r.IntN(5) == 0 {
			s = phi[r.IntN(len(phi))]
		} else {
			s = prose[r.IntN(len(prose))]
		}
		if asHTML {
			fmt.Fprintf(&b, "<p>%s</p>\n", html.EscapeString(s))
		} else {
			b.WriteString(s)
			b.WriteString("\n")
		}
	}
	return b.Bytes()
}

func benchScan(b *testing.B, text []byte) { benchScanWith(b, Config{}, text) }

func benchScanWith(b *testing.B, cfg Config, text []byte) {
	s := newScanner(b, cfg)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		s.Scan(text, Location{Field: "body"})
	}
}

func BenchmarkScanPlainText(b *testing.B) { benchScan(b, benchText(1<<20, false)) }

// BenchmarkScanUnicodeText scans the same prose as a word processor writes it: curly quotes,
// no-break spaces after commas and en dashes, so folding copies the text (see fold.go).
func BenchmarkScanUnicodeText(b *testing.B) {
	t := bytes.ReplaceAll(benchText(1<<20, false), []byte(", "), []byte(",\u00a0"))
	t = bytes.ReplaceAll(t, []byte(" the "), []byte(" \u201cthe\u201d "))
	t = bytes.ReplaceAll(t, []byte(" - "), []byte(" \u2013 "))
	benchScan(b, t)
}

// BenchmarkScanHTMLText scans HTML as extraction would hand over text (tags still present
// when a part is scanned raw); mostly it measures markup-heavy input.
func BenchmarkScanHTMLText(b *testing.B) { benchScan(b, benchText(1<<20, true)) }

// BenchmarkScanMixed alternates plain and HTML halves and uses Stream with 32 KB writes.
func BenchmarkScanMixed(b *testing.B) {
	text := append(benchText(512<<10, false), benchText(512<<10, true)...)
	s := newScanner(b, Config{})
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		st := s.NewStream(Location{Field: "body"})
		for i := 0; i < len(text); i += 32 << 10 {
			st.Write(text[i:min(i+32<<10, len(text))])
		}
		st.Findings()
	}
}
