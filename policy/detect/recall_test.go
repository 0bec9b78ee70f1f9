package detect

import (
	"math"
	"strings"
	"testing"
)

// Regression tests for what staff actually write (issue 9): context words, far labels,
// dates of birth without a label, and the false alarms of product codes, log IDs and order
// numbers. Each failed before the change it comes with.

// scanner2026 is a default Scanner whose "now" is 2026, so that ages and birth years agree.
func scanner2026(t *testing.T) *Scanner {
	t.Helper()
	s := newScanner(t, Config{})
	s.year = 2026
	return s
}

type want struct {
	typ  string
	conf Confidence // the least confidence wanted; 0 = the type must not be found at all
}

func checkFindings(t *testing.T, s *Scanner, text string, wants ...want) {
	t.Helper()
	fs := scanOne(t, s, text)
	for _, w := range wants {
		f, ok := findingOf(fs, w.typ)
		switch {
		case w.conf == 0 && ok:
			t.Errorf("%q: unexpected %s (%v)", text, w.typ, f.Confidence)
		case w.conf != 0 && (!ok || f.Confidence < w.conf):
			t.Errorf("%q: want %s at %v or more, got %+v", text, w.typ, w.conf, fs)
		}
	}
}

func TestContextWordsStaffWrite(t *testing.T) {
	s := scanner2026(t)
	for _, c := range []struct {
		text string
		want want
	}{
		{"MR# 00482913", want{TypeMRN, High}},
		{"MR #: 00482913", want{TypeMRN, High}},
		{"Med Rec #: 00482913", want{TypeMRN, High}},
		{"Med. Rec. 00482913", want{TypeMRN, High}},
		{"SS# 219456780", want{TypeSSN, High}},
		{"SS #: 219-45-6780", want{TypeSSN, High}},
		{"Soc Sec # 219456780", want{TypeSSN, High}},
		{"SS no. 219456780", want{TypeSSN, High}},
		{"pt acct 44719022", want{TypePatientAccount, High}},
		{"Patient Account: 44719022", want{TypePatientAccount, High}},
		{"Patient Account #: HX4471902", want{TypePatientAccount, High}},
		{"Pt. Acct# 44719022", want{TypePatientAccount, High}},
		{"Pt: Jane Doe   MR# 00482913   Acct# 7765123", want{TypePatientAccount, Medium}},
		{"Jane Doe DOB 03/14/1962 Acct# 7765123", want{TypePatientAccount, Medium}},
		{"Patient: J. Doe, Acct# 7765123", want{TypePatientAccount, Medium}},
		// A member or subscriber ID with the bare word before it, as a worklist or a front
		// desk writes it.
		{"denied for R. Lindgren (member QHT550219834, DOS 9/2)", want{TypeMemberID, High}},
		{"his sub ID is 552 907 318 and the plan is the wife's", want{TypeMemberID, High}},
		{"Subscriber: WPX 448 120 337", want{TypeMemberID, High}},
	} {
		checkFindings(t, s, c.text, c.want)
	}
}

// TestAnInvoiceAccountNumberIsNotAPatients: "account" stays a negative label unless a patient
// qualifies it or a patient identifier sits on the same line.
func TestAnInvoiceAccountNumberIsNotAPatients(t *testing.T) {
	s := scanner2026(t)
	for _, text := range []string{
		"Account #: 44719022, invoice total $40.00",
		"Your account 219456780 is past due.",
		"Client account 4471902 was credited.",
		"Currently taking keflex daily.\n\nAccount 6414268507 is past due.\n\nMedical record number 48867396",
		"Please update the record for patient Peter Novak. Account 6414268507 is past due. Medical record number 48867396",
	} {
		checkFindings(t, s, text, want{TypePatientAccount, 0}, want{TypeSSN, 0}, want{TypeNPI, 0})
	}
}

