package extract

import (
	"bytes"

	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/sealgate/sealgate/policy/detect"
)

// The fixtures in testdata/extract/tables were made by LibreOffice from
// patients.fods; the commands are in the README there.
func tableFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "extract", "tables", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// findings runs the shipped detectors over the extracted text.
func findings(t testing.TB, text string) map[string]detect.Confidence {
	t.Helper()
	s, err := detect.New(detect.Config{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]detect.Confidence{}
	for _, f := range s.Scan([]byte(text), detect.Location{}) {
		got[f.Type] = f.Confidence
	}
	return got
}

func wantFindings(t *testing.T, text string, types ...string) {
	t.Helper()
	got := findings(t, text)
	for _, typ := range types {
		if got[typ] < detect.Medium {
			t.Errorf("no %s finding at medium or better (got %v) in %q", typ, got, text)
		}
	}
}

func wantText(t *testing.T, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("missing %q in %q", w, text)
		}
	}
}

func walkAttachment(t *testing.T, ctype, name string, data []byte) walkOut {
	t.Helper()
	o := walkString(t, mimeWithAttachment(ctype, name, data), Limits{})
	if len(o.res.Unscannable) != 0 {
		t.Errorf("unscannable: %v", o.res.Unscannable)
	}
	return o
}

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// The patient list has a title row and a blank row above its header
// "Name | DOB | MRN | SSN | Member ID | Notes", and bare values below.
var patientListWants = []string{
	"Name: Testcase, Jane Q\tDOB: 09/17/1962\tMRN: 4455667\tSSN: 512483901\tMember ID: XKJ448812\tNotes: follow-up, \"fasting\" labs\ncall after 5pm\n",
	"MRN: 9001234\tSSN: 401227788\tNotes: new patient\n", // an empty cell names nothing
}

// The second sheet has "SSN" merged over three columns, an SSN typed as
// three numbers and one as "345-67-" and "8012".
var splitWants = []string{"SSN: 623 45 1290\t", "SSN: 345-67-8012\t"}

func TestCSVCellsAreLabelledByTheirColumnHeader(t *testing.T) {
	o := walkAttachment(t, "text/csv", "patients.csv", tableFixture(t, "patients.csv"))
	wantText(t, o.all(), patientListWants...)
	wantFindings(t, o.all(), detect.TypeSSN, detect.TypeMRN, detect.TypeDOB, detect.TypeMemberID)

	o = walkAttachment(t, "application/octet-stream", "split ssn.csv", tableFixture(t, "split-ssn.csv"))
	wantText(t, o.all(), splitWants...)
	wantFindings(t, o.all(), detect.TypeSSN)
}

func TestXlsxCellsAreLabelledByTheirColumnHeader(t *testing.T) {
	o := walkAttachment(t, xlsxType, "patients.xlsx", tableFixture(t, "patients.xlsx"))
	all := o.all()
	// Dates are day numbers with a date style; the SSNs are numbers.
	wantText(t, all, patientListWants...)
	wantText(t, all, splitWants...)
	wantText(t, all, "Patients\nSplit SSN\n") // sheet names are text too
	if strings.Contains(all, "22906") {
		t.Errorf("date cell left as a day number: %q", all)
	}
	wantFindings(t, all, detect.TypeSSN, detect.TypeMRN, detect.TypeDOB, detect.TypeMemberID)
}

func TestHTMLTableCellsAreLabelledByTheirColumnHeader(t *testing.T) {
	html := tableFixture(t, "patients.html")
	o := walkString(t, crlf("Content-Type: text/html; charset=utf-8\n\n")+string(html), Limits{})
	all := o.all()
	wantText(t, all, splitWants...)
	wantText(t, all, "Name: Testcase, Jane Q\tDOB: 09/17/1962\tMRN: 4455667\tSSN: 512483901\tMember ID: XKJ448812\tNotes: follow-up, \"fasting\" labs\ncall after 5pm")
	wantFindings(t, all, detect.TypeSSN, detect.TypeMRN, detect.TypeDOB, detect.TypeMemberID)
}

