package detect

import "testing"

// A hospital registers a newborn as "Baby Boy <surname>" until it has a given name; that
// designation is the patient's name. A drive or a family's news is not.
func TestNewbornDesignationIsAPatientsName(t *testing.T) {
	s := scanner2026(t)
	for _, text := range []string{
		"SCA - Baby Boy Reinholt - NICU transfer from Licking Memorial",
		"Baby Girl Okafor, 34 weeks, on CPAP",
		"BABY GIRL OKAFOR DOB 03/04/2026",
		"Infant Boy Harmon transferred to Level III for hypoglycemia",
	} {
		if f, ok := findingOf(scanOne(t, s, text), TypePersonName); !ok || f.Confidence != High {
			t.Errorf("%q: person_name %+v, want high", text, f)
		}
	}
	for _, text := range []string{
		"Join the Baby Girl Clothing Drive for the NICU",
		"Congratulations to Maria on her Baby Girl Sophia!",
		"Our new Baby Girl arrived on Sunday!",
	} {
		if f, ok := findingOf(scanOne(t, s, text), TypePersonName); ok {
			t.Errorf("%q: person_name %+v", text, f)
		}
	}
}
