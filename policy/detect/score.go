package detect

import "math"

// typeWeights are the per-type weights of Score. Patient identifiers weigh most; provider
// identifiers (NPI, DEA) are public and weigh little on their own.
var typeWeights = map[string]float64{
	TypeSSN: 10, TypeMBI: 10, TypeMRN: 8, TypeMemberID: 8, TypePatientAccount: 8, TypeDOB: 6, TypeCard: 6,
	TypeICD10: 5, TypeCondition: 3, TypeCPT: 3, TypeNDC: 3, TypeMedication: 2, TypeProcedure: 2,
	TypeNPI: 2, TypeDEA: 2, TypePhone: 1,
	// A name alone is not PHI (every signature has one): it weighs like a phone number. The
	// shipped policy's phi-name-clinical rule pairs a patient's name with clinical content.
	TypePersonName: 1,
	// A statement about one person's health weighs like a procedure.
	TypePersonalHealth: 2,
	// A statement that the case is fiction identifies nobody; the shipped policy uses it
	// to set aside name and health-statement findings, never identifiers.
	TypeTeachingCase: 0,
	// A veterinary marker identifies nobody either (animal.go).
	TypeAnimalPatient: 0,
	// The patient model's verdict is read by its own rule in the shipped policy; in the
	// score it adds nothing the findings it weighs do not already add.
	TypePatientContext: 0,
	TypeNoPatient:      0,
}

// customWeight is the weight of admin dictionaries and regex detectors.
const customWeight = 5

// productTypes name a product, not a person: a drug price list or a vaccine inventory is
// full of them. At low confidence (no patient context near) they weigh nothing unless the
// findings also hold an identity.
var productTypes = map[string]bool{TypeNDC: true, TypeMedication: true}

// contactTypes identify providers and phone lines, not patients: an on-call rota or a
// provider directory is full of them. Below High they weigh nothing unless the findings
// also hold an identity.
var contactTypes = map[string]bool{TypeNPI: true, TypeDEA: true, TypePhone: true}

// codeTypes are billing and diagnosis codes: a code list, a chargemaster or a coding
// lesson signed by its author is full of them, so like products they need an identity.
var codeTypes = map[string]bool{TypeICD10: true, TypeCPT: true}

var clinicalTypes = map[string]bool{TypeCondition: true, TypeProcedure: true, TypeICD10: true, TypeCPT: true}

func hasType(fs []Finding, typ string) bool {
	for _, f := range fs {
		if f.Type == typ && f.Count > 0 {
			return true
		}
	}
	return false
}

// identityTypes say who the content is about.
var identityTypes = map[string]bool{TypeSSN: true, TypeMBI: true, TypeMRN: true, TypeMemberID: true,
	TypePatientAccount: true, TypeDOB: true, TypePersonName: true}

// hasIdentity reports whether fs hold an identity finding: a patient's name (High: a
// patient label, an honorific, a DOB or age after it; Medium names are in every
// signature), or another identity type at medium confidence or above.
func hasIdentity(fs []Finding, names bool) bool {
	for _, f := range fs {
		if f.Count == 0 || !identityTypes[f.Type] || (!names && f.Type == TypePersonName) {
			continue
		}
		if f.Confidence == High || (f.Confidence == Medium && f.Type != TypePersonName) {
			return true
		}
	}
	return false
}

// Score is a total PHI score:
//
//	score = Σ over findings  weight(type) × factor(confidence) × (1 + ln(count))
//
// with weight from typeWeights (5 for admin detectors and dictionaries) and factor
// low = 0.25, medium = 0.6, high = 1.0. The log keeps a long list of one type from
// outweighing a mix of identifiers. Examples: one high SSN = 10; one low phone = 0.25.
// Content counts only when it is about someone (health content without a person is not
// PHI):
//   - drugs and NDCs need an identity (a patient's name at high, or an SSN, MBI, MRN,
//     member ID, patient account number or date of birth at medium or above) or a
//     personal_health statement: a formulary signed by its author is not PHI;
//   - ICD-10 and CPT codes need the same: a code list, a chargemaster or a coding lesson
//     signed by its author is not PHI;
//   - conditions and procedures need the same or any person's name: a newsletter is not
//     PHI, a referral naming the patient is;
//   - NPIs, DEA numbers and phones need a patient identifier other than a name: a roster of
//     doctors' names and NPIs is not PHI.
func Score(fs []Finding) float64 {
	total := 0.0
	individual := -1 // unknown until a clinical or product finding asks
	named := -1
	patientID := -1 // unknown until a contact finding asks
	for _, f := range fs {
		if f.Count <= 0 {
			continue
		}
		w, ok := typeWeights[f.Type]
		if !ok {
			w = customWeight
		}
		var factor float64
		switch f.Confidence {
		case Low:
			factor = 0.25
		case Medium:
			factor = 0.6
		case High:
			factor = 1.0
		}
		if f.Type == TypePersonalHealth {
			// High only says the statement is the writer's own; it weighs like any other.
			factor = min(factor, 0.6)
		}
		switch {
		case productTypes[f.Type] || clinicalTypes[f.Type]:
			// Drugs, codes and clinical terms are about a person only if the findings
			// point at one: an identifier, a patient's name, a personal statement; for
			// diagnoses and procedures (not drug lists) any person's name.
			if individual < 0 {
				individual, named = 0, 0
				if hasIdentity(fs, true) || hasType(fs, TypePersonalHealth) {
					individual, named = 1, 1
				} else if hasType(fs, TypePersonName) {
					named = 1
				}
			}
			if productTypes[f.Type] || codeTypes[f.Type] {
				factor *= float64(individual)
			} else {
				factor *= float64(named)
			}
		case contactTypes[f.Type]:
			// Provider and phone identifiers: only with a patient identifier (a roster
			// of doctors' names and NPIs is not PHI).
			if patientID < 0 {
				patientID = 0
				if hasIdentity(fs, false) {
					patientID = 1
				}
			}
			factor *= float64(patientID)
		}
		total += w * factor * (1 + math.Log(float64(f.Count)))
	}
	return total
}
