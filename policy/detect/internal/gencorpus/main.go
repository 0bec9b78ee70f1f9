// Command gencorpus writes the labeled synthetic PHI corpus in testdata/phi. It uses a fixed
// seed, so running it again gives the same files:
//
//	go run ./policy/detect/internal/gencorpus -out testdata/phi
//
// Every value is synthetic: generated to pass the detectors' validation, belonging to nobody.
package main

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"html"
	"log"
	"math/rand/v2"
	"mime"
	"mime/quotedprintable"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

type labels map[string]int

type sentence struct {
	text string
	lab  labels
}

type gen struct {
	r                  *rand.Rand
	conds, meds, procs []string
	icd                []string
}

func readList(path string) []string {
	f, err := os.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		out = append(out, l)
	}
	return out
}

func (g *gen) pick(s []string) string { return s[g.r.IntN(len(s))] }
func (g *gen) digits(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteByte(byte('0' + g.r.IntN(10)))
	}
	return b.String()
}

func (g *gen) ssnParts() (string, string, string) {
	for {
		a := 1 + g.r.IntN(899)
		if a == 666 {
			continue
		}
		gr := 1 + g.r.IntN(99)
		s := 1 + g.r.IntN(9999)
		v := fmt.Sprintf("%03d%02d%04d", a, gr, s)
		if v == "078051120" || v == "219099999" || v == "123456789" {
			continue
		}
		return v[:3], v[3:5], v[5:]
	}
}

func luhnCheck(d string) byte { // check digit to append
	sum := 0
	double := true
	for i := len(d) - 1; i >= 0; i-- {
		v := int(d[i] - '0')
		if double {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
		double = !double
	}
	return byte('0' + (10-sum%10)%10)
}

func (g *gen) npi() string {
	base := string("12"[g.r.IntN(2)]) + g.digits(8)
	return base + string(luhnCheck("80840"+base))
}

func (g *gen) dea() string {
	const reg = "ABCDFGMPRX"
	d := g.digits(6)
	v := func(i int) int { return int(d[i] - '0') }
	sum := v(0) + v(2) + v(4) + 2*(v(1)+v(3)+v(5))
	return string(reg[g.r.IntN(len(reg))]) + string(byte('A'+g.r.IntN(26))) + d + string(byte('0'+sum%10))
}

func (g *gen) mbi(dashes bool) string {
	const letters = "ACDEFGHJKMNPQRTUVWXY"
	L := func() byte { return letters[g.r.IntN(len(letters))] }
	N := func() byte { return byte('0' + g.r.IntN(10)) }
	AN := func() byte {
		if g.r.IntN(2) == 0 {
			return L()
		}
		return N()
	}
	b := []byte{byte('1' + g.r.IntN(9)), L(), AN(), N(), L(), AN(), N(), L(), L(), N(), N()}
	s := string(b)
	if dashes {
		return s[:4] + "-" + s[4:7] + "-" + s[7:]
	}
	return s
}

func (g *gen) card() string {
	var base string
	switch g.r.IntN(4) {
	case 0:
		base = "4" + g.digits(14)
	case 1:
		base = fmt.Sprintf("5%d", 1+g.r.IntN(5)) + g.digits(13)
	case 2:
		base = "37" + g.digits(12)
	default:
		base = "6011" + g.digits(11)
	}
	n := base + string(luhnCheck(base))
	if len(n) == 15 {
		if g.r.IntN(2) == 0 {
			return n[:4] + " " + n[4:10] + " " + n[10:]
		}
		return n
	}
	switch g.r.IntN(3) {
	case 0:
		return n[:4] + " " + n[4:8] + " " + n[8:12] + " " + n[12:]
	case 1:
		return n[:4] + "-" + n[4:8] + "-" + n[8:12] + "-" + n[12:]
	}
	return n
}

func (g *gen) nanp() (string, string, string) {
	area := fmt.Sprintf("%d%d%d", 2+g.r.IntN(8), g.r.IntN(10), g.r.IntN(10))
	for area[1] == '1' && area[2] == '1' {
		area = fmt.Sprintf("%d%d%d", 2+g.r.IntN(8), g.r.IntN(10), 2+g.r.IntN(8))
	}
	ex := fmt.Sprintf("%d%s", 2+g.r.IntN(8), g.digits(2))
	return area, ex, g.digits(4)
}

var months = []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}