func htmlBody(t *testing.T, html string) string {
	t.Helper()
	return walkString(t, crlf("Content-Type: text/html; charset=utf-8\n\n")+html, Limits{}).all()
}

func TestHTMLCommentInsideANumberDoesNotCutIt(t *testing.T) {
	all := htmlBody(t, "<p>Patient SSN 512-48-<!-- x -->3901 and MRN 44<!--y-->55667</p><p>next</p>")
	wantText(t, all, "SSN 512-48-3901 and MRN 4455667\n", " x ", "y ")
	if i, j := strings.Index(all, "4455667"), strings.Index(all, "y "); j < i {
		t.Errorf("comment written inside the line: %q", all)
	}
	wantFindings(t, all, detect.TypeSSN, detect.TypeMRN)
	// A comment on its own is still read.
	wantText(t, htmlBody(t, "<p>hi</p><!-- SSN 512-48-3901 -->"), "SSN 512-48-3901")
}

func TestHTMLNumberSplitAcrossCellsIsJoined(t *testing.T) {
	for _, html := range []string{
		// A header over three columns, as a spreadsheet writes a merged cell.
		"<table>\n <tr><th>Patient</th><th colspan=3>SSN</th></tr>\n <tr>\n  <td>Jane Q Testcase</td>\n  <td>512</td>\n  <td>48</td>\n  <td>3901</td>\n </tr>\n</table>",
		// No header at all.
		"<table><tr><td>Jane Q Testcase</td> <td> 512 </td> <td>48</td> <td>&nbsp;3901&nbsp;</td></tr></table>",
		// "512-48-" then "3901", under two different headers.
		"<table><tr><td>Name</td><td>SSN</td><td>cont.</td></tr><tr><td>Jane</td><td><p>512-48-</p></td><td><span>3901</span></td></tr></table>",
	} {
		all := htmlBody(t, html)
		if got := findings(t, all); got[detect.TypeSSN] < detect.Medium {
			t.Errorf("no SSN in %q", all)
		}
	}
}

func TestHTMLLayoutTablesAndHeadersAreSane(t *testing.T) {
	// A layout table: one cell per row is never a header.
	all := htmlBody(t, `<table><tr><td><p>Dear colleague,</p><p>SSN: 512-48-3901</p></td></tr><tr><td>Regards</td></tr></table>`)
	wantText(t, all, "Dear colleague,\nSSN: 512-48-3901")
	if strings.Contains(all, "colleague,:") {
		t.Errorf("layout text used as a label: %q", all)
	}
	// A nested table keeps its own header; the outer cell is not a label.
	all = htmlBody(t, `<table><tr><td>Outer</td><td><table><thead><tr><td>MRN</td><td>DOB 2</td></tr></thead><tr><td>4455667</td><td>01/02/1980</td></tr></table></td></tr><tr><td>x</td><td>y</td></tr></table>`)
	wantText(t, all, "MRN: 4455667\tDOB 2: 01/02/1980")
	// Text of tags and attributes inside cells stays in the cell.
	all = htmlBody(t, `<table><tr><th>Name</th><th>MRN</th></tr><tr><td><b>Jane</b> <i>Doe</i></td><td><img alt="4455667"></td></tr></table>`)
	wantText(t, all, "Name: Jane Doe\tMRN: 4455667")
}

