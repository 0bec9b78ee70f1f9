package detect

import "testing"

// Mechanisms added while tuning on writer J's fresh7 slice (HL7 and FHIR interface mail,
// Spanish and bilingual mail, dialysis and transplant, home medical equipment); the
// wording is ours, not the corpus's.

// A PID segment in an engine log or a ticket has no label words: the field position says
// PID-3 is the MRN, PID-5 the name and PID-7 the birth date, even when the segment is
// indented under a log line and extraction did not see it as HL7.
func TestAPIDSegmentIsReadByFieldPosition(t *testing.T) {
	s := scanner2026(t)
	text := "07:14:02 WARN [ADT_IN] rejected, unknown location\n" +
		"    PID|1||Q7719203^^^MERCY^MR||LINDQVIST^MARTA^E||19610314|F\n"
	checkFindings(t, s, text, want{TypeMRN, High}, want{TypePersonName, High}, want{TypeDOB, High})
	// A field that is not a date, a name with digits, or a segment cut short is nothing.
	checkFindings(t, s, "PID|1||Q7719203^^^MERCY^MR||R2D2^UNIT||notadate|F", want{TypeDOB, 0}, want{TypeMRN, 0})
	checkFindings(t, s, "PID|1||Q7719203", want{TypeMRN, 0})
	// "RAPID|" is no PID segment.
	checkFindings(t, s, "RAPID|1||Q7719203^^^MERCY^MR||LINDQVIST^MARTA||19610314", want{TypeDOB, 0})
}

// Vendor sandboxes and training handouts use patients that say they are nobody: a line
// holding ZZTEST^..., TEST^PATIENT or the spec's DOE^JANE is a test record, in ER7 form
// or as extraction labels it ("patient name DOE JANE"). Its name and health statements
// drop; its identifiers are Low.
func TestHL7TestPatientsAreNobody(t *testing.T) {
	s := scanner2026(t)
	for _, text := range []string{
		"PID|1||884120^^^LAB^MR||ZZTEST^FOXTROT||19720505|M",
		"msg 7  PID TEST^PATIENT^THREE DOB 19640812 OBX A1c 8.1 accepted",
		"PID|1||552281^^^NBH^MR||DOE^JOHN^A||19820202|M",
		"PID 1  MRN 552281 NBH MR  patient name DOE JANE A  DOB 19820202 F",
	} {
		fs := scanOne(t, s, text)
		for _, f := range fs {
			if f.Type == TypePersonName || f.Type == TypePersonalHealth || (identityTypes[f.Type] && f.Confidence > Low) {
				t.Errorf("%q: %s at %v in a test record", text, f.Type, f.Confidence)
			}
		}
	}
	// A real patient on the next line is still found.
	text := "PID|1||884120^^^LAB^MR||ZZTEST^FOXTROT||19720505|M\nPID|1||771203^^^LAB^MR||BERGSTROM^ALMA||19480117|F"
	checkFindings(t, s, text, want{TypeDOB, High}, want{TypePersonName, High})
}

// Spanish labels for the identifiers a clinic asks for: the Medi-Cal or member number,
// the social security number, the chart number.
func TestSpanishIdentifierLabels(t *testing.T) {
	s := scanner2026(t)
	checkFindings(t, s, "ya tengo Medi-Cal, el numero es 73310462C", want{TypeMemberID, High})
	checkFindings(t, s, "su número de afiliado: 88402117", want{TypeMemberID, High})
	checkFindings(t, s, "número de seguro social 412 58 7736", want{TypeSSN, High})
	checkFindings(t, s, "número de expediente 4471208", want{TypeMRN, High})
}

// Spanish health statements read like English ones: "mi" is "my", "yo" and "ella" with a
// verb of having, a relative after "mi", and a span of weeks between ("tiene 20 semanas
// de embarazo"). "su" is also "your" and "their", as a flyer writes, and stays general.
func TestSpanishHealthStatements(t *testing.T) {
	s := scanner2026(t)
	for _, text := range []string{
		"Ella tiene 19 semanas de embarazo y esta preocupada.",
		"Mi papa tiene insuficiencia renal desde el verano.",
		"Yo tengo diabetes y se me acabo la insulina.",
	} {
		checkFindings(t, s, text, want{TypePersonalHealth, Medium})
	}
	for _, text := range []string{
		"Controle su diabetes: clases gratis los martes.",
		"Charla sobre embarazo saludable en la biblioteca.",
	} {
		checkFindings(t, s, text, want{TypePersonalHealth, 0})
	}
}