var firstNames = []string{"John", "Maria", "Wei", "Fatima", "James", "Olga", "Carlos", "Aisha", "Peter", "Linh"}
var lastNames = []string{"Smith", "Garcia", "Chen", "Khan", "Johnson", "Novak", "Rivera", "Okafor", "Brown", "Tran"}

func (g *gen) name() string { return g.pick(firstNames) + " " + g.pick(lastNames) }

func one(t string) labels { return labels{t: 1} }

// phi returns one sentence carrying identifiers of type t.
func (g *gen) phi(t string) sentence {
	switch t {
	case "ssn":
		a, b, c := g.ssnParts()
		switch g.r.IntN(4) {
		case 0:
			return sentence{fmt.Sprintf("SSN: %s-%s-%s", a, b, c), one(t)}
		case 1:
			return sentence{fmt.Sprintf("Social Security Number %s%s%s on file.", a, b, c), one(t)}
		case 2:
			return sentence{fmt.Sprintf("Please update the record for patient %s, SSN %s %s %s.", g.name(), a, b, c), labels{t: 1, "person_name": 1}}
		}
		return sentence{fmt.Sprintf("Her social security number is %s-%s-%s.", a, b, c), one(t)}
	case "npi":
		switch g.r.IntN(3) {
		case 0:
			return sentence{fmt.Sprintf("Referring provider NPI: %s", g.npi()), one(t)}
		case 1:
			return sentence{fmt.Sprintf("Dr. %s (NPI %s) signed the order.", g.pick(lastNames), g.npi()), one(t)}
		}
		return sentence{fmt.Sprintf("Rendering NPI %s, billing NPI %s.", g.npi(), g.npi()), labels{t: 2}}
	case "dea":
		if g.r.IntN(2) == 0 {
			return sentence{fmt.Sprintf("Prescriber DEA# %s", g.dea()), one(t)}
		}
		return sentence{fmt.Sprintf("DEA registration %s is valid through next year.", g.dea()), one(t)}
	case "mbi":
		switch g.r.IntN(3) {
		case 0:
			return sentence{fmt.Sprintf("Medicare ID: %s", g.mbi(false)), one(t)}
		case 1:
			return sentence{fmt.Sprintf("MBI %s", g.mbi(true)), one(t)}
		}
		return sentence{fmt.Sprintf("Beneficiary identifier %s was verified.", g.mbi(g.r.IntN(2) == 0)), one(t)}
	case "ndc":
		switch g.r.IntN(4) {
		case 0:
			return sentence{fmt.Sprintf("NDC %s-%s-%s", g.digits(4), g.digits(4), g.digits(2)), one(t)}
		case 1:
			return sentence{fmt.Sprintf("Dispensed NDC: %s-%s-%s", g.digits(5), g.digits(3), g.digits(2)), one(t)}
		case 2:
			return sentence{fmt.Sprintf("NDC %s-%s-%s, quantity thirty.", g.digits(5), g.digits(4), g.digits(2)), one(t)}
		}
		return sentence{fmt.Sprintf("NDC %s", g.digits(11)), one(t)}
	case "icd10":
		c1, c2 := g.pick(g.icd), g.pick(g.icd)
		for c2 == c1 {
			c2 = g.pick(g.icd)
		}
		switch g.r.IntN(3) {
		case 0:
			return sentence{fmt.Sprintf("Dx: %s", c1), one(t)}
		case 1:
			return sentence{fmt.Sprintf("Diagnosis codes: %s, %s", c1, c2), labels{t: 2}}
		}
		return sentence{fmt.Sprintf("ICD-10 %s documented at the visit.", c1), one(t)}
	case "cpt":
		if g.r.IntN(3) == 0 {
			return sentence{fmt.Sprintf("CPT %s%s", g.digits(4), string("FT"[g.r.IntN(2)])), one(t)}
		}
		return sentence{fmt.Sprintf("Procedure code %d billed today.", 10000+g.r.IntN(89999)), one(t)}
	case "mrn":
		switch g.r.IntN(3) {
		case 0:
			return sentence{fmt.Sprintf("MRN: %s", g.digits(6+g.r.IntN(5))), one(t)}
		case 1:
			return sentence{fmt.Sprintf("Medical record number %s", g.digits(8)), one(t)}
		}
		return sentence{fmt.Sprintf("Chart # %s%s", string(byte('A'+g.r.IntN(26))), g.digits(7)), one(t)}
	case "card":
		if g.r.IntN(2) == 0 {
			return sentence{fmt.Sprintf("Card number: %s", g.card()), one(t)}
		}
		return sentence{fmt.Sprintf("The copay was charged to %s.", g.card()), one(t)}
	case "phone":
		a, e, n := g.nanp()
		switch g.r.IntN(4) {
		case 0:
			return sentence{fmt.Sprintf("Phone: (%s) %s-%s", a, e, n), one(t)}
		case 1:
			return sentence{fmt.Sprintf("Call the patient back at %s-%s-%s.", a, e, n), one(t)}
		case 2:
			return sentence{fmt.Sprintf("Mobile %s.%s.%s", a, e, n), one(t)}
		}
		return sentence{fmt.Sprintf("Contact: +1 %s %s %s", a, e, n), one(t)}
	case "dob":
		y, m, d := 1930+g.r.IntN(80), 1+g.r.IntN(12), 1+g.r.IntN(28)
		switch g.r.IntN(4) {
		case 0:
			return sentence{fmt.Sprintf("DOB: %02d/%02d/%d", m, d, y), one(t)}
		case 1:
			return sentence{fmt.Sprintf("Date of birth: %s %d, %d", months[m-1], d, y), one(t)}
		case 2:
			return sentence{fmt.Sprintf("Born %d-%02d-%02d.", y, m, d), one(t)}
		}
		return sentence{fmt.Sprintf("D.O.B. %d %s %d", d, months[m-1], y), one(t)}
	case "member_id":
		id := string([]byte{byte('A' + g.r.IntN(26)), byte('A' + g.r.IntN(26)), byte('A' + g.r.IntN(26))}) + g.digits(9)
		if g.r.IntN(2) == 0 {
			return sentence{fmt.Sprintf("Member ID: %s", id), one(t)}
		}
		return sentence{fmt.Sprintf("Subscriber ID %s, group plan gold.", g.digits(10)), one(t)}
	case "condition":
		return sentence{fmt.Sprintf("History of %s.", g.pick(g.conds)), one(t)}
	case "medication":
		return sentence{fmt.Sprintf("Currently taking %s daily.", g.pick(g.meds)), one(t)}
	case "procedure":
		return sentence{fmt.Sprintf("Scheduled for %s next week.", g.pick(g.procs)), one(t)}
	}
	panic(t)
}