func TestALabelReachesItsValueAcrossACleanSentence(t *testing.T) {
	s := scanner2026(t)
	checkFindings(t, s, "SSN on the claim was wrong, the correct one is 083132114", want{TypeSSN, High})
	checkFindings(t, s, "The MRN we had on file for her in the old system was a typo; use 00482913", want{TypeMRN, 0})
	checkFindings(t, s, "Her medical record number in the new system is now 00482913", want{TypeMRN, High})
	checkFindings(t, s, "The patient account number on her statement was wrong, it should be 44719022", want{TypePatientAccount, High})
	checkFindings(t, s, "The account number on the statement for the patient was wrong, it is 44719022", want{TypePatientAccount, 0})
	// A sentence end, a line break or another number in between: the label does not
	// reach, but the SSN word earlier in the paragraph still makes the number Medium
	// (ssnInParagraph), not High. Another label in between: no SSN.
	for _, text := range []string{
		"SSN on the claim was wrong. The correct one is 083132114",
		"The claim had the wrong SSN. The correct one for the claim we discussed is 083132114",
		"SSN on the claim was wrong, see below\nthe correct one is 083132114",
		"SSN on the claim of 12 May was wrong, the correct one is 083132114",
	} {
		checkFindings(t, s, text, want{TypeSSN, Medium})
		if f, _ := findingOf(scanOne(t, s, text), TypeSSN); f.Confidence > Medium {
			t.Errorf("%q: ssn at %v, want Medium", text, f.Confidence)
		}
	}
	checkFindings(t, s, "SSN was never needed, the order number for the claim is 083132114", want{TypeSSN, 0})
}

func TestDatesOfBirthWithoutALabel(t *testing.T) {
	s := scanner2026(t)
	for _, text := range []string{
		"Deborah X (September 17, 1962) is a 63-year-old with metastatic melanoma.",
		"Dear Dr. Adams, I am referring Deborah X (04-26-1946) for evaluation of atrial fibrillation.",
		"Ms. Testcase was born 15-Jan-1973 in Ohio.",
		"63 y/o female seen today, 9/17/1962, for follow-up.",
		"Age: 63   DOB 3/4/62",
		"DOB 3/4/52",
		"73 yo M, 3/4/1953, presents with chest pain",
		"pt is a 64yoF born 17 Sep 1962",
		"Patient is 80 years old (04/26/1946).",
		"Patient Jane Roe (03/14/2021) seen for a well-child visit.",
		"Mr. Roe (Sept. 3rd, 1962), a 64 yo M with CHF",
		"J. Roe, 17 Sep 1962, 63 years of age",
		"Roe, John (15-JAN-1973) age 53",
		"SSN, DOB and MRN were wrong on the form; DOB should read 03/14/1962",
		"DOB - per patient - Sept 17 1962",
		"Date of birth, as she spells it: March 3rd, 1975",
	} {
		checkFindings(t, s, text, want{TypeDOB, Medium})
	}
}

func TestADateAloneIsStillNotADateOfBirth(t *testing.T) {
	s := scanner2026(t)
	for _, text := range []string{
		"Your appointment is on 03/14/2026 at 10:30.",
		"Invoice date: September 17, 2025. Total due $120.",
		"Meeting Notes (04-26-2019) attached for the Board.",
		"Patient is 63 years old; her appointment is on 03/14/2026.",
		"The 63-year-old building was renovated on 04/26/2019.",
		"Seen by Dr. Smith (03/14/2025) for diabetes follow-up.",
		"Updated Policy (01/01/2020) on diabetes education for staff.",
		"In 1962 the hospital opened; by September 17, 1962 it had 63 beds.",
	} {
		checkFindings(t, s, text, want{TypeDOB, 0})
	}
}

// TestANegativeLabelBeatsClinicalWordsNear: "Order ID: 103-13-1030" is an order ID, whatever
// the line items below it say.
func TestANegativeLabelBeatsClinicalWordsNear(t *testing.T) {
	s := scanner2026(t)
	text := "Order ID: 103-13-1030\nItems:\n  1x EKG electrode pack\n  2x blood pressure cuff, adult\nShip to: Clinic supply room"
	fs := scanOne(t, s, text)
	if f, ok := findingOf(fs, TypeSSN); ok && f.Confidence > Low {
		t.Errorf("order ID: %+v", f)
	}
	if sc := Score(fs); sc >= 5 {
		t.Errorf("order confirmation scores %.2f", sc)
	}
	// Without the label, clinical words alone no longer make a bare SSN shape High either.
	checkFindings(t, s, "ref EKG done; 219-45-6780", want{TypeSSN, 0})
	checkFindings(t, s, "Patient SSN 219-45-6780, EKG normal", want{TypeSSN, High})
}

