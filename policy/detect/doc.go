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
// # How it scans (two passes, no per-detector regex)
//
//  1. One Aho-Corasick DFA (ac.go; case-folded, word boundaries) finds the shipped and admin
//     dictionary terms and the context keywords ("SSN", "DOB", "patient", "order", ...).
//     Overlapping dictionary terms count once, leftmost-longest ("type 2 diabetes mellitus").
//  2. A byte scanner finds runs of word characters containing a digit and joins them into
//     compounds across one separator (space - . / and "(555) "). Each compound is cut into
//     candidates (longest first, cuts only at spaces) that are validated per detector.
//
// Admin regexes (MRNPatterns, MemberIDPatterns, Custom) run with Go's regexp over the text;
// they cost what they cost and are off by default.
//
// # Detectors and validation
//
//   - ssn: 3-2-4 digits with "-" or " ", or 9 bare digits only right after an SSN label.
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
//   - cpt: 5 digits, or 4 digits + F/T, only right after "CPT"/"procedure code".
//   - mrn: built-in: 6-10 digits (after up to 3 capital letters) right after an MRN label;
//     plus site regexes.
//   - card: 13-19 digits, same separator, Luhn, IIN and length of Visa, Mastercard, Amex,
//     Discover, JCB, Diners Club.
//   - phone: NANP (NXX) NXX-XXXX and the -, ., space, +1 forms; N11 area codes rejected;
//     10 bare digits only after a phone label.
//   - dob: a valid date (m/d/y, y-m-d, "March 3, 1975", "3 Mar 1975") right after a DOB label.
//     A date alone is never a finding.
//   - member_id: built-in: 6-20 capitals/digits with 5+ digits right after a member label;
//     plus site regexes.
//   - condition, medication, procedure: shipped lists in data/; admin dictionaries likewise.
//
// # Confidence
//
// "Right after a label" means the nearest keyword ending at most 40 bytes before the value;
// "near" means within 150 bytes either side. A label of the detector's own kind gives High.
// Negative labels (order, invoice, tracking, account, reference, ...) suppress bare numbers,
// phones, cards and NDCs, and lower SSN/DEA to Low: "Order #219456780" is nothing. Without a
// label: structured, checksummed identifiers (SSN, DEA, MBI, card) are Medium; an SSN or MBI
// near patient/clinical context is High; NPI is Low (Medium near clinical words, a
// Luhn-valid 10-digit number is common); phone and dotted ICD codes are Low (Medium near
// patient or clinical context); dictionary terms are Low, Medium near patient or identifier
// context. Score documents the weights.
//
// # Stream
//
// Everything a candidate depends on lies within 150+64 bytes of it. Stream keeps 512 bytes of
// context, cuts only where no candidate or term crosses, and so gives the same findings as
// Scan over the concatenated text (checked by FuzzScan). It buffers about 65 KB, at most 1 MB
// when the input offers no safe cut; then it cuts anyway and Inexact reports it. Admin
// regex matches longer than the kept context may be counted differently in a Stream.
//
// # Limits
//
// Terms are ASCII; multi-word terms match single whitespace between words only. There is no
// name detector: names count only as context ("patient:", "Mr.").
package detect