func TestCSVQuotingRaggedRowsAndDelimiters(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"semicolon.csv", "Patient;DOB;SSN\r\n\"Doe; Jane\";02/03/1970;512483901\r\n", "Patient: Doe; Jane\tDOB: 02/03/1970\tSSN: 512483901\n"},
		{"tabs.tsv", "MRN\tSSN\n4455667\t512483901\textra\n99\n", "MRN: 4455667\tSSN: 512483901\textra\nMRN: 99\n"},
		{"quotes.csv", "Note,SSN\n\"said \"\"hi\"\"\nthen left\",512483901\n", "Note: said \"hi\"\nthen left\tSSN: 512483901\n"},
		{"mac.csv", "MRN,SSN\r4455667,512483901\r", "MRN: 4455667\tSSN: 512483901\n"},
		{"bom.csv", "\ufeffSSN,MRN\n512483901,4455667\n", "SSN: 512483901\tMRN: 4455667\n"},
		{"lazy.csv", "A note,SSN\nsaid \"x\" twice,512483901\n", "A note: said \"x\" twice\tSSN: 512483901\n"},
		// A title row right above the header is not the header.
		{"title.csv", "Clinic list Nov 2026,,\nName,DOB,SSN\nJane,01/02/1980,512483901\n", "Name: Jane\tDOB: 01/02/1980\tSSN: 512483901\n"},
		// A second table after a blank line brings its own header.
		{"two.csv", "MRN,Name\n4455667,Jane\n\nSSN,Name\n512483901,Bob\n", "SSN: 512483901\tName: Bob\n"},
	}
	for _, c := range cases {
		o := walkAttachment(t, "application/octet-stream", c.name, []byte(c.in))
		if !strings.Contains(o.all(), c.want) {
			t.Errorf("%s: got %q, want %q", c.name, o.all(), c.want)
		}
	}
	// A data row that looks like text is not taken for a header later on.
	o := walkAttachment(t, "text/csv", "x.csv", []byte("SSN,Name\n512483901,Jane\nx,Bob Roe\n401227788,Ann\n"))
	wantText(t, o.all(), "SSN: 401227788\tName: Ann\n")
}

// zeroReader is an endless stream of one byte.
type repeatReader byte