// TestAHexQueueIDIsNotAnMBI: an 11-character hex ID has the MBI shape.
func TestAHexQueueIDIsNotAnMBI(t *testing.T) {
	s := scanner2026(t)
	log := "Dec  1 09:14:03 mx1 postfix/smtp[2211]: 4FA2C39DE81: to=<billing@example.org>, relay=mx.example.org[192.0.2.7]:25, delay=0.4, status=sent (250 2.0.0 Ok: queued as 9DE4C2A8F13)\n" +
		"Dec  1 09:14:03 mx1 postfix/qmgr[1890]: 4FA2C39DE81: removed\n"
	checkFindings(t, s, log, want{TypeMBI, 0})
	checkFindings(t, s, "Medicare ID 4FA2C39DE81", want{TypeMBI, High})
	checkFindings(t, s, "MBI: 1EG4TE5MK74", want{TypeMBI, High})
	checkFindings(t, s, "Patient: Jane Doe, 1EG4TE5MK74", want{TypeMBI, Medium})
	fs := scanOne(t, s, "see 1EG4TE5MK74")
	if f, _ := findingOf(fs, TypeMBI); f.Confidence != Low {
		t.Errorf("MBI shape alone: %+v", fs)
	}
	// The dashes of the Medicare card are more than the shape; a hex ID with them is not.
	checkFindings(t, s, "please verify eligibility for 1EG4-TE5-MK74", want{TypeMBI, Medium})
	fs = scanOne(t, s, "hash 4FA2-C39-DE81")
	if _, ok := findingOf(fs, TypeMBI); ok {
		t.Errorf("dashed hex: %+v", fs)
	}
}

func TestADottedSSN(t *testing.T) {
	s := scanner2026(t)
	checkFindings(t, s, "SSN 512.48.3901", want{TypeSSN, High})
	checkFindings(t, s, "Patient: Jane Doe, SS# 512.48.3901", want{TypeSSN, High})
	checkFindings(t, s, "build 512.48.3901 is out", want{TypeSSN, 0})
	fs := scanOne(t, s, "value 512.48.3901")
	if f, _ := findingOf(fs, TypeSSN); f.Confidence != Low {
		t.Errorf("dotted alone: %+v", fs)
	}
}

// priceList is a distributor's price update: NDCs, drug and vaccine names, no patient.
const priceList = `Subject: Q1 price update - vaccines and maintenance meds

NDC            Product                                   Pack    WAC
0002-7510-01   Humalog (insulin lispro) 100 units/mL      10 mL   $274.70
0088-2220-33   Lantus (insulin glargine) SoloStar         5x3 mL  $430.10
0071-0155-23   Lipitor (atorvastatin) 40 mg tablets       90      $512.00
0093-1048-01   Metformin HCl 500 mg tablets               100     $8.12
68180-0513-01  Lisinopril 10 mg tablets                   90      $6.40
0093-4155-73   Amoxicillin 500 mg capsules                500     $41.00
49281-0421-50  Fluzone Quadrivalent influenza vaccine     10x0.5  $182.55
58160-0842-11  Shingrix zoster vaccine                    1 vial  $183.00
0006-4047-41   Gardasil 9 HPV vaccine                     10      $2,760.00

Prices are effective January 1. Contact your account manager with questions.`

