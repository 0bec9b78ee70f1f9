// Package detect finds protected health information (PHI) in decoded text.
//
// A Scanner is built once from a Config (New) and is safe for concurrent use. Scan takes
// UTF-8 text that extraction has already decoded and returns one Finding per type: a count,
// the highest confidence seen and the location the caller passed. Stream does the same for
// large parts fed in chunks. Explain returns masked previews for the local
// `sealgate policy test` command only.
//
// # What is never stored
//
// Findings carry no matched text, no offsets and no previews: only type, count, confidence
// and caller-supplied locations (at most 16). Matched bytes live only on the stack while a
// candidate is validated. Match.Masked (Explain) keeps separators and the last four
// characters of an identifier, the first letter of a dictionary term; it is for a human at a
// terminal and must never be logged or audited. The package does not log.
//
// # Folding (fold.go)
//
// Before either pass, text is folded to what the detectors read, so that what a word
// processor, a web form or a hurried sender puts into a number does not hide it: invisible
// format characters (zero-width space and joiners, word joiner, BOM, soft hyphen, bidi
// controls) are removed; no-break and other Unicode spaces become ' '; dashes (non-breaking
// hyphen, en and em dash) and the minus sign become '-'; a Latin letter with accents becomes
// its ASCII letter ("presión" reads "presion", "Gutiérrez" "Gutierrez"); any other rune whose NFKC
// compatibility form is ASCII takes it (fullwidth digits and letters, mathematical digits,
// ligatures from PDF text, "№"), except "™" and "℠". The mapping is rune by rune, so Stream
// folds chunk by chunk (a rune cut between writes waits for its rest) and still equals Scan.
// Text without a byte >= 0x80 is scanned in place, never copied. Explain masks the folded
// match (a fullwidth digit is masked like any digit) and maps its offset to the original.
//
// # How it scans (two passes, no per-detector regex)
//
//  1. One Aho-Corasick DFA (ac.go; case-folded, word boundaries) finds the shipped and admin
//     dictionary terms and the context keywords ("SSN", "DOB", "patient", "order", ...).
//     Overlapping dictionary terms count once, leftmost-longest ("type 2 diabetes mellitus").
//     Age words ("year-old", "y/o", "yo", "age") may follow a digit directly ("63yo").
//  2. A byte scanner finds runs of word characters containing a digit and joins them into
//     compounds across one separator (space - . / and "(555) "). Each compound is cut into
//     candidates (longest first, cuts only at spaces) that are validated per detector. A
//     4-digit year that ends a date written with a month name ("September 17, 1962",
//     "15-Jan-1973") is checked as a date of birth.
//  3. Dates written with a month name right after a DOB label.
//  4. HL7 v2 PID segments (hl7.go), wherever they sit: PID-3 is an MRN, PID-5 a name,
//     PID-7 a date of birth, all High, unless the name is a test patient's. A line with
//     a caret-joined test name (ZZTEST^..., TEST^PATIENT, DOE^JANE) is a sandbox record:
//     its names and health statements drop and everything else on it is Low.
//
// Admin regexes (MRNPatterns, MemberIDPatterns, Custom) run with Go's regexp over the text;
// they cost what they cost and are off by default.
//
// # Detectors and validation
//
//   - ssn: 3-2-4 digits with "-", " " or ".", or 9 bare digits only after an SSN label, or
//     (Medium) with no label of their own and an SSN word earlier in the same paragraph,
//     up to 320 bytes back with no other long number between (ssnInParagraph).
//     Area 000, 666, 900-999, group 00, serial 0000 and 078-05-1120, 219-09-9999,
//     123-45-6789 are rejected.
//   - npi: 10 digits starting 1 or 2, Luhn over "80840" + the digits.
//   - dea: 2 letters + 7 digits, first letter in ABCDEFGHJKLMPRSTUX, (d1+d3+d5) +
//     2*(d2+d4+d6) ends in d7.
//   - mbi: CMS MBI: C A AN N A AN N A A N N without S L O I B Z, optional dashes 4-3-4.
//   - ndc: 4-4-2, 5-3-2, 5-4-1, 5-4-2 with dashes; 10 or 11 bare digits after an NDC label.
//   - icd10: letter, 2 digits, optional "." and 1-4 characters; the category must be in
//     data/icd10cm_blocks.txt (every chapter's blocks; gaps inside a block are accepted).
//     A bare 3-character category ("I10") needs a diagnosis label.
//   - cpt: 5 digits, or 4 digits + F/T, only after "CPT"/"procedure code".
//   - mrn: built-in: 6-10 digits (after up to 3 capital letters) after an MRN label ("MRN",
//     "MR#", "Med Rec", "chart #", ...); plus site regexes.
//   - personal_health: a statement about one person's health (personal.go): "my/his/her"
//     or "I/he/she had" before a clinical term ("she's out of the guanfacine" too), "they found" right before one, "your <test> is/was <value or result>",
//     "tested positive" (not a sterilizer's spore test, a water or radon sample, nor a
//     tally of a group: "positive in 3 of 4 specimens", "9 of 30 tested positive"), a vital or lab label with its reading ("BP 88/50"), a drug with a
//     dose and a schedule (a "q" schedule needs its interval: "q4h", "q4-6h"; "born Q3 2024" is a quarter),
//     a relative after a possessive ("your mom finished the Macrobid"); a number and a
//     unit of a stay between do not count ("he's going into a 28 day alcohol rehab"); a
//     term naming a place is none ("the 3 dialysis centers"), nor a term before a
//     form's empty field ("My goal INR: ____"), a term after an empty checkbox ("[ ] Stroke",
//     "☐ Diabetes", also wrapped onto the next line: no dictionary finding at all, a form's
//     option; nor "CPR" before "Expires", "cert" or "card", a staff credential), a statistic ("Median A1c 8.2"), a county
//     road ("CR 380"), or a result asked about whoever had it ("who was positive?"). Medium; High when the
//     statement is the writer's own ("my", "I"), which Score weighs as Medium; alone it names nobody.
//   - patient_account: 5-20 digits, or 6-20 capitals and digits with 5+ digits, after an
//     account label ("Acct#", "account") that is a patient's: qualified by a patient word
//     ("Patient Account", "pt acct", "guarantor account": High) or with a patient word or
//     identifier on the same line ("Pt: ...  MR# ...  Acct# ...": Medium). Otherwise an
//     account label is a negative label, as on an invoice.
//   - card: 13-19 digits, same separator, Luhn, IIN and length of Visa, Mastercard, Amex,
//     Discover, JCB, Diners Club.
//   - phone: NANP (NXX) NXX-XXXX and the -, ., space, +1 forms; N11 area codes rejected;
//     10 bare digits only after a phone label.
//   - dob: a valid date (m/d/y, m/d/yy, y-m-d, "March 3, 1975", "3 Mar 1975", "15-Jan-1973",
//     "15-JAN-73", Spanish and Portuguese "3 de marzo de 2022") after a DOB label ("DOB",
//     "born", "date of birth", "nacio", "nascido"), unless more than
//     120 years back ("DOB 1900-01-01" is a test record's placeholder: nothing). Without a label, a date
//     is a date of birth only when an age near it fits its year ("63-year-old", "63 y/o",
//     "73 yo M", "age 63": High; the date was written this year or up to three years ago;
//     a chart banner's "(74 y.o. F)" right after the date, also OCR-garbled "(74 y-0-)"),
//     or when it is in parentheses right after a capitalised word, in a past year, with
//     patient words near, or with clinical words near and at least 12 years back ("Deborah X
//     (04-26-1946)": Medium; "Updated Policy (01/01/2020)" on diabetes education: nothing), or
//     after a patient label and initials, at least 12 years back ("pt J.M. 7/19/1988":
//     Medium). Any other date
//     (an appointment, an invoice date) is never a finding.
//   - member_id: built-in: 6-20 capitals/digits with 5+ digits after a member label
//     ("Member ID", "mbr#", "Medicaid ID", the bare words "member", "subscriber", "sub ID"); plus site regexes.
//   - condition, medication, procedure: shipped lists in data/ (English, and a few Spanish
//     terms written without accents); admin dictionaries likewise.
//   - person_name (names.go, namecontext.go, namerow.go): capitalised chains scored from the
//     shipped SSA/Census lists; High only with patient context: a label or honorific before
//     it (Patient:, Mr., Sra., "this is"; Employee:, Donor:, Claimant:, and "Donor" first on
//     its line, as occupational health writes them; Student:, Pupil:, Camper:, as a school
//     nurse's list does), a greeting with the addressee's care after it
//     ("Hi Linda, ... your crown"), or after it a DOB, an age ("Carmen Ruiz, 58,"), an
//     identifier or a complaint in parentheses, a comp claim's DOI, a clinical verb, a test and its finding ("Ann Lee, CT showed a PE"), an
//     infant's age ("the 10 day old"), a room or unit-bed ("in 4N-12"), a
//     possessive before a visit ("Tanaka's 12/2 colonoscopy"), ", paciente de", or a list
//     item's clinical text ("2. Gloria Espinoza - suspicious mole"), a record or case number
//     and a dash before clinical text ("Dale Pruitt, 27-MH-00402 - 30-day commitment"), a death ("Arnold
//     Feeney died", "passed away"). In the Subject (Location.Field FieldSubject) a name
//     leading it and set off by " - ", ":" or "," is labelled as after "Re:" or "Fw:"
//     ("Jasmine Whitfield - no show x3"): the body about that patient need not name her; Outlook's
//     "Recall:" prefix is read like "Re:". After a name on its line, a clinical term
//     heading its phrase ("Albright Janelle breast core L 2 o'clock"; not "Karen Walsh
//     diabetes educator") is patient context too, and so is a later clause of its sentence
//     opened by "she" or "he" with a past-tense verb and a clinical term ("..., she
//     delivered at noon (c section)"); a surname may come first without a comma (a label's
//     "ALBRIGHT JANELLE"). A name that begins an organisation's name ("Hollis Family
//     Medicine", "Westbrook Ortho") is none (nameterm.go). A title without its dot leading a chain ("Dr Ahmed",
//     "NP Walsh", "MA Trinh") makes the name a clinician's, not reported. A lone surname counts
//     before a room ("Hargrove, 3S rm 9"). A birthday celebration's name stays Medium.
//   - teaching_case (fiction.go): a text that calls its case fictional, a composite, or a
//     teaching case with details changed, says its cases are de-identified, or counts people in aggregate ("unduplicated
//     clients", "aggregate outcomes", as grant reports do). It weighs nothing; the shipped policy does not let
//     a name or a health statement alone decide such a message (identifiers still do).
//   - animal_patient (animal.go): veterinary markers ("animal hospital", "DVM", "neutered",
//     "spayed", an age's number with a species: "14 yr old cat"); a signalment marker (all
//     but a practice's name and DVM/VMD) only with a clinical term, a vital or a result
//     within nearWindow of it. It weighs nothing; the
//     shipped policy does not let a name with clinical terms, a score or a third-person
//     health statement decide such a message (the pet is the patient, the name its
//     owner's); identifiers and the writer's own health (personal_health High: "my", "I")
//     still do. A vital or lab reading on a QC line ("QC lot", "calibration") or as an
//     item of a list of counts ("CHF 5, sepsis/UTI 4, resp 3") is no personal_health.
//   - dob in a list row: a date in the column after a name ("Whitcombe, Harold  01/17/1955"),
//     at least 12 years back, with clinical or patient words near: Medium.
//
// # Labels and confidence
//
// A "label" is the nearest keyword ending at most 40 bytes before the value; of keywords
// ending at the same place the longest wins. A label of the value's own kind reaches up to
// 150 bytes when only words sit between (no digit, line break or end of a sentence): "SSN on
// the claim was wrong, the correct one is 083132114". "Near" means within 150 bytes either
// side. The label decides first: a label of the detector's own kind gives High; a negative
// label (order, invoice, tracking, account, reference, ...) right before a number beats any
// clinical word near it: it suppresses bare numbers, phones, cards, NDCs and dotted SSNs and
// lowers a dashed SSN or a DEA to Low ("Order ID: 103-13-1030" above an EKG line item is no
// SSN worth a rule); part, asset, model and catalog numbers are negative labels. An MRN or
// member ID whose digits are a placeholder (all zeros, one digit repeated, zeros and one other
// digit) is Low, as is a date of birth at a birthday celebration ("happy birthday", "happy 40th
// birthday") with no patient, clinical or identifier word near. An MRN, member ID, patient
// account or date of birth in the same line and sentence as a test-record marker ("test
// patient", ZZTEST, "demo patient"; not "strep test patient"), or an identifier written with
// DEMO-, TEST_ or SAMPLE- before its digits, gives no finding at all. A pharmacy card's BIN, PCN and group number are
// negative labels. Without a label:
//
//   - ssn: High near an SSN word or patient/identity context, else Medium; dotted, Low.
//   - mbi: High near Medicare context; Medium near patient context or in the 4-3-4 dashed
//     form of the Medicare card; Low alone. An MBI whose letters are all hex digits (a
//     Postfix queue ID "4FA2C39DE81") is nothing without Medicare context and Low near a
//     patient.
//   - ndc: names a product. Medium near patient/identity context (High with an NDC label),
//     Low otherwise, labelled or not: a price list or vaccine inventory is not PHI.
//   - dea, card: Medium. npi: Low, Medium near clinical words (a Luhn-valid 10-digit number
//     is common). phone and dotted ICD codes: Low, Medium near patient or clinical context.
//   - dictionary terms: Low, Medium near patient or identifier context.
//
// Score documents the weights; at low confidence NDCs and medication names weigh nothing
// unless the findings also hold an identity, and ICD-10 and CPT codes weigh nothing without
// one (a code list signed by its author is not PHI).
//
// # Stream
//
// Everything a candidate depends on (labels, near context, an age) lies within 150+64 bytes
// of it. Stream keeps 512 bytes of
// context, cuts only where no candidate or term crosses, and so gives the same findings as
// Scan over the concatenated text (checked by FuzzScan). It buffers about 65 KB, at most 1 MB
// when the input offers no safe cut; then it cuts anyway and Inexact reports it. Admin
// regex matches longer than the kept context may be counted differently in a Stream.
//
// # Limits
//
// Terms are ASCII; multi-word terms match single whitespace between words only (after
// folding, so a no-break space counts). A number split by markup or across table cells is
// extraction's to join.
package detect
