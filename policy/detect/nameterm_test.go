package detect

import "testing"

// Regression tests for the shapes writer M's settings (fresh10) showed. The texts are
// written for these tests in the same shapes, not copied from the corpus.

func nameConf(t *testing.T, s *Scanner, text string) Confidence {
	t.Helper()
	f, _ := findingOf(scanOne(t, s, text), TypePersonName)
	return f.Confidence
}

// A specimen label or a requisition writes the name surname first, with the specimen or
// the procedure right after it on the line.
func TestNameRightBeforeClinicalTermIsAPatient(t *testing.T) {
	s := newScanner(t, Config{})
	for _, txt := range []string{
		"cooler at the back door had a tube, label says Whitlock Darlene colonoscopy 3/14, no ice",
		"bag on the counter: Castellano Brianna mammogram R, want me to run it over?",
		"label reads Brianna Castellano dialysis, the lid was cracked",
	} {
		if c := nameConf(t, s, txt); c != High {
			t.Errorf("%q: person_name %v, want high", txt, c)
		}
	}
	for _, txt := range []string{
		"Questions? Contact Karen Walsh diabetes educator at ext 4410.",
		"Karen Walsh Diabetes Educator",
		"Karen Walsh, colonoscopy scheduling is closed Friday",
	} {
		if c := nameConf(t, s, txt); c == High {
			t.Errorf("%q: person_name high, want less (a role, a title, a new phrase)", txt)
		}
	}
}

// A pronoun that opens a clause later in the name's sentence, with a verb in the past
// tense, tells what happened to the named person.
func TestPronounClauseInNameSentenceIsAboutThePatient(t *testing.T) {
	s := newScanner(t, Config{})
	for _, txt := range []string{
		"Please cancel the 10am interpreter for Lucia Navarro on 4 West, she delivered overnight (cesarean section), baby is fine.",
		"No ride needed Tuesday for Gloria Mendez, he said she fell and she already started dialysis at the hospital.",
		"Drop Harold Ocampo from the van list, he missed dialysis again on Monday.",
		"Please cancel for Lucia Navarro, she delivered this morning (cesarean section).",
	} {
		if c := nameConf(t, s, txt); c != High {
			t.Errorf("%q: person_name %v, want high", txt, c)
		}
	}
	for _, txt := range []string{
		"Please welcome Karen Walsh to the team, she brings ten years of diabetes education experience.",
		"Meet Karen Walsh, she has worked in dialysis for twenty years.",
		"Our speaker is Karen Walsh, and she will talk about asthma in schools.",
		"Thanks to Karen Walsh, she organized the diabetes walk again this year.",
		"Karen Walsh called. She delivered the colonoscopy brochures.",
	} {
		if c := nameConf(t, s, txt); c == High {
			t.Errorf("%q: person_name high, want less (a role, not an event; or the next sentence)", txt)
		}
	}
}

// A name that begins an organisation's name is none, even under a patient-like label
// (a client list's "Client" column).
func TestNameStartingAnOrganisationIsNoPerson(t *testing.T) {
	s := newScanner(t, Config{})
	for _, txt := range []string{
		"Client: Brennan Family Medicine\tRejected: 14\tTop reason: hemolyzed",
		"Client: Ortega Pediatrics\tRejected: 3",
		"Client: Whitlock Women's\tRejected: 9",
		"Client: Navarro Ortho\tRejected: 20",
	} {
		if c := nameConf(t, s, txt); c != 0 {
			t.Errorf("%q: person_name %v, want none", txt, c)
		}
	}
	if c := nameConf(t, s, "Client: Harold Brennan\tDOB: 03/02/1961"); c != High {
		t.Errorf("a client's name: person_name %v, want high", c)
	}
}

// Birth dates written the Spanish and Portuguese way, and after "born on".
func TestRomanceAndLeadWordBirthDates(t *testing.T) {
	s := newScanner(t, Config{})
	for _, txt := range []string{
		"mi hija Valeria Ortega (nacida el 12 de agosto de 2019) necesita interprete para la cita",
		"o paciente Rafael Teixeira, nascido em 14 de fevereiro de 1975, precisa de traducao",
		"fecha de nacimiento: 3 de marzo del 2022",
		"Rafael Teixeira, born on March 3, 1950, needs a ride",
	} {
		f, ok := findingOf(scanOne(t, s, txt), TypeDOB)
		if !ok || f.Confidence < Medium {
			t.Errorf("%q: dob %+v, want a finding", txt, f)
		}
	}
	for _, txt := range []string{
		"la reunion es el 3 de marzo de 2027 a las 9",
		"el contrato vence el 14 de febrero de 2026",
	} {
		if f, ok := findingOf(scanOne(t, s, txt), TypeDOB); ok {
			t.Errorf("%q: dob %+v, want none (not a birth date)", txt, f)
		}
	}
}
