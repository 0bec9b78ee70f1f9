package detect

import "testing"

// Writers AD-AI (fresh27-32) were scored once and then tuned on. Their rule false alarms
// were a blank handout, a route sheet, a grower's question, a clinic's quality numbers, a
// supplier's customer account and a test plan's synthetic patients; these are the shapes.

// A form's empty field, a statistic over a group, a county road, and a question about
// whoever tested positive are no statement about one person's health.
func TestPersonalHealthSetsAsideFormsAggregatesRoadsAndQuestions(t *testing.T) {
	s := scanner2026(t)
	for _, text := range []string{
		"My goal INR: ______ to ______\n\nMy pharmacist: ______________",
		"Why I take warfarin:\n_________________",
		"Q1 numbers attached. Median A1c 8.2 overall, teens still at 8.6. CGM use 89%.",
		"Clinic mean INR 2.6 for the quarter, time in range 68%.",
		"Sitio: Campo Los Pinos\tDireccion / referencia: CR 380 junto al canal\tHora llegada: 06:00",
		"Can you send us the list of our guys who got the TB test on the 8th and who was positive? We want it for the file.",
	} {
		if f, ok := findingOf(scanOne(t, s, text), TypePersonalHealth); ok {
			t.Errorf("%q: personal_health %+v", text, f)
		}
	}
	// The same words about one person still are.
	for _, text := range []string{
		"My goal INR is 2.5 and I was at 4.1 yesterday",
		"Her INR was 4.2 today, holding warfarin tonight",
		"Cr 1.9 today, up from 1.2",
		"Mr. Alvarez, who was positive for TB in March, starts RIPE today.",
	} {
		if _, ok := findingOf(scanOne(t, s, text), TypePersonalHealth); !ok {
			t.Errorf("%q: no personal_health finding", text)
		}
	}
}

// A supplier writing about its customer's account is not a patient's account; a coder's
// account next to the discharge summary is.
func TestAccountOfACustomerIsNotAPatients(t *testing.T) {
	s := scanner2026(t)
	if f, ok := findingOf(scanOne(t, s, "Dear Valued Customer,\n\nOur records show your facility (account 30042) received PT test strips, lot 58221; your last visit from our rep was in May."), TypePatientAccount); ok {
		t.Errorf("customer account: patient_account %+v", f)
	}
	checkFindings(t, s, "Hi Jae, acct 4100872235. Dr. Feld wrote urosepsis in the DC summary again, nothing else says sepsis.",
		want{TypePatientAccount, Medium})
}

// A name with a record or case number and a dash before clinical words is a row of a
// census or a hearing docket; a year there is a talk on an agenda.
func TestNameWithACaseNumberBeforeClinicalWordsIsAPatient(t *testing.T) {
	s := scanner2026(t)
	for _, text := range []string{
		"9:00  Noor Haddad, 27-MH-00397 - medication over objection (olanzapine)",
		"Maria Lopez, 4471203 - CHF exacerbation",
	} {
		if f, ok := findingOf(scanOne(t, s, text), TypePersonName); !ok || f.Confidence != High {
			t.Errorf("%q: person_name %+v, want high", text, f)
		}
	}
	for _, text := range []string{
		"Maria Lopez, 2026 - heart failure update",
		"9:00  Maria Lopez - Advances in heart failure",
	} {
		if f, ok := findingOf(scanOne(t, s, text), TypePersonName); ok && f.Confidence == High {
			t.Errorf("%q: person_name high", text)
		}
	}
}

// A result read out to the reader is the recipient's own health, as "my" is the
// sender's: High.
func TestAReadingReadOutToTheReaderIsTheirOwn(t *testing.T) {
	s := scanner2026(t)
	for _, text := range []string{
		"Hi Tom, your results came back. Your potassium is 6.1 and you have early kidney disease.",
		"Your A1c is 7.9 (up from 7.1 in May)",
	} {
		if f, ok := findingOf(scanOne(t, s, text), TypePersonalHealth); !ok || f.Confidence != High {
			t.Errorf("%q: personal_health %+v, want high", text, f)
		}
	}
	if f, ok := findingOf(scanOne(t, s, "Her potassium is 6.1 this morning"), TypePersonalHealth); !ok || f.Confidence != Medium {
		t.Errorf("third person: personal_health %+v, want medium", f)
	}
}

// fresh33-38 (writers AJ-AO) were tuned on after they were scored: a blank health
// history form's checkbox options and a quiz whose scenarios are made up.
func TestFormOptionsAndMadeUpScenariosAreNobodys(t *testing.T) {
	s := scanner2026(t)
	form := "Health conditions (check all that apply)\n[ ] Alzheimer's / dementia   [ ] Stroke   [ ] Parkinson's   ☐ Diabetes   □ COPD"
	for _, typ := range []string{TypeCondition, TypePersonalHealth} {
		if f, ok := findingOf(scanOne(t, s, form), typ); ok {
			t.Errorf("blank form options: %s %+v", typ, f)
		}
	}
	if _, ok := findingOf(scanOne(t, s, "Health conditions: [x] Stroke [ ] Diabetes"), TypeCondition); !ok {
		t.Error("a ticked box is an answer: no condition finding")
	}
	checkFindings(t, s, "Before Friday, classify each scenario. All scenarios are made up.\n2. Mr. Sample says his plan denied his knee brace.",
		want{TypeTeachingCase, Medium})
}
