package detect

import (
	"strings"
)

// classify and the shape checks behind it: what a run of digits (and letters) is, by
// its shape, its check digits and the label before it.

// classify decides what the groups g are, if anything, from their shape, validation and context.
// label is ci.label(g[0].start), or its farLabel when that is 0.
func (s *Scanner) classify(text []byte, g []group, ci *ctxIndex, label uint64) (string, Confidence) {
	var buf [40]byte
	d := buf[:0]
	for _, x := range g {
		if len(d)+x.end-x.start > len(buf) {
			return "", 0
		}
		d = append(d, text[x.start:x.end]...)
	}
	start, end := g[0].start, g[len(g)-1].end
	if len(g) > 1 && label == 0 && g[0].sep == ')' && start > 0 {
		label = ci.label(start - 1)
	}
	neg := label&negKinds != 0
	digits := allDigits(d)
	seps := func() string {
		var b [maxGroups]byte
		for k := 0; k < len(g)-1; k++ {
			b[k] = g[k].sep
		}
		return string(b[:len(g)-1])
	}
	lens := func(want ...int) bool {
		if len(want) != len(g) {
			return false
		}
		for k, w := range want {
			if g[k].end-g[k].start != w {
				return false
			}
		}
		return true
	}
	near := func() uint64 { return ci.near(start, end) }

	// A patient's account number is an identifier; an invoice's is not (see patientAccount).
	if label&ctxAcct != 0 && len(g) == 1 && acctShape(d) {
		if c := patientAccount(text, start, end, ci); c != 0 {
			return TypePatientAccount, c
		}
	}
	if digits && len(g) == 1 {
		switch {
		case label&ctxSSN != 0 && len(d) == 9 && validSSN(d):
			return TypeSSN, High
		case label&ctxNDC != 0 && (len(d) == 10 || len(d) == 11):
			return TypeNDC, ndcConf(true, ci, start, end)
		case label&ctxMRN != 0 && len(d) >= 6 && len(d) <= 10:
			return TypeMRN, High
		case label&ctxMember != 0 && len(d) >= 6 && len(d) <= 20:
			return TypeMemberID, High
		case label&ctxCPT != 0 && len(d) == 5:
			return TypeCPT, High
		case label&ctxDOB != 0 && len(d) == 8 && validCompact(d):
			if y, _ := compactDate(d); !s.livingBirthYear(y) {
				return "", 0 // DMG*D8*19000101: a placeholder
			}
			return TypeDOB, High // HL7/X12 style: DOB 19770614
		case label&ctxPhone != 0 && len(d) == 10 && validNANP(d[:3], d[3:6]):
			return TypePhone, Medium
		case label&ctxPhone != 0 && len(d) == 11 && d[0] == '1' && validNANP(d[1:4], d[4:7]):
			return TypePhone, Medium
		case len(d) == 10 && validNPI(d) && !neg:
			if label&ctxNPI != 0 {
				return TypeNPI, High
			}
			if near()&(ctxNPI|ctxPatient|ctxClinical|ctxDx) != 0 {
				return TypeNPI, Medium
			}
			return TypeNPI, Low
		case len(d) >= 13 && validCard(d) && !neg:
			if label&ctxCard != 0 {
				return TypeCard, High
			}
			return TypeCard, Medium
		case label == 0 && len(d) == 9 && ci.kinds&ctxSSN != 0 && validSSN(d) && ssnInParagraph(text, ci, start):
			return TypeSSN, Medium
		}
		return "", 0
	}
	if digits {
		sp := seps()
		same := true
		for k := 1; k < len(sp); k++ {
			if sp[k] != sp[0] {
				same = false
			}
		}
		// SSN 123-45-6789 / 123 45 6789 / 123.45.6789. The label the number sits under
		// decides first: "Order ID: 103-13-1030" stays Low however clinical the lines
		// around it are. Dots are rarer in an SSN, so a dotted one needs context.
		if lens(3, 2, 4) && (sp == "--" || sp == "  " || sp == "..") && validSSN(d) {
			dotted := sp == ".."
			switch {
			case label&ctxSSN != 0:
				return TypeSSN, High
			case neg:
				// "Order ID: 103-13-1030", "Ref 512-40-7781": the label says what it is.
				return "", 0
			case near()&(ctxSSN|identityKinds) != 0:
				return TypeSSN, High
			case dotted:
				return TypeSSN, Low
			}
			return TypeSSN, Medium
		}
		// US phone: (NXX) NXX-XXXX, NXX-NXX-XXXX, NXX.NXX.XXXX, NXX NXX XXXX, 1-NXX-...
		pg := g
		if len(g) == 4 && g[0].end-g[0].start == 1 && text[g[0].start] == '1' {
			pg = g[1:]
		}
		if len(pg) == 3 && pg[0].end-pg[0].start == 3 && pg[1].end-pg[1].start == 3 && pg[2].end-pg[2].start == 4 &&
			(same || (pg[0].sep == ')' && pg[1].sep == '-')) && (sp[len(sp)-1] == '-' || sp[len(sp)-1] == '.' || sp[len(sp)-1] == ' ') &&
			validNANP(text[pg[0].start:pg[0].end], text[pg[1].start:pg[1].end]) {
			if neg {
				return "", 0
			}
			if label&ctxPhone != 0 || near()&(ctxPatient|ctxPhone) != 0 {
				return TypePhone, Medium
			}
			return TypePhone, Low
		}
		// NDC 4-4-2, 5-3-2, 5-4-1 and 11-digit 5-4-2.
		if sp == "--" && (lens(4, 4, 2) || lens(5, 3, 2) || lens(5, 4, 1) || lens(5, 4, 2)) {
			if neg {
				return "", 0
			}
			return TypeNDC, ndcConf(label&ctxNDC != 0, ci, start, end)
		}
		// Dates of birth: with a DOB label, or as bareDOB accepts.
		if len(g) == 3 && same && (sp[0] == '/' || sp[0] == '-' || sp[0] == '.') {
			if y, ok := dateYear(text, g, s.year); ok {
				if label&ctxDOB != 0 {
					if !s.livingBirthYear(y) {
						return "", 0 // "DOB 1900-01-01": a placeholder
					}
					return TypeDOB, High
				}
				if c := s.bareDOB(text, start, end, y, ci); c != 0 {
					return TypeDOB, c
				}
			}
		}
		// Payment cards with spaces or dashes.
		if same && (sp[0] == ' ' || sp[0] == '-') && len(d) >= 13 && validCard(d) && !neg {
			if label&ctxCard != 0 {
				return TypeCard, High
			}
			return TypeCard, Medium
		}
		// A member ID typed in spaced groups under its label ("mbr# ZGP 900 145 672").
		if same && sp[0] == ' ' && label&ctxMember != 0 && memberShape(d) {
			return TypeMemberID, High
		}
		return "", 0
	}
	// Letters and digits.
	if len(g) == 1 {
		switch {
		case len(d) == 9 && validDEA(d):
			if label&ctxDEA != 0 {
				return TypeDEA, High
			}
			if neg {
				return TypeDEA, Low
			}
			return TypeDEA, Medium
		case len(d) == 11 && validMBI(d) && isUpperAlnum(d):
			return mbiConf(d, false, label, ci, start, end)
		case len(d) == 11 && label&ctxMBI != 0 && validMBI(upperInto(make([]byte, 0, 11), d)):
			return TypeMBI, High // a lower-case MBI under its label
		case len(d) == 5 && (d[4] == 'F' || d[4] == 'T') && allDigits(d[:4]) && label&ctxCPT != 0:
			return TypeCPT, High
		case len(d) == 3 && s.icd.category(d):
			// A bare category ("C12") is a gate or a room unless a diagnosis label names it.
			if label&ctxDx != 0 {
				return TypeICD10, High
			}
		case label&ctxMRN != 0 && mrnShape(d):
			return TypeMRN, High
		case label&ctxMember != 0 && memberShape(d):
			return TypeMemberID, High
		}
		return "", 0
	}
	if len(g) == 3 && seps() == "--" && lens(4, 3, 4) && validMBI(d) && isUpperAlnum(d) {
		return mbiConf(d, true, label, ci, start, end)
	}
	// Under its own label, an MBI typed in lower case or in spaced groups ("mbi 3tj1 q87
	// gj26") and a member ID in spaced groups ("mbr# ZGP 900 145 672") are still theirs.
	if label&(ctxMBI|ctxMember) != 0 && len(g) <= 4 {
		sp := seps()
		if strings.Trim(sp, " ") == "" || strings.Trim(sp, "-") == "" {
			var ub [24]byte
			u := upperInto(ub[:0], d)
			switch {
			case label&ctxMBI != 0 && len(u) == 11 && validMBI(u):
				return TypeMBI, High
			case label&ctxMember != 0 && memberShape(u) && isUpperAlnum(d):
				return TypeMemberID, High
			}
		}
	}
	if len(g) == 2 && g[0].sep == '.' && g[0].end-g[0].start == 3 && len(d) >= 4 && len(d) <= 7 &&
		s.icd.category(d[:3]) && isUpperAlnum(d[3:]) {
		nk := near()
		switch {
		case label&ctxDx != 0 || nk&ctxDx != 0:
			return TypeICD10, High
		case neg:
			return "", 0
		case nk&(ctxClinical|ctxPatient) != 0 || s.icd.common[string(d)]:
			return TypeICD10, Medium
		}
		return TypeICD10, Low
	}
	return "", 0
}

