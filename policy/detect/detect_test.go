package detect

import (
	"strings"
	"testing"
)

func newScanner(t testing.TB, cfg Config) *Scanner {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func findingOf(fs []Finding, typ string) (Finding, bool) {
	for _, f := range fs {
		if f.Type == typ {
			return f, true
		}
	}
	return Finding{}, false
}

func scanOne(t *testing.T, s *Scanner, text string) []Finding {
	t.Helper()
	return s.Scan([]byte(text), Location{Field: "body"})
}

func TestSSNWithInvalidAreaIsNotAFinding(t *testing.T) {
	s := newScanner(t, Config{})
	for _, v := range []string{"000-12-3456", "666-12-3456", "900-12-3456", "999-12-3456", "123-00-4567", "123-45-0000",
		"078-05-1120", "219-09-9999", "123-45-6789"} {
		if f, ok := findingOf(scanOne(t, s, "SSN: "+v), TypeSSN); ok {
			t.Errorf("%s: got %+v", v, f)
		}
	}
}

func TestSSNNearLabelIsHighConfidence(t *testing.T) {
	s := newScanner(t, Config{})
	for _, txt := range []string{"SSN: 219-45-6780", "social security number 219 45 6780", "SSN 219456780"} {
		f, ok := findingOf(scanOne(t, s, txt), TypeSSN)
		if !ok || f.Confidence != High || f.Count != 1 {
			t.Errorf("%q: got %+v", txt, f)
		}
	}
}

func TestOrderNumberAloneIsNotHighConfidenceSSN(t *testing.T) {
	s := newScanner(t, Config{})
	for _, txt := range []string{"Order #219456780", "Your order 219456780 shipped", "ref 219456780", "219456780"} {
		if f, ok := findingOf(scanOne(t, s, txt), TypeSSN); ok && f.Confidence == High {
			t.Errorf("%q: got %+v", txt, f)
		}
	}
}

func TestNPIRequiresLuhnWithPrefix(t *testing.T) {
	s := newScanner(t, Config{})
	if f, ok := findingOf(scanOne(t, s, "NPI 1234567893"), TypeNPI); !ok || f.Confidence != High {
		t.Errorf("valid NPI: %+v", f)
	}
	if _, ok := findingOf(scanOne(t, s, "NPI 1234567890"), TypeNPI); ok {
		t.Error("NPI with bad check digit was reported")
	}
	if _, ok := findingOf(scanOne(t, s, "NPI 3234567893"), TypeNPI); ok {
		t.Error("NPI starting with 3 was reported")
	}
}

func TestDEAChecksumAndRegistrantLetter(t *testing.T) {
	s := newScanner(t, Config{})
	if f, ok := findingOf(scanOne(t, s, "DEA# AB1234563"), TypeDEA); !ok || f.Confidence != High {
		t.Errorf("valid DEA: %+v", f)
	}
	for _, v := range []string{"AB1234564", "NB1234563", "IB1234563"} {
		if _, ok := findingOf(scanOne(t, s, "DEA "+v), TypeDEA); ok {
			t.Errorf("%s reported", v)
		}
	}
}

func TestMBIFollowsCMSFormat(t *testing.T) {
	s := newScanner(t, Config{})
	for _, v := range []string{"1EG4TE5MK74", "1EG4-TE5-MK74"} {
		if f, ok := findingOf(scanOne(t, s, "Medicare ID "+v), TypeMBI); !ok || f.Confidence != High {
			t.Errorf("%s: %+v", v, f)
		}
	}
	// S, L, O, I, B, Z are never used; position 1 is never 0.
	for _, v := range []string{"1SG4TE5MK73", "0EG4TE5MK73", "1EG4TE5MKZ3", "1EG4-TE5MK73"} {
		if _, ok := findingOf(scanOne(t, s, "MBI "+v), TypeMBI); ok {
			t.Errorf("%s reported", v)
		}
	}
}

func TestNDCBareDigitsNeedContext(t *testing.T) {
	s := newScanner(t, Config{})
	if _, ok := findingOf(scanOne(t, s, "NDC 00002751001"), TypeNDC); !ok {
		t.Error("NDC with label not found")
	}
	if _, ok := findingOf(scanOne(t, s, "Item 00002751001 restocked"), TypeNDC); ok {
		t.Error("bare 11 digits without NDC context reported")
	}
	// A product code names a drug, not a person: High only about a patient.
	if f, ok := findingOf(scanOne(t, s, "NDC 0002-7510-01"), TypeNDC); !ok || f.Confidence != Low {
		t.Errorf("dashed NDC alone: %+v", f)
	}
	if f, ok := findingOf(scanOne(t, s, "Patient: Jane Doe, NDC 0002-7510-01"), TypeNDC); !ok || f.Confidence != High {
		t.Errorf("dashed NDC for a patient: %+v", f)
	}
}

func TestICD10NeedsShippedCategoryAndGainsFromDiagnosisContext(t *testing.T) {
	s := newScanner(t, Config{})
	if f, ok := findingOf(scanOne(t, s, "Dx: E11.9 and I10"), TypeICD10); !ok || f.Count != 2 || f.Confidence != High {
		t.Errorf("dx codes: %+v", f)
	}
	if f, ok := findingOf(scanOne(t, s, "Code E11.65 noted"), TypeICD10); !ok || f.Confidence == High {
		t.Errorf("code without dx context: %+v", f)
	}
	for _, txt := range []string{"Meet at gate C12", "Upgrade to V10.2.1 today", "U99.1 is not a category", "Dx: e11.9"} {
		if f, ok := findingOf(scanOne(t, s, txt), TypeICD10); ok {
			t.Errorf("%q: %+v", txt, f)
		}
	}
}

func TestCPTOnlyWithContext(t *testing.T) {
	s := newScanner(t, Config{})
	if _, ok := findingOf(scanOne(t, s, "CPT 99213"), TypeCPT); !ok {
		t.Error("CPT with label not found")
	}
	if _, ok := findingOf(scanOne(t, s, "procedure code 3074F"), TypeCPT); !ok {
		t.Error("Category II code not found")
	}
	if _, ok := findingOf(scanOne(t, s, "Boston MA 99213"), TypeCPT); ok {
		t.Error("5 digits without context reported as CPT")
	}
}

func TestMRNConfidenceFromProximity(t *testing.T) {
	s := newScanner(t, Config{MRNPatterns: []string{`\bMR-\d{7}\b`}})
	if f, ok := findingOf(scanOne(t, s, "MRN: 00482913"), TypeMRN); !ok || f.Confidence != High {
		t.Errorf("default MRN: %+v", f)
	}
	if _, ok := findingOf(scanOne(t, s, "about 00482913 widgets"), TypeMRN); ok {
		t.Error("digits without context reported as MRN")
	}
	if f, ok := findingOf(scanOne(t, s, "see MR-1234567"), TypeMRN); !ok || f.Confidence != Low {
		t.Errorf("site pattern alone: %+v", f)
	}
	if f, ok := findingOf(scanOne(t, s, "medical record MR-1234567"), TypeMRN); !ok || f.Confidence != High {
		t.Errorf("site pattern with context: %+v", f)
	}
}

func TestPaymentCardNeedsLuhnAndIssuerRange(t *testing.T) {
	s := newScanner(t, Config{})
	for _, v := range []string{"4111 1111 1111 1129", "5500-0000-0000-0004", "378282246310013", "6011111111111125", "3530111333300018"} {
		if _, ok := findingOf(scanOne(t, s, "paid with "+v), TypeCard); !ok {
			t.Errorf("%s not found", v)
		}
	}
	// Not Luhn, no issuer, or a network's published test number (belongs to nobody).
	for _, v := range []string{"4111 1111 1111 1112", "9111111111111111", "4111 1111 1111 1111", "6011111111111117", "378282246310005"} {
		if _, ok := findingOf(scanOne(t, s, "paid with "+v), TypeCard); ok {
			t.Errorf("%s reported", v)
		}
	}
}

func TestPhoneFollowsNANPAndIsLowAlone(t *testing.T) {
	s := newScanner(t, Config{})
	if f, ok := findingOf(scanOne(t, s, "see 617-555-0142 later"), TypePhone); !ok || f.Confidence != Low {
		t.Errorf("phone alone: %+v", f)
	}
	if f, ok := findingOf(scanOne(t, s, "Patient phone: (617) 555-0142"), TypePhone); !ok || f.Confidence != Medium {
		t.Errorf("patient phone: %+v", f)
	}
	for _, v := range []string{"017-555-0142", "617-155-0142", "911-555-0142"} {
		if _, ok := findingOf(scanOne(t, s, "phone "+v), TypePhone); ok {
			t.Errorf("%s reported", v)
		}
	}
}

func TestDateAloneIsNotADOB(t *testing.T) {
	s := newScanner(t, Config{})
	if _, ok := findingOf(scanOne(t, s, "The meeting is on 03/14/2025 at 10:30."), TypeDOB); ok {
		t.Error("date without context reported")
	}
	for _, txt := range []string{"DOB: 03/14/1962", "date of birth 1962-03-14", "Born March 14, 1962", "D.O.B. 14 Mar 1962"} {
		if f, ok := findingOf(scanOne(t, s, txt), TypeDOB); !ok || f.Count != 1 {
			t.Errorf("%q: %+v", txt, f)
		}
	}
	if _, ok := findingOf(scanOne(t, s, "DOB: 02/30/1962"), TypeDOB); ok {
		t.Error("impossible date reported")
	}
}

func TestMemberIDNeedsContextOrSitePattern(t *testing.T) {
	s := newScanner(t, Config{MemberIDPatterns: []string{`\bHP\d{8}\b`}})
	if _, ok := findingOf(scanOne(t, s, "Member ID: XZW123456789"), TypeMemberID); !ok {
		t.Error("member id with label not found")
	}
	if _, ok := findingOf(scanOne(t, s, "code XZW123456789"), TypeMemberID); ok {
		t.Error("member-like id without context reported")
	}
	if f, ok := findingOf(scanOne(t, s, "subscriber id HP12345678"), TypeMemberID); !ok || f.Count != 1 || f.Confidence != High {
		t.Errorf("site pattern with context counted once: %+v", f)
	}
}

func TestDictionaryMatchesWholeWordsCaseFoldedLongestFirst(t *testing.T) {
	s := newScanner(t, Config{Dictionaries: map[string][]string{"oncology_terms": {"Stage IV", "metastasis"}}})
	fs := scanOne(t, s, "Patient has Type 2 Diabetes Mellitus, takes METFORMIN; stage iv, no metastasis. Metformins? prediabetes.")
	if f, _ := findingOf(fs, TypeCondition); f.Count != 1 || f.Confidence != Medium {
		t.Errorf("condition: %+v", f)
	}
	if f, _ := findingOf(fs, TypeMedication); f.Count != 1 {
		t.Errorf("medication: %+v", f)
	}
	if f, _ := findingOf(fs, "oncology_terms"); f.Count != 2 {
		t.Errorf("admin dictionary: %+v", f)
	}
}

func TestCustomDetectorRaisedByContextWords(t *testing.T) {
	s := newScanner(t, Config{Custom: []CustomPattern{{Name: "study_id", Pattern: `\bSTU-\d{5}\b`, Confidence: Medium, Context: []string{"study"}}}})
	if f, ok := findingOf(scanOne(t, s, "ref STU-12345"), "study_id"); !ok || f.Confidence != Medium {
		t.Errorf("alone: %+v", f)
	}
	if f, ok := findingOf(scanOne(t, s, "Study STU-12345"), "study_id"); !ok || f.Confidence != High {
		t.Errorf("with context: %+v", f)
	}
}

func TestNewRejectsBadConfigWithEveryError(t *testing.T) {
	_, err := New(Config{Enabled: []string{"ssnn"}, MRNPatterns: []string{"("}, Custom: []CustomPattern{{Name: "ssn", Pattern: "x"}}})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{`unknown detector "ssnn"`, "mrn_patterns[0]", "built-in"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestEnabledLimitsDetectors(t *testing.T) {
	s := newScanner(t, Config{Enabled: []string{TypeSSN}})
	fs := scanOne(t, s, "SSN 219-45-6780, NPI 1234567893, diabetes, a 63 yo (September 17, 1962), 63-year-old (9/17/1962)")
	if len(fs) != 1 || fs[0].Type != TypeSSN {
		t.Errorf("got %+v", fs)
	}
}

func TestFindingsNeverCarryMatchedText(t *testing.T) {
	s := newScanner(t, Config{})
	fs := scanOne(t, s, "SSN: 219-45-6780")
	for _, f := range fs {
		if strings.Contains(strings.Join([]string{f.Type, f.Where[0].Field}, " "), "6780") {
			t.Error("finding leaks text")
		}
	}
	ms := s.Explain([]byte("SSN: 219-45-6780"), Location{})
	if len(ms) != 1 || ms[0].Masked != "***-**-6780" || ms[0].Offset != 5 {
		t.Errorf("explain: %+v", ms)
	}
}

func TestMergeSumsCountsKeepsMaxConfidenceAndCapsLocations(t *testing.T) {
	var lists [][]Finding
	for i := 0; i < 20; i++ {
		lists = append(lists, []Finding{{Type: TypeSSN, Count: 1, Confidence: Low, Where: []Location{{Part: i, Field: "body"}}}})
	}
	lists = append(lists, []Finding{{Type: TypeSSN, Count: 2, Confidence: High, Where: []Location{{Part: 0, Field: "body"}}}})
	m := Merge(lists...)
	if len(m) != 1 || m[0].Count != 22 || m[0].Confidence != High || len(m[0].Where) != 16 {
		t.Errorf("got %+v", m)
	}
}

func TestScoreWeighsIdentifiersAboveContactDetails(t *testing.T) {
	ssn := Score([]Finding{{Type: TypeSSN, Count: 1, Confidence: High}})
	phone := Score([]Finding{{Type: TypePhone, Count: 1, Confidence: Low}})
	if ssn != 10 || phone != 0 {
		t.Errorf("ssn %v phone %v", ssn, phone)
	}
	if Score(nil) != 0 {
		t.Error("empty score not 0")
	}
}

func TestParseConfidenceRoundTrips(t *testing.T) {
	for _, c := range []Confidence{Low, Medium, High} {
		got, err := ParseConfidence(strings.ToUpper(c.String()))
		if err != nil || got != c {
			t.Errorf("%v: %v %v", c, got, err)
		}
	}
	if _, err := ParseConfidence("certain"); err == nil {
		t.Error("unknown confidence accepted")
	}
}

func TestStreamMatchesScanAcrossChunkBorders(t *testing.T) {
	s := newScanner(t, Config{})
	var b strings.Builder
	for i := 0; b.Len() < 300<<10; i++ {
		b.WriteString("Patient: John Doe, DOB: 03/14/1962, SSN 219-45-6780. MRN: 00482913. Dx: E11.9. Call (617) 555-0142. ")
		b.WriteString(strings.Repeat("The office will be closed on Friday afternoon. ", i%7))
	}
	text := []byte(b.String())
	want := s.Scan(text, Location{Field: "body"})
	for _, chunk := range []int{1, 7, 4096, 100000} {
		st := s.NewStream(Location{Field: "body"})
		for i := 0; i < len(text); i += chunk {
			st.Write(text[i:min(i+chunk, len(text))])
		}
		got := st.Findings()
		if st.Inexact() || !equalFindings(got, want) {
			t.Errorf("chunk %d: stream %+v, scan %+v", chunk, got, want)
		}
	}
}

func equalFindings(a, b []Finding) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Type != b[i].Type || a[i].Count != b[i].Count || a[i].Confidence != b[i].Confidence {
			return false
		}
	}
	return true
}