// A phone drops apostrophes: "hes on hospice" is "he's on hospice".
func TestHesWithoutApostropheIsAPerson(t *testing.T) {
	s := scanner2026(t)
	checkFindings(t, s, "dropped the tanks off, hes on hospice now", want{TypePersonalHealth, Medium})
	checkFindings(t, s, "our hospice volunteers meet Thursday", want{TypePersonalHealth, 0})
}

// A relative or caregiver written with their role in parentheses is a patient's contact:
// HIPAA counts a relative's name among the patient's identifiers.
func TestARelativeInParenthesesIsAPatientsContact(t *testing.T) {
	s := scanner2026(t)
	for _, text := range []string{
		"Signed for by: Janet Whitaker (daughter)",
		"contacto: Rosa Medina (esposa)",
		"Call Paul Brenner (POA) before changing the order",
	} {
		if c := nameConfIn(t, s, text); c != High {
			t.Errorf("%q: person_name %v, want high", text, c)
		}
	}
	if c := nameConfIn(t, s, "Janet Whitaker (Finance) approved the order"); c == High {
		t.Errorf("a department in parentheses made the name a patient's")
	}
}

// Spanish "don" and "doña" before a listed given name are honorifics, as "Mr." is;
// "Don" capitalised is an English given name.
func TestSpanishDonIsAnHonorific(t *testing.T) {
	s := scanner2026(t)
	if c := nameConfIn(t, s, "hablé con don Ramiro Fuentes ayer"); c != High {
		t.Errorf("don before a name: person_name %v, want high", c)
	}
	if c := nameConfIn(t, s, "Don Ramiro Fuentes sent the invoice"); c == High {
		t.Errorf("Don as a given name was rated high")
	}
}

// Words from fresh7's settings: dialysis, home care and Spanish clinical mail.
func TestFresh7Vocabulary(t *testing.T) {
	s := scanner2026(t)
	for _, tc := range []struct{ text, typ string }{
		{"looks like peritonitis again", TypeCondition},
		{"the fluid cell count came back high", TypeProcedure},
		{"enrolled in hospice last week", TypeProcedure},
		{"tuvo sangrado anoche", TypeCondition},
		{"a veces pienso en quitarme la vida", TypeCondition},
		{"cita para el papanicolaou", TypeProcedure},
	} {
		checkFindings(t, s, tc.text, want{tc.typ, Low})
	}
}

// A FHIR HumanName pasted into mail is a person's name by its fields, whatever the words
// around it; a test patient's is not.
func TestAFHIRHumanNameIsAPerson(t *testing.T) {
	s := scanner2026(t)
	if c := nameConfIn(t, s, `{"resourceType":"Patient","name":[{"family": "Sorensen", "given": ["Ingrid","M"]}]}`); c != High {
		t.Errorf("FHIR name: person_name %v, want high", c)
	}
	if c := nameConfIn(t, s, `"name":[{"family":"ZZTEST","given":["Echo"]}]`); c == High {
		t.Errorf("a FHIR test patient was rated high")
	}
	if c := nameConfIn(t, s, `"family": "12345", "given": "x"`); c != 0 {
		t.Errorf("a FHIR name field without a name gave %v", c)
	}
}

// A chart banner writes the age in parentheses after the birth date: the age fits the
// year, so the date is a birth date without a label, even when a photo's OCR garbles
// "y.o." An anniversary in words is not an age.
func TestAnAgeInParenthesesAfterADateMakesItABirthDate(t *testing.T) {
	s := scanner2026(t)
	for _, text := range []string{
		"HALVORSEN, INGE   07/19/1950 (76 y.o. M)",
		"chart shows 3/30/1981 (45y) on the banner",
		"garbled: 11/02/1944, (82 y-0- F)",
	} {
		checkFindings(t, s, text, want{TypeDOB, High})
	}
	checkFindings(t, s, "Opened 05/01/1976 (50 years of service to the valley)", want{TypeDOB, 0})
	checkFindings(t, s, "Meeting 05/01/2026 (3 y backlog)", want{TypeDOB, 0})
}
