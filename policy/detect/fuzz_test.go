package detect

import (
	"strings"
	"testing"
)

var fuzzSeeds = []string{
	"Patient: John Doe, DOB: 03/14/1962, SSN 219-45-6780. MRN: 00482913.",
	"NPI 1234567893 DEA AB1234563 MBI 1EG4-TE5-MK74 NDC 0002-7510-01 CPT 99213",
	"Dx: E11.9, I10. Card 4111 1111 1111 1111. Call (617) 555-0142.",
	"Member ID: XZW123456789. D.O.B. 14 Mar 1962. type 2 diabetes mellitus",
	"1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9",
	"(((((555) 123-4567",
	"DOB: March",
	"SSN\u00A0\uFF12\uFF11\uFF19\u2011\uFF14\uFF15\u2011\uFF16\uFF17\uFF18\uFF10 \u200Bx\xE2\x80",
	"Deborah X (September 17, 1962) is a 63-year-old; Jane (04-26-1946) dx; born 15-Jan-1973; 73 yo M, 3/4/1953",
	"SSN on the claim was wrong, the correct one is 083132114. Pt acct 44719022, Acct# 7765123 MR# 00482913",
	"MRN\u2007004829131 atrial \uFB01brillation \u2122\xF0\x9F",
}

// FuzzScan: no panics, and Stream equals Scan for any chunking (with small windows).
func FuzzScan(f *testing.F) {
	for _, s := range append(append(fuzzSeeds, nameFuzzSeeds...), "Jasmine Whitfield - no show", "pt J.M. 7/19/1988",
		"DOB 1900-01-01", "spore test came back positive", "Hollis, Everett: appeal",
		"says Albright Janelle breast core L 2, for Rosa Benitez on L&D, she delivered at noon (c section)",
		"i had my consult and my corneas are too thin for LASIK."+strings.Repeat(" ok.", 95)+"\n\nMaria Lopez\n\nSent from my iPhone",
		"Patient Last Name: OKWUOSA First: Thandeka Middle: R\nName of Participant: ZEBULON QUARTERMAINE\nPatient Name: Date of Birth:",
		"Note: Marcus Bell self-referred and is now enrolled in an outpatient program for alcohol use disorder. Meet Karen Walsh, she worked in dialysis for years.",
		"Client: Hollis Family Medicine\tmi hijo Mateo Soto (nacio el 3 de marzo de 2022)",
		"0\xc2２１９‑４５‑６７８0 00", // a stray lead byte before a rune cut by the chunking
		"By reason: CHF 5, sepsis/UTI 4, falls 2, resp 3, other 2. QC lot 44-L WBC 4.1 HGB 6.0 PLT 78",
		"Hi Ann, Pip's results came back; her creatinine is 2.4, a 14 yr old cat. Oak Animal Hospital",
		"Employee: Ana Ruiz\nDonor Ana Ruiz, DOI 10/07/2026 (chest pain); your mom finished the Keflex; he's going into a 28 day detox",
		"Student: Ivy Dunn\tMissing: Tdap; cultures positive for shigella in 2 of 9 samples, 4/11 swabs; she's getting Menopur 75 IU tonight",
		"our 9 yr old dog"+strings.Repeat(" ok.", 40)+" Patient Ivy Dunn has pneumonia",
		"  PID|1||E4022871^^^NBH^MR||OKAFOR^BENEDICT^A||19570921|M\nPID ZZTEST^ALPHA DOB 19500101 OBX A1c 7.2"+strings.Repeat(" x", 60)+" TEST^PATIENT",
		`{"name":[{"family": "Brandt", "given": ["Theo"]}], "birthDate": "1983-09-27"} mi papa tiene diabetes, Ana Ruiz (hija) 04/02/1952 (74 y.o. F)`) {
		f.Add([]byte(s), uint8(3))
	}
	s, err := New(Config{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, text []byte, chunk uint8) {
		want := s.Scan(text, Location{Field: "body"})
		s.Explain(text, Location{})
		// A subject is read after "Re:" when a name leads it: no panic, offsets inside it.
		s.Scan(text, Location{Field: FieldSubject})
		for _, m := range s.Explain(text, Location{Field: FieldSubject}) {
			if m.Offset < 0 || m.Offset > len(text) {
				t.Fatalf("subject match offset %d outside %d bytes", m.Offset, len(text))
			}
		}
		st := s.NewStream(Location{Field: "body"})
		st.window = 64 // force many cuts on small inputs
		c := int(chunk%64) + 1
		for i := 0; i < len(text); i += c {
			st.Write(text[i:min(i+c, len(text))])
		}
		got := st.Findings()
		if !st.Inexact() && !equalFindings(got, want) {
			t.Fatalf("stream %+v != scan %+v", got, want)
		}
	})
}

// FuzzValidators: no validator panics on any input, and each is consistent with its
// format (e.g. a valid SSN is 9 digits).
func FuzzValidators(f *testing.F) {
	for _, s := range []string{"219456780", "1234567893", "AB1234563", "1EG4TE5MK74", "4111111111111111", "6175550142"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, d []byte) {
		if validSSN(d) && (len(d) != 9 || !allDigits(d)) {
			t.Fatal("ssn shape")
		}
		if validNPI(d) && (len(d) != 10 || !luhn(append([]byte("80840"), d...))) {
			t.Fatal("npi not Luhn with prefix")
		}
		if validDEA(d) && len(d) != 9 {
			t.Fatal("dea shape")
		}
		if validMBI(d) && len(d) != 11 {
			t.Fatal("mbi shape")
		}
		if validCard(d) && !luhn(d) {
			t.Fatal("card not Luhn")
		}
		if len(d) >= 6 {
			validNANP(d[:3], d[3:6])
		}
		mrnShape(d)
		memberShape(d)
		mask(d)
		textualDate(d, 0)
		parseTextDate(d, 0)
		tokenBefore(d, len(d), 0)
		ageAfter(d)
		ageBefore(d)
		parenAfterName(d, min(2, len(d)), len(d)/2+1)
		var edits []foldEdit
		if ft, _ := fold(d, nil, &edits); len(ft) > 0 {
			foldMap(edits).start(len(ft) - 1)
		}
	})
}

// A stray lead byte cut off by a chunk must not swallow the first byte of
// the rune after it (found by FuzzScan): the stream finds what Scan finds
// however the text is chunked.
func TestStreamKeepsTheRuneAfterAStrayLeadByte(t *testing.T) {
	s, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	text := []byte("0\xc2２１９‑４５‑６７８0 00")
	want := s.Scan(text, Location{Field: "body"})
	if len(want) == 0 {
		t.Fatal("Scan finds nothing: the case no longer tests the stream")
	}
	for c := 1; c <= 8; c++ {
		st := s.NewStream(Location{Field: "body"})
		for i := 0; i < len(text); i += c {
			st.Write(text[i:min(i+c, len(text))])
		}
		if got := st.Findings(); !equalFindings(got, want) {
			t.Errorf("chunks of %d: stream %+v, scan %+v", c, got, want)
		}
	}
}
