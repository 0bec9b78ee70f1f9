package policy

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// decideDefault evaluates one plain-text message with the shipped default policy and
// returns the deciding rule.
func decideDefault(t *testing.T, subject, body string) string {
	t.Helper()
	eng, err := NewEngine(DefaultSet())
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("From: educator@hospital.example\r\nTo: staff@hospital.example\r\nSubject: " + subject +
		"\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n")
	d, err := eng.Evaluate(context.Background(), Input{Env: EnvelopeFromHeaders(msg), Body: bytes.NewReader(msg)})
	if err != nil {
		t.Fatal(err)
	}
	return d.Rule
}

// A case the text itself calls made up is teaching material: a name or a health
// statement alone does not make it PHI, but an identifier still does.
func TestAFictionalTeachingCaseIsNotPHIButItsIdentifiersAre(t *testing.T) {
	const vignette = "Patient Rosalind Achterberg is a 71-year-old with congestive heart failure; her BP 92/54, " +
		"she has been on furosemide 40 mg daily."
	for _, tc := range []struct {
		note, want string
	}{
		{"", "phi-name-clinical"},
		{"Quiz for the huddle. The case below is fictional.\r\n\r\n", "default"},
		{"Teaching case for grand rounds - details changed:\r\n\r\n", "default"},
		{"Unit pearls (no pt-specific details):\r\n\r\n", "default"},
		// A vendor's demo and a training environment name their invented patient so.
		{"What the new charting screen shows for a synthetic demo patient (not real data):\r\n\r\n", "default"},
		{"For Tuesday's drill, use our made-up training patient; she is not a real person.\r\n\r\n", "default"},
		{"The mock patient for the simulation lab:\r\n\r\n", "default"},
	} {
		if got := decideDefault(t, "CE quiz", tc.note+vignette); got != tc.want {
			t.Errorf("%q: rule %s, want %s", tc.note, got, tc.want)
		}
	}
	if got := decideDefault(t, "CE quiz", "The case below is fictional.\r\n\r\n"+vignette+" SSN 219-47-3310."); got != "phi-identifiers" {
		t.Errorf("a fictional case with an SSN: rule %s, want phi-identifiers", got)
	}
	// A sample of patients is real patients.
	if got := decideDefault(t, "audit", "Attached is the sample patient list for the chart audit. "+vignette); got == "default" {
		t.Errorf("a sample of real patients was read as fiction")
	}
	// "Pt-specific" without the "no" is a real patient's order.
	if got := decideDefault(t, "compounding", "Pt-specific, needs double check: "+vignette); got == "default" {
		t.Errorf("a patient-specific note was not flagged")
	}
}

// A grant or quality report counts people in aggregate ("unduplicated clients", "aggregate
// outcomes"): a name (the addressee) and clinical words in it are about no one patient;
// an identifier still decides.
func TestAnAggregateReportIsNotPHIButItsIdentifiersAre(t *testing.T) {
	const report = "Dear Mr. Castellanos,\r\n\r\nOur quarterly figures: %s 140; 38 of 52 patients with " +
		"hypertension controlled; 212 flu vaccines given; buprenorphine continued for 30 of 36."
	for _, tc := range []struct{ lead, want string }{
		{"new intakes", "phi-name-clinical"},
		{"unduplicated patients seen", "default"},
		{"in aggregate, new intakes", "default"},
	} {
		if got := decideDefault(t, "Q3 grant report", strings.Replace(report, "%s", tc.lead, 1)); got != tc.want {
			t.Errorf("%q: rule %s, want %s", tc.lead, got, tc.want)
		}
	}
	body := strings.Replace(report, "%s", "unduplicated patients seen", 1) + " Corrected record: MRN 20418837."
	if got := decideDefault(t, "Q3 grant report", body); got != "phi-identifiers" {
		t.Errorf("an aggregate report with an MRN: rule %s, want phi-identifiers", got)
	}
}
