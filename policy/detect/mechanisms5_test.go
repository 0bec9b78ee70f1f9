package detect

import "testing"

// Mechanisms added while tuning on writer H's fresh5 slice (occupational health, EMS,
// long-term care, veterinary look-alikes); the wording is ours, not the corpus's.

// nameConfIn returns the highest person_name confidence found in text (0 if none).
func nameConfIn(t *testing.T, s *Scanner, text string) Confidence {
	t.Helper()
	f, _ := findingOf(scanOne(t, s, text), TypePersonName)
	return f.Confidence
}

// Occupational health names its patient by role: the donor of a drug or alcohol test,
// the employee on a hearing or injury record (also a CSV column rendered "Employee: ..."),
// a comp claimant.
func TestOccupationalRoleLabelsNameThePatient(t *testing.T) {
	s := scanner2026(t)
	for _, text := range []string{
		"Employee: Rosa Delgado   Dept: Receiving",
		"Donor: Peter Vance, reason: random, collected 10/02",
		"Claimant: Alan Fischer, right wrist",
		"Donor Peter Vance, yard driver, reasonable-suspicion test",
	} {
		if c := nameConfIn(t, s, text); c != High {
			t.Errorf("%q: person_name %v, want high", text, c)
		}
	}
	// A donor in the middle of a sentence is a gift's, not a test's.
	if c := nameConfIn(t, s, "Many thanks to our donor Peter Vance for the new wing."); c == High {
		t.Errorf("a donor of a gift was rated high")
	}
}

// A comp claim's date of injury after a name says the name is the injured worker's.
func TestInjuryDateAfterANameIsPatientContext(t *testing.T) {
	s := scanner2026(t)
	for _, text := range []string{
		"Restrictions for Carla Benson, DOI 09/14/2026, claim 55-1029.",
		"Carla Benson, date of injury 9/14, remains off work.",
	} {
		if c := nameConfIn(t, s, text); c != High {
			t.Errorf("%q: person_name %v, want high", text, c)
		}
	}
}

// A complaint in parentheses right after a name is the patient's; a department is not.
func TestComplaintInParenthesesAfterAName(t *testing.T) {
	s := scanner2026(t)
	if c := nameConfIn(t, s, "Gave 4 mg ondansetron to Helen Prescott (pneumonia, run 4471) en route."); c != High {
		t.Errorf("name before a parenthesised diagnosis: %v, want high", c)
	}
	if c := nameConfIn(t, s, "Helen Prescott (Finance) will join the call."); c == High {
		t.Errorf("name before a parenthesised department was rated high")
	}
}

// A state Medicaid ID is the plan's member ID.
func TestMedicaidIDIsAMemberID(t *testing.T) {
	s := scanner2026(t)
	checkFindings(t, s, "Medicaid ID 30917745128 denied the trip for a missing form.", want{TypeMemberID, High})
	checkFindings(t, s, "Medicaid expansion added 30917 members this year.", want{TypeMemberID, 0})
}

// Terms EMS, occupational-health and nursing-home staff write.
func TestFieldVocabulary(t *testing.T) {
	s := scanner2026(t)
	for _, tc := range []struct{ text, typ string }{
		{"bystander CPR for six minutes", TypeProcedure},
		{"a 3 cm laceration over the brow", TypeCondition},
		{"ROSC after the second shock", TypeCondition},
		{"the breath alcohol test at the terminal", TypeProcedure},
		{"a pre-placement drug screen", TypeProcedure},
		{"an unwitnessed fall in the dining room", TypeCondition},
		{"update the fall risk assessment", TypeProcedure},
		{"a month of alcohol rehab", TypeProcedure},
		{"the family agreed to a hospice evaluation", TypeProcedure},
	} {
		checkFindings(t, s, tc.text, want{tc.typ, Low})
	}
}

