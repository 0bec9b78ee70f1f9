package detect

import (
	"strings"
	"testing"
)

// nameHits returns the person_name matches of text as "masked/confidence" strings.
func nameHits(t *testing.T, s *Scanner, text string) []string {
	t.Helper()
	var out []string
	for _, m := range s.Explain([]byte(text), Location{}) {
		if m.Type == TypePersonName {
			out = append(out, m.Masked+"/"+m.Confidence.String())
		}
	}
	return out
}

func TestPersonNames(t *testing.T) {
	s := newScanner(t, Config{})
	for _, tc := range []struct {
		text string
		want []string // masked/confidence, in order; nil = no name
	}{
		// The cases.
		{"Patient Jane Q Testcase, diagnosis metastatic melanoma", []string{"J*** Q T*******/high"}},
		{"Deborah X (September 17, 1962) is a 63-year-old with type 2 diabetes", []string{"D****** X/high"}},
		{"Patient: John Q Sample, SSN 078-05-1120, diagnosed with congestive heart failure", []string{"J*** Q S*****/high"}},
		// Labels and honorifics right before the name.
		{"Re: John Smith", []string{"J*** S****/high"}},
		{"RE: Maria Garcia-Lopez follow-up", []string{"M**** G*****-L****/high"}},
		{"Pt Name: SMITH, JOHN Q", []string{"S****, J*** Q/high"}},
		{"Patient:\nTestcase, Jane", []string{"T*******, J***/high"}},
		{"Name: Laura Kim", []string{"L**** K**/high"}},
		{"Mr. Testcase was seen today.", []string{"T*******/high"}},
		{"Dear Mrs. Jones,", []string{"J****/high"}},
		{"MS. Okafor called", []string{"O*****/high"}},
		{"Miss Deborah Lee", []string{"D****** L**/high"}},
		// Patient context right after the name.
		{"José Ramírez, 45 y/o, presents with chest pain", []string{"J*** R******/high"}},
		{"O'Brien, Kathleen was admitted on Monday", []string{"O'B****, K*******/high"}},
		{"Jane Smith (DOB 04/26/1946) called", []string{"J*** S****/high"}},
		{"Jane Smith (04-26-1946) called", []string{"J*** S****/high"}},
		{"Kevin Nguyen, age 58, has a history of asthma", []string{"K**** N*****/high"}},
		{"Kevin Nguyen\nDOB: 01/02/1960", []string{"K**** N*****/high"}},
		{"Jane Smith born 15-Jan-1973", []string{"J*** S****/high"}},
		{"Jane Smith has a history of asthma", []string{"J*** S****/high"}},
		{"Jane Smith is scheduled for a colonoscopy", []string{"J*** S****/high"}},
		{"Jane Smith has been admitted to 4 West", []string{"J*** S****/high"}},
		{"Mr. J. Smith", []string{"J. S****/high"}},
		{"Please pull patient John Smith's chart", []string{"J*** S****'s/high"}},
		{"Patient name - Maria Lopez", []string{"M**** L****/high"}},
		{"Please schedule Maria Lopez for a colonoscopy", []string{"M**** L****/high"}},
		{"I saw Maria Lopez in clinic today", []string{"M**** L****/high"}},
		// A letter addressed to a patient about their care.
		{"Hi Samantha,\n\nYou have an appointment coming up: prenatal visit", []string{"S*******/high"}},
		{"Harold, this is SmileCraft Dental reminding you of your appt for crown prep", []string{"H*****/high"}},
		{"Dear Maria Lopez, your test results are ready", []string{"M**** L****/high"}},
		{"Hi Samantha, the quarterly numbers are attached", nil},
		{"Hi Jane Smith, thanks for the invoice", []string{"J*** S****/medium"}},
		// Census and shift-report shorthand.
		{"Bed 14, Loretta Simmons, 71F, hs-trop 88", []string{"L****** S******/high"}},
		{"Rm 312-B Raymond Pelletier - K 6.9 this am", []string{"R****** P********/high"}},
		{"Juan Ortiz 45 M presents", []string{"J*** O****/high"}},
		{"Room 4 is booked for Jane Smith", []string{"J*** S****/medium"}},
		{"Dear Richard Galloway,\n\nThis is a reminder of your upcoming colonoscopy", []string{"R****** G*******/high"}},
		// Business prose after a name is not patient context.
		{"Thanks to Jane Smith for organizing the diabetes walk", []string{"J*** S****/medium"}},
		{"Jane Smith - Account Manager", []string{"J*** S****/medium"}},
		{"Jane Smith in the hospital cafeteria", []string{"J*** S****/medium"}},
		{"Jane Smith, born and raised in Ohio, joins us", []string{"J*** S****/medium"}},
		{"Jane Smith has a long history of leadership", []string{"J*** S****/medium"}},
		{"Jane Smith is scheduled to present", []string{"J*** S****/medium"}},
		{"Jane Smith admitted the numbers were off", []string{"J*** S****/medium"}},
		{"Jane Smith was referred by a recruiter", []string{"J*** S****/medium"}},
		// Given name and surname from the lists, no context.
		{"Thanks,\nJohn Smith\nAccount Manager", []string{"J*** S****/medium"}},
		{"Meeting with Morgan Stanley", []string{"M***** S******/medium"}},
		{"Mary Ann Rivera will join", []string{"M*** A** R*****/medium"}},
		{"Jane Q. Smith signed", []string{"J*** Q. S****/medium"}},
		{"Smith, Jennifer", []string{"S****, J*******/medium"}},
		{"JENNIFER BROWN", []string{"J******* B****/medium"}},
		{"Will Brown join us?", []string{"W*** B****/low"}}, // both also words
		// Clinicians are not patients.
		{"Dr. Jane Smith will see you", nil},
		{"Jane Smith, MD", nil},
		{"Referring physician: Ahmed Khan", nil},
		{"Monica Reyes, RN, CDCES", nil},
		{"John Smith, PA-C", nil},
		// Not names, or no context for a lone word (regressions seen while tuning).
		{"Ship to Boston MA 02139", nil},
		{"Re: Johnson Controls HVAC maintenance", nil},
		{"Douglas Fitzgerald presented the August financials", []string{"D****** F*********/medium"}},
		{"succeeds Gerald Hoffman, who is retiring after 14 years", []string{"G***** H******/medium"}},
		{"Join us on MS Teams", nil},
		{"=== MX Routing supported", nil},
		{"Upstream-Name: Cyrus SASL", nil},
		{"Kevin E. Martin (martin@cs.unc.edu) 1994", []string{"K**** E. M*****/medium"}},
		{"Jane Smith (2019-2024 board chair)", []string{"J*** S****/medium"}},
		{"Don't Miss Out on the picnic", nil},
		{"Mark Your Calendars", nil},
		{"Re: Quarterly Budget Review", nil},
		{"Patient Portal news", nil},
		{"Patient: Portal", nil},
		{"Smith was there", nil},
		{"The Office Team", nil},
		{"jane smith", nil},
		{"Jane1 Smith", nil},
		{"email Jane.Smith@example.com", nil},
		{"see /Users/Jane Smith", nil},
		{"ABC123 Jane", nil},
	} {
		got := nameHits(t, s, tc.text)
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("%q: got %q, want %q", tc.text, got, tc.want)
		}
	}
}

