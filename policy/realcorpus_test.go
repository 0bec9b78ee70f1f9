package policy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/sealgate/sealgate/internal/testtool"
)

// realLabel is one message's label in testdata/phi-real/<category>/labels.json.
// The corpus was written by people who did not read the detectors (see
// testdata/phi-real/README.md): mail as staff write it, attachments made by
// LibreOffice, zip, iconv and ImageMagick, hard negatives.
type realLabel struct {
	PHI        bool     `json:"phi"`
	Why        string   `json:"why"`
	Where      []string `json:"where"`
	Unreadable bool     `json:"unreadable"` // PHI only in content no text engine reads: must be unscannable
	Split      string   `json:"split"`      // dev, holdout, fresh, fresh2 ... fresh10 (tuned on: tunedSplits)
}

type realTally struct{ pos, tp, neg, fp int }

func (t realTally) recall() float64 {
	if t.pos == 0 {
		return 1
	}
	return float64(t.tp) / float64(t.pos)
}

func (t realTally) precision() float64 {
	if t.tp+t.fp == 0 {
		return 1
	}
	return float64(t.tp) / float64(t.tp+t.fp)
}

func (t *realTally) add(o realTally) { t.pos += o.pos; t.tp += o.tp; t.neg += o.neg; t.fp += o.fp }

// Floors this suite holds on the realistic corpus through the whole engine
// with the shipped default policy. The targets are 0.97 for both;
// the floors are what is met today less a small margin (recall 0.996,
// precision 0.989 over the tuned splits with fresh10; recall 0.985, precision
// 0.996 with OCR on), so a change that loses quality fails here. They hold over tunedSplits.
// fresh3 was scored once before any tuning (recall 0.803, precision 0.942),
// fresh4 likewise (recall 0.914, precision 0.883; 0.914 and 0.883 with OCR on);
// both are tuned on now like the others (fresh4 now 1.000 and 1.000).
// fresh5 (writer H) was scored once, untuned: recall 0.684, precision
// 0.812; it is tuned on now too (recall 1.000, precision 0.974: the one false
// alarm is a phone photo nobody read, which fails closed as it should).
// fresh6 (writer I) was scored once, untuned, after the fresh5 tuning:
// recall 0.929 (39 of 42), precision 0.975 (one false alarm); telehealth
// 11/11, public health and school 11/12 (1 false alarm), legal and records
// release 9/10, OB, fertility and genetics 8/9. It is tuned on now too:
// recall 1.000, precision 1.000 (with OCR on 0.952 and 1.000: two phone
// photos whose OCR text is too garbled to read). All tuned splits with
// fresh6: recall 0.995, precision 0.986 (OCR on: 0.986, 0.995).
const (
	realRecallFloor    = 0.983
	realPrecisionFloor = 0.978
)