var types = []string{"ssn", "npi", "dea", "mbi", "ndc", "icd10", "cpt", "mrn", "card", "phone", "dob", "member_id",
	"condition", "medication", "procedure"}

var filler = []string{
	"Thanks for your help with this.",
	"Let me know if anything else is needed.",
	"The office will be closed on Friday afternoon.",
	"Please review the attached notes before the meeting.",
	"We moved the team lunch to the main conference room.",
	"I have copied the front desk on this thread.",
	"The parking garage on the north side is open again.",
	"Reply to this message with any questions.",
	"Best regards from the billing office.",
	"The new badge readers go live next month.",
}

// negatives are hard negatives: look like identifiers, are not PHI, carry no label.
func (g *gen) negative() string {
	switch g.r.IntN(16) {
	case 0:
		return fmt.Sprintf("Order #%s has shipped.", g.digits(9))
	case 1:
		return fmt.Sprintf("Your UPS tracking number is 1Z%s%s.", "999AA1", g.digits(10))
	case 2:
		return fmt.Sprintf("FedEx tracking %s", g.digits(12))
	case 3:
		return fmt.Sprintf("Tracking number %s", g.digits(15))
	case 4:
		return fmt.Sprintf("Invoice INV-2024-%s is attached.", g.digits(5))
	case 5:
		return fmt.Sprintf("The meeting is on %02d/%02d/2025 at 10:30.", 1+g.r.IntN(12), 1+g.r.IntN(28))
	case 6:
		return fmt.Sprintf("Ship to Boston MA %s-%s.", g.digits(5), g.digits(4))
	case 7:
		return fmt.Sprintf("Upgrade to version %d.%d.%d before Monday.", 1+g.r.IntN(9), g.r.IntN(20), g.r.IntN(30))
	case 8:
		return fmt.Sprintf("Logged at 2025-%02d-%02dT%02d:%02d:%02dZ by the server.", 1+g.r.IntN(12), 1+g.r.IntN(28), g.r.IntN(24), g.r.IntN(60), g.r.IntN(60))
	case 9:
		return fmt.Sprintf("Reference %s-%s-%s for the vendor.", g.digits(3), g.digits(4), g.digits(3))
	case 10:
		return fmt.Sprintf("Order %s confirmed.", g.npi())
	case 11:
		return fmt.Sprintf("Account %s is past due.", g.digits(10))
	case 12:
		return fmt.Sprintf("Meet at gate C%d or room B%d.", 10+g.r.IntN(20), 10+g.r.IntN(20))
	case 13:
		return fmt.Sprintf("The total was $%d,%03d.%02d including tax.", 1+g.r.IntN(99), g.r.IntN(1000), g.r.IntN(100))
	case 14:
		return fmt.Sprintf("The server at 10.%d.%d.%d restarted.", g.r.IntN(256), g.r.IntN(256), g.r.IntN(256))
	}
	return fmt.Sprintf("Confirmation %s-%s for your booking.", g.digits(4), g.digits(6))
}

