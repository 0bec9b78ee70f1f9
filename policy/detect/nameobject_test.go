package detect

import "testing"

// Regression tests for the error classes writer O's settings (fresh12) showed. The texts
// are written for these tests in the same shapes, not copied from the corpus.

// A blood type is not a test result: "O-positive for trauma", "AB-negative units" say
// which units, not what a person tested. A result still is one.
func TestBloodTypeIsNoResult(t *testing.T) {
	s := newScanner(t, Config{})
	for _, txt := range []string{
		"Please hold O-negative for emergency release and switch to O-positive for unknown males.",
		"We are short on AB-positive for plasma and B-negative for platelets this week.",
	} {
		checkFindings(t, s, txt, want{TypePersonalHealth, 0})
	}
	checkFindings(t, s, "She came back positive for strep on Monday.", want{TypePersonalHealth, Medium})
	checkFindings(t, s, "Donor screen was positive for HBsAg.", want{TypePersonalHealth, Medium})
}

// A number with a unit of time after a lab name is a protocol's time point, not a
// reading: "hs-troponin 0/1 hr algorithm". A reading still is one.
func TestLabTimePointIsNoReading(t *testing.T) {
	s := newScanner(t, Config{})
	for _, txt := range []string{
		"New this year: hs-troponin 0/1 hr algorithm for chest pain.",
		"Repeat lactate 2 hrs after the bolus per the sepsis bundle.",
	} {
		checkFindings(t, s, txt, want{TypePersonalHealth, 0})
	}
	checkFindings(t, s, "troponin 0.04 and rising, BP 88/50", want{TypePersonalHealth, Medium})
	checkFindings(t, s, "lactate 4.1 on arrival", want{TypePersonalHealth, Medium})
}

// A case write-up that labels itself de-identified in a parenthesis or a heading is about
// nobody in particular; a request for a de-identified file is not such a label.
func TestParentheticalDeidentifiedIsATeachingCase(t *testing.T) {
	s := newScanner(t, Config{})
	checkFindings(t, s, "Case for Thursday (de-identified, no lookups please): woman in her 70s, troponin 0.9, admitted for NSTEMI.",
		want{TypeTeachingCase, Medium})
	checkFindings(t, s, "De-identified: male in his 50s, lactate 5.2, septic shock, ICU day 4.", want{TypeTeachingCase, Medium})
	checkFindings(t, s, "Please send the de-identified file, not this one.", want{TypeTeachingCase, 0})
}

// A vendor's customer, quote and vendor numbers are not SSNs, whatever their shape.
func TestCustomerNumberIsNoSSN(t *testing.T) {
	s := scanner2026(t)
	for _, txt := range []string{
		"Invoice attached for the annual renewal (customer # 219-45-6780, PO 4500112233).",
		"Quote 219-45-6780 is valid for 30 days.",
		"Vendor ID: 219-45-6780",
		"Customer number 219456780 on the remittance.",
	} {
		if f, ok := findingOf(scanOne(t, s, txt), TypeSSN); ok && f.Confidence >= Medium {
			t.Errorf("%q: ssn %v, want low or none (a vendor's number)", txt, f.Confidence)
		}
	}
	checkFindings(t, s, "SSN 219-45-6780 on the claim", want{TypeSSN, Medium})
}

// Words staff outside the clinic write for what happened to a person: a drowning, a
// stillbirth, a tumor, an organ "removed", a hepatitis B surface antigen result.
func TestLayClinicalWords(t *testing.T) {
	s := newScanner(t, Config{})
	for _, c := range []struct {
		text string
		typ  string
	}{
		{"The boy came in after a drowning at the lake.", TypeCondition},
		{"Her baby was stillborn on Sunday.", TypeCondition},
		{"They found a tumor on the scan.", TypeCondition},
		{"His donation was HBsAg reactive on the repeat.", TypeCondition},
		{"He had his kidney removed on Monday.", TypeProcedure},
		{"She had her thyroid removed last spring.", TypeProcedure},
	} {
		checkFindings(t, s, c.text, want{c.typ, Low})
	}
}