func TestADrugPriceListIsNotPHI(t *testing.T) {
	s := scanner2026(t)
	fs := scanOne(t, s, priceList)
	if f, ok := findingOf(fs, TypeNDC); !ok || f.Count != 9 || f.Confidence != Low {
		t.Errorf("ndc: %+v", f)
	}
	if sc := Score(fs); sc >= 5 {
		t.Errorf("price list scores %.2f: %+v", sc, fs)
	}
	// The same codes in a patient's medication list are PHI.
	rx := "Patient: Jane Q Testcase   DOB: 03/14/1962\nCurrent medications:\n" + strings.Join(strings.Split(priceList, "\n")[3:8], "\n")
	fs = scanOne(t, s, rx)
	if f, ok := findingOf(fs, TypeNDC); !ok || f.Confidence < Medium {
		t.Errorf("ndc for a patient: %+v", f)
	}
	if sc := Score(fs); sc < 5 {
		t.Errorf("medication list scores %.2f", sc)
	}
}

func TestScoreGivesProductsWeightOnlyWithAnIdentity(t *testing.T) {
	products := []Finding{{Type: TypeNDC, Count: 20, Confidence: Low}, {Type: TypeMedication, Count: 20, Confidence: Low}}
	if sc := Score(products); sc != 0 {
		t.Errorf("products alone: %v", sc)
	}
	for _, id := range []Finding{{Type: TypeDOB, Count: 1, Confidence: Medium}, {Type: "person_name", Count: 1, Confidence: High}} {
		withID := append([]Finding{id}, products...)
		if Score(withID) <= Score([]Finding{id})+1 {
			t.Errorf("%s: products add nothing: %v", id.Type, Score(withID))
		}
	}
	if sc := Score([]Finding{{Type: TypeSSN, Count: 1, Confidence: Low}, products[0]}); sc != 2.5 {
		t.Errorf("a low SSN is no identity: %v", sc)
	}
	if sc := Score([]Finding{{Type: TypeNDC, Count: 8, Confidence: High}, {Type: TypeMedication, Count: 15, Confidence: Medium},
		{Type: TypePersonName, Count: 1, Confidence: Medium}}); sc != 1*0.6 {
		t.Errorf("a formulary signed by its author: %v, want only the name's 0.6", sc)
	}
	if sc := Score([]Finding{{Type: TypeNDC, Count: 1, Confidence: Medium}, {Type: TypePersonalHealth, Count: 1, Confidence: Medium}}); sc < 2.99 || sc > 3.01 {
		t.Errorf("medium NDC with a personal statement: %v", sc)
	}
}

// TestScoreGivesClinicalContentWeightOnlyAboutSomeone: an awareness-month newsletter or a
// list of ICD-10 codes is clinical vocabulary about nobody. It counts with a name, an
// identifier or a statement about one person's health.
func TestScoreGivesClinicalContentWeightOnlyAboutSomeone(t *testing.T) {
	codes := []Finding{{Type: TypeICD10, Count: 9, Confidence: High}, {Type: TypeCondition, Count: 3, Confidence: Medium},
		{Type: TypeProcedure, Count: 4, Confidence: Medium}}
	if sc := Score(codes); sc != 0 {
		t.Errorf("codes alone: %v", sc)
	}
	for _, who := range []Finding{{Type: TypePersonName, Count: 1, Confidence: High}, {Type: TypeMRN, Count: 1, Confidence: Medium},
		{Type: TypePersonalHealth, Count: 1, Confidence: Medium}} {
		if sc := Score(append([]Finding{who}, codes...)); sc < 10 {
			t.Errorf("codes with %s: %v", who.Type, sc)
		}
	}
	// Any person's name gives conditions and procedures weight (a referral), but not codes:
	// a code list, a chargemaster or a coding lesson is signed by its author.
	signed := append([]Finding{{Type: TypePersonName, Count: 1, Confidence: Medium}}, codes...)
	terms := append([]Finding{{Type: TypePersonName, Count: 1, Confidence: Medium}}, codes[1:]...)
	if a, b := Score(signed), Score(terms); math.Abs(a-b) > 1e-9 || a < 5 {
		t.Errorf("codes with a signature's name: %v, want the terms' %v (>= 5)", a, b)
	}
	// Provider identifiers need a patient identifier; a name is not enough (a roster).
	roster := []Finding{{Type: TypeNPI, Count: 18, Confidence: High}, {Type: TypePersonName, Count: 8, Confidence: High}}
	if sc := Score(roster); sc > 1*(1+math.Log(8))+0.01 {
		t.Errorf("roster: %v, want only the names' weight", sc)
	}
}