func (r repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

func TestCSVUnclosedQuoteStreamsInBoundedMemory(t *testing.T) {
	// `"` then 64 MiB without a closing quote: one field, written as read.
	r := csvText(io.MultiReader(strings.NewReader("SSN,Note\n1,\""), io.LimitReader(repeatReader('a'), 64<<20)))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	n, err := io.Copy(io.Discard, r)
	runtime.ReadMemStats(&after)
	if err != nil || n < 64<<20 {
		t.Fatalf("copied %d, %v", n, err)
	}
	if grow := int64(after.HeapInuse) - int64(before.HeapInuse); grow > 8<<20 {
		t.Errorf("heap grew by %d bytes", grow)
	}
}

func TestHostileTablesAreBounded(t *testing.T) {
	var h strings.Builder
	h.WriteString(strings.Repeat("<table><tr><td>", 20000))
	h.WriteString("SSN 512-48-3901")
	h.WriteString(`<table><tr><th colspan=99999999>A</th><th colspan=-5>B</th></tr><tr><td>1</td><td>2</td></tr></table>`)
	start := time.Now()
	all := htmlBody(t, h.String())
	if time.Since(start) > 10*time.Second || !strings.Contains(all, "SSN 512-48-3901") {
		t.Errorf("deep tables: %v, text %d bytes", time.Since(start), len(all))
	}
	// A CSV header of thousands of columns and long cells keeps only what it may.
	csv := strings.Repeat("Label,", 100000) + "\n" + strings.Repeat(strings.Repeat("x", 100)+",", 100000) + "\n"
	o := walkAttachment(t, "text/csv", "wide.csv", []byte(csv))
	if len(o.all()) > 3*len(csv) {
		t.Errorf("output %d bytes for %d in", len(o.all()), len(csv))
	}
}

// The inline strings, 1904 dates, exponents and sparse rows below are
// what Apache POI's streaming writer and Excel for Mac produce; no tool on
// this machine writes them, so the XML is written out here.
func TestXlsxInlineStringsSparseRowsAnd1904Dates(t *testing.T) {
	xlsx := buildZip(t,
		zipEntry{name: "xl/workbook.xml", data: []byte(`<workbook><workbookPr date1904="1"/><sheets><sheet name="List" sheetId="1"/></sheets></workbook>`)},
		zipEntry{name: "xl/styles.xml", data: []byte(`<styleSheet><numFmts><numFmt numFmtId="170" formatCode="[$-409]d\-mmm\-yyyy;@"/><numFmt numFmtId="171" formatCode="&quot;day&quot; 0"/></numFmts><cellStyleXfs><xf numFmtId="14"/></cellStyleXfs><cellXfs><xf numFmtId="0"/><xf numFmtId="170"/><xf numFmtId="171"/><xf numFmtId="14"/></cellXfs></styleSheet>`)},
		zipEntry{name: "xl/worksheets/sheet1.xml", data: []byte(`<worksheet><sheetData>` +
			`<row r="1"><c r="A1" t="inlineStr"><is><t>Patient list</t></is></c></row>` +
			`<row r="3"><c r="B3" t="inlineStr"><is><r><t>Date of </t></r><r><t>Birth</t></r></is></c><c r="D3" t="inlineStr"><is><t>SSN</t></is></c><c r="E3" t="str"><f>"Member"&amp;" ID"</f><v>Member ID</v></c></row>` +
			`<row r="4"><c r="A4" t="inlineStr"><is><t>Jane</t></is></c><c r="B4" s="1"><v>21624</v></c><c r="D4" s="2"><v>5.12483901E+8</v></c><c r="E4" t="inlineStr"><is><t>XKJ448812</t></is></c></row>` +
			`<row r="5"><c r="B5" s="3"><v>0</v></c><c r="D5"><v>401227788</v></c></row>` +
			`</sheetData><headerFooter><oddHeader>&amp;L&amp;"Arial,Bold"&amp;12Clinic list for Jane&amp;RPage &amp;P</oddHeader></headerFooter></worksheet>`)},
	)
	o := walkAttachment(t, xlsxType, "list.xlsx", xlsx)
	// Day 21624 in the 1904 system is 1963-03-16.
	wantText(t, o.all(), "Date of Birth: 03/16/1963\tSSN: 512483901\tMember ID: XKJ448812\n", "\tSSN: 401227788\n", "Clinic list for Jane", "List\n")
	wantFindings(t, o.all(), detect.TypeSSN, detect.TypeDOB, detect.TypeMemberID)
}

func TestXlsxBrokenSharedStringsAreUnscannable(t *testing.T) {
	xlsx := buildZip(t,
		zipEntry{name: "xl/workbook.xml", data: []byte(`<workbook/>`)},
		zipEntry{name: "xl/sharedStrings.xml", data: []byte(`<sst><si><t>SSN</t></si><si><t>oops</t`)},
		zipEntry{name: "xl/worksheets/sheet1.xml", data: []byte(`<worksheet><sheetData><row><c t="s"><v>0</v></c><c><v>512483901</v></c></row></sheetData></worksheet>`)},
	)
	o := walkString(t, mimeWithAttachment(xlsxType, "x.xlsx", xlsx), Limits{})
	if !o.hasReason(ReasonDecode) {
		t.Errorf("reasons = %v", o.reasons())
	}
	wantText(t, o.all(), "SSN 512483901")
}

func TestIsDateFormat(t *testing.T) {
	for code, want := range map[string]bool{
		"mm/dd/yyyy": true, "[$-409]d-mmm-yy;@": true, "yyyy\\-mm\\-dd": true, "General": false, "0": false,
		"#,##0.00": false, `"day" 0`: false, "h:mm:ss": false, `_-* #,##0_-;-* #,##0_-;_-* "-"_-;_-@_-`: false,
		"[h]:mm": false, "000\\-00\\-0000": false,
	} {
		if got := isDateFormat(code); got != want {
			t.Errorf("isDateFormat(%q) = %v", code, got)
		}
	}
}

func BenchmarkCSV(b *testing.B) {
	var s bytes.Buffer
	s.WriteString("Name,DOB,MRN,SSN,Member ID,Notes\r\n")
	for s.Len() < 1<<20 {
		s.WriteString("\"Testcase, Jane Q\",09/17/1962,4455667,512483901,XKJ448812,follow-up\r\n")
	}
	data := s.Bytes()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := io.Copy(io.Discard, csvText(bytes.NewReader(data))); err != nil {
			b.Fatal(err)
		}
	}
}