// fresh7 (writer J) was scored once, untuned, after the fresh6 tuning:
// recall 0.857 (36 of 42), precision 0.947 (two false alarms); HL7/FHIR and
// EHR IT 9/10 (2 false alarms), Spanish and bilingual 9/11, dialysis and
// transplant 10/11, DME and supplies 8/10. It is tuned on now too: recall
// 1.000 (42 of 42), precision 1.000 (every category 1.000, no false alarm),
// through an HL7 PID pass by field position, HL7 test patients (ZZTEST^,
// TEST^PATIENT, DOE^JANE) set aside, Spanish labels, statements and
// vocabulary, and a relative's role in parentheses (with OCR on 0.976 and
// 1.000: a prescription-label photo whose OCR loses the patient's name). All
// tuned splits with fresh7: recall 0.995, precision 0.987 (OCR on: 0.985,
// 0.995).
// fresh8 (writer K) was scored once, untuned, after the fresh7 tuning:
// recall 0.773 (34 of 44), precision 1.000; VA/TRICARE 10/11, correctional
// health 9/11, rehab and sports medicine 9/12, Asian-Pacific communities
// 6/10 (names in their own order and scripts). It is tuned on now too: recall
// 1.000 (44 of 44), precision 1.000 (every category 1.000), through
// correctional and VA name labels ("inmate", "Veteran:"), booking, DOC,
// EDIPI and VA file number labels, a CJK pass (Han and Hangul labels, terms
// and names after a patient label, after 我是, before 님; year-first CJK
// dates after a DOB label), athletic-training and VA vocabulary, vitamin D
// readings and a form's "Sex:" field after a name (with OCR on 0.977 and
// 1.000: a pharmacy-label photo whose OCR loses the name and the DOB label).
// All tuned splits with fresh8: recall 0.995, precision 0.988 (OCR on: 0.984,
// 0.995).
// fresh9 (writer L) was scored once, untuned, after the fresh8 tuning:
// recall 0.905 (38 of 42), precision 1.000; dietitian and diabetes
// education 10/10, ED and trauma registry 9/10, social work and case
// management 10/11, specialty clinics 9/11. It is tuned on now too: recall
// 1.000 (42 of 42), precision 1.000 (every category 1.000), through the
// age-and-sex shorthand before a name ("67M <name>", as pages write it, the
// mirror of fresh4's "<name>, 71F"), "Pt is <name>" as a patient label, lay
// operation phrases ("tonsils out", "gallbladder removed") and thrombectomy,
// and a spreadsheet header with reading times ("D2 (48h)") still labelling
// its columns. Like earlier splits' misses, three of the four were a name
// whose patient context sat in a shape the name rule did not read. All tuned
// splits with fresh9: recall 0.996, precision 0.988 (OCR on: 0.985, 0.996;
// fresh9 1.000 and 1.000 with OCR on too).
// fresh10 (writer M, 60 messages) was scored once, untuned, after the
// fresh9 tuning: recall 0.906 (29 of 32), precision 0.967 (one false
// alarm); urgent care 8/8, practice admin 8/8, lab courier and specimens
// 7/8 (1 false alarm), interpreters and translation 6/8. It is tuned on now
// too: recall 1.000 (32 of 32), precision 1.000 (every category 1.000, no
// false alarm), through a clinical term heading the phrase right after a
// name on its line, as a specimen label writes it ("<surname> <given> breast
// core"), with surname-first names read as a weak shape; a later clause of
// the name's sentence opened by "she"/"he" with a past-tense verb and a
// clinical term ("..., she delivered at noon (c section)"); a name that
// begins an organisation's name ("<surname> Family Medicine", a client
// column's practices) being no person; and Spanish and Portuguese dates
// ("3 de marzo de 2022") after "nacio"/"nacido"/"nascido". Two of the three
// misses were again a name whose patient context sat in a shape the name
// rule did not read. None of the new rules puts a high name on a negative of
// the tuned splits (24 negatives carried one before, 23 now: the client list
// dropped out) or on the business mail in policy/detect. With OCR on fresh10 is
// 0.969 and 1.000 (a specimen-tube photo whose OCR garbles the DOB and MRN
// labels). All tuned splits with fresh10: recall 0.996, precision 0.989
// (OCR on: 0.985, 0.996); the floors stay.
// fresh11 (writer N, 60 messages) was scored once, untuned, after the
// fresh10 tuning: recall 0.906 (29 of 32), precision 1.000; hospice and
// palliative 8/8, clinical trials 8/8, eye care 7/8, addiction treatment
// (42 CFR Part 2) 6/8. It is tuned on now too: recall 1.000 (32 of 32),
// precision 1.000 (every category 1.000, no false alarm), through a full
// name that signs a message bare (alone on its line, then only blank lines, a
// phone's "Sent from my iPhone" or the quoted thread) under a first-person
// sentence about the writer's own care ("my corneas are too thin for LASIK",
// "i have the induction appt for the suboxone"; not with a patient, a client,
// a group or a verb of work in that sentence, nor a role or a phone after the
// name); and a name that opens its sentence as the subject of a verb in the
// past tense with a clinical term heading its phrase later in the sentence
// ("<name> self-referred to the EAP and is now enrolled in a program for
// alcohol use disorder"; not "presented on", "worked in", "joined our
// dialysis unit", "reported 12 cases of"). Verbs of work now also end
// fresh10's pronoun clause ("Meet <name>, she worked in dialysis for
// years"). All three misses were again a name whose patient context sat in
// a shape the name rule did not read (two a patient's own phone mail). None
// of the new rules puts a high name on a negative of the tuned splits (the
// same 23 negatives carry one before and after) or on the business mail in
// policy/detect (5 of 42 high before and after). With OCR on fresh11 was
// 0.938 (a faxed POLST and a consent signature page, whose names the lists
// lack); a form's name field ("Patient Last Name: X First: Y", "Name of
// Participant:", "Patient Name:") now names its person whatever the lists
// say, and fresh11 is 1.000 and 1.000 with OCR on too. All tuned splits with
// fresh11: recall 0.996, precision 0.989 (OCR on: 0.985, 0.996); the floors
// stay.
// fresh12 (writer O) and fresh13 (writer P), 60 messages each, were scored
// once, untuned, after the fresh11 tuning: fresh12 recall 0.750 (24 of 32),
// precision 0.857 (4 false alarms); utilization review 7/8 (3 false
// alarms), device reps and remote monitoring 7/8, blood donation 6/8 (1),
// chaplaincy 4/8. fresh13 recall 0.875 (28 of 32), precision 0.848 (5 false
// alarms); collections agency 8/8 (1), bariatric surgery 7/8 (1), travel
// immunization 7/8 (1), foundation and grateful-patient fundraising 6/8 (2).
// The engine before the fresh10 and fresh11 tuning (9ec57fd) scores both
// splits exactly the same, message for message, and fresh11 the same as it
// did untuned (29 of 32): the per-split rules of those two rounds did not
// carry to any new split. Misses are mostly a name with a condition below the
// threshold or a condition whose person is not found; false alarms are
// de-identified case write-ups, SSN-shaped invoice numbers and a donor's
// acknowledgement letter.
// fresh14 (writer Q, 60 messages) was scored once, untuned, at the same
// engine: recall 0.781 (25 of 32), precision 1.000; gender-affirming care
// 7/8, ambulatory surgery 6/8, radiation oncology 6/8, tribal and IHS
// clinics 6/8.
// fresh12 is tuned on now (fresh13 stays held out: its misses were not read),
// aiming at error classes rather than its messages: recall 0.969 (31 of 32),
// precision 1.000 (no false alarm; 4 before). False alarms: a blood type is no
// test result ("O-positive for unknown males"), a lab name with a time point
// is no reading ("hs-troponin 0/1 hr algorithm"), a write-up that labels
// itself "(de-identified" or "De-identified:" is a teaching case, and a
// vendor's customer, quote and vendor numbers are no SSN. Misses: lay words
// for what happened to a person (drowning, stillborn, tumor, "kidney
// removed", HBsAg); a name that is the object of "for" after an ordered test
// or a review word ("an order for MRI lumbar spine for <name>", "the p2p for
// <name>"); a name right after "came back on" or "results on"; a bed right
// after a name ("<name> in MICU bed 7"); a gestational age right after it
// (", 34 weeks pregnant"); and names the lists do not know (two unlisted
// capitalised words, or a given name listed only as a surname) counted with
// such context. The same 23 earlier negatives carry a high name before and
// after (fresh12's on-call rota did already, untuned). Left: a mother named
// (medium) in one paragraph and her stillbirth in the quoted one. A
// message-level name + clinical combination was measured and not added: 53
// tuned negatives hold a medium name and a clinical term. With OCR on fresh12
// is 0.938 and 1.000 (a pacemaker ID card photo whose OCR garbles the device
// word). All tuned splits with fresh12: recall 0.995, precision 0.990 (OCR
// on: 0.983, 0.996, at the floor: fresh12's photo lowers it); the floors stay.
// After the fresh12 tuning fresh13 and fresh14 score exactly as before it
// (28 of 32 with 5 false alarms; 25 of 32 with none): a third round of rules
// that did not carry to the next writers.
// The patient model (detect.TypePatientContext, patientmodel_train_test.go) is
// trained on patientModelSplits: tunedSplits plus fresh13 and fresh14. Before
// fresh13 and fresh14 were added it was scored on them once: the rules alone
// 0.828 and 0.914 over the two, rules and model 0.922 and 0.922 (the model
// alone 0.891 and 1.000). Leaving each writer out of the training in turn,
// over dev..fresh14: rules and model 0.992 and 0.977, the rules alone 0.982
// and 0.985. fresh16 (writer S, 28 messages) was written after the model and
// scored once: rules alone 0.933 (14 of 15) and 1.000, with the model 1.000
// and 0.938 (one false alarm of 13 negatives). fresh17 (writer T, 40) and
// fresh18 (writer U, 40), written after the model, scored once: fresh17
// rules alone 0.900 (18 of 20) and 1.000, with the model 1.000 and 1.000;
// fresh18 rules alone 0.800 (16 of 20) and 1.000, with the model 0.850 (17
// of 20) and 1.000 (disability claims 3/5, security and EVS 4/5). Over
// fresh16-18 (108): rules alone 0.873 and 1.000, with the model 0.945 and
// 0.981. fresh19 (writer V: allergy, cardiac and pulmonary rehab, NICU and
// lactation, chiropractic and acupuncture) and fresh20 (writer W: good-faith
// estimates and charity care, volunteers and patient transport, child life
// and hospital school, corporate wellness), 40 each, scored once: over the
// two, rules alone recall 0.750 (30 of 40) and precision 0.882 (4 false
// alarms); with the model trained to fresh14 0.975 and 0.867 (6); then the
// model was retrained with fresh16-18 (decided before V and W were scored)
// and scores 1.000 and 0.870 (40 of 40, 6 false alarms: 3 in each split).
// Then fresh19 and fresh20 were tuned on (two of their false alarms were a
// vendor's "synthetic demo patient" and a training record's "made-up training
// patient ... not a real person": fiction words now) and the model retrained
// on dev..fresh20, both decided before fresh21 (writer X: compounding
// pharmacy, organ and tissue donation, forensic nursing and the medical
// examiner, college health) and fresh22 (writer Y: drug diversion,
// interventional radiology, pain management, nurse triage lines) were
// scored once: rules alone recall 0.675 (27 of 40) and precision 1.000
// (the training test's held-out line); through the engine with the model
// fresh21 0.900 (18 of 20) and 1.000, fresh22 0.950 (19 of 20) and 0.950
// (one false alarm): 0.925 and 0.974 over the two. Then the model was
// retrained on dev..fresh22 (rules unchanged) before fresh23 (writer R:
// hospital at home, infection prevention, speech and swallow, epilepsy) and
// fresh24 (writer Z: payer care management, guardianship and APS,
// prosthetics and orthotics, plastic and reconstructive surgery) were scored
// once: rules alone 0.875 (35 of 40) and 1.000; with the model fresh23 0.950
// and 0.950, fresh24 1.000 and 0.952 (one false alarm each): 0.975 and 0.951
// over the two. fresh25 (writer AB: birth center and midwives, urology,
// memory clinic, release-of-information vendors) and fresh26 (writer AC:
// ENT, endoscopy, a critical access hospital, veterans service officers),
// scored once with the same engine: rules alone 0.775 (31 of 40) and 1.000;
// with the model 0.950 and 1.000 each (38 of 40, no false alarm). Over the
// four writers the shipped model never saw (fresh23-26, 160 messages):
// recall 0.963 (77 of 80), precision 0.975 (2 false alarms); the rules
// alone 0.825 and 1.000. Then the model was retrained on dev..fresh26 (leave
// one writer out over those 2,014 messages: rules and model 0.988 and 0.976,
// rules alone 0.944 and 0.985), before any later writer was merged.
// fresh27-32 (writers AD: cardiology and heart failure, anticoagulation,
// CDI and coding audits, patient relations; AE: risk management, medical
// staff office, HIE and care coordination, eating disorders; AF: civil
// surgeons, DOT and FAA examiners, a farmworker mobile clinic, rheumatology
// biologics; AG: orthopedics and IMEs, tele-ICU and rapid response, PFT
// and long COVID, psychiatric commitment hearings; AH: food and nutrition,
// pediatric diabetes camp, concierge practice, sexual and domestic violence
// advocacy; AI: Medicaid renewals, sickle cell day hospital, patient
// belongings, MRO drug testing), 240 messages, 123 with PHI, scored once
// with that engine: recall 0.951 (117 of 123), precision 0.929 (9 false
// alarms in 117 negatives); the rules alone 0.837 and 0.928 (8 of the 9
// false alarms are the rules'), the model alone 0.911 and 0.982.
// Then fresh27-32 were tuned on (blank form fields, statistics, a county
// road, a question about whoever tested positive, a supplier's customer
// account, test-record identifiers, a census or docket row with a case
// number) and the model retrained on dev..fresh32 (leave one writer out over
// 2,254: rules and model 0.987 and 0.972, rules alone 0.936 and 0.985),
// before fresh33-38 (writers AJ: transfer center, hand therapy,
// meds-to-beds, refugee health; AK: neurosurgery, parking and escorts,
// reference lab client services, Medicare Advantage appeals; AL: BMT and
// CAR-T, identity and privacy office, adult day health, personal care
// aides; AM: maternal-fetal medicine, oral surgery, clinical ethics,
// medical respite; AN: nephrology, marketing, GME office, mail-order
// pharmacy; AO: gynecologic oncology, therapists' billing, hospital
// operators, SHIP counselors; 240 messages, 122 with PHI) were scored once:
// recall 0.959 (117 of 122), precision 0.914 (11 false alarms in 118
// negatives); the rules alone 0.770 and 0.895 (all 11 false alarms are
// the rules'), the model alone 0.934 and 0.983.
// On new writers the false alarms were the rules', so the model now vetoes
// phi-name-clinical, phi-personal-health (but not the writer's or reader's own
// health) and phi-score below a probability of 0.30 (detect.TypeNoPatient),
// the threshold chosen leaving each writer out over the 468 messages of the
// writers the rules were never tuned on (precision 0.962 to 0.974, recall
// 0.954 unchanged). fresh33-38 with it: recall 0.959 (117 of 122), precision
// 0.967 (4 false alarms); their totals had been seen, their messages not.
// Then fresh33-38 were tuned on (a form's empty checkbox options, a quiz's
// made-up scenarios) and the model retrained on dev..fresh38 (leave one
// writer out over 2,494: with the veto 0.981 and 0.979; over the writers the
// rules were never tuned on 0.962 and 0.979), before fresh39-44 were scored.
// fresh39-44 (writers AP: pediatric cardiology, phlebotomy draw stations,
// sterile processing, perinatal bereavement; AQ: a child advocacy center,
// survey readiness, a concussion clinic, workers' comp nurse case managers;
// AR: Mohs surgery, revenue integrity, a PrEP program, pediatric home
// ventilators; AS: central scheduling, a stroke program, an integrative
// clinic, community paramedicine; AT: a pharmacy's immunizations, accounts
// payable, a pediatric feeding clinic, DUI evaluations; AU: retina
// injections, network contracting, NICU follow-up, international patients;
// 240 messages, 121 with PHI), scored once through the shipped engine, veto
// and all: recall 0.959 (116 of 121), precision 0.983 (2 false alarms in 119
// negatives); the rules alone 0.826 and 0.962, the model alone 0.926 and
// 1.000. Over the three rounds of six writers (720 messages) recall was 0.951,
// 0.959 and 0.959. fresh45-50 (writers AV: Medicaid rides, hepatology, a
// hospital's retail counters, private duty nursing; AW: an infusion center, a
// legal records desk, special education services, plastics and hand call;
// AX: pulmonary hypertension and lung transplant, language access, travel
// medical assistance, rehab admissions; AY: an HIV clinic, environmental
// health and safety, crisis stabilization, dental claims; AZ: a menopause
// clinic, grateful patients, jail reentry, cardiac monitoring; BA: pediatric
// IBD, employee health, senior living, genetic lab billing; 240 messages, 122
// with PHI), scored once through the same shipped engine: recall 0.984 (120
// of 122), precision 0.992 (1 false alarm). Over fresh39-50, the 480 messages
// the shipped engine never saw: recall 0.971, precision 0.987; the rules
// alone 0.831 and 0.962, the model alone 0.938 and 0.996. fresh51-56 (writers
// BB: ABA therapy, a cancer registry, newborn screening, stop-loss; BC: Part D
// MTM, breast imaging navigation, a CF center, GLP-1 telehealth; BD: anesthesia
// pre-op, lead poisoning, medical cannabis, doulas; BE: wheelchair seating,
// LTACH admissions, pediatric heme-onc, an IRB; BF: subrogation, COBRA, travel
// nurse credentialing, vaccine safety; BG: WOC nursing, medication safety, a
// transfusion service, neonatal transport; 240 messages, 125 with PHI), scored
// once through the engine with the newborn-name rule: recall 0.984 (123 of
// 125), precision 0.961 (5 false alarms). Over fresh39-56, 720 messages:
// recall 0.976, precision 0.978. fresh51-56 were then tuned on (demo records,
// a wrapped checkbox option, a CPR card column) and the model retrained with
// them; fresh39-50 stay held out from both: 0.971 and 0.992 there.
// fresh13-18, fresh21-26 and fresh39-50 stay held out from the rules.
// tunedSplits are the splits the detectors have been tuned on.
var tunedSplits = []string{"dev", "holdout", "fresh", "fresh2", "fresh3", "fresh4", "fresh5", "fresh6", "fresh7", "fresh8", "fresh9", "fresh10", "fresh11", "fresh12", "fresh19", "fresh20", "fresh27", "fresh28", "fresh29", "fresh30", "fresh31", "fresh32", "fresh33", "fresh34", "fresh35", "fresh36", "fresh37", "fresh38", "fresh51", "fresh52", "fresh53", "fresh54", "fresh55", "fresh56"}