// TestPublishedSampleNumbersAreNobodys: card networks' test numbers and the sample MBI
// CMS prints in its guidance are quoted in training mail; they identify no one.
func TestPublishedSampleNumbersAreNobodys(t *testing.T) {
	s := newScanner(t, Config{})
	checkFindings(t, s, "Medicare MBI 1EG4-TE5-MK73 is the sample on the CMS card", want{TypeMBI, 0})
	checkFindings(t, s, "card number 4111 1111 1111 1111 exp 12/30", want{TypeCard, 0})
	checkFindings(t, s, "Use 5555 5555 5555 4444 in the sandbox", want{TypeCard, 0})
	checkFindings(t, s, "card number 4111 1111 1111 1129", want{TypeCard, High})
}

// TestProviderContactsWeighNothingWithoutAPatient: an on-call rota is NPIs and phones.
func TestProviderContactsWeighNothingWithoutAPatient(t *testing.T) {
	rota := []Finding{{Type: TypeNPI, Count: 7, Confidence: Medium}, {Type: TypePhone, Count: 7, Confidence: Medium}}
	if sc := Score(rota); sc != 0 {
		t.Errorf("rota scores %v", sc)
	}
	withPatient := append([]Finding{{Type: TypeMRN, Count: 1, Confidence: High}}, rota...)
	if Score(withPatient) <= 8+1 {
		t.Errorf("contacts next to a patient add nothing: %v", Score(withPatient))
	}
}

// TestLabelledIdentifiersTypedCarelessly: under its own label an MBI in lower case or in
// spaced groups, and a member ID in spaced groups after "mbr#", are still found.
func TestLabelledIdentifiersTypedCarelessly(t *testing.T) {
	s := newScanner(t, Config{})
	checkFindings(t, s, "His mbi is 3tj1 q87 gj26 - leave that as is", want{TypeMBI, High})
	checkFindings(t, s, "claudette dupree mbi 9tw0-dt5-yv98 humana auth", want{TypeMBI, High})
	checkFindings(t, s, "medicare id 3tj1q87gj26", want{TypeMBI, High})
	checkFindings(t, s, "it's Kiara (mbr# ZGP 900 145 672) - the nurse said", want{TypeMemberID, High})
	checkFindings(t, s, "queue 3tj1q87gj26 flushed", want{TypeMBI, 0})
}

// TestCompactDateOfBirthUnderItsLabel: HL7 and X12 write dates as YYYYMMDD.
func TestCompactDateOfBirthUnderItsLabel(t *testing.T) {
	s := newScanner(t, Config{})
	checkFindings(t, s, "DOB 19770614", want{TypeDOB, High})
	checkFindings(t, s, "DOB: 06141977", want{TypeDOB, High})
	checkFindings(t, s, "DOB 19771399", want{TypeDOB, 0})
	checkFindings(t, s, "batch 19770614 sent", want{TypeDOB, 0})
}

// TestSocialAloneNamesAnSSN: "her social 089566852" is how people say it.
func TestSocialAloneNamesAnSSN(t *testing.T) {
	s := newScanner(t, Config{})
	checkFindings(t, s, "I entered Ava's social 089566852 and her DOB", want{TypeSSN, High})
	checkFindings(t, s, "our social media reach grew 12% to 45,000", want{TypeSSN, 0})
}