func TestHTMLFormTablesAreNotHeaders(t *testing.T) {
	// "Label: | value" rows, with <th> or a colon: each label stays next to its value.
	for _, html := range []string{
		`<table><tr><td>Patient:</td><td>Jane Testcase</td></tr><tr><td>DOB:</td><td>01/02/1980</td></tr><tr><td>MRN:</td><td>4455667</td></tr></table>`,
		`<table><tr><th>Patient</th><td>Jane Testcase</td></tr><tr><th>DOB</th><td>01/02/1980</td></tr><tr><th>MRN</th><td>4455667</td></tr></table>`,
	} {
		all := htmlBody(t, html)
		if strings.Contains(all, "Jane Testcase:") || strings.Contains(all, "Patient: DOB") {
			t.Errorf("form row taken for a header: %q", all)
		}
		wantFindings(t, all, detect.TypeDOB, detect.TypeMRN)
	}
}

func TestDocxAndPptxTablesAreLabelledByTheirColumnHeader(t *testing.T) {
	// referral-table.docx: LibreOffice Writer from referral-table.html; the
	// SSN header spans three grid columns (w:gridSpan).
	o := walkAttachment(t, "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "referral.docx", tableFixture(t, "referral-table.docx"))
	wantText(t, o.all(), "Patient: Testcase, Jane Q\tDate of birth: 09/17/1962\tMRN: 4455667\tSSN: 623 45 1290\n", "Please call with questions.")
	wantFindings(t, o.all(), detect.TypeSSN, detect.TypeMRN, detect.TypeDOB)

	// A PowerPoint table (a:tbl), gridSpan and hMerge as PowerPoint writes them.
	cell := func(attr, s string) string {
		return `<a:tc` + attr + `><a:txBody><a:p><a:r><a:t>` + s + `</a:t></a:r></a:p></a:txBody></a:tc>`
	}
	slide := `<p:sld xmlns:a="a" xmlns:p="p"><a:tbl><a:tr>` + cell("", "MRN") + cell(` gridSpan="2"`, "SSN") + cell(` hMerge="1"`, "") + `</a:tr>` +
		`<a:tr>` + cell("", "4455667") + cell("", "512-48-") + cell("", "3901") + `</a:tr></a:tbl></p:sld>`
	pptx := buildZip(t, zipEntry{name: "ppt/presentation.xml", data: []byte(`<p:presentation/>`)}, zipEntry{name: "ppt/slides/slide1.xml", data: []byte(slide)})
	o = walkAttachment(t, "application/octet-stream", "deck.pptx", pptx)
	wantText(t, o.all(), "MRN: 4455667\tSSN: 512-48-3901\n")
}

// Pivot caches as Excel writes them (xl/pivotCache/*): the values are
// attributes. Written out here: LibreOffice cannot make one from a script.
func TestXlsxPivotCacheValuesAreRead(t *testing.T) {
	xlsx := buildZip(t,
		zipEntry{name: "xl/workbook.xml", data: []byte(`<workbook/>`)},
		zipEntry{name: "xl/worksheets/sheet1.xml", data: []byte(`<worksheet><sheetData/></worksheet>`)},
		zipEntry{name: "xl/pivotCache/pivotCacheDefinition1.xml", data: []byte(`<pivotCacheDefinition><cacheFields count="2"><cacheField name="Patient name"><sharedItems><s v="Testcase, Jane Q"/><s v="Fixture, Maria"/></sharedItems></cacheField><cacheField name="SSN"><sharedItems containsNumber="1"/></cacheField></cacheFields></pivotCacheDefinition>`)},
		zipEntry{name: "xl/pivotCache/pivotCacheRecords1.xml", data: []byte(`<pivotCacheRecords count="2"><r><x v="0"/><n v="512483901"/></r><r><x v="1"/><s v="401-22-7788"/></r></pivotCacheRecords>`)},
	)
	o := walkAttachment(t, xlsxType, "pivot.xlsx", xlsx)
	wantText(t, o.all(), "Patient name\t", "Testcase, Jane Q\t", "512483901\t", "401-22-7788\t")
}

func TestHTMLTagsAndAttributesInAnyCase(t *testing.T) {
	all := htmlBody(t, `<P>a<IMG ALT="MRN 445566" SRC=x>b<span aria-label="SSN 512-48-3901"></span><SCRIPT>var x="999-99-9999"</SCRIPT></P>`+
		`<TABLE><TR><TH>Name</TH><TH COLSPAN=2>SSN</TH></TR><TR><TD>Jane</TD><TD>512</TD><TD>48 3901</TD></TR></TABLE>`)
	wantText(t, all, "MRN 445566", "SSN 512-48-3901", "Name: Jane\tSSN: 512 48 3901")
	if strings.Contains(all, "999-99") {
		t.Errorf("script leaked: %q", all)
	}
}

// FuzzTables feeds the table renderers hostile input: they must not panic,
// and must not write much more than they read (labels are bounded).
func FuzzTables(f *testing.F) {
	f.Add([]byte("Name,SSN\n\"a\"\"b\",512-48-\r\n\"x\ny\",3901\n,,\n"))
	f.Add([]byte("<table><tr><th colspan=3>SSN<td>1<tr><td>512<td>48<td>3901<table><tr><td>x</table></table><!--c-->"))
	f.Add([]byte(`<worksheet><sheetData><row r="1"><c r="B1" t="inlineStr"><is><t>SSN</t></is></c></row><row r="9"><c r="B9" s="0"><v>5.1E+8</v></c><c t="s"><v>7</v></c></row></sheetData></worksheet>`))
	book := &xlsxBook{strs: []byte("MRNx"), ends: []uint32{3, 4}, used: make([]uint64, 1), dateStyle: []bool{true}}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, r := range []io.Reader{csvText(bytes.NewReader(data)), htmlText(bytes.NewReader(data), 1<<20), book.sheetText(bytes.NewReader(data)), officeXMLText(bytes.NewReader(data), "word/document.xml"), odfText(bytes.NewReader(data))} {
			n, _ := io.Copy(io.Discard, io.LimitReader(r, 64<<20))
			if n > int64(len(data))*60+4096 {
				t.Fatalf("%d bytes out for %d in", n, len(data))
			}
		}
	})
}

