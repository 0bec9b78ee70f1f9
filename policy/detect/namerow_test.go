package detect

import (
	"strings"
	"testing"
)

// Patient context after a name as lists, pages and case notes write it (namerow.go). Each
// case failed before the mechanism it names; the wording is the test's own.
func TestPatientContextAfterANameInListsAndPages(t *testing.T) {
	s := newScanner(t, Config{})
	for _, tc := range []struct {
		text string
		want []string
	}{
		// An age between commas.
		{"Lorraine Whitfield, 71, fell at home and broke her wrist", []string{"L******* W********/high"}},
		{"Lorraine Whitfield, 2024 volunteer of the year", []string{"L******* W********/medium"}},
		// An identifier in parentheses.
		{"Open a case for Gordon Carlsen (HP7730018821), COPD", []string{"G***** C******/high"}},
		{"Gordon Carlsen (555) 0142", []string{"G***** C******/medium"}},
		{"Gordon Carlsen (2019)", []string{"G***** C******/medium"}},
		// A possessive before a visit or a clinical term.
		{"Move Eleanor Voss's Tuesday infusion to Thursday", []string{"E****** V***'s/high"}},
		{"Eleanor Voss's retirement party is Friday", []string{"E****** V***'s/medium"}},
		// A bed on a unit.
		{"Audrey Kessler in 5W-21 is NPO after midnight", []string{"A***** K******/high"}},
		{"Audrey Kessler in 3 weeks", []string{"A***** K******/medium"}},
		// A list item whose text is clinical.
		{"Call list:\n2. Warren Albright - asthma flare, wants an earlier slot", []string{"W***** A*******/high"}},
		{"- Warren Albright: migraine follow-up", []string{"W***** A*******/high"}},
		{"2. Warren Albright - new badge photo", []string{"W***** A*******/medium"}},
		{"Thanks to Warren Albright - asthma walk lead", []string{"W***** A*******/medium"}},
		// A lone surname before a room or bed.
		{"Pemberton, 4E rm 11, MRSA in wound culture", []string{"P********/high"}},
		{"we saw Kowalczyk in 512 again", []string{"K********/high"}},
		{"Conference, rm 11", nil},
		{"Pemberton, rm", nil},
		// A greeted addressee and "your" before a clinical term, or a care word.
		{"Hi Bettina, the refund posted and your root canal balance is $0", []string{"B******/high"}},
		{"Hi Bettina, here is your good faith estimate for Tuesday", []string{"B******/high"}},
		{"Hi Bettina, your team won the asthma walk raffle", nil},
		// A given name the lists lack before a listed surname.
		{"Dear Ngozi Abernathy,\n\nThis is a reminder of your appointment", []string{"N**** A********/high"}},
		{"Ngozi Abernathy presented the budget", nil},
		// A given name (also a word) and a surname the lists lack, with patient context.
		{"Hope Adebayo-Nwosu is cleared to return to work", []string{"H*** A******-N****/high"}},
		{"Hope Adebayo-Nwosu presented the budget", nil},
	} {
		got := nameHits(t, s, tc.text)
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("%q: got %q, want %q", tc.text, got, tc.want)
		}
	}
}

// A date that starts the column after a name in a list row, far enough back, is a date
// of birth when the list is clinical; a recent date there is a visit.
func TestADateInTheColumnAfterANameIsABirthDate(t *testing.T) {
	s := scanner2026(t)
	for _, text := range []string{
		"Members due:\nOyelaran, Beatrice  06/22/1951  XK44810293  mammogram",
		"Quist, Howard\t1948-03-09\tflu shot",
		"Tamsin Everly | 11/02/1983 | prenatal visit",
	} {
		checkFindings(t, s, text, want{TypeDOB, Medium})
	}
	for _, text := range []string{
		"Oyelaran, Beatrice  06/22/2026  mammogram",   // a visit date
		"Oyelaran, Beatrice  06/22/1951  badge photo", // nothing clinical near
		"Paid 06/22/1951 mammogram",                   // no name before the column
	} {
		checkFindings(t, s, text, want{TypeDOB, 0})
	}
}

