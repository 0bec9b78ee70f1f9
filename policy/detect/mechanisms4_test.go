package detect

import "testing"

// Mechanisms added after writer G's fresh4 slice; the wording is ours, not the corpus's.

// A "q" schedule needs an interval unit: "Q4 2025" on a dashboard is a quarter.
func TestQuarterIsNoDosingSchedule(t *testing.T) {
	s := scanner2026(t)
	for _, text := range []string{
		"DTaP 4 doses by age 2, cohort born Q4 2024, 300 of 410 complete",
		"Hepatitis A vaccine 2 doses, Q2 2025 births: 61%",
	} {
		checkFindings(t, s, text, want{TypePersonalHealth, 0})
	}
	for _, text := range []string{
		"hydromorphone 0.5 mg IV q3h prn pain",
		"ondansetron 4 mg q6-8h as needed",
		"ceftriaxone 1 g IV q24 hrs",
	} {
		checkFindings(t, s, text, want{TypePersonalHealth, Medium})
	}
}

// Running out of a drug is about the person who takes it.
func TestOutOfAMedicationIsPersonal(t *testing.T) {
	s := scanner2026(t)
	for _, text := range []string{
		"he's out of the lisinopril since Sunday",
		"I ran out of my sertraline and the pharmacy is closed",
	} {
		checkFindings(t, s, text, want{TypePersonalHealth, Medium})
	}
	checkFindings(t, s, "The wholesaler is out of amoxicillin suspension until March.", want{TypePersonalHealth, 0})
}

// A text that says its cases are de-identified is about nobody in particular.
func TestDeidentifiedCasesAreNobody(t *testing.T) {
	s := scanner2026(t)
	checkFindings(t, s, "Cases are de-identified for the conference. Case 1: 62M s/p Whipple, pancreatic cancer.",
		want{TypeTeachingCase, Medium})
	checkFindings(t, s, "Please send the de-identified file, not this one.", want{TypeTeachingCase, 0})
}

// The BIN, PCN and group number of a pharmacy card are the plan's, printed on every
// member's card: not a member ID even under a member column.
func TestPlanRoutingNumbersAreNoMemberID(t *testing.T) {
	s := scanner2026(t)
	for _, text := range []string{
		"Member: RxBIN / RxGrp\tPAT Q EXAMPLE: 004336",
		"Member cards carry RxBIN 004336 and RxPCN ADV",
		"Member plan info - PCN 9999 RxGrp 771204",
		"Member cards: Group # 558213",
	} {
		checkFindings(t, s, text, want{TypeMemberID, 0})
	}
	checkFindings(t, s, "Member: Member ID\tMember: W77120455", want{TypeMemberID, High})
	// A bin is also a box: the SSN label before it still names the number.
	checkFindings(t, s, "SSN from the intake in the shred bin: 512-48-3901", want{TypeSSN, Medium})
}

// A clinician's title written without its dot ("Dr Okafor", "NP Lindqvist", "MA Reyes")
// starts a name that is not a patient's, even next to a room.
func TestTitleWithoutDotMarksAClinician(t *testing.T) {
	s := scanner2026(t)
	for _, text := range []string{
		"9:00-11:00  Rm 3 Dr Okafor / MA Reyes",
		"Exam room 4: NP Lindqvist, flu clinic",
		"Bed 2 RN Whitaker covering",
	} {
		if f, ok := findingOf(scanOne(t, s, text), TypePersonName); ok && f.Confidence == High {
			t.Errorf("%q: %+v", text, f)
		}
	}
	// A patient label still names a patient: "Pt Jones" is not a title.
	checkFindings(t, s, "Rm 3 Pt Margaret Okafor, chest pain", want{TypePersonName, High})
}

// "Happy 50th birthday" is a celebration like "happy birthday".
func TestOrdinalBirthdayIsACelebration(t *testing.T) {
	s := scanner2026(t)
	for _, text := range []string{
		"Happy 50th birthday to our scheduler Lorraine (born 02/03/1976)! Cupcakes at 3.",
		"Happy belated birthday, Tom - born 6/1/1980 and still the fastest typist here.",
	} {
		if f, ok := findingOf(scanOne(t, s, text), TypeDOB); !ok || f.Confidence != Low {
			t.Errorf("%q: want a Low dob, got %+v", text, f)
		}
	}
	checkFindings(t, s, "Pt Lorraine Vance, DOB 02/03/1976, happy 50th birthday card on the chart",
		want{TypeDOB, High})
}