func TestDigitTemplates(t *testing.T) {
	for _, c := range []struct{ code, in, want string }{
		{`000\-00\-0000`, "83132114", "083-13-2114"},
		{`000\-00\-0000`, "512483901", "512-48-3901"},
		{`00000`, "2134", "02134"},
		{`00000\-0000`, "21341234", "02134-1234"},
		{`(000) 000\-0000`, "5551234567", "(555) 123-4567"},
		{`000000000`, "1", "000000001"},
		{`00`, "12345", "12345"},
		{`0.00`, "12", "12"},
		{`#,##0`, "1234", "1234"},
		{`"SSN "000\-00\-0000`, "83132114", "SSN 083-13-2114"},
	} {
		b := &xlsxBook{dateStyle: []bool{false}, digits: []string{digitTemplate(c.code)}}
		if got := string(b.appendNumber(nil, []byte(c.in), 0)); got != c.want {
			t.Errorf("%s %s = %q, want %q", c.code, c.in, got, c.want)
		}
	}
}

func TestXlsxSSNNumberFormatIsShownAsSSN(t *testing.T) {
	o := walkAttachment(t, xlsxType, "eligibility.xlsx", tableFixture(t, "ssn-format.xlsx"))
	wantText(t, o.all(), "Social Security No: 083-13-2114\n")
	wantFindings(t, o.all(), detect.TypeSSN)
}

func TestWideHeaderRowIsBounded(t *testing.T) {
	var s tableState
	s.beginRow()
	for i := 0; i < 200000; i++ {
		s.beginCell(-1, 1, true)
		s.text(nil, []byte("Label"))
	}
	s.endRow()
	if len(s.cand) > maxTableCols || len(s.hdr) > maxTableCols {
		t.Errorf("kept %d candidate cells, %d header columns", len(s.cand), len(s.hdr))
	}
}

