package detect

// Validators take the alphanumerics of a candidate with separators removed.

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }
func isAlpha(c byte) bool { return (c|0x20) >= 'a' && (c|0x20) <= 'z' }
func isAlnum(c byte) bool { return isDigit(c) || isAlpha(c) }

// isWord is the word-character test used for boundaries: letters, digits and '_'.
func isWord(c byte) bool { return wordTable[c] }

var wordTable = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		t[c] = isAlnum(b) || b == '_'
	}
	return t
}()

func allDigits(s []byte) bool {
	for _, c := range s {
		if !isDigit(c) {
			return false
		}
	}
	return len(s) > 0
}

func num(s []byte) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

// validSSN: SSA rules. Area 000, 666 and 900-999 are never issued; group 00 and serial 0000
// neither; a few numbers were published in advertising and are void.
func validSSN(d []byte) bool {
	if len(d) != 9 || !allDigits(d) {
		return false
	}
	area, group, serial := num(d[:3]), num(d[3:5]), num(d[5:])
	if area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0 {
		return false
	}
	switch string(d) {
	case "078051120", "219099999", "123456789":
		return false
	}
	return true
}

// luhn reports whether the digits pass the Luhn mod-10 check.
func luhn(d []byte) bool {
	sum := 0
	double := false
	for i := len(d) - 1; i >= 0; i-- {
		c := d[i]
		if !isDigit(c) {
			return false
		}
		v := int(c - '0')
		if double {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
		double = !double
	}
	return len(d) > 0 && sum%10 == 0
}

// validNPI: 10 digits starting 1 or 2; Luhn over "80840" + the first 9 digits, the 10th being
// the check digit (CMS NPI standard). The prefix contributes a constant 24.
func validNPI(d []byte) bool {
	if len(d) != 10 || !allDigits(d) || (d[0] != '1' && d[0] != '2') {
		return false
	}
	sum := 24
	for i := 0; i < 9; i++ {
		v := int(d[i] - '0')
		if i%2 == 0 { // from the right of the 9 digits, positions 9,7,5,3,1 are doubled
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
	}
	check := (10 - sum%10) % 10
	return check == int(d[9]-'0')
}

// deaRegistrant is the set of valid first letters of a DEA number (registrant type).
const deaRegistrant = "ABCDEFGHJKLMPRSTUX"

// validDEA: 2 letters and 7 digits; (d1+d3+d5) + 2*(d2+d4+d6) ends in d7.
func validDEA(d []byte) bool {
	if len(d) != 9 || !isUpper(d[0]) || !(isUpper(d[1]) || d[1] == '9') || !allDigits(d[2:]) {
		return false
	}
	ok := false
	for i := 0; i < len(deaRegistrant); i++ {
		if deaRegistrant[i] == d[0] {
			ok = true
		}
	}
	if !ok {
		return false
	}
	g := d[2:]
	v := func(i int) int { return int(g[i] - '0') }
	sum := v(0) + v(2) + v(4) + 2*(v(1)+v(3)+v(5))
	return sum%10 == v(6)
}

// mbiLetter: letters allowed in an MBI exclude S, L, O, I, B and Z.
func mbiLetter(c byte) bool {
	if c >= 'a' && c <= 'z' {
		c -= 32
	}
	if !isUpper(c) {
		return false
	}
	switch c {
	case 'S', 'L', 'O', 'I', 'B', 'Z':
		return false
	}
	return true
}

// testCards are the card networks' and processors' published test numbers: they pass
// Luhn and the IIN checks but belong to nobody, and training material quotes them.
var testCards = map[string]bool{
	"4111111111111111": true, "4012888888881881": true, "4222222222222": true, "4242424242424242": true,
	"4000056655665556": true, "4005519200000004": true, "4009348888881881": true, "4012000033330026": true,
	"4012000077777777": true, "4217651111111119": true, "4500600000000061": true, "4000000000000002": true,
	"5555555555554444": true, "5105105105105100": true, "5200828282828210": true, "2223003122003222": true,
	"2223000048400011": true, "5454545454545454": true, "5431111111111111": true,
	"378282246310005": true, "371449635398431": true, "378734493671000": true, "371111111111114": true,
	"6011111111111117": true, "6011000990139424": true, "6011000400000000": true, "6445644564456445": true,
	"3530111333300000": true, "3566002020360505": true, "3566111111111113": true,
	"30569309025904": true, "38520000023237": true, "36227206271667": true, "36700102000000": true,
}

// sampleMBI is the example CMS prints in its MBI guidance and on sample cards.
const sampleMBI = "1EG4TE5MK73"

// validMBI: CMS Medicare Beneficiary Identifier format, 11 characters:
// C A AN N A AN N A A N N (C = 1-9, A = letter, N = digit, AN = either).
func validMBI(d []byte) bool {
	if len(d) != 11 || string(d) == sampleMBI {
		return false
	}
	an := func(c byte) bool { return isDigit(c) || mbiLetter(c) }
	return d[0] >= '1' && d[0] <= '9' && mbiLetter(d[1]) && an(d[2]) && isDigit(d[3]) &&
		mbiLetter(d[4]) && an(d[5]) && isDigit(d[6]) && mbiLetter(d[7]) && mbiLetter(d[8]) &&
		isDigit(d[9]) && isDigit(d[10])
}

// validCard: Luhn plus the issuer (IIN) ranges and lengths of Visa, Mastercard, Amex,
// Discover, JCB and Diners Club.
func validCard(d []byte) bool {
	n := len(d)
	if n < 13 || n > 19 || !allDigits(d) || !luhn(d) || testCards[string(d)] {
		return false
	}
	p2, p3, p4, p6 := num(d[:2]), num(d[:3]), num(d[:4]), num(d[:6])
	switch {
	case d[0] == '4': // Visa
		return n == 13 || n == 16 || n == 19
	case p2 >= 51 && p2 <= 55, p4 >= 2221 && p4 <= 2720: // Mastercard
		return n == 16
	case p2 == 34 || p2 == 37: // Amex
		return n == 15
	case p4 == 6011 || (p3 >= 644 && p3 <= 649) || p2 == 65 || (p6 >= 622126 && p6 <= 622925): // Discover
		return n >= 16
	case p4 >= 3528 && p4 <= 3589: // JCB
		return n >= 16
	case (p3 >= 300 && p3 <= 305) || p2 == 36 || p2 == 38 || p2 == 39: // Diners Club
		return n >= 14
	}
	return false
}

// validNANP: area code and exchange are NXX (N = 2-9); area codes N11 are service codes.
func validNANP(area, exch []byte) bool {
	if len(area) != 3 || len(exch) != 3 || !allDigits(area) || !allDigits(exch) {
		return false
	}
	if area[0] < '2' || exch[0] < '2' {
		return false
	}
	if area[1] == '1' && area[2] == '1' {
		return false
	}
	return true
}

var monthDays = [13]int{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

// validDate checks a calendar date; two-digit years are accepted as is.
func validDate(y, m, d int) bool {
	if m < 1 || m > 12 || d < 1 || d > monthDays[m] {
		return false
	}
	if m == 2 && d == 29 && y >= 100 && !(y%4 == 0 && (y%100 != 0 || y%400 == 0)) {
		return false
	}
	return y < 100 || (y >= 1880 && y <= 2100)
}
