package detect

import (
	"bytes"
	"sort"
)

// Context kinds signalled by keywords found near a candidate. A "label" is a keyword that
// names the value right after it ("SSN: ..."); the nearest label within labelWindow bytes
// before a candidate decides what a bare number is.
const (
	ctxSSN uint64 = 1 << iota
	ctxNPI
	ctxDEA
	ctxMBI
	ctxNDC
	ctxDx
	ctxCPT
	ctxMRN
	ctxPhone
	ctxDOB
	ctxMember
	ctxNeg // order, invoice, tracking, ...: the number is not about a person
	ctxCard
	ctxPatient  // patient-name context: "patient", "pt name", "Mr."
	ctxClinical // any dictionary hit (condition, medication, procedure)
	ctxAcct     // "account", "acct": an invoice's number unless it is a patient's (see classify)
	ctxPt       // with ctxPatient, the words that can only mean a patient ("patient", "pt")
	ctxAge      // "year-old", "y/o", "age": an age may be stated near (see ageNear)
	ctxVital    // "BP", "HR", "A1c": a reading may follow (see vitalValue)
	ctxResult   // "tested positive": a person's result
	ctxCare     // "copay", "statement", "date of service": billing for someone's care
	ctxFiction  // "fictional", "teaching case": the text says its case is nobody (fiction.go)
	ctxCeleb    // "happy birthday": a coworker's birthday, not a patient's date of birth
	ctxTestRec  // "test patient", ZZTEST: a record in a test or training system (fiction.go)
	ctxAnimal   // "animal hospital", "DVM", "14 yr old cat": the patient is an animal (animal.go)
	ctxQC       // "QC lot", "calibration": a reading of control material, not of a person
	ctxCustomFirst
)

// labelKinds are the kinds that can name a value.
const labelKinds = ^(ctxPatient | ctxClinical | ctxPt | ctxAge | ctxVital | ctxResult | ctxCare | ctxFiction | ctxCeleb |
	ctxTestRec | ctxAnimal | ctxQC)

// negKinds are labels that say a number is not about a person. An account label is one
// unless a patient qualifies it (classify decides).
const negKinds = ctxNeg | ctxAcct

// identityKinds near a clinical term make it about a person.
const identityKinds = ctxPatient | ctxDOB | ctxMRN | ctxSSN | ctxMember | ctxMBI | ctxDx

const (
	labelWindow = 40  // bytes between the end of a label and the value it names
	nearWindow  = 150 // bytes either side for proximity scoring
	maxTermLen  = 64  // longest dictionary or context term
)

type contextWord struct {
	term string
	kind uint64
}