// TestRealisticCorpus scores message-level decisions: a PHI message must be
// decided by a rule other than the default one (encrypt), a non-PHI message
// by the default rule (TLS). It prints per-category recall and false-positive
// rate and overall precision/recall, for the dev and holdout splits apart.
func TestRealisticCorpus(t *testing.T) {
	eng, err := NewEngine(DefaultSet())
	if err != nil {
		t.Fatal(err)
	}
	_, total, unreadMissed := scoreRealCorpus(t, eng)
	if unreadMissed > 0 {
		t.Errorf("%d messages with unreadable content were counted as scanned", unreadMissed)
	}
	if total.recall() < realRecallFloor {
		t.Errorf("recall %.3f below %.2f", total.recall(), realRecallFloor)
	}
	if total.precision() < realPrecisionFloor {
		t.Errorf("precision %.3f below %.2f", total.precision(), realPrecisionFloor)
	}
}

// TestRealisticCorpusWithOCR scores the same corpus with settings.ocr on:
// the photos and scans are then read instead of listed as not read (or
// unscannable), which is what OCR costs and buys.
func TestRealisticCorpusWithOCR(t *testing.T) {
	if testing.Short() {
		t.Skip("OCR of the corpus takes a while")
	}
	testtool.RequireAll(t, "apt-get install tesseract-ocr tesseract-ocr-eng", "tesseract")
	set := DefaultSet()
	set.Settings.OCR.Enabled = true
	eng, err := NewEngine(set)
	if err != nil {
		t.Fatal(err)
	}
	_, total, _ := scoreRealCorpus(t, eng)
	if total.recall() < realRecallFloor {
		t.Errorf("recall with OCR %.3f below %.2f", total.recall(), realRecallFloor)
	}
}

