package detect

import (
	"strings"
	"testing"
)

// Mechanisms added while tuning on writer I's fresh6 slice (telehealth and portal mail,
// public health and school nursing, legal and records release, OB, fertility and
// genetics); the wording is ours, not the corpus's.

// A school nurse's or a camp's list names its patient by role, as a body table's header
// labels each cell ("Student: ...").
func TestSchoolRoleLabelsNameThePatient(t *testing.T) {
	s := scanner2026(t)
	for _, text := range []string{
		"Student: Owen Marsh\tGrade: 5\tMissing: MMR",
		"Pupil: Grace Holloway, inhaler kept in the office",
		"Camper: Lucas Brennan  Cabin: Foxes",
	} {
		if c := nameConfIn(t, s, text); c != High {
			t.Errorf("%q: person_name %v, want high", text, c)
		}
	}
	// Without the colon a student is a word in a sentence.
	if c := nameConfIn(t, s, "Our student Owen Marsh won the science fair."); c == High {
		t.Errorf("a student in a sentence was rated high")
	}
}

// A result stated for a share of a group ("in 4 of 6 samples", "9 of 30 tested
// positive") is an outbreak's or a screening's tally, about no one person.
func TestAResultInATallyIsNoOnesHealth(t *testing.T) {
	s := scanner2026(t)
	for _, text := range []string{
		"Cultures were positive for salmonella in 4 of 6 samples from the picnic.",
		"At the shelter 9 of 30 residents tested positive last week.",
		"Swabs came back positive in 5/12 swabs collected Friday.",
	} {
		checkFindings(t, s, text, want{TypePersonalHealth, 0})
	}
	for _, text := range []string{
		"Her culture was positive for salmonella on 3/4.",
		"He tested positive on Friday and stays home 5 days.",
	} {
		checkFindings(t, s, text, want{TypePersonalHealth, Medium})
	}
}

// Words staff and patients write about treatment, tests and symptoms.
func TestFresh6Vocabulary(t *testing.T) {
	s := scanner2026(t)
	for _, tc := range []struct{ text, typ string }{
		{"records from the county opioid treatment program", TypeProcedure},
		{"routine bloodwork before the visit", TypeProcedure},
		{"start Follistim on day 3", TypeMedication},
		{"a pounding headache since lunch", TypeCondition},
		{"two days of vomiting", TypeCondition},
		{"a red, painful breast, maybe mastitis", TypeCondition},
	} {
		checkFindings(t, s, tc.text, want{tc.typ, Low})
	}
}

// What a person is getting, receiving or undergoing is their own care; the writer's own
// bloodwork is the writer's.
func TestGettingATreatmentIsPersonal(t *testing.T) {
	s := scanner2026(t)
	for _, text := range []string{
		"He's getting a knee replacement in March.",
		"She is receiving chemotherapy at the cancer center.",
	} {
		checkFindings(t, s, text, want{TypePersonalHealth, Medium})
	}
	checkFindings(t, s, "Just got my bloodwork done this morning.", want{TypePersonalHealth, High})
	checkFindings(t, s, "We are getting the chemotherapy chairs replaced.", want{TypePersonalHealth, 0})
}

// A dose for tonight or bedtime is an instruction to one person; a price list is not.
func TestTonightsDoseIsPersonal(t *testing.T) {
	s := scanner2026(t)
	checkFindings(t, s, "Take Menopur 150 IU tonight as before.", want{TypePersonalHealth, Medium})
	checkFindings(t, s, "Then trazodone 50 mg at bedtime.", want{TypePersonalHealth, Medium})
	checkFindings(t, s, "Menopur 75 IU vials, case of 10: $890", want{TypePersonalHealth, 0})
}

// A pet's signalment counts as veterinary context only where clinical words sit near it:
// a pet mentioned in passing, far from a person's care, does not set that care aside. A
// practice's name or a DVM still marks the whole message.
func TestASignalmentFarFromCareIsNoVeterinaryContext(t *testing.T) {
	s := scanner2026(t)
	aside := "Sorry for the late reply, our 12 yr old dog kept me up all night." + strings.Repeat(" Talk soon.", 16)
	checkFindings(t, s, aside, want{TypeAnimalPatient, 0})
	checkFindings(t, s, "Our 12 yr old dog has diabetes and needs insulin.", want{TypeAnimalPatient, Medium})
	checkFindings(t, s, "Maple Ridge Animal Hospital, front desk", want{TypeAnimalPatient, Medium})
}