var contextWords = []contextWord{
	{"ssn", ctxSSN}, {"social", ctxSSN}, {"ss#", ctxSSN}, {"ss #", ctxSSN}, {"ss no", ctxSSN}, {"ss no.", ctxSSN}, {"ssn#", ctxSSN},
	{"soc sec", ctxSSN}, {"soc. sec.", ctxSSN}, {"social security", ctxSSN}, {"social sec", ctxSSN},
	{"social security number", ctxSSN}, {"social security no", ctxSSN}, {"taxpayer id", ctxSSN},
	{"npi", ctxNPI}, {"national provider identifier", ctxNPI}, {"provider id", ctxNPI},
	{"dea", ctxDEA}, {"dea#", ctxDEA}, {"dea number", ctxDEA}, {"dea registration", ctxDEA},
	{"mbi", ctxMBI}, {"medicare", ctxMBI}, {"medicare id", ctxMBI}, {"medicare number", ctxMBI}, {"hicn", ctxMBI},
	{"medicare beneficiary identifier", ctxMBI},
	{"ndc", ctxNDC}, {"national drug code", ctxNDC},
	{"diagnosis", ctxDx}, {"diagnoses", ctxDx}, {"diagnosed", ctxDx}, {"dx", ctxDx}, {"icd", ctxDx},
	{"icd-10", ctxDx}, {"icd10", ctxDx}, {"icd-10-cm", ctxDx}, {"diagnosis code", ctxDx}, {"diagnostic code", ctxDx},
	{"cpt", ctxCPT}, {"cpt code", ctxCPT}, {"procedure code", ctxCPT}, {"procedure codes", ctxCPT}, {"hcpcs", ctxCPT},
	{"billing code", ctxCPT},
	{"mrn", ctxMRN}, {"mrn#", ctxMRN}, {"medical record", ctxMRN}, {"medical record number", ctxMRN},
	{"med rec", ctxMRN}, {"med rec#", ctxMRN}, {"med. rec.", ctxMRN}, {"medrec", ctxMRN}, {"medical rec", ctxMRN},
	{"mr#", ctxMRN}, {"mr #", ctxMRN}, {"mr no", ctxMRN}, {"mr no.", ctxMRN}, {"mr number", ctxMRN}, {"mr num", ctxMRN},
	{"chart #", ctxMRN}, {"chart#", ctxMRN}, {"chart number", ctxMRN}, {"chart no", ctxMRN},
	{"patient id", ctxMRN}, {"patient #", ctxMRN},
	// A jail's or a prison's number for a person (booking, DOC, inmate number) and the
	// DoD's and the VA's (EDIPI, DoD ID, VA file or claim number) identify one person as a
	// chart number does.
	{"doc#", ctxMRN}, {"doc #", ctxMRN}, {"doc no", ctxMRN}, {"doc number", ctxMRN}, {"doc id", ctxMRN},
	{"inmate #", ctxMRN}, {"inmate#", ctxMRN}, {"inmate id", ctxMRN}, {"inmate no", ctxMRN}, {"inmate number", ctxMRN},
	{"bk#", ctxMRN}, {"bk #", ctxMRN}, {"booking #", ctxMRN}, {"booking#", ctxMRN}, {"booking no", ctxMRN},
	{"booking number", ctxMRN}, {"so#", ctxMRN}, {"jail id", ctxMRN},
	{"edipi", ctxMRN}, {"dod id", ctxMRN}, {"dod id#", ctxMRN}, {"dod id #", ctxMRN}, {"dod id number", ctxMRN},
	{"va file number", ctxMRN}, {"va file #", ctxMRN}, {"va claim #", ctxMRN}, {"va claim number", ctxMRN},
	{"c-file", ctxMRN}, {"c-file #", ctxMRN},
	{"phone", ctxPhone}, {"tel", ctxPhone}, {"telephone", ctxPhone}, {"cell", ctxPhone}, {"mobile", ctxPhone},
	{"fax", ctxPhone}, {"call", ctxPhone}, {"contact", ctxPhone}, {"ph", ctxPhone}, {"home phone", ctxPhone},
	{"dob", ctxDOB}, {"d.o.b", ctxDOB}, {"d.o.b.", ctxDOB}, {"date of birth", ctxDOB}, {"born", ctxDOB},
	{"birthdate", ctxDOB}, {"birth date", ctxDOB}, {"birthday", ctxDOB},
	// Date-of-birth labels in Vietnamese (folded) and Tagalog.
	{"ngay sinh", ctxDOB}, {"petsa ng kapanganakan", ctxDOB}, {"kaarawan", ctxDOB},
	{"numero de seguro social", ctxSSN}, {"seguro social", ctxSSN},
	{"numero de expediente", ctxMRN}, {"expediente medico", ctxMRN}, {"expediente clinico", ctxMRN},
	{"fecha de nacimiento", ctxDOB}, {"f. nac.", ctxDOB}, {"fecha nac", ctxDOB}, {"nacimiento", ctxDOB},
	// "nacio el 3 de marzo de 2022", "nascido em 14/02/1975": born, in Spanish and Portuguese.
	{"nacio", ctxDOB}, {"nacido", ctxDOB}, {"nacida", ctxDOB}, {"nasceu", ctxDOB}, {"nascido", ctxDOB}, {"nascida", ctxDOB},
	{"mbr#", ctxMember}, {"mbr #", ctxMember}, {"mbr id", ctxMember}, {"member#", ctxMember},
	{"member id", ctxMember}, {"member #", ctxMember}, {"member number", ctxMember}, {"member no", ctxMember},
	{"subscriber id", ctxMember}, {"subscriber #", ctxMember}, {"subscriber number", ctxMember},
	{"member", ctxMember}, {"subscriber", ctxMember}, {"sub id", ctxMember}, {"sub #", ctxMember},
	// A Medicaid ID is the state plan's member ID ("Medicaid ID 41208833719").
	{"medicaid id", ctxMember}, {"medicaid #", ctxMember}, {"medicaid number", ctxMember}, {"medicaid no", ctxMember},
	// California's Medicaid (Medi-Cal) and Spanish member labels ("el numero de Medi-Cal es").
	{"medi-cal", ctxMember}, {"medi-cal id", ctxMember}, {"medi-cal #", ctxMember},
	{"numero de medi-cal", ctxMember}, {"numero de miembro", ctxMember}, {"numero de afiliado", ctxMember},
	{"numero de medicaid", ctxMember},
	{"policy #", ctxMember}, {"policy number", ctxMember}, {"policy no", ctxMember}, {"insurance id", ctxMember},
	{"order", ctxNeg}, {"order #", ctxNeg}, {"order number", ctxNeg}, {"invoice", ctxNeg}, {"inv", ctxNeg},
	{"tracking", ctxNeg}, {"tracking #", ctxNeg}, {"tracking number", ctxNeg}, {"ref", ctxNeg},
	{"reference", ctxNeg}, {"confirmation", ctxNeg}, {"ticket", ctxNeg}, {"po", ctxNeg}, {"po #", ctxNeg},
	{"account", ctxAcct}, {"acct", ctxAcct}, {"acct#", ctxAcct}, {"acc#", ctxAcct}, {"a/c", ctxAcct},
	{"serial", ctxNeg}, {"sku", ctxNeg}, {"part", ctxNeg}, {"p/n", ctxNeg}, {"pn", ctxNeg}, {"part no", ctxNeg},
	{"part number", ctxNeg}, {"part #", ctxNeg}, {"asset", ctxNeg}, {"asset tag", ctxNeg}, {"model", ctxNeg},
	{"catalog", ctxNeg}, {"cat #", ctxNeg}, {"cat no", ctxNeg},
	// A vendor's own numbers for its customer: "customer # 100-44-7812, PO 4500219876"
	// on an invoice or a quote.
	{"customer #", ctxNeg}, {"customer#", ctxNeg}, {"customer no", ctxNeg}, {"customer number", ctxNeg},
	{"customer id", ctxNeg}, {"cust #", ctxNeg}, {"cust#", ctxNeg}, {"cust no", ctxNeg}, {"quote", ctxNeg},
	{"quote #", ctxNeg}, {"quotation", ctxNeg}, {"vendor #", ctxNeg}, {"vendor id", ctxNeg}, {"vendor no", ctxNeg},
	{"case", ctxNeg}, {"transaction", ctxNeg}, {"shipment", ctxNeg}, {"package", ctxNeg}, {"item", ctxNeg},
	// Dates and numbers of an encounter or a claim: a date under "DOS" is not a birth date
	// even with "DOB" one cell to the left; a claim number is not a member ID.
	{"dos", ctxNeg | ctxCare}, {"date of service", ctxNeg | ctxCare}, {"service date", ctxNeg | ctxCare},
	{"admit date", ctxNeg | ctxCare}, {"discharge date", ctxNeg | ctxCare}, {"visit date", ctxNeg | ctxCare}, {"claim #", ctxNeg}, {"claim no", ctxNeg},
	{"claim number", ctxNeg}, {"claim id", ctxNeg},
	// A pharmacy card's routing numbers (BIN, PCN) and group number are the plan's,
	// the same on every member's card: not a member ID.
	{"rxbin", ctxNeg}, {"rx bin", ctxNeg}, {"bin #", ctxNeg}, {"bin#", ctxNeg}, {"bin number", ctxNeg}, {"pcn", ctxNeg}, {"rxpcn", ctxNeg}, {"rx pcn", ctxNeg},
	{"rxgrp", ctxNeg}, {"rx grp", ctxNeg}, {"rx group", ctxNeg}, {"group #", ctxNeg}, {"group#", ctxNeg},
	{"group number", ctxNeg}, {"group no", ctxNeg}, {"grp #", ctxNeg}, {"grp#", ctxNeg},
	{"version", ctxNeg}, {"build", ctxNeg}, {"zip", ctxNeg}, {"booking", ctxNeg}, {"receipt", ctxNeg},
	{"card", ctxCard}, {"card number", ctxCard}, {"credit card", ctxCard}, {"visa", ctxCard},
	{"mastercard", ctxCard}, {"amex", ctxCard}, {"american express", ctxCard}, {"discover", ctxCard}, {"cc#", ctxCard},
	{"patient", ctxPatient | ctxPt}, {"patient:", ctxPatient | ctxPt}, {"patient name", ctxPatient | ctxPt},
	{"pt", ctxPatient | ctxPt}, {"pt name", ctxPatient | ctxPt}, {"pt.", ctxPatient | ctxPt}, {"guarantor", ctxPatient | ctxPt},
	{"mr.", ctxPatient}, {"mrs.", ctxPatient}, {"ms.", ctxPatient},
	{"miss", ctxPatient}, {"client", ctxPatient}, {"beneficiary", ctxPatient}, {"resident", ctxPatient},
	// Ages, which may follow a digit directly ("63yo"): only a hint that ageNear should look.
	{"year old", ctxAge}, {"years old", ctxAge}, {"year-old", ctxAge}, {"years-old", ctxAge}, {"yr old", ctxAge},
	{"yr-old", ctxAge}, {"yrs old", ctxAge}, {"yrs-old", ctxAge}, {"years of age", ctxAge}, {"year of age", ctxAge},
	{"y/o", ctxAge}, {"y.o", ctxAge}, {"yo", ctxAge}, {"yom", ctxAge}, {"yof", ctxAge}, {"age", ctxAge}, {"aged", ctxAge},
	// Vital signs and lab values, a reading only with a number right after (personal.go).
	{"bp", ctxVital}, {"b/p", ctxVital}, {"blood pressure", ctxVital}, {"hr", ctxVital}, {"pulse", ctxVital},
	{"rr", ctxVital}, {"resp", ctxVital}, {"spo2", ctxVital}, {"o2 sat", ctxVital}, {"o2 sats", ctxVital},
	{"sats", ctxVital}, {"temp", ctxVital}, {"tmax", ctxVital}, {"t max", ctxVital},
	{"ef", ctxVital}, {"lvef", ctxVital}, {"a1c", ctxVital}, {"hba1c", ctxVital}, {"glucose", ctxVital},
	{"bg", ctxVital}, {"fsbg", ctxVital}, {"blood sugar", ctxVital}, {"sugar", ctxVital}, {"inr", ctxVital},
	{"hgb", ctxVital}, {"h/h", ctxVital}, {"wbc", ctxVital}, {"plt", ctxVital}, {"k+", ctxVital},
	{"potassium", ctxVital}, {"sodium", ctxVital}, {"creatinine", ctxVital}, {"cr", ctxVital},
	{"troponin", ctxVital}, {"trop", ctxVital}, {"lactate", ctxVital}, {"psa", ctxVital}, {"tsh", ctxVital},
	{"vit d", ctxVital}, {"vit d level", ctxVital}, {"vitamin d level", ctxVital}, {"ferritin", ctxVital},
	{"bmi", ctxVital}, {"gcs", ctxVital}, {"pain", ctxVital}, {"anc", ctxVital}, {"abs neut", ctxVital},
	// Billing for care: an account number near these is a patient's (patientAccount).
	{"copay", ctxCare}, {"co-pay", ctxCare}, {"coinsurance", ctxCare}, {"deductible", ctxCare},
	{"self-pay", ctxCare}, {"eob", ctxCare}, {"patient responsibility", ctxCare},
	{"payment plan", ctxCare}, {"collections", ctxCare}, {"refund", ctxCare}, {"credit balance", ctxCare},
	{"visit", ctxCare}, {"er visit", ctxCare}, {"appointment", ctxCare},
	// A stay's clinical documents: a coder's or a CDI query's account is a patient's.
	{"discharge summary", ctxCare}, {"dc summary", ctxCare}, {"d/c summary", ctxCare}, {"h&p", ctxCare},
	{"progress note", ctxCare}, {"progress notes", ctxCare}, {"op note", ctxCare}, {"operative note", ctxCare},
	{"present on admission", ctxCare},
	{"tested positive", ctxResult}, {"tested negative", ctxResult}, {"tests positive", ctxResult},
	{"came back positive", ctxResult}, {"positive for", ctxResult}, {"was positive", ctxResult},
	{"read positive", ctxResult}, {"screened positive", ctxResult},
}

