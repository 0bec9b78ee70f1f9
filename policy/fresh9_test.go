package policy

import "testing"

// Writer L's fresh9 mechanisms through the whole engine with the shipped policy (our own
// wording).
func TestFresh9MechanismsThroughTheEngine(t *testing.T) {
	for _, tc := range []struct {
		name, body, want string
	}{
		// A page or triage line puts the age and sex first, then the name.
		{"age sex first", "54F Doreen Achterberg, onset 0930, CT head neg, ready for thrombectomy.", "phi-name-clinical"},
		{"age sex lower", "Heads up: 8m Theo Lindgren back with croup, sats 91%.", "phi-name-clinical"},
		// Money and counts in front of a name are not an age.
		{"money first", "The $10M Harold Grant gift funds the new stroke unit.", "default"},
		// "Pt is <name>" labels the patient as a sentence.
		{"pt is", "Need a Tigrinya interpreter Friday. Pt is Rosa Delgado, family meeting about hospice.", "phi-name-clinical"},
		{"patient is", "The patient is Joaquin Ferreira and he wants to discuss hospice with his kids.", "phi-name-clinical"},
		// "This is" before a staff member's name in a newsletter is still not a patient.
		{"staff intro", "Our new hospice liaison is Brenda Kowalczyk; she starts Monday.", "default"},
		// Lay words for an operation: an organ "out" or "removed".
		{"tonsils out", "Hi, my daughter Ava Whitlock had her tonsils out Tuesday and won't drink.", "phi"},
		// Oxygen at home is a treatment, named by a case manager without any drug word.
		{"home oxygen", "Mr. Everett Kolb is on home oxygen since discharge, so he needs a ground floor unit.", "phi-name-clinical"},
		{"gallbladder removed", "Mr. Dwight Pomeroy had his gallbladder removed last spring, no issues since.", "phi-name-clinical"},
	} {
		// "phi": any rule but the default one (a parent's message may be decided as
		// personal health before the name rule).
		if got := decideDefault(t, "update", tc.body); got != tc.want && !(tc.want == "phi" && got != "default") {
			t.Errorf("%s: rule %s, want %s", tc.name, got, tc.want)
		}
	}
}
