package detect

import "testing"

func TestPersonalHealthStatements(t *testing.T) {
	s := scanner2026(t)
	personal := []string{
		"Six weeks out from my hip replacement and walking the dog again!",
		"Elaine Whitley finished her chemo for stage II breast cancer in October",
		"I need to start FMLA for my shoulder surgery (rotator cuff repair) on 12/8",
		"She had a L hip ORIF 11/16.",
		"I was diagnosed with asthma last year",
		"Your A1c is 7.9 (up from 7.1 in May)",
		"Tyler, your TB skin test read today was positive (14 mm).",
		"5112 FITCH BP 88/50 HR 118 c/o dizzy",
		"cath today, 3 vessel dz, EF 45%.",
		"Comfort kit in use: morphine 5mg SL q2h prn",
		"The d/c med list says apixaban 2.5 bid x 30d",
		"increase your metformin to 1000 mg twice daily",
		"Marcus Oyelowo tested positive on PCR today",
		"his A1c was 11.2 last month",
		"her strep swab came back positive, so amoxicillin it is",
	}
	for _, text := range personal {
		if f, ok := findingOf(scanOne(t, s, text), TypePersonalHealth); !ok || f.Confidence < Medium {
			t.Errorf("%q: no personal_health finding (%+v)", text, f)
		}
	}
	general := []string{
		"Dr. Patel presented her research on diabetes prevention at grand rounds.",
		"Many of my patients with asthma struggle in the winter.",
		"An A1c of 6.5% or higher on two tests means diabetes.",
		"Know your numbers: talk to your doctor about your blood pressure.",
		"Volunteer orientation Sat 12/5, 9 AM in the Atrium.",
		"Control lot 45821   Na  148 (target 141)   K  5.9 (target 5.2)",
		"HR: 555-0142, or stop by the HR office on the 2nd floor.",
		"Metformin 500 mg tablets, 100 count, $4.20 per bottle.",
		"Call the pharmacy at 8 AM daily for the shortage list.",
		"October is breast cancer awareness month: schedule a mammogram.",
		"We'll cover the 2026 HEDIS diabetes measures in the 24 hr window.",
		"Sterilizer 2: this week's spore test came back positive, unit pulled from service.",
		"The annual waterline test came back positive for heterotrophic bacteria; shock the lines.",
	}
	for _, text := range general {
		if f, ok := findingOf(scanOne(t, s, text), TypePersonalHealth); ok {
			t.Errorf("%q: personal_health %+v", text, f)
		}
	}
}

// A name next to a room or bed, or "is cleared" to return, is about a patient or an
// employee's health; a count after "in" is not a room.
func TestNamesBesideARoomAreAboutSomeone(t *testing.T) {
	s := scanner2026(t)
	for _, text := range []string{
		"The removal at 03:12 was for Raymond Hollis (rm 518) but only 0.5 mg was documented",
		"Mrs Vasquez-Hart in 612 fell last night",
		"Brenda Whitfield is cleared to return 11/25 with restrictions",
	} {
		if f, ok := findingOf(scanOne(t, s, text), TypePersonName); !ok || f.Confidence < High {
			t.Errorf("%q: %+v", text, f)
		}
	}
	for _, text := range []string{
		"Authors: Vance Smith, Helen Hu. In 3 practices, testing increased",
		"Engineer Robert Adams in 2 h will replace the tube",
	} {
		if f, ok := findingOf(scanOne(t, s, text), TypePersonName); ok && f.Confidence == High {
			t.Errorf("%q: %+v", text, f)
		}
	}
	if f, ok := findingOf(scanOne(t, s, "Maria Santos CNA - medical exemption pending (hx Guillain-Barre)"), TypePersonalHealth); !ok {
		t.Errorf("hx before a condition: %+v", f)
	}
}

// A census line starts with the unit and room: "  4E-422  Vasquez, Eleanor  - comfort care".
func TestCensusLineRoomMakesANamePatient(t *testing.T) {
	s := scanner2026(t)
	text := "Potential discharges today:\n  4W-417  Hartmann, Walter    - post-op, PT cleared\n  4E-422  Vasquez, Eleanor    - comfort care\n"
	if f, ok := findingOf(scanOne(t, s, text), TypePersonName); !ok || f.Confidence < High || f.Count != 2 {
		t.Errorf("census names: %+v", f)
	}
	if f, ok := findingOf(scanOne(t, s, "Part AB-1234 Vasquez, Eleanor ordered"), TypePersonName); ok && f.Confidence == High {
		t.Errorf("a part number in prose is no room: %+v", f)
	}
}