// A gestational age after a name stands where an age would, and it makes a person of a
// name the lists do not hold: two capitalised words neither list knows, or a given name
// the census lists only as a surname.
func TestGestationAfterAnUnlistedName(t *testing.T) {
	s := newScanner(t, Config{})
	for _, txt := range []string{
		"We need two units crossmatched for Oluwaseun Adeyemi, 31 weeks pregnant, repeat section Friday.",
		"Please call about Ioana Dragomir (29 wks gestation) before the ultrasound.",
		"Labor and delivery has Jane Smith, 36 weeks pregnant, in triage.",
		"Bertrand Okafor, 71 years old, is on the list for Tuesday.",
	} {
		if c := nameConf(t, s, txt); c != High {
			t.Errorf("%q: person_name %v, want high", txt, c)
		}
	}
	for _, txt := range []string{
		"Breast Cancer Awareness Month. About 1 in 8 women are diagnosed with breast cancer.",
		"Prenatal Yoga, 12 weeks of classes for anyone pregnant, starts Monday.",
		"Harbor Clinic, after 14 weeks of renovation, reopens Monday.",
		"Customer: Brightwater Optics, Room 2 Date: 11/19/2026 Technician on site",
	} {
		if c := nameConf(t, s, txt); c == High {
			t.Errorf("%q: person_name high, want less (no person)", txt)
		}
	}
}

// A name that is the object of "for" after what is ordered or done for the person is a
// patient: "an order for MRI lumbar spine for <name>", "the p2p for <name>". A name after
// "for" with no clinical term or review word before it in the clause is not.
func TestNameOrderedForIsAPatient(t *testing.T) {
	s := newScanner(t, Config{})
	for _, txt := range []string{
		"Radiology has an order for a CT abdomen for Bertrand Okafor on Friday, can you clear the device?",
		"I finished the p2p for Maria Delgado this morning, they approved two days.",
		"Still waiting on the prior auth for Kevin Walsh, the payer wants notes.",
	} {
		if c := nameConf(t, s, txt); c != High {
			t.Errorf("%q: person_name %v, want high", txt, c)
		}
	}
	for _, txt := range []string{
		"Thanks for Kevin Walsh's help with the inventory count this week.",
		"Please arrange coverage for Maria Delgado while she is at the conference.",
		"The MRI suite is closed Friday. For Kevin Walsh, the parking change starts Monday.",
	} {
		if c := nameConf(t, s, txt); c == High {
			t.Errorf("%q: person_name high, want less (no ordered care before for)", txt)
		}
	}
}

// A bed right after a name is a patient's, as a census writes a bed before one: "Family of
// <name> in MICU bed 7", even for two capitalised words the lists lack. A room is not
// enough: meetings have rooms.
func TestBedAfterNameIsAPatient(t *testing.T) {
	s := newScanner(t, Config{})
	for _, txt := range []string{
		"The family of Yaa Asantewaa-Boateng in CCU bed 12 asked for a chaplain tonight.",
		"Can someone see Linda Morales in bed 4 before rounds?",
	} {
		if c := nameConf(t, s, txt); c != High {
			t.Errorf("%q: person_name %v, want high", txt, c)
		}
	}
	for _, txt := range []string{
		"Meeting with Linda Morales in conference room 2 about the bed board.",
		"Linda Morales in Facilities ordered a new bed frame for the on-call room.",
	} {
		if c := nameConf(t, s, txt); c == High {
			t.Errorf("%q: person_name high, want less (no bed)", txt)
		}
	}
}

// A name right after "came back on" or "results on" is the person whose result it is, even
// when neither of its words is in the lists.
func TestResultOnNameIsAPatient(t *testing.T) {
	s := newScanner(t, Config{})
	for _, txt := range []string{
		"The repeat panel came back on Ioana Dragomir (drawn at the mobile drive 10/14), anti-HCV reactive.",
		"Path came back on Linda Morales, margins clear.",
		"Any results on Kevin Walsh yet?",
	} {
		if c := nameConf(t, s, txt); c != High {
			t.Errorf("%q: person_name %v, want high", txt, c)
		}
	}
	for _, txt := range []string{
		"The power came back on Tuesday, Linda Morales reset the freezer alarms.",
		"Kevin Walsh reported results on the fire drill to the safety committee.",
	} {
		if c := nameConf(t, s, txt); c == High {
			t.Errorf("%q: person_name high, want less (not a result on the person)", txt)
		}
	}
}
