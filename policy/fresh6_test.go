package policy

import "testing"

// Writer I's fresh6 mechanisms through the whole engine with the shipped policy (our own
// wording; the detector tests are in detect/mechanisms6_test.go).
func TestFresh6MechanismsThroughTheEngine(t *testing.T) {
	for _, tc := range []struct {
		name, body, want string
	}{
		// A school list typed as a table: the header "Student" labels each name below it.
		{"school table", "Hi all,\r\n\r\nStill missing shots:\r\n\r\nStudent\tGrade\tMissing\tNote\r\n" +
			"Owen Marsh\t5\tMMR\tparent says done\r\nLila Petrakis\t6\tvaricella vaccine\tno reply\r\n\r\nThanks", "phi-name-clinical"},
		// An outbreak tally names no one and has no one's result.
		{"outbreak tally", "Final note on the banquet cluster: stool cultures were positive for campylobacter in 5 of 7 " +
			"specimens; symptoms were diarrhea and fever. No further cases.", "default"},
		// A named person's records at a substance-use program are PHI without a number.
		{"program records", "We cannot release Mr. Dwayne Holcomb's records from the opioid treatment program " +
			"without a Part 2 consent.", "phi-name-clinical"},
		// A pet mentioned in passing, far from a named patient's care, does not make the
		// note veterinary.
		{"pet aside", "Patient Harold Brennan was admitted overnight with pneumonia and is on IV antibiotics. " +
			"Family updated at the bedside; daughter will bring his glasses tomorrow and asked about visiting hours " +
			"for the weekend, which I gave her.\r\n\r\nPS sorry for the slow reply, our 14 yr old cat was up all night.",
			"phi-name-clinical"},
	} {
		if got := decideDefault(t, "update", tc.body); got != tc.want {
			t.Errorf("%s: rule %s, want %s", tc.name, got, tc.want)
		}
	}
}