// A relative named by a possessive stands where "she" or "he" would.
func TestARelativeIsAPerson(t *testing.T) {
	s := scanner2026(t)
	for _, text := range []string{
		"Your father completed the Keflex for the cellulitis on Friday.",
		"My husband has CHF and a pacemaker check next week.",
	} {
		checkFindings(t, s, text, want{TypePersonalHealth, Medium})
	}
	checkFindings(t, s, "Your mom called about the diabetes class schedule.", want{TypePersonalHealth, 0})
}

// A length of stay between the subject and the treatment does not break the statement.
func TestALengthOfStayKeepsTheSubject(t *testing.T) {
	s := scanner2026(t)
	checkFindings(t, s, "She is entering a 14 day detox on Monday.", want{TypePersonalHealth, Medium})
	checkFindings(t, s, "We run a 28 day alcohol rehab for county referrals.", want{TypePersonalHealth, 0})
}

// A clinical term that names a place or a business is no one's health.
func TestATermNamingAPlaceIsNotPersonal(t *testing.T) {
	s := scanner2026(t)
	checkFindings(t, s, "I'm phoning the 2 dialysis centers about standing orders.", want{TypePersonalHealth, 0})
	checkFindings(t, s, "I'm on dialysis three times a week now.", want{TypePersonalHealth, High})
}

// What the writer says of their own health is High; of someone else, Medium. Both weigh
// the same in Score.
func TestTheWritersOwnHealthIsHigh(t *testing.T) {
	s := scanner2026(t)
	mine := scanOne(t, s, "I was diagnosed with epilepsy in college.")
	theirs := scanOne(t, s, "She was diagnosed with epilepsy in college.")
	if f, _ := findingOf(mine, TypePersonalHealth); f.Confidence != High {
		t.Errorf("first person: %v, want high", f.Confidence)
	}
	if f, _ := findingOf(theirs, TypePersonalHealth); f.Confidence != Medium {
		t.Errorf("third person: %v, want medium", f.Confidence)
	}
	if a, b := Score(mine), Score(theirs); a != b {
		t.Errorf("scores differ: first person %.2f, third person %.2f", a, b)
	}
}

// Readings on a quality-control line are control material's.
func TestQualityControlReadingsAreNobodys(t *testing.T) {
	s := scanner2026(t)
	checkFindings(t, s, "QC lot 8812 level 2: WBC 6.8 HGB 12.9 PLT 240 in range", want{TypePersonalHealth, 0})
	checkFindings(t, s, "Calibration run 3: potassium 4.1 sodium 139 accepted", want{TypePersonalHealth, 0})
	checkFindings(t, s, "Labs this morning: WBC 6.8 HGB 12.9 PLT 240", want{TypePersonalHealth, Medium})
}

// A list of counts by reason is a report, not vital signs.
func TestCountsByReasonAreNoVitals(t *testing.T) {
	s := scanner2026(t)
	checkFindings(t, s, "Transfers by reason: pneumonia 6, sepsis 3, resp 2, other 1.", want{TypePersonalHealth, 0})
	checkFindings(t, s, "Vitals: BP 100/60, HR 54, RR 10", want{TypePersonalHealth, Medium})
	checkFindings(t, s, "Wt 82, HR 70", want{TypePersonalHealth, Medium})
}

// Veterinary markers: a clinic, a credential, a signalment with an age (near a clinical
// word: mechanisms6_test.go); not slang or a human tooth.
func TestVeterinaryMarkers(t *testing.T) {
	s := scanner2026(t)
	for _, text := range []string{
		"Riverbend Animal Hospital | front desk",
		"Dr. Lena Ames, DVM",
		"Pepper is a 9 yr old dog with vomiting since Sunday",
		"a 3-year-old cat, spayed, due for a dental cleaning",
	} {
		checkFindings(t, s, text, want{TypeAnimalPatient, Medium})
	}
	for _, text := range []string{
		"yo dog, lunch at noon?",
		"canine tooth extraction scheduled",
		"PET scan of the chest on Friday",
	} {
		checkFindings(t, s, text, want{TypeAnimalPatient, 0})
	}
}
