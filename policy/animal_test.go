package policy

import "testing"

// A veterinary message is about a pet: its owner's name in the greeting and "her
// potassium is 6.1" are not PHI. What the writer says about their own health, and an
// identifier such as the owner's card number, still decide.
func TestAPetsCareIsNotPHIButTheOwnersHealthAndCardAre(t *testing.T) {
	const sig = "\r\n\r\nRiverbend Animal Hospital | 555-0188"
	for _, tc := range []struct {
		name, body, want string
	}{
		{"pet lab result", "Hi Tom, Pepper's results came back. Her potassium is 6.1 and she has early kidney disease; " +
			"we'd like to recheck in a month." + sig, "default"},
		{"pet estimate", "Hi Gwen,\r\n\r\nEstimate for Pepper (6 yr old dog): his dental cleaning and two extractions, " +
			"$640. Carprofen 75 mg twice daily for 5 days after." + sig, "default"},
		{"owner's own surgery", "Hi, I had knee surgery last week and can't drive, so my son will bring Pepper " +
			"(6 yr old dog) for the recheck." + sig, "phi-personal-health"},
		{"owner's card", "Please charge the rest of Pepper's bill to 4539 1488 0343 6467, exp 08/29." + sig, "phi-identifiers"},
		// The same lab result about a person, without veterinary context, is PHI.
		{"person lab result", "Hi Tom, your results came back. Your potassium is 6.1 and you have early kidney disease; " +
			"we'd like to recheck in a month.\r\n\r\nRiverbend Family Medicine | 555-0188", "phi-personal-health"},
	} {
		if got := decideDefault(t, "Pepper", tc.body); got != tc.want {
			t.Errorf("%s: rule %s, want %s", tc.name, got, tc.want)
		}
	}
}