// TestEncounterDatesAreNotBirthDates: in a row "DOB: 04/19/1990\tDOS: 06/02/26" the second
// date sits under its own label; a claim number under "Claim #" is not a member ID. A DOB
// labelled in Spanish is still one.
func TestEncounterDatesAreNotBirthDates(t *testing.T) {
	s := scanner2026(t)
	fs := scanOne(t, s, "Patient: Kyle Brandon Foss\tDOB: 04/19/1990\tDOS: 06/02/26\tBal: $412.75")
	if f, ok := findingOf(fs, TypeDOB); !ok || f.Count != 1 {
		t.Errorf("DOBs: %+v (want the one under DOB only)", f)
	}
	fs = scanOne(t, s, "Member ID: GLH884201937\tDOS: 07/14/2026\tClaim #: 26195E004411")
	if f, ok := findingOf(fs, TypeMemberID); !ok || f.Count != 1 {
		t.Errorf("member IDs: %+v (want the one under Member ID only)", f)
	}
	fs = scanOne(t, s, "mi esposo Ernesto Villanueva (fecha de nacimiento 11/03/1961) tiene cita")
	if f, ok := findingOf(fs, TypeDOB); !ok || f.Confidence < Medium {
		t.Errorf("Spanish DOB label: %+v", f)
	}
}

// TestBillingOfficeAccountsArePatients: a billing office's account number next to a copay,
// a date of service or a visit is a patient's account; a vendor's is not.
func TestBillingOfficeAccountsArePatients(t *testing.T) {
	s := scanner2026(t)
	for _, text := range []string{
		"I got a statement for my ER visit on 9/27. Account # 600418827. I owe the copay only.",
		"Please cut a refund check. Acct 600377104, DOS 10/02/2026 (dermatology biopsy).",
	} {
		if f, ok := findingOf(scanOne(t, s, text), TypePatientAccount); !ok || f.Confidence < Medium {
			t.Errorf("%q: %+v", text, f)
		}
	}
	for _, text := range []string{
		"Your September client bill summary for account RF22019 is attached; reference statement 2026-09 with your remittance.",
		"Order confirmation for account 4471093, PO 88120: 2 cases EKG electrodes backordered.",
	} {
		if f, ok := findingOf(scanOne(t, s, text), TypePatientAccount); ok {
			t.Errorf("%q: %+v", text, f)
		}
	}
}

// TestMemberWordsWithoutAnIDAreNothing: the bare word "member" labels an ID, never a year,
// a count or a page.
func TestMemberWordsWithoutAnIDAreNothing(t *testing.T) {
	s := scanner2026(t)
	for _, text := range []string{
		"Member since 2019; see the member benefits guide, page 12.",
		"Board member Jane Ruiz joined in 2021 and chairs the 14-member committee.",
		"Subscriber count reached 48210 this quarter.",
	} {
		checkFindings(t, s, text, want{TypeMemberID, 0})
	}
}

// TestInitialsAndABirthDateAfterAPatientLabel: "pt J.M. 7/19/1988" names a patient by
// initials and date of birth; a date after initials with no patient label, or a recent
// date (a visit), is not a birth date.
func TestInitialsAndABirthDateAfterAPatientLabel(t *testing.T) {
	s := scanner2026(t)
	for _, text := range []string{"pt J.M. 7/19/1988 on my 4pm", "Patient: RK (04/02/1950) called", "Pt. A. B. 3/3/1961 needs premed"} {
		checkFindings(t, s, text, want{TypeDOB, Medium})
	}
	for _, text := range []string{"PO JM 7/19/1988", "pt J.M. 11/30/2026 visit", "pt John 7/19/1988", "Dept HR 7/19/1988"} {
		checkFindings(t, s, text, want{TypeDOB, 0})
	}
}

// TestAPlaceholderBirthDateIsNobodys: a date of birth 120 years back or more, the
// 1900-01-01 of test records and empty spreadsheet cells, is no finding; a real one under
// the same labels still is.
func TestAPlaceholderBirthDateIsNobodys(t *testing.T) {
	s := scanner2026(t)
	for _, text := range []string{"DOB 1900-01-01", "D.O.B.: 01/01/1900", "DMG*D8*19000101*F~ DOB 19000101"} {
		checkFindings(t, s, text, want{TypeDOB, 0})
	}
	for _, text := range []string{"DOB 1931-04-02", "D.O.B.: 04/02/1931", "DOB 19310402"} {
		checkFindings(t, s, text, want{TypeDOB, High})
	}
}