// ndcConf: an NDC names a product. It is about a person only with patient or identity
// context near; a price list or a vaccine inventory is not PHI, so there it is Low (and
// Score gives a Low NDC no weight without an identity finding).
func ndcConf(labelled bool, ci *ctxIndex, start, end int) Confidence {
	if ci.near(start, end)&identityKinds == 0 {
		return Low
	}
	if labelled {
		return High
	}
	return Medium
}

// mbiConf: the MBI shape alone is weak evidence (an 11-character log or queue ID can have
// it). Medicare context makes it High; patient context, or the 4-3-4 dashes of the CMS card
// (dashed), Medium; neither Low. An MBI whose letters are all hex digits is most likely a
// hex ID: without Medicare context it is Low near a patient and nothing otherwise.
func mbiConf(d []byte, dashed bool, label uint64, ci *ctxIndex, start, end int) (string, Confidence) {
	if label&ctxMBI != 0 {
		return TypeMBI, High
	}
	nk := ci.near(start, end)
	switch {
	case nk&ctxMBI != 0:
		return TypeMBI, High
	case isHex(d):
		if nk&identityKinds != 0 {
			return TypeMBI, Low
		}
		return "", 0
	case label&negKinds != 0:
		return TypeMBI, Low
	case nk&identityKinds != 0 || dashed:
		return TypeMBI, Medium
	}
	return TypeMBI, Low
}