// fictionWords say the case in a text is made up or a composite, or its figures are
// aggregates (fiction.go).
var fictionWords = []contextWord{
	{"fictional", ctxFiction}, {"fictionalized", ctxFiction}, {"fictionalised", ctxFiction},
	{"fictitious", ctxFiction}, {"hypothetical case", ctxFiction}, {"hypothetical patient", ctxFiction},
	{"teaching case", ctxFiction}, {"a composite", ctxFiction}, {"composite case", ctxFiction},
	{"composite patient", ctxFiction}, {"details changed", ctxFiction}, {"details have been changed", ctxFiction},
	{"no pt-specific", ctxFiction}, {"no patient-specific", ctxFiction}, {"not a real patient", ctxFiction},
	{"not real patients", ctxFiction},
	// Vendors' demos and training records say their patient is invented in their own words:
	// "synthetic demo patient, not real data", "our made-up training patient (not a real
	// person)". Not "sample patient": a sample of patients is real ones.
	{"synthetic patient", ctxFiction}, {"synthetic demo", ctxFiction}, {"synthetic data", ctxFiction},
	{"demo patient", ctxFiction}, {"dummy patient", ctxFiction}, {"mock patient", ctxFiction},
	{"fake patient", ctxFiction}, {"made-up patient", ctxFiction}, {"made up patient", ctxFiction},
	{"training patient", ctxFiction}, {"not a real person", ctxFiction}, {"not real people", ctxFiction},
	{"not real data", ctxFiction},
	// A quiz or an exercise says its scenarios are invented: "All scenarios are made up."
	{"scenarios are made up", ctxFiction},
	{"scenarios are hypothetical", ctxFiction}, {"made-up scenarios", ctxFiction},
	{"made up scenarios", ctxFiction}, {"hypothetical scenario", ctxFiction}, {"hypothetical scenarios", ctxFiction},
	// Aggregate figures, as grant and quality reports (HRSA, SAMHSA) count people: about no
	// one person.
	{"unduplicated clients", ctxFiction}, {"unduplicated patients", ctxFiction},
	{"unduplicated individuals", ctxFiction}, {"aggregate data", ctxFiction}, {"aggregate outcomes", ctxFiction},
	{"in aggregate", ctxFiction},
	// A text that says its cases are de-identified (a tumor board agenda, a case
	// conference): the ages and findings in it belong to nobody named. Only statements
	// that the content is de-identified, not a request for a de-identified file.
	{"are de-identified", ctxFiction}, {"are deidentified", ctxFiction}, {"presented de-identified", ctxFiction},
	{"presented deidentified", ctxFiction}, {"de-identified cases", ctxFiction}, {"deidentified cases", ctxFiction},
	{"de-identified case", ctxFiction}, {"deidentified case", ctxFiction}, {"have been de-identified", ctxFiction},
	{"has been de-identified", ctxFiction},
	// A write-up that labels itself in a parenthesis or a heading: "For discussion
	// (de-identified, please don't look it up): Man in his 60s ...".
	{"(de-identified", ctxFiction}, {"(deidentified", ctxFiction}, {"de-identified:", ctxFiction},
	// Test and training records: Epic-style ZZTEST names, "test patient" (fiction.go).
	{"zztest", ctxTestRec}, {"test patient", ctxTestRec}, {"test patients", ctxTestRec}, {"test pt", ctxTestRec},
	{"test pts", ctxTestRec},
	// A vendor's screenshot or demo site: "Demo patient: ...", "Demo, Patient".
	{"demo patient", ctxTestRec}, {"demo pt", ctxTestRec}, {"demo, patient", ctxTestRec},
	// The placeholder patient of every spec, family name first as a PID or a list has it.
	{"doe jane", ctxTestRec}, {"doe john", ctxTestRec},
	// Analyzer quality control: the values on a QC line are control material's (animal.go).
	{"qc", ctxQC}, {"quality control", ctxQC}, {"control lot", ctxQC}, {"calibration", ctxQC},
	{"calibrator", ctxQC}, {"levey-jennings", ctxQC}, {"westgard", ctxQC},
	{"happy birthday", ctxCeleb}, {"happy bday", ctxCeleb}, {"birthday cake", ctxCeleb},
	{"birthday party", ctxCeleb}, {"birthday celebration", ctxCeleb}, {"birthday lunch", ctxCeleb},
}