// scoreRealCorpus evaluates every labelled message with eng and logs the
// tables; it returns the totals over every split and over tunedSplits, and
// how many messages with unreadable content were neither unscannable nor
// listed as not read.
func scoreRealCorpus(t *testing.T, eng *Engine) (all, tuned realTally, unread int) {
	t.Helper()
	const root = "../testdata/phi-real"
	files, _ := filepath.Glob(filepath.Join(root, "*", "labels.json"))
	if len(files) == 0 {
		t.Skip("no realistic corpus in " + root)
	}
	byCat := map[string]*realTally{}
	bySplit := map[string]*realTally{}
	var total realTally
	var misses []string
	unreadMissed := 0
	for _, lf := range files {
		cat := filepath.Base(filepath.Dir(lf))
		raw, err := os.ReadFile(lf)
		if err != nil {
			t.Fatal(err)
		}
		var labels map[string]realLabel
		if err := json.Unmarshal(raw, &labels); err != nil {
			t.Fatalf("%s: %v", lf, err)
		}
		names := make([]string, 0, len(labels))
		for n := range labels {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			l := labels[n]
			msg, err := os.ReadFile(filepath.Join(filepath.Dir(lf), n))
			if err != nil {
				t.Fatalf("%s: %v", lf, err)
			}
			d, err := eng.Evaluate(context.Background(), Input{Env: EnvelopeFromHeaders(msg), Body: bytes.NewReader(msg)})
			if err != nil {
				t.Fatalf("%s/%s: %v", cat, n, err)
			}
			flagged := d.Rule != "default"
			var one realTally
			if l.PHI {
				one.pos = 1
				if flagged {
					one.tp = 1
				}
			} else {
				one.neg = 1
				if flagged {
					one.fp = 1
				}
			}
			if l.Unreadable && len(d.Unscannable) == 0 && len(d.NotRead) == 0 {
				unreadMissed++
				misses = append(misses, fmt.Sprintf("%s/%s: unreadable content counted as scanned", cat, n))
			}
			if l.PHI != flagged && (l.Split == "" || slices.Contains(tunedSplits, l.Split) || os.Getenv("SEALGATE_SHOW_HOLDOUT") == "1") {
				// Misses of an untuned split stay unnamed unless asked for: whoever
				// tunes the detectors must not see them (counts are always printed).
				kind := "missed"
				if flagged {
					kind = "false alarm"
				}
				misses = append(misses, fmt.Sprintf("%s/%s [%s]: %s: rule %s, findings %v, score %.2f (%s)",
					cat, n, l.Split, kind, d.Rule, d.FindingCounts(), d.Score, l.Why))
			}
			if byCat[cat] == nil {
				byCat[cat] = &realTally{}
			}
			split := l.Split
			if split == "" {
				split = "dev"
			}
			if bySplit[split] == nil {
				bySplit[split] = &realTally{}
			}
			byCat[cat].add(one)
			bySplit[split].add(one)
			total.add(one)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-14s %5s %5s %7s %5s %4s %7s\n", "category", "pos", "tp", "recall", "neg", "fp", "fp-rate")
	cats := make([]string, 0, len(byCat))
	for c := range byCat {
		cats = append(cats, c)
	}
	sort.Strings(cats)
	row := func(name string, c realTally) {
		fpr := 0.0
		if c.neg > 0 {
			fpr = float64(c.fp) / float64(c.neg)
		}
		fmt.Fprintf(&b, "%-14s %5d %5d %7.3f %5d %4d %7.3f\n", name, c.pos, c.tp, c.recall(), c.neg, c.fp, fpr)
	}
	for _, c := range cats {
		row(c, *byCat[c])
	}
	for _, s := range tunedSplits {
		if c := bySplit[s]; c != nil {
			row("split:"+s, *c)
		}
	}
	var untuned []string
	for s := range bySplit {
		if !slices.Contains(tunedSplits, s) {
			untuned = append(untuned, s)
		}
	}
	sort.Strings(untuned)
	for _, s := range untuned {
		what := " (untuned, held out)"
		if slices.Contains(patientModelSplits, s) {
			what = " (rules untuned, model trained)"
		}
		row("split:"+s+what, *bySplit[s])
	}
	row("ALL", total)
	fmt.Fprintf(&b, "overall: precision %.3f recall %.3f over %d messages (%d PHI, %d not); labelled unreadable but neither unscannable nor listed as not read: %d\n",
		total.precision(), total.recall(), total.pos+total.neg, total.pos, total.neg, unreadMissed)
	for _, s := range tunedSplits {
		if c := bySplit[s]; c != nil {
			tuned.add(*c)
		}
	}
	fmt.Fprintf(&b, "tuned splits %v: precision %.3f recall %.3f\n", tunedSplits, tuned.precision(), tuned.recall())
	t.Log(b.String())
	for _, m := range misses {
		t.Log(m)
	}
	return total, tuned, unreadMissed
}