// TestPersonNameFindingsCarryNoText: the finding has a type and a count only, and the
// masked preview keeps no more than the first letter of each word.
func TestPersonNameFindingsCarryNoText(t *testing.T) {
	s := newScanner(t, Config{})
	text := "Patient: Deborah Testcase, diagnosis melanoma"
	for _, f := range s.Scan([]byte(text), Location{Field: "body"}) {
		if f.Type == TypePersonName && (f.Count != 1 || f.Confidence != High) {
			t.Errorf("finding %+v", f)
		}
	}
	for _, m := range s.Explain([]byte(text), Location{}) {
		if strings.Contains(m.Masked, "eborah") || strings.Contains(m.Masked, "estcase") {
			t.Errorf("masked preview %q shows the name", m.Masked)
		}
	}
	if got := maskName([]byte("José O’Brien")); got != "J*** O******" {
		t.Errorf("maskName = %q", got)
	}
}

// TestPersonNameOff: person_name can be disabled like any detector, and then costs nothing.
func TestPersonNameOff(t *testing.T) {
	s := newScanner(t, Config{Enabled: []string{TypeSSN}})
	if s.names != nil {
		t.Fatal("name table loaded with person_name off")
	}
	if fs := s.Scan([]byte("Patient: Jane Smith"), Location{}); len(fs) != 0 {
		t.Fatalf("findings %v", fs)
	}
}