type ctxHit struct {
	start, end int
	kind       uint64
}

// ctxIndex holds context hits sorted by end offset. Lookups come mostly in increasing
// position order, so each kind of lookup keeps a cursor and steps forward from it; a
// lookup behind the cursor or far ahead of it falls back to binary search.
type ctxIndex struct {
	hits     []ctxHit
	kinds    uint64 // union of every hit's kind: what no lookup can find need not be looked for
	labelCur int
	nearCur  int
}

// after returns the first index whose hit ends after pos, starting from *cur.
func (c *ctxIndex) after(pos int, cur *int) int {
	i := *cur
	if i > 0 && c.hits[i-1].end > pos {
		i = sort.Search(i, func(k int) bool { return c.hits[k].end > pos })
	} else {
		for steps := 0; i < len(c.hits) && c.hits[i].end <= pos; i, steps = i+1, steps+1 {
			if steps == 8 {
				i += sort.Search(len(c.hits)-i, func(k int) bool { return c.hits[i+k].end > pos })
				break
			}
		}
	}
	*cur = i
	return i
}

// label returns the kind of the nearest label that ends at most labelWindow bytes before pos.
func (c *ctxIndex) label(pos int) uint64 {
	h, ok := c.labelHit(pos, labelWindow)
	if !ok || pos-h.end > labelWindow {
		return 0
	}
	return h.kind & labelKinds
}