// An identifier on the same line as a test-record marker ("test patient", ZZTEST) belongs
// to a record in a test or training system: it is not a finding at all (a test plan's
// list of them once added up to a PHI score).
func TestTestPatientIdentifiersAreNoFindings(t *testing.T) {
	s := scanner2026(t)
	for _, text := range []string{
		"Repro steps: open test patient ZZTEST, ONCOLOGY (MRN 88100042, DOB 03/03/2003) and print.",
		"PID|1||77120033^^^MAIN^MR||ZZTEST^CARDIO||19750505|M",
		"Use test pt TRAINING, ADULT MRN 5500123 for the demo",
	} {
		fs := scanOne(t, s, text)
		for _, typ := range []string{TypeMRN, TypeDOB} {
			if f, ok := findingOf(fs, typ); ok {
				t.Errorf("%q: %s %+v", text, typ, f)
			}
		}
	}
	// With a site MRN regex too: the built-in test-record MRN keeps its span, so
	// the regex does not count it either.
	site := newScanner(t, Config{MRNPatterns: []string{`\b\d{8}\b`}})
	if f, ok := findingOf(scanOne(t, site, "Repro steps: open test patient ZZTEST, ONCOLOGY (MRN 88100042, DOB 03/03/2003) and print."), TypeMRN); ok {
		t.Errorf("test record with a site MRN regex: mrn %+v", f)
	}
	// A patient who had a test is no test patient.
	checkFindings(t, s, "Rapid strep test patient in bay 3, Ana Ruiz MRN 66120045, needs amoxicillin",
		want{TypeMRN, High})
	// The marker's line only: a real patient on the next line keeps her MRN.
	checkFindings(t, s, "Tested with ZZTEST, ONE.\nReal issue seen on Maria Lopez MRN 66120045 today.",
		want{TypeMRN, High})
}

// A name followed by a test that showed a diagnosis is a patient: "Ann Lee, CT showed a
// pulmonary embolism".
func TestNameThenFindingShownIsAPatient(t *testing.T) {
	s := scanner2026(t)
	for _, text := range []string{
		"Called the floor about Dolores Whitfield, biopsy showed squamous cell carcinoma.",
		"Kenneth Abernathy - echo reveals cardiomyopathy, EF 30",
	} {
		checkFindings(t, s, text, want{TypePersonName, High})
	}
	for _, text := range []string{
		"Thanks to Dolores Whitfield, whose survey showed that diabetes education works.",
		"Kenneth Abernathy shows asthma educators how to teach spacer use.",
	} {
		checkFindings(t, s, text, want{TypePersonName, Medium})
		if f, _ := findingOf(scanOne(t, s, text), TypePersonName); f.Confidence == High {
			t.Errorf("%q: %+v", text, f)
		}
	}
}

// An infant's age in days, weeks or months after a name is an age like "63-year-old".
func TestInfantAgeAfterANameIsPatientContext(t *testing.T) {
	s := scanner2026(t)
	for _, text := range []string{
		"Saw Olivia Brandt (the 6 week old) for reflux follow-up",
		"Marcus Tillman, 18 month old, here for his well visit",
	} {
		checkFindings(t, s, text, want{TypePersonName, High})
	}
	checkFindings(t, s, "Thanks Olivia Brandt for the 6 week training plan", want{TypePersonName, Medium})
}

// An Outlook recall repeats the recalled subject after "Recall:": a name leading it is
// labelled as after "Re:".
func TestRecallSubjectLabelsTheName(t *testing.T) {
	s := scanner2026(t)
	subj := Location{Field: FieldSubject}
	if f, ok := findingOf(s.Scan([]byte("Recall: Pruitt, Eleanor 512 - troponin up, cards paged"), subj), TypePersonName); !ok || f.Confidence < High {
		t.Errorf("recall subject: %+v", f)
	}
	if f, ok := findingOf(s.Scan([]byte("Recall: Holiday Schedule - Dec"), subj), TypePersonName); ok && f.Confidence == High {
		t.Errorf("recall of a schedule: %+v", f)
	}
}

// Vocabulary clinicians write in pages and notes: a neutrophil count with its value, fever,
// tongue-tie and its release.
func TestPageVocabulary(t *testing.T) {
	s := scanner2026(t)
	checkFindings(t, s, "pt febrile overnight, ANC 0.4 this am", want{TypePersonalHealth, Medium})
	checkFindings(t, s, "Rosa Delgado has a fever", want{TypeCondition, Low})
	checkFindings(t, s, "baby has an anterior tongue-tie", want{TypeCondition, Low})
	checkFindings(t, s, "frenotomy booked for Friday", want{TypeProcedure, Low})
}