type message struct {
	name      string
	sentences []string
	lab       labels
}

func main() {
	out := flag.String("out", "testdata/phi", "output directory")
	data := flag.String("data", "policy/detect/data", "detector data directory")
	n := flag.Int("n", 240, "messages")
	flag.Parse()
	g := &gen{
		r:     rand.New(rand.NewPCG(20240601, 4)),
		conds: readList(filepath.Join(*data, "conditions.txt")),
		meds:  readList(filepath.Join(*data, "medications.txt")),
		procs: readList(filepath.Join(*data, "procedures.txt")),
		icd:   readList(filepath.Join(*data, "icd10cm_common.txt")),
	}
	var msgs []message
	for i := 0; i < *n; i++ {
		m := message{name: fmt.Sprintf("%03d", i), lab: labels{}}
		var parts []string
		if i%6 != 5 { // every sixth message is negatives only
			k := 1 + g.r.IntN(5)
			for j := 0; j < k; j++ {
				t := types[(i+j*7)%len(types)]
				if j > 0 {
					t = types[g.r.IntN(len(types))]
				}
				s := g.phi(t)
				parts = append(parts, s.text)
				for kk, v := range s.lab {
					m.lab[kk] += v
				}
			}
		}
		for j := g.r.IntN(3); j >= 0; j-- {
			parts = append(parts, g.negative())
		}
		for j := 1 + g.r.IntN(3); j > 0; j-- {
			parts = append(parts, g.pick(filler))
		}
		g.r.Shuffle(len(parts), func(a, b int) { parts[a], parts[b] = parts[b], parts[a] })
		m.sentences = parts
		msgs = append(msgs, m)
	}
	all := map[string]labels{}
	for _, dir := range []string{"plain", "mime"} {
		if err := os.MkdirAll(filepath.Join(*out, dir), 0o755); err != nil {
			log.Fatal(err)
		}
	}
	for i, m := range msgs {
		body := strings.Join(m.sentences, "\r\n\r\n") + "\r\n"
		plain := header(m.name, "Follow-up", "") + "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body
		write(filepath.Join(*out, "plain", m.name+".eml"), plain)
		all["plain/"+m.name+".eml"] = m.lab
		form, mimeMsg, extra := mimeForm(i, m, g)
		name := fmt.Sprintf("mime/%s-%s.eml", m.name, form)
		write(filepath.Join(*out, name), mimeMsg)
		lab := labels{}
		for k, v := range m.lab {
			lab[k] += v
		}
		for k, v := range extra {
			lab[k] += v
		}
		all[name] = lab
	}
	keys := make([]string, 0, len(all))
	for k := range all {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var buf bytes.Buffer
	buf.WriteString("{\n")
	for i, k := range keys {
		v, _ := json.Marshal(all[k])
		fmt.Fprintf(&buf, "  %q: %s", k, v)
		if i < len(keys)-1 {
			buf.WriteString(",")
		}
		buf.WriteString("\n")
	}
	buf.WriteString("}\n")
	write(filepath.Join(*out, "labels.json"), buf.String())
}

func header(id, subject, extra string) string {
	return "From: Clinic Staff <staff@clinic.example>\r\n" +
		"To: Partner Office <desk@partner.example>\r\n" +
		"Subject: " + subject + "\r\n" +
		"Date: Mon, 02 Jun 2025 09:00:00 +0000\r\n" +
		"Message-ID: <corpus-" + id + "@clinic.example>\r\n" +
		"MIME-Version: 1.0\r\n" + extra
}

func write(path, s string) {
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		log.Fatal(err)
	}
}

