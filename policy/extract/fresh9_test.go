package extract

import (
	"testing"

	"github.com/sealgate/sealgate/policy/detect"
)

// A reading's column header may hold a few digits in short runs ("D2 (48h)") and still
// label its column, so the patient and DOB columns of the row below are labelled too.
func TestXlsxHeaderWithReadingTimesLabelsItsColumns(t *testing.T) {
	xlsx := buildZip(t,
		zipEntry{name: "xl/workbook.xml", data: []byte(`<workbook><sheets><sheet name="Reads" sheetId="1"/></sheets></workbook>`)},
		zipEntry{name: "xl/worksheets/sheet1.xml", data: []byte(`<worksheet><sheetData>` +
			`<row r="1"><c r="A1" t="inlineStr"><is><t>Patient</t></is></c><c r="B1" t="inlineStr"><is><t>DOB</t></is></c><c r="C1" t="inlineStr"><is><t>Read 2 (48h)</t></is></c></row>` +
			`<row r="2"><c r="A2" t="inlineStr"><is><t>Marsh, Ottilie</t></is></c><c r="B2" t="inlineStr"><is><t>03/09/1977</t></is></c><c r="C2" t="inlineStr"><is><t>++</t></is></c></row>` +
			`</sheetData></worksheet>`)},
	)
	o := walkAttachment(t, xlsxType, "reads.xlsx", xlsx)
	wantText(t, o.all(), "Patient: Marsh, Ottilie\tDOB: 03/09/1977\tRead 2 (48h): ++")
	wantFindings(t, o.all(), detect.TypeDOB)
}

// A row of quarters and years is data, not a header: a run of four digits.
func TestMaxDigitRunTellsAReadingFromAYear(t *testing.T) {
	for s, want := range map[string]int{"D2 (48h)": 2, "Q1 2025": 4, "Allergen": 0} {
		if got := maxDigitRun([]byte(s)); got != want {
			t.Errorf("maxDigitRun(%q) = %d, want %d", s, got, want)
		}
	}
}