func isHex(b []byte) bool {
	for _, c := range b {
		if !isDigit(c) && (c < 'A' || c > 'F') {
			return false
		}
	}
	return true
}

// patientIdentity is the context that makes an account number a patient's: a patient word
// that can mean nothing else, or another patient identifier.
const patientIdentity = ctxPt | ctxDOB | ctxMRN | ctxSSN | ctxMember | ctxMBI | ctxDx

// patientAccount decides whether the number at [start, end) under an account label is a
// patient's account number (a HIPAA identifier) and how sure that is: High when a patient
// word qualifies the label ("Patient Account #", "pt acct"), Medium when a patient word or
// identifier is in the same line and sentence ("Pt: Jane Doe  MR# 123456  Acct# 7765123"),
// Medium too when billing-for-care words or a clinical term are near; else 0: "Account #"
// on an invoice, or "... daily. Account 0901207342 is past due.", is not PHI.
func patientAccount(text []byte, start, end int, ci *ctxIndex) Confidence {
	h, ok := ci.labelHit(start, nearWindow)
	if ok && h.kind&ctxAcct != 0 && ci.qualified(text, h, ctxPt) {
		return High
	}
	if ok && h.kind&ctxAcct != 0 && businessAccount(text, h.start) {
		// "your facility (account 30042-HVH) received ... test strips": a supplier
		// writes to its customer about the customer's account.
		return 0
	}
	if ci.sameClause(text, start, end, patientIdentity) {
		return Medium
	}
	// A billing office's account: a copay, a date of service, a visit or a refund near
	// it ("Acct 600377104, DOS 10/02/2026 (dermatology biopsy)"). Clinical terms alone
	// are not enough: a supplier's invoice for EKG electrodes has an account too.
	if ci.near(start, end)&ctxCare != 0 {
		return Medium
	}
	return 0
}