// The words that say a case is made up give one teaching_case finding each, and weigh
// nothing.
func TestFictionWordsMarkATeachingCase(t *testing.T) {
	s := newScanner(t, Config{})
	checkFindings(t, s, "This scenario is fictional; any resemblance is chance.", want{TypeTeachingCase, Medium})
	checkFindings(t, s, "A composite case, details changed.", want{TypeTeachingCase, Medium})
	checkFindings(t, s, "Pt-specific bag for bed 4", want{TypeTeachingCase, 0})
	checkFindings(t, s, "the composite endpoint was met", want{TypeTeachingCase, 0})
	checkFindings(t, s, "Unduplicated patients seen this quarter: 140", want{TypeTeachingCase, Medium})
	checkFindings(t, s, "She is a client served by our team since 2021", want{TypeTeachingCase, 0})
	if sc := Score([]Finding{{Type: TypeTeachingCase, Count: 3, Confidence: High}}); sc != 0 {
		t.Errorf("teaching_case weighs %v, want 0", sc)
	}
}

// Symptoms and wound terms staff write, from MedlinePlus's symptom pages and the NPIAP
// staging terms, are conditions.
func TestSymptomAndWoundTermsAreConditions(t *testing.T) {
	s := newScanner(t, Config{})
	for _, text := range []string{"new chest pressure on exertion", "stage 2 pressure injury on the heel",
		"she is incontinent at night", "an episode of syncope", "worse shortness of breath"} {
		checkFindings(t, s, text, want{TypeCondition, Low})
	}
}

// A part number is no SSN; a placeholder MRN or member ID is no patient's.
func TestPartNumbersAndPlaceholderIdentifiers(t *testing.T) {
	s := newScanner(t, Config{})
	for _, text := range []string{"Replaced the pump motor, P/N 402-61-7735, under warranty",
		"Part no. 402-61-7735 ships Monday", "asset 402-61-7735 returned to stock"} {
		checkFindings(t, s, text, want{TypeSSN, 0})
		fs := scanOne(t, s, text)
		if f, ok := findingOf(fs, TypeSSN); ok && f.Confidence > Low {
			t.Errorf("%q: ssn at %v", text, f.Confidence)
		}
	}
	for _, text := range []string{"MRN 0000000 on the blank form", "Member ID: ABC000000001 (sample card)",
		"MRN 7777777"} {
		fs := scanOne(t, s, text)
		for _, typ := range []string{TypeMRN, TypeMemberID} {
			if f, ok := findingOf(fs, typ); ok && f.Confidence > Low {
				t.Errorf("%q: %s at %v, want Low at most", text, typ, f.Confidence)
			}
		}
	}
	checkFindings(t, s, "MRN 0048213", want{TypeMRN, High})
	checkFindings(t, s, "Member ID: ABC004417203", want{TypeMemberID, High})
	checkFindings(t, s, "SSN 402-61-7735", want{TypeSSN, High})
}

// An SSN word earlier in the paragraph names a bare 9-digit number with no label of its
// own; a blank line, another long number or a label of its own breaks that.
func TestAnSSNWordEarlierInTheParagraph(t *testing.T) {
	s := newScanner(t, Config{})
	checkFindings(t, s, "Her social was keyed wrong at intake. We pulled the card at the 2024 visit and\n"+
		"compared it line by line with what the payer has on file for her plan; the right\nnumber is 402617735.",
		want{TypeSSN, Medium})
	for _, text := range []string{
		"Never send an SSN by mail, fax or text to anyone.\n\nOur remittance number is 402617735.",
		"The SSN field is optional. Batch 5551234567 and then 402617735 follow.",
		"The SSN field is optional. Claim # 402617735",
		"Please confirm the total, 402617735, by Friday.",
	} {
		checkFindings(t, s, text, want{TypeSSN, 0})
	}
}

// Spanish mail: accents fold to the ASCII lists, Spanish honorifics and "paciente" after a
// name are patient context, "Dra." is a clinician.
func TestSpanishPatientMail(t *testing.T) {
	s := newScanner(t, Config{})
	for _, tc := range []struct {
		text string
		want []string
	}{
		{"Le escribo por la Sra. Inés Barragán, mañana tiene su cita", []string{"I*** B*******/high"}},
		{"Soy Marisol Quintero, paciente del Dr. Ruiz", []string{"M****** Q*******/high"}},
		// The second surname, which the chain does not join, counts as a second name.
		{"mi mamá Marisol Quintero Peña, es paciente de la clínica", []string{"M****** Q*******/high", "P***/high"}},
		{"Marisol Quintero, pacientes nuevos", []string{"M****** Q*******/medium"}},
		{"la Dra. Marisol Quintero lo verá", nil},
		{"Sr. Director de Finanzas", nil},
	} {
		got := nameHits(t, s, tc.text)
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("%q: got %q, want %q", tc.text, got, tc.want)
		}
	}
	for _, text := range []string{"tengo la presión alta", "tengo dolor de cabeza", "la diálisis del lunes",
		"colecistectomía laparoscópica mañana", "sigue con el losartán"} {
		fs := scanOne(t, s, text)
		if !hasType(fs, TypeCondition) && !hasType(fs, TypeProcedure) && !hasType(fs, TypeMedication) {
			t.Errorf("%q: no clinical term found: %+v", text, fs)
		}
	}
}

