package detect

import "sort"

// What says a clinical text is not about a person at all: an animal patient, a control
// sample run on an analyzer, counts in a report.

// TypeAnimalPatient marks veterinary context: "Maple Lane Animal Hospital", "Dr. Raman
// DVM", "8 yr MN beagle", "a 14 yr old cat", "neutered". A veterinary estimate or lab
// report reads like a clinic's letter (a name in the greeting, "his dental cleaning",
// "her creatinine is 2.4"), but the patient is the pet and the person named is its owner:
// no PHI. The finding weighs nothing; the shipped policy does not let a name with clinical
// terms, a third-person health statement or a score decide such a message. Identifiers (the
// owner's card number) and the writer's statements about their own health ("I'm on chemo",
// personal_health at High) still do.
const TypeAnimalPatient = "animal_patient"

// animalWords are veterinary markers. Not "canine" alone (a human tooth), "pet" (a PET
// scan), "DSH" (Medicaid's disproportionate share hospital payments) or "vet clinic" (a
// veteran's); a species word counts only after an age, as a vet writes the signalment
// ("14 yr old cat").
var animalWords = func() []contextWord {
	ws := []contextWord{
		{"veterinary", ctxAnimal}, {"veterinarian", ctxAnimal}, {"animal hospital", ctxAnimal},
		{"animal clinic", ctxAnimal},
		{"dvm", ctxAnimal}, {"vmd", ctxAnimal}, {"feline", ctxAnimal}, {"neutered", ctxAnimal},
		{"spayed", ctxAnimal}, {"domestic shorthair", ctxAnimal}, {"domestic longhair", ctxAnimal},
	}
	for _, age := range []string{"yr", "yrs", "yr old", "yrs old", "yr-old", "year old", "years old", "year-old", "yo", "y/o", "mo old", "month old", "month-old"} {
		for _, sp := range []string{"cat", "dog", "kitten", "puppy", "canine", "feline", "horse", "rabbit", "ferret"} {
			ws = append(ws, contextWord{age + " " + sp, ctxAnimal})
		}
	}
	return ws
}()

// emitAnimal emits one animal_patient finding per veterinary marker in [from, to); a
// signalment marker (a species after an age, "neutered", "feline") only with a clinical
// term, a vital sign or a result within nearWindow bytes of it. A
// species after an age counts only after the age's number ("14 yr old cat", "3-year-old
// dog"), so that "yo dog" in a joke is nothing; the age forms are the only markers that
// start with y or m.
func (s *Scanner) emitAnimal(text []byte, ci *ctxIndex, from, to int, emit func(hit)) {
	if ci.kinds&ctxAnimal == 0 || !s.enabled[TypeAnimalPatient] {
		return
	}
	for _, h := range ci.hits {
		if h.kind&ctxAnimal == 0 || h.start < from || h.start >= to {
			continue
		}
		if c := text[h.start] | 0x20; c == 'y' || c == 'm' {
			p := h.start
			if p > 0 && (text[p-1] == ' ' || text[p-1] == '-') {
				p--
			}
			if p == 0 || !isDigit(text[p-1]) {
				continue
			}
		}
		if !practiceMarker(text[h.start:h.end]) && ci.near(h.start, h.end)&(ctxClinical|ctxVital|ctxResult) == 0 {
			// A pet's signalment says whose care the text is about only where that care is
			// written: "my 3 yr old dog" in an aside of a note about a person's pneumonia,
			// further than nearWindow from any clinical word, does not make it a pet's.
			continue
		}
		emit(hit{typ: TypeAnimalPatient, conf: Medium, start: h.start, end: h.end})
	}
}

// practiceMarker reports a marker that names a veterinary practice or its doctor ("animal
// hospital", "DVM"): it says who writes, which holds for the whole message, as the
// practice's name mostly stands alone in the signature or the From line.
func practiceMarker(m []byte) bool {
	for _, w := range []string{"veterinary", "veterinarian", "animal hospital", "animal clinic", "dvm", "vmd"} {
		if len(m) == len(w) && hasPrefixFold(m, w) {
			return true
		}
	}
	return false
}

// qcReading reports a vital or lab label on the line of a quality-control word ("QC LOT
// 4471-L level1 WBC 4.1 RBC 2.38"): the analyzer's control material, not a patient.
func qcReading(text []byte, ci *ctxIndex, start, end int) bool {
	return ci.kinds&ctxQC != 0 && ci.sameClause(text, start, end, ctxQC)
}

// countedItem reports a label and its number at start inside a list of counts ("By
// reason: CHF 5, sepsis/UTI 4, falls w injury 2, resp 3, other 2"): the two items before
// it in the comma list are words and a bare number, and their words hold no vital sign. A
// list of vitals ("BP 88/50, HR 118, RR 24") has a vital before each reading, and one
// reading after another item ("Wt 82, HR 70") stays a reading; a count of readmissions by
// reason is about no one.
func countedItem(text []byte, ci *ctxIndex, start int) bool {
	p, ok := countBefore(text, ci, start)
	if !ok {
		return false
	}
	_, ok = countBefore(text, ci, p)
	return ok
}

// countBefore looks at the comma-list item that ends right before start: words without a
// vital sign, a space and a bare number of 1-4 digits. It returns where the item starts.
func countBefore(text []byte, ci *ctxIndex, start int) (int, bool) {
	p := start
	for p > 0 && text[p-1] == ' ' {
		p--
	}
	if p == 0 || text[p-1] != ',' {
		return 0, false
	}
	p--
	for p > 0 && text[p-1] == ' ' {
		p--
	}
	e := p
	for p > 0 && isDigit(text[p-1]) {
		p--
	}
	if e-p == 0 || e-p > 4 || p < 2 || text[p-1] != ' ' || !isAlpha(text[p-2]) {
		return 0, false // "88/50," is a reading, "$5," a price
	}
	w := p - 1
	lo := w
	for lo > 0 && text[lo-1] != ',' && text[lo-1] != '\n' && text[lo-1] != ':' && w-lo < 48 {
		lo--
	}
	for i := sort.Search(len(ci.hits), func(i int) bool { return ci.hits[i].end > lo }); i < len(ci.hits) && ci.hits[i].end <= w; i++ {
		if h := ci.hits[i]; h.start >= lo && h.kind&ctxVital != 0 {
			return 0, false
		}
	}
	for lo < w && text[lo] == ' ' {
		lo++
	}
	return lo, true
}