// labelHit returns the nearest label that ends at most within bytes before pos. Of labels
// ending at the same place the longest wins ("social security number" over "number").
func (c *ctxIndex) labelHit(pos, within int) (ctxHit, bool) {
	i := c.after(pos, &c.labelCur)
	for i--; i >= 0; i-- {
		h := c.hits[i]
		if pos-h.end > within {
			return ctxHit{}, false
		}
		if h.kind&labelKinds != 0 && h.start < pos {
			for k := i - 1; k >= 0 && c.hits[k].end == h.end; k-- {
				if l := c.hits[k]; l.kind&labelKinds != 0 && l.start < h.start {
					h = l
				}
			}
			return h, true
		}
	}
	return ctxHit{}, false
}

// farLabel returns the kind of the nearest label ending between labelWindow and nearWindow
// bytes before pos, if it names a kind of value (not a negative label) and nothing but words
// sits between: no digit, no line break, no end of a sentence ("SSN on the claim was wrong,
// the correct one is 083132114"). Any nearer label would have been the nearest, so none
// sits between either.
func (c *ctxIndex) farLabel(text []byte, pos int) uint64 {
	_, far := c.labels(text, pos)
	return far
}

// labels returns label(pos) and farLabel(pos) with one walk back.
func (c *ctxIndex) labels(text []byte, pos int) (near, far uint64) {
	h, ok := c.labelHit(pos, nearWindow)
	if !ok {
		return 0, 0
	}
	if pos-h.end <= labelWindow {
		return h.kind & labelKinds, 0
	}
	if h.kind&ctxNeg != 0 || (h.kind&ctxAcct != 0 && !c.qualified(text, h, ctxPt)) {
		// A negative label reaches only labelWindow: "Tracking info for the patient, ..."
		// must not overrule the patient words between. A patient's account label does.
		return 0, 0
	}
	gap := text[h.end:pos]
	if hasDigit(gap) || bytes.IndexByte(gap, '\r') >= 0 || breaksClause(gap) {
		return 0, 0
	}
	return 0, h.kind & labelKinds
}