// A writer or caller naming themselves: "this is <name>".
func TestThisIsANameIntroducesTheWriter(t *testing.T) {
	s := newScanner(t, Config{})
	for _, tc := range []struct {
		text string
		want []string
	}{
		{"hey its me again, this is Marlene Ostby, my refill didnt go through", []string{"M****** O****/high"}},
		{"This is Marlene Ostby calling back", []string{"M****** O****/high"}},
		{"Marlene Ostby is here", []string{"M****** O****/medium"}},
		{"Whatever this is Marlene Ostby knows", []string{"M****** O****/high"}},
		{"Thisis Marlene Ostby", []string{"M****** O****/medium"}},
	} {
		got := nameHits(t, s, tc.text)
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("%q: got %q, want %q", tc.text, got, tc.want)
		}
	}
}

// "they found <term>" is what the doctors found in the writer; "they found that <term>
// rates ..." in a study is not.
func TestTheyFoundATermIsPersonal(t *testing.T) {
	s := newScanner(t, Config{})
	checkFindings(t, s, "at the ER they found a kidney stone", want{TypePersonalHealth, Medium})
	checkFindings(t, s, "they diagnosed pneumonia on the xray", want{TypePersonalHealth, Medium})
	checkFindings(t, s, "in the trial they found that asthma visits fell", want{TypePersonalHealth, 0})
	checkFindings(t, s, "they treat asthma in the new clinic", want{TypePersonalHealth, 0})
}

// A birthday celebration's date of birth is a coworker's; a patient's stays.
func TestABirthdayCelebrationIsNoPatientsBirthDate(t *testing.T) {
	s := scanner2026(t)
	text := "Happy birthday to Deshawn from pharmacy! Born 02/09/1981, so bring candles."
	checkFindings(t, s, text, want{TypeDOB, Low})
	if f, _ := findingOf(scanOne(t, s, text), TypeDOB); f.Confidence > Low {
		t.Errorf("%q: dob at %v, want Low", text, f.Confidence)
	}
	checkFindings(t, s, "Happy birthday to our patient Mrs. Okoro, DOB 02/09/1931, on 4 West", want{TypeDOB, High})
	checkFindings(t, s, "Born 02/09/1981", want{TypeDOB, High})
	if got := nameHits(t, s, "Happy birthday to Deshawn Pruitt, born 02/09/1981!"); strings.Join(got, "|") != "D****** P*****/medium" {
		t.Errorf("the coworker's name: %q", got)
	}
}

// A lowercase full name that ends a line after a sentence is the writer signing off.
func TestALowercaseSignatureIsTheWriter(t *testing.T) {
	s := newScanner(t, Config{})
	for _, tc := range []struct {
		text string
		want []string
	}{
		{"cant come thurs, my knee is still swollen. dolores quist\r\n", []string{"d****** q****/high"}},
		{"cant come thurs\n  dolores quist\n", []string{"d****** q****/high"}},
		{"see you at the mill\n", nil},         // "mill" is also a word
		{"talk to dolores quist\n", nil},       // inside a sentence
		{"sent by dolores quist", nil},         // no line end
		{"the order went to hope mill\n", nil}, // not after a sentence end
	} {
		got := nameHits(t, s, tc.text)
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("%q: got %q, want %q", tc.text, got, tc.want)
		}
	}
	// Stream finds it when the window cuts between the name and its line end.
	text := strings.Repeat("x ", 40000) + ". dolores quist\n" + strings.Repeat("y ", 40000)
	st := s.NewStream(Location{})
	for i := 0; i < len(text); i += 997 {
		st.Write([]byte(text[i:min(i+997, len(text))]))
	}
	if f, ok := findingOf(st.Findings(), TypePersonName); !ok || f.Confidence != High {
		t.Errorf("stream: %+v", f)
	}
}
