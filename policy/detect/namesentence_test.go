package detect

import "testing"

// Regression tests for the shapes writer N's settings (fresh11) showed. The texts are
// written for these tests in the same shapes, not copied from the corpus.

// A patient writing about her own care from her phone signs with her name alone, and the
// phone adds its trailer; staff sign with a role, a practice or a phone, or write about a
// patient or a talk.
func TestBareSignOffUnderFirstPersonCareIsAPatient(t *testing.T) {
	s := newScanner(t, Config{})
	for _, txt := range []string{
		"Hello, I had my eye exam on Monday and the doctor said I have early glaucoma in my right eye. Could you send my records to the new office?\r\n\r\nThanks so much\r\nMaria Lopez\r\n\r\nSent from my iPhone",
		"hi its me again, i missed my methadone dose yesterday and feel awful. can i come in early tomorrow??\n\nplease text only\n\nDenise Carter\n",
		"I'm still having chest pain since the stent and my cardiologist is out this week.\n\nDenise Carter\n\nOn Tue, Dec 1, 2026 at 9:14 AM Front Desk wrote:\n> We have you down for the 14th.",
	} {
		if c := nameConf(t, s, txt); c != High {
			t.Errorf("%q: person_name %v, want high", txt, c)
		}
	}
	for _, txt := range []string{
		"I reviewed the chart for the patient with COPD and left a note for the doctor.\n\nKaren Walsh\n",
		"I presented on diabetes at the regional meeting last week, slides attached.\n\nKaren Walsh\n",
		"I rescheduled my colonoscopy to next month, so please cover Friday.\n\nKaren Walsh\nOffice Manager, Lakeside Pediatrics\n555-0142\n",
		"The glaucoma screening flyer is attached. Let me know what you think.\n\nKaren Walsh\n",
		"I have early glaucoma in my right eye, says my doctor. Karen Walsh will cover the desk.\n\nThanks\n",
	} {
		if c := nameConf(t, s, txt); c == High {
			t.Errorf("%q: person_name high, want less (staff, a patient of hers, a talk, no first person, not a sign-off)", txt)
		}
	}
}

// A name that opens its sentence as the subject of a verb in the past tense, with a
// clinical term later in the sentence, tells what happened to that person.
func TestNameAsSubjectOfClinicalVerbIsAPatient(t *testing.T) {
	s := newScanner(t, Config{})
	for _, txt := range []string{
		"With the signed release on file: Marcus Bell entered a residential program for opioid use disorder on Monday.",
		"Denise Carter started chemotherapy in March and tolerated it well.",
		"Update for the team. Marcus Bell finally completed his last round of chemotherapy on Friday.",
	} {
		if c := nameConf(t, s, txt); c != High {
			t.Errorf("%q: person_name %v, want high", txt, c)
		}
	}
	for _, txt := range []string{
		"Karen Walsh presented on diabetes prevention at the summit.",
		"Karen Walsh worked in oncology for twelve years before joining us.",
		"Karen Walsh joined our dialysis unit last spring.",
		"Karen Walsh organized the hospice fundraiser again.",
		"Karen Walsh wrote an article about asthma for the newsletter.",
		"Thanks to Karen Walsh, who called about the chemotherapy schedule.",
		"Karen Walsh reported 12 new cases of influenza at the county this week.",
	} {
		if c := nameConf(t, s, txt); c == High {
			t.Errorf("%q: person_name high, want less (a job, a talk, not the subject)", txt)
		}
	}
}

// A pronoun clause that tells of someone's work is a staff introduction, not an event.
func TestPronounClauseOfWorkIsNoPatient(t *testing.T) {
	s := newScanner(t, Config{})
	for _, txt := range []string{
		"Meet Karen Walsh, she worked in dialysis for years.",
		"Say hello to Maria Lopez, she volunteered in oncology before nursing school.",
		"Please welcome Denise Carter, she trained in hospice for a decade and joined us Monday.",
	} {
		if c := nameConf(t, s, txt); c == High {
			t.Errorf("%q: person_name high, want less (a staff introduction)", txt)
		}
	}
	if c := nameConf(t, s, "Please cancel for Lucia Navarro, she delivered this morning (cesarean section)."); c != High {
		t.Errorf("an event after the pronoun: person_name %v, want high", c)
	}
}

// A form's name field names its person even when the shipped lists lack the name, as a
// faxed order or a consent's signature page (often OCR text) writes it; a blank form's
// field, a form's own words and other fields do not count.
func TestFormNameFieldNamesItsPerson(t *testing.T) {
	s := newScanner(t, Config{})
	for _, txt := range []string{
		"ADVANCE DIRECTIVE\nPatient Last Name: OKWUOSA First: Thandeka Middle: R\nDiagnosis: end stage renal disease\n",
		"Resident Last Name: Vaszary   First Name: Imrich\n",
		"Name of Participant: ZEBULON QUARTERMAINE\nStudy: asthma biologic, visit 3\n",
		"Patient Name: Okwuosa, Thandeka\n",
	} {
		if c := nameConf(t, s, txt); c != High {
			t.Errorf("%q: person_name %v, want high", txt, c)
		}
	}
	for _, txt := range []string{
		"Patient Last Name: ____________ First: ____________\nDate of Birth: __/__/____\n",
		"Patient Name: Date of Birth: Sex:\n",
		"Product Name: Vascular Closure Device\n",
		"Company Name: Quartermaine Holdings\n",
		"Last Name: Unknown First: Unknown\n",
	} {
		if c := nameConf(t, s, txt); c == High {
			t.Errorf("%q: person_name high, want less (a blank field, a form's words, not a person's field)", txt)
		}
	}
}
