package policy

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/sealgate/sealgate/policy/detect"
)

// When the patient model reads a message as about no patient (no_patient), the
// shipped policy's name, health-statement and score rules stand aside; identifiers
// and the writer's or reader's own health still decide.
func TestNoPatientSetsAsideTheSoftRulesOnly(t *testing.T) {
	eng, err := NewEngine(DefaultSet())
	if err != nil {
		t.Fatal(err)
	}
	rulesAlone, err := NewEngine(DefaultSet())
	if err != nil {
		t.Fatal(err)
	}
	rulesAlone.model = nil
	decide := func(e *Engine, msg []byte) *Decision {
		t.Helper()
		d, err := e.Evaluate(context.Background(), Input{Env: EnvelopeFromHeaders(msg), Body: bytes.NewReader(msg)})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	has := func(d *Decision) bool { return d.FindingCounts()[detect.TypeNoPatient] > 0 }
	read := func(name string) []byte {
		t.Helper()
		b, err := os.ReadFile("../testdata/phi-real/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}

	// Blank intake packets sent to a school counselor, greeted by name: the
	// rules read a patient's name with clinical words, the model reads no patient.
	blank := read("ae-eating-disorders/009-intake-packet-blank.eml")
	if d := decide(rulesAlone, blank); d.Rule != "phi-name-clinical" {
		t.Errorf("blank packets, rules alone: rule %s, want phi-name-clinical", d.Rule)
	}
	if d := decide(eng, blank); d.Rule != "default" || !has(d) {
		t.Errorf("blank packets with the model: rule %s (no_patient %v), want default", d.Rule, has(d))
	}

	// A processor's published test cards with an account number: no patient, but
	// an identifier decides regardless.
	if d := decide(eng, read("evasions/028-test-card-numbers-negative.eml")); d.Rule != "phi-identifiers" || !has(d) {
		t.Errorf("identifiers under no_patient: rule %s (no_patient %v), want phi-identifiers", d.Rule, has(d))
	}

	// A result read out to the patient, with no name the model could weigh: the
	// reader's own health still decides.
	own := []byte("From: nurse@riverbendfm.example\r\nTo: tom.reyes@mail.example\r\nSubject: Lab results\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n\r\nHi Tom, your results came back. Your potassium is 6.1 and you " +
		"have early kidney disease; we'd like to recheck in a month.\r\n\r\nRiverbend Family Medicine | 555-0188\r\n")
	if d := decide(eng, own); d.Rule != "phi-personal-health" || !has(d) {
		t.Errorf("reader's own result: rule %s (no_patient %v), want phi-personal-health", d.Rule, has(d))
	}
}