// qualified reports whether a word of kind k ends right before label h ("patient" in
// "Patient Account #", "pt" in "pt acct"): at most two bytes of space or punctuation between.
func (c *ctxIndex) qualified(text []byte, h ctxHit, k uint64) bool {
	i := sort.Search(len(c.hits), func(i int) bool { return c.hits[i].end > h.start }) - 1
	for ; i >= 0 && h.start-c.hits[i].end <= 2; i-- {
		if c.hits[i].kind&k != 0 {
			for _, b := range text[c.hits[i].end:h.start] {
				if isWord(b) {
					return false
				}
			}
			return true
		}
	}
	return false
}

// near returns the union of kinds of every hit within nearWindow bytes of [start, end).
func (c *ctxIndex) near(start, end int) uint64 {
	lo := start - nearWindow
	hi := end + nearWindow
	i := c.after(lo-1, &c.nearCur)
	var k uint64
	for ; i < len(c.hits); i++ {
		h := c.hits[i]
		if h.start > hi {
			if h.end > hi+maxTermLen {
				break
			}
			continue
		}
		k |= h.kind
	}
	return k
}

// sameClause reports whether a hit of a kind in k lies within nearWindow bytes of
// [start, end) with no line break and no end of a sentence between it and the span: the
// fields of one header line ("Pt: Jane Doe  MR# 123456  Acct# 7765123"), not the next
// sentence of a letter.
func (c *ctxIndex) sameClause(text []byte, start, end int, k uint64) bool {
	lo, hi := start-nearWindow, end+nearWindow
	i := sort.Search(len(c.hits), func(i int) bool { return c.hits[i].end >= lo })
	for ; i < len(c.hits) && c.hits[i].start <= hi; i++ {
		h := c.hits[i]
		if h.kind&k == 0 {
			continue
		}
		a, b := h.end, start
		if h.start >= end {
			a, b = end, h.start
		}
		if a <= b && !breaksClause(text[a:b]) {
			return true
		}
	}
	return false
}

// breaksClause reports whether gap holds a line break or the end of a sentence: '.', '!',
// '?' or ';' before a space, except the period of an initial ("J. Doe").
func breaksClause(gap []byte) bool {
	if bytes.IndexByte(gap, '\n') >= 0 {
		return true
	}
	for k, b := range gap {
		if k+1 >= len(gap) || (gap[k+1] != ' ' && gap[k+1] != '\t') {
			continue
		}
		switch b {
		case '!', '?', ';':
			return true
		case '.':
			if initial := k >= 1 && isAlpha(gap[k-1]) && (k == 1 || !isAlpha(gap[k-2])); !initial {
				return true
			}
		}
	}
	return false
}