func TestCSVRenderingDoesNotDependOnReadSizes(t *testing.T) {
	for _, in := range [][]byte{
		tableFixture(t, "patients.csv"), tableFixture(t, "split-ssn.csv"), tableFixture(t, "invoice.csv"),
		[]byte("\ufeffA;B\r\n\"x\"\"y\";\"  512 \"\"\"\r\n,\r\n\r\nC;D\n1;2"),
	} {
		whole, _ := io.ReadAll(csvText(bytes.NewReader(in)))
		bytewise, _ := io.ReadAll(csvText(iotest.OneByteReader(bytes.NewReader(in))))
		if !bytes.Equal(whole, bytewise) {
			t.Errorf("one read: %q\nbyte by byte: %q", whole, bytewise)
		}
	}
}

func TestODSCellsAreLabelledByTheirColumnHeader(t *testing.T) {
	o := walkAttachment(t, "application/vnd.oasis.opendocument.spreadsheet", "patients.ods", tableFixture(t, "patients.ods"))
	all := o.all()
	wantText(t, all, "Name: Testcase, Jane Q\tDOB: 09/17/1962\tMRN: 4455667\tSSN: 512483901\tMember ID: XKJ448812\tNotes: follow-up, \"fasting\" labs\ncall after 5pm\n")
	wantText(t, all, splitWants...)
	wantText(t, all, "1962-09-17\n") // the cell's value, as any XML attribute is read
	wantFindings(t, all, detect.TypeSSN, detect.TypeMRN, detect.TypeDOB, detect.TypeMemberID)
}

// BenchmarkWalkHTMLTable is BenchmarkWalkHTML's table with a header row,
// so every cell is written with its label.
func BenchmarkWalkHTMLTable(b *testing.B) {
	var h strings.Builder
	h.WriteString("<html><body><table><tr><th>Patient</th><th>DOB</th><th>MRN</th></tr>\r\n")
	for h.Len() < 1<<20 {
		h.WriteString(`<tr><td class="x">Patient <b>John Doe</b></td><td>01/02/1980</td><td><img alt="445566" src="cid:x"></td></tr>` + "\r\n")
	}
	h.WriteString("</table></body></html>")
	benchWalk(b, crlf("Content-Type: text/html; charset=utf-8\n\n")+h.String())
}

// An EHR export saved as .txt (or sent as text/plain) is still a table: its
// header row labels the cells below it.
func TestDelimitedTextAttachmentIsReadAsATable(t *testing.T) {
	csv := "\"MRN\",\"PATIENT_LAST\",\"DOB\"\r\n\"H0041187\",\"Abdi\",\"2023-03-02\"\r\n\"H0041203\",\"Barrera\",\"2021-08-19\"\r\n"
	out := walkString(t, mimeWithAttachment("text/plain", "export_20251104.txt", []byte(csv)), Limits{})
	if !strings.Contains(out.all(), "MRN: H0041187") || !strings.Contains(out.all(), "DOB: 2021-08-19") {
		t.Errorf("export not read column-aware: %q", out.all())
	}
	titled := "Riverbend Family Medicine - Appointments 11/16/2026\nTime\tPatient\tDOB\tPhone\n08:00\tQuispe, Maria\t09/15/1990\t570-555-0109\n"
	if out := walkString(t, mimeWithAttachment("text/plain", "appts.txt", []byte(titled)), Limits{}); !strings.Contains(out.all(), "DOB: 09/15/1990") {
		t.Errorf("export under a title row not read column-aware: %q", out.all())
	}
	prose := "Hello,\r\nthe meeting is at 3, in room 4, floor 2.\r\nThanks\r\n"
	if out := walkString(t, mimeWithAttachment("text/plain", "note.txt", []byte(prose)), Limits{}); strings.Contains(out.all(), ": ") {
		t.Errorf("prose taken for a table: %q", out.all())
	}
}