const boundary = "sealgate-corpus-boundary"

// mimeForm wraps the same sentences in one of six MIME shapes. Extra labels are PHI put
// into the Subject (encoded-word form).
func mimeForm(i int, m message, g *gen) (string, string, labels) {
	text := strings.Join(m.sentences, "\r\n\r\n") + "\r\n"
	switch i % 6 {
	case 0: // HTML only, with markup around every sentence
		var b strings.Builder
		b.WriteString("<html><head><style>p{margin:0}</style><script>var x=1;</script></head><body>")
		for _, s := range m.sentences {
			b.WriteString("<p>" + html.EscapeString(s) + "</p>\r\n")
		}
		b.WriteString("</body></html>\r\n")
		return "html", header(m.name, "Follow-up", "Content-Type: text/html; charset=utf-8\r\n\r\n") + b.String(), nil
	case 1: // text part plus a base64 text attachment holding the sentences
		att := wrap76(base64.StdEncoding.EncodeToString([]byte(text)))
		return "b64attach", header(m.name, "Follow-up", "Content-Type: multipart/mixed; boundary=\""+boundary+"\"\r\n\r\n") +
			"--" + boundary + "\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee attached notes.\r\n" +
			"--" + boundary + "\r\nContent-Type: text/plain; charset=utf-8; name=\"notes.txt\"\r\n" +
			"Content-Disposition: attachment; filename=\"notes.txt\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
			att + "--" + boundary + "--\r\n", nil
	case 2: // quoted-printable with soft line breaks inside identifiers
		var b bytes.Buffer
		w := quotedprintable.NewWriter(&b)
		w.Write([]byte(strings.Join(m.sentences, " ") + "\r\n"))
		w.Close()
		return "qp", header(m.name, "Follow-up", "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n") + b.String(), nil
	case 3: // encoded-word Subject carrying one more identifier
		a, bb, c := g.ssnParts()
		subj := mime.QEncoding.Encode("utf-8", fmt.Sprintf("Überweisung SSN %s-%s-%s", a, bb, c))
		return "encword", header(m.name, subj, "Content-Type: text/plain; charset=utf-8\r\n\r\n") + text, labels{"ssn": 1}
	case 4: // the message forwarded as message/rfc822
		inner := header(m.name+"-inner", "Original", "Content-Type: text/plain; charset=utf-8\r\n\r\n") + text
		return "rfc822", header(m.name, "Fwd: Original", "Content-Type: multipart/mixed; boundary=\""+boundary+"\"\r\n\r\n") +
			"--" + boundary + "\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nForwarding below.\r\n" +
			"--" + boundary + "\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment\r\n\r\n" +
			inner + "--" + boundary + "--\r\n", nil
	}
	// a zip attachment with the sentences in notes.txt
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	f, _ := zw.Create("notes.txt")
	f.Write([]byte(text))
	zw.Close()
	return "zip", header(m.name, "Follow-up", "Content-Type: multipart/mixed; boundary=\""+boundary+"\"\r\n\r\n") +
		"--" + boundary + "\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nNotes are zipped.\r\n" +
		"--" + boundary + "\r\nContent-Type: application/zip; name=\"notes.zip\"\r\n" +
		"Content-Disposition: attachment; filename=\"notes.zip\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		wrap76(base64.StdEncoding.EncodeToString(zb.Bytes())) + "--" + boundary + "--\r\n", nil
}

func wrap76(s string) string {
	var b strings.Builder
	for len(s) > 76 {
		b.WriteString(s[:76] + "\r\n")
		s = s[76:]
	}
	b.WriteString(s + "\r\n")
	return b.String()
}
