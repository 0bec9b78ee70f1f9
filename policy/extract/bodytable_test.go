package extract

import (
	"io"
	"strings"
	"testing"
)

func TestBodyTablesLabelCells(t *testing.T) {
	cases := []struct {
		name, in string
		want     []string // substrings of the output
		not      []string
	}{
		{"spaces", "Placing these:\r\n\r\nAcct      Patient              DOB         DOS        Bal\r\n" +
			"NG-40217  Kyle Brandon Foss    04/19/1990  06/02/26   $412.75\r\n" +
			"NG-40388  Sheila Ann Marrow    11/30/1972  05/18/26   $1,030.00\r\n\r\nPlease confirm.\r\n",
			[]string{"Acct: NG-40217\tPatient: Kyle Brandon Foss\tDOB: 04/19/1990\tDOS: 06/02/26\tBal: $412.75\r\n",
				"DOB: 11/30/1972", "\r\nPlease confirm.\r\n"},
			nil},
		{"tabs with an empty cell", "Chair\tPatient\tAccess\tNotes\n1\tEsposito, Anthony\tL AVF\t\n",
			[]string{"Chair: 1\tPatient: Esposito, Anthony\tAccess: L AVF\n"}, nil},
		{"pipes", "| Name | DOB | MRN |\n|---|---|---|\n| Jane Roe | 1/2/1950 | 4455667 |\n",
			[]string{"Name: Jane Roe\tDOB: 1/2/1950\tMRN: 4455667"}, nil},
		{"right-aligned amount", "Member name          Member ID       Overpaid\n" +
			"PRUITT, DANA         GLH884201937     $206.00\n",
			[]string{"Member name: PRUITT, DANA\tMember ID: GLH884201937\tOverpaid: $206.00"}, nil},
		{"prose is not a table", "We met on Monday  and agreed  on three  things.\nThanks\n",
			[]string{"We met on Monday  and agreed  on three  things.\n"}, []string{": "}},
		{"the table ends at prose", "Name   Dept   Ext\nAnn Lee   IT   2201\nTotal: 1\nsee  you  there  ok\n",
			[]string{"Name: Ann Lee", "Total: 1\nsee  you  there  ok\n"}, []string{"Name: see"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := io.ReadAll(bodyTables(strings.NewReader(c.in)))
			if err != nil {
				t.Fatal(err)
			}
			got := string(b)
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("output lacks %q:\n%s", w, got)
				}
			}
			for _, w := range c.not {
				if strings.Contains(got, w) {
					t.Errorf("output has %q:\n%s", w, got)
				}
			}
		})
	}
}

func TestBodyTablesLongLinePassesThrough(t *testing.T) {
	in := "A   B   C\n" + strings.Repeat("x", 3*bodyTableLine) + "\n1   2   3\n"
	b, err := io.ReadAll(bodyTables(strings.NewReader(in)))
	if err != nil || string(b) != in {
		t.Fatalf("long line changed the text (err %v, %d bytes in, %d out)", err, len(in), len(b))
	}
}

// A link's query string is read as labelled text: a secure-chat notification whose only
// PHI is in the link ("open conversation") must not pass as scanned and empty.
func TestHTMLLinkQueryIsRead(t *testing.T) {
	in := `<p><a href="https://portal.example/chat?conv=88&amp;mrn=4455667&amp;name=Lopez%2C+Ana&amp;dob=1961-01-17#top">open conversation</a></p>` +
		`<p><a href="https://clinic.example/about">about us</a></p>`
	b, err := io.ReadAll(htmlText(strings.NewReader(in), 1<<20))
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	for _, w := range []string{"open conversation", "mrn: 4455667", "name: Lopez, Ana", "dob: 1961-01-17"} {
		if !strings.Contains(got, w) {
			t.Errorf("text lacks %q: %q", w, got)
		}
	}
	if strings.Contains(got, "clinic.example") || strings.Contains(got, "top") {
		t.Errorf("URL outside the query read: %q", got)
	}
}
