package extract

import (
	"strings"
	"testing"
)

// An instrument's ASTM E1394 trace (the header record declares "|\^&") is read like HL7:
// the patient record "P", with or without a frame number and behind a log timestamp, gets
// the labels PID gets (field 3 the patient ID, 5 the name, 7 the date of birth).
func TestASTMPatientRecordsAreLabelled(t *testing.T) {
	trace := "Analyzer driver 3.1 trace\n" +
		"2026-03-02 08:01:10.100 [RX] 1H|\\^&|||CHEM-7^1.0|||||LIS||P|1\n" +
		"2026-03-02 08:01:10.180 [RX] 2P|1||00734410||LINDQVIST^ASTRID^J||19520918|F\n" +
		"3O|1|S-0302-88||^^^GLU|R\n" +
		"P|2||00734411||MORROW^DEAN||19600101|M\n"
	o := walkString(t, mimeWithAttachment("text/plain", "trace.txt", []byte(trace)), Limits{})
	for _, want := range []string{"MRN 00734410", "patient name LINDQVIST ASTRID J", "DOB 19520918",
		"MRN 00734411", "patient name MORROW DEAN"} {
		if !strings.Contains(o.all(), want) {
			t.Errorf("ASTM trace lacks %q: %q", want, o.all())
		}
	}
	// The same fields in a record that is not a patient's get no label.
	if strings.Contains(o.all(), "MRN S-0302") {
		t.Errorf("order record labelled as a patient's: %q", o.all())
	}
	// Without the ASTM header a "P|" line is ordinary text.
	o = walkString(t, mimeWithAttachment("text/plain", "notes.txt", []byte("P|1||00734410||x\n")), Limits{})
	if strings.Contains(o.all(), "MRN") {
		t.Errorf("plain text labelled: %q", o.all())
	}
}