func TestNameTableLoads(t *testing.T) {
	nt, err := loadNames()
	if err != nil {
		t.Fatal(err)
	}
	if len(nt) < 40000 {
		t.Fatalf("%d names", len(nt))
	}
	get := func(w string) uint8 {
		h, _ := nameHash([]byte(w))
		return nt[h]
	}
	for w, want := range map[string]uint8{
		"deborah": nameGiven, "smith": nameSurname, "morgan": nameGiven | nameSurname,
		"will": nameGiven | nameSurname | nameAmbiguous, "june": nameGiven | nameSurname | nameAmbiguous,
		"parkinson": nameSurname | nameAmbiguous, "testcase": 0,
		// "Johnson Controls": a top surname few people have as a first name is only a surname.
		"johnson": nameSurname,
	} {
		if got := get(w); got != want {
			t.Errorf("%s: flags %03b, want %03b", w, got, want)
		}
	}
	// Accents fold to the ASCII spelling of the lists, apostrophes are dropped.
	if a, _ := nameHash([]byte("José")); a != func() uint64 { h, _ := nameHash([]byte("jose")); return h }() {
		t.Error("José does not hash as jose")
	}
	if a, _ := nameHash([]byte("O’Brien")); a != func() uint64 { h, _ := nameHash([]byte("obrien")); return h }() {
		t.Error("O’Brien does not hash as obrien")
	}
}

// nameFuzzSeeds seed FuzzScan (which runs the name pass too) with name shapes.
var nameFuzzSeeds = []string{
	"Patient Jane Q Testcase, diagnosis metastatic melanoma",
	"Deborah X (September 17, 1962) is a 63-year-old with type 2 diabetes",
	"Re: Smith, John Q. Mr. Testcase, Dr. Jane Smith, MD. Jane Smith, RN",
	"THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG JOHN SMITH MARY JONES",
	"José Ramírez, 45 y/o. O’Brien, Kathleen was admitted",
	"Name:\nKevin Nguyen\nDOB 01/02/1960",
}

// TestNamesStreamLongText: names spread over a long text are counted alike by Scan and
// by a Stream with small windows.
func TestNamesStreamLongText(t *testing.T) {
	s := newScanner(t, Config{})
	var b strings.Builder
	for i := 0; b.Len() < 200<<10; i++ {
		b.WriteString(nameFuzzSeeds[i%len(nameFuzzSeeds)])
		b.WriteString(strings.Repeat(" filler text", i%17))
		b.WriteString("\n")
	}
	text := []byte(b.String())
	want := s.Scan(text, Location{Field: "body"})
	st := s.NewStream(Location{Field: "body"})
	st.window = 256
	for i := 0; i < len(text); i += 100 {
		st.Write(text[i:min(i+100, len(text))])
	}
	got := st.Findings()
	if st.Inexact() || !equalFindings(got, want) {
		t.Fatalf("stream %+v (inexact %v) != scan %+v", got, st.Inexact(), want)
	}
}
