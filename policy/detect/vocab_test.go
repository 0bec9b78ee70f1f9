package detect_test

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/sealgate/sealgate/policy/detect"
)

// The shipped clinical vocabularies. The files are read here as plain files (same rules as
// the loader: '#' at line start or after a space starts a comment) so that the checks do
// not depend on the package's internals.
var vocabLists = []struct {
	file, typ string
	min       int // guards against a truncated or emptied list
}{
	{"conditions.txt", detect.TypeCondition, 600},
	{"medications.txt", detect.TypeMedication, 1200},
	{"procedures.txt", detect.TypeProcedure, 450},
}

func readVocab(t *testing.T, name string) []string {
	t.Helper()
	return detect.ReadList(name) // the loader the scanner uses, on the embedded copy
}

// Words that must never be a dictionary term: ordinary English and business words, and
// abbreviations that mean something common outside medicine (MI = Michigan, PE = physical
// education, CAD = computer-aided design, PCI = payment cards, PSA = public service
// announcement, CBT = computer-based training, AML = anti-money laundering, CMV =
// commercial motor vehicle, BPD = barrels per day, MCI, PVC ...), and drug brand names that
// are also a person's name or a company (Allegra, Exelon, Sonata, Soma).
var vocabStop = []string{
	"ac", "account", "adrenaline", "aids", "allegra", "aml", "asd", "bpd", "bun", "cad",
	"care", "cast", "cbt", "ceo", "cfo", "chart", "clinic", "cmv", "cold", "cto", "discharge",
	"dopamine", "ed", "er", "exam", "exelon", "fit test", "gad", "hr", "iron", "it", "lab",
	"mass", "mci", "mi", "ms", "nash", "or", "order", "osa", "oxygen", "pacemaker", "pad",
	"patch", "pci", "pe", "plan", "ppd", "pressure", "psa", "pt", "pvc", "referral", "scan",
	"screening", "seizure", "shot", "soma", "sonata", "std", "tbi", "test", "therapy",
	"tia", "treatment", "uri", "visit", "central line",
}

// TestVocabularyListsAreCleanAndLoad: every list loads in a Scanner, is sorted, lower case,
// without duplicates (within and across lists), no term shorter than 3 characters, only
// characters the matcher accepts, single spaces, and none of the stop words above.
func TestVocabularyListsAreCleanAndLoad(t *testing.T) {
	stop := map[string]bool{}
	for _, w := range vocabStop {
		stop[w] = true
	}
	seen := map[string]string{}
	for _, l := range vocabLists {
		terms := readVocab(t, l.file)
		if len(terms) < l.min {
			t.Errorf("%s: %d terms, want at least %d", l.file, len(terms), l.min)
		}
		if !sort.StringsAreSorted(terms) {
			t.Errorf("%s: not sorted (LC_ALL=C sort -u)", l.file)
		}
		for _, term := range terms {
			if prev, ok := seen[term]; ok {
				t.Errorf("%s: %q duplicated (also in %s)", l.file, term, prev)
			}
			seen[term] = l.file
			if term != strings.ToLower(term) {
				t.Errorf("%s: %q is not lower case", l.file, term)
			}
			if len(term) < 3 {
				t.Errorf("%s: %q is shorter than 3 characters", l.file, term)
			}
			if strings.Contains(term, "  ") {
				t.Errorf("%s: %q has a double space", l.file, term)
			}
			for _, r := range term {
				if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune(" -'./:,&+()#", r)) {
					t.Errorf("%s: %q has %q, outside what the matcher accepts", l.file, term, r)
				}
			}
			if stop[term] {
				t.Errorf("%s: %q is a stop word (ordinary or non-medical meaning)", l.file, term)
			}
		}
	}
	// The shipped lists build into a Scanner (a bad term fails New).
	if _, err := detect.New(detect.Config{}); err != nil {
		t.Fatal(err)
	}
}