// businessAccount reports an account label owned by a business in the words right before
// it: "customer account", "your facility (account", "vendor acct". A supplier's letter is
// about the customer's account, not a patient's.
func businessAccount(text []byte, label int) bool {
	var buf [24]byte
	p := label
	for k := 0; k < 3; k++ {
		for p > 0 && text[p-1] == '(' {
			p--
		}
		w, ws, ok := wordBefore(text, p, buf[:0])
		if !ok {
			return false
		}
		switch string(w) {
		case "customer", "customer's", "facility", "facility's", "vendor", "supplier", "distributor",
			"wholesaler", "dealer", "merchant", "corporate", "shipping", "freight":
			return true
		}
		p = ws
	}
	return false
}

// acctShape: 5-20 digits, or 6-20 capitals and digits with at least 5 digits.
func acctShape(d []byte) bool {
	if allDigits(d) {
		return len(d) >= 5 && len(d) <= 20
	}
	return memberShape(d)
}

// compactDate: eight digits that are a date as YYYYMMDD (HL7, X12) or MMDDYYYY.
// It returns the year.
func compactDate(d []byte) (int, bool) {
	y, m, dd := num(d[:4]), num(d[4:6]), num(d[6:8])
	if y >= 1880 && y <= 2100 && validDate(y, m, dd) {
		return y, true
	}
	m, dd, y = num(d[:2]), num(d[2:4]), num(d[4:8])
	return y, y >= 1880 && y <= 2100 && validDate(y, m, dd)
}

func validCompact(d []byte) bool { _, ok := compactDate(d); return ok }

// upperInto appends b upper-cased (ASCII) to dst.
func upperInto(dst, b []byte) []byte {
	for _, c := range b {
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

func isUpperAlnum(b []byte) bool {
	for _, c := range b {
		if !isDigit(c) && !isUpper(c) {
			return false
		}
	}
	return true
}

// mrnShape: the default MRN is 6-10 digits, optionally after 1-3 capital letters.
func mrnShape(d []byte) bool {
	i := 0
	for i < len(d) && i < 3 && isUpper(d[i]) {
		i++
	}
	r := len(d) - i
	return r >= 6 && r <= 10 && allDigits(d[i:])
}

// memberShape: the default member ID is 6-20 capital letters and digits with at least 5 digits.
func memberShape(d []byte) bool {
	if len(d) < 6 || len(d) > 20 || !isUpperAlnum(d) {
		return false
	}
	n := 0
	for _, c := range d {
		if isDigit(c) {
			n++
		}
	}
	return n >= 5
}

// livingBirthYear reports whether y can be a living person's birth year: not in the future
// and at most 120 years back. "DOB 1900-01-01" is the placeholder of EHR and X12 test
// records (and of a spreadsheet's empty date), nobody's birth date.
func (s *Scanner) livingBirthYear(y int) bool {
	return y <= s.year && y >= s.year-120
}