// TestClinicalSentencesFindVocabulary: sentences as clinical, lab, pharmacy and front-desk
// staff write them give condition, medication and procedure findings with the counts the
// listed terms imply.
func TestClinicalSentencesFindVocabulary(t *testing.T) {
	s, err := detect.New(detect.Config{})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		text string
		want map[string]int // type -> minimum count
	}{
		{"Admitted overnight: hx CHF, COPD, HTN, T2DM and CKD stage 3, now ADHF. Started heparin drip; troponin trending down.",
			map[string]int{detect.TypeCondition: 6, detect.TypeMedication: 1, detect.TypeProcedure: 1}},
		{"Tele shows AFib with runs of NSVT. Also GERD, UTI last month, DVT in 2019, ESRD on hemodialysis MWF.",
			map[string]int{detect.TypeCondition: 6, detect.TypeProcedure: 1}},
		{"Please draw CBC with differential, BMP, CMP, HbA1c, lipid panel, TSH, PT/INR, urinalysis and urine culture before the visit.",
			map[string]int{detect.TypeProcedure: 9}},
		{"Reminder: your prenatal visit is Tuesday at 9:00; the 1-hour glucose tolerance test is the same morning.",
			map[string]int{detect.TypeProcedure: 2}},
		{"Cycle 3 chemotherapy infusion Monday; pump disconnect Wednesday. Hold enoxaparin the night before; ondansetron for nausea.",
			map[string]int{detect.TypeProcedure: 1, detect.TypeMedication: 2}},
		{"Confirming crown prep on #14 Thursday and the root canal on #19 next week with Dr. Okafor.",
			map[string]int{detect.TypeProcedure: 2}},
		{"She missed her medication management appointment; refill sertraline 100 mg and trazodone until she is seen.",
			map[string]int{detect.TypeProcedure: 1, detect.TypeMedication: 2}},
		{"Pharmacy: switch Lantus to Tresiba, continue Ozempic 1 mg weekly, Jardiance 10 mg, metformin ER 500 mg BID.",
			map[string]int{detect.TypeMedication: 5}},
		{"Vaccines given today: Shingrix dose 2, Tdap and Prevnar 20. Flu vaccine declined.",
			map[string]int{detect.TypeMedication: 4}},
		{"MRI of the lumbar spine and a screening mammogram are authorized; biopsy only if BI-RADS 4.",
			map[string]int{detect.TypeProcedure: 3}},
		{"Post-op visit after laparoscopic cholecystectomy; physical therapy twice weekly for the rotator cuff tear.",
			map[string]int{detect.TypeProcedure: 3, detect.TypeCondition: 1}},
		{"Dx: major depressive disorder, generalized anxiety disorder and PTSD; continue psychotherapy.",
			map[string]int{detect.TypeCondition: 3, detect.TypeProcedure: 1}},
		{"G2P1 at 32 weeks with gestational diabetes and preeclampsia, on labetalol; NST twice weekly.",
			map[string]int{detect.TypeCondition: 2, detect.TypeMedication: 1}},
		// Behavioral health, dental and spine wording (fresh3 of the realistic corpus).
		{"Screened with the C-SSRS: passive SI earlier, now suicidal ideation with plan; did means restriction with dad.",
			map[string]int{detect.TypeCondition: 1, detect.TypeProcedure: 2}},
		{"Missed two MAT group sessions; bupe refill due, consider moud clinic.",
			map[string]int{detect.TypeProcedure: 2, detect.TypeMedication: 1}},
		{"Plan #19 core buildup and a full crown; he is a bruxer and has a nickel allergy.",
			map[string]int{detect.TypeProcedure: 2, detect.TypeCondition: 2}},
		{"Request for L5-S1 fusion after two epidural steroid injections; amox 2 g for antibiotic prophylaxis.",
			map[string]int{detect.TypeProcedure: 3, detect.TypeMedication: 1}},
		{"Stage IV NSCLC with brain metastases; pembrolizumab plus carboplatin and pemetrexed every 3 weeks.",
			map[string]int{detect.TypeCondition: 1, detect.TypeMedication: 3}},
	}
	for i, c := range cases {
		got := map[string]int{}
		for _, f := range s.Scan([]byte(c.text), detect.Location{Field: "body"}) {
			got[f.Type] = f.Count
		}
		for typ, n := range c.want {
			if got[typ] < n {
				t.Errorf("sentence %d: %s count %d, want at least %d (findings %v)", i+1, typ, got[typ], n, got)
			}
		}
	}
}

// TestBusinessSentencesFindNoVocabulary: ordinary business wording that shares words or
// abbreviations with medicine gives no dictionary finding.
func TestBusinessSentencesFindNoVocabulary(t *testing.T) {
	s, err := detect.New(detect.Config{})
	if err != nil {
		t.Fatal(err)
	}
	texts := []string{
		"Please place the order today; the plan is to cast a wider net before the mass mailing goes out.",
		"PSA: the north parking lot is closed Friday. CAD drawings for the new wing are attached.",
		"Our PCI compliance scan passed. The ED of the foundation meets the CEO and CFO in MI next week.",
		"The PT team and HR will join the IT standup in the OR conference room; AC repair is scheduled.",
		"Under pressure to close the quarter: cold calls, a discharge of the loan lien, and a PVC pipe order.",
		"Complete the CBT module on anti-money laundering (AML) by Friday; CMV drivers need a DOT card.",
		"Invoice 4471 for the annual lease renewal and the lunch and learn about stress management.",
	}
	dict := map[string]bool{detect.TypeCondition: true, detect.TypeMedication: true, detect.TypeProcedure: true}
	for i, txt := range texts {
		for _, f := range s.Scan([]byte(txt), detect.Location{Field: "body"}) {
			if dict[f.Type] {
				t.Errorf("business sentence %d: %s finding (count %d)", i+1, f.Type, f.Count)
			}
		}
	}
}

// TestVocabularyOnBusinessMail logs how many dictionary terms the raw business messages of
// testdata/business carry (no decoding; most are plain text). It fails nothing: whether
// they are flagged is TestBusinessMailFalsePositives's job; this shows what the lists add.
func TestVocabularyOnBusinessMail(t *testing.T) {
	s, err := detect.New(detect.Config{})
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "business", "*.eml"))
	var tbl strings.Builder
	tot := map[string]int{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for _, fd := range s.Scan(b, detect.Location{Field: "body"}) {
			got[fd.Type] = fd.Count
		}
		tot[detect.TypeCondition] += got[detect.TypeCondition]
		tot[detect.TypeMedication] += got[detect.TypeMedication]
		tot[detect.TypeProcedure] += got[detect.TypeProcedure]
		if got[detect.TypeCondition]+got[detect.TypeMedication]+got[detect.TypeProcedure] > 0 {
			fmt.Fprintf(&tbl, "  %-28s condition %d medication %d procedure %d\n", filepath.Base(f),
				got[detect.TypeCondition], got[detect.TypeMedication], got[detect.TypeProcedure])
		}
	}
	t.Logf("dictionary terms in %d business messages:\n%stotal condition %d medication %d procedure %d",
		len(files), tbl.String(), tot[detect.TypeCondition], tot[detect.TypeMedication], tot[detect.TypeProcedure])
}
