package extract

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

func TestPlainBodyAndHeadersAreExtracted(t *testing.T) {
	msg := crlf("From: Dr Who <who@example.org>\nTo: b@example.org\nSubject: results\nX-Patient: MRN 12345\nReceived: from x\n\nSSN 123-45-6789\n")
	o := walkString(t, msg, Limits{})
	fields := map[string]string{}
	var body string
	for _, p := range o.parts {
		switch p.Kind {
		case KindHeader:
			fields[p.Field] = p.text
		case KindBody:
			body = p.text
		}
	}
	if fields["subject"] != "results" || fields["x-patient"] != "MRN 12345" || fields["from"] != "Dr Who <who@example.org>" {
		t.Errorf("headers = %q", fields)
	}
	if _, ok := fields["received"]; ok {
		t.Error("Received header should not be scanned")
	}
	if !strings.Contains(body, "SSN 123-45-6789") {
		t.Errorf("body = %q", body)
	}
	if len(o.res.Unscannable) != 0 {
		t.Errorf("unscannable = %v", o.res.Unscannable)
	}
	if o.res.Parts != 1 || o.res.DecodedBytes == 0 {
		t.Errorf("result = %+v", o.res)
	}
}

func TestEncodedWordSubjectsAreDecoded(t *testing.T) {
	for _, tc := range []struct{ hdr, want string }{
		{"=?ISO-8859-1?Q?Patient_J=FCrgen_M=FCller_SSN_123-45-6789?=", "Patient Jürgen Müller SSN 123-45-6789"},
		{"=?UTF-8?B?UGF0aWVudCBKw7xyZ2VuIE1STiA5ODc2NTQ=?=", "Patient Jürgen MRN 987654"},
		{"=?utf-8?q?DOB_01/02/1980?= =?utf-8?q?_born?=", "DOB 01/02/1980 born"},
	} {
		o := walkString(t, crlf("Subject: "+tc.hdr+"\n\nbody\n"), Limits{})
		if o.parts[0].Field != "subject" || o.parts[0].text != tc.want {
			t.Errorf("Subject %s -> %q, want %q", tc.hdr, o.parts[0].text, tc.want)
		}
	}
}

func TestUnknownCharsetInEncodedWordIsFlaggedAndRawKept(t *testing.T) {
	o := walkString(t, crlf("Subject: =?x-unknown-9?Q?SSN_123-45-6789?=\n\nbody\n"), Limits{})
	if !o.hasReason(ReasonCharset) {
		t.Errorf("reasons = %v", o.reasons())
	}
	if !strings.Contains(o.all(), "SSN_123-45-6789") {
		t.Errorf("raw header not scanned: %q", o.all())
	}
}

func TestQuotedPrintableSoftBreakInsideNumberIsJoined(t *testing.T) {
	msg := crlf("Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\nThe patient SSN is 123-4=\n5-6789 and Caf=C3=A9.\n")
	o := walkString(t, msg, Limits{})
	if !strings.Contains(o.all(), "SSN is 123-45-6789 and Café.") {
		t.Errorf("got %q", o.all())
	}
}

func TestLatin1BodyIsConvertedToUTF8(t *testing.T) {
	msg := "Content-Type: text/plain; charset=iso-8859-1\r\n\r\nJ\xfcrgen M\xfcller\r\n"
	o := walkString(t, msg, Limits{})
	if !strings.Contains(o.all(), "Jürgen Müller") {
		t.Errorf("got %q", o.all())
	}
}

func TestUnknownBodyCharsetIsScannedRawAndFlagged(t *testing.T) {
	msg := crlf("Content-Type: text/plain; charset=x-martian\n\nSSN 123-45-6789\n")
	o := walkString(t, msg, Limits{})
	if !o.hasReason(ReasonCharset) {
		t.Errorf("reasons = %v", o.reasons())
	}
	if !strings.Contains(o.all(), "123-45-6789") {
		t.Errorf("raw bytes not scanned: %q", o.all())
	}
}

func TestBase64GarbageIsDecodeUnscannable(t *testing.T) {
	msg := crlf("Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\nU1NOIDEyMy00NS02Nzg5\n!!!!not*base64***\n")
	o := walkString(t, msg, Limits{})
	if !o.hasReason(ReasonDecode) {
		t.Errorf("reasons = %v", o.reasons())
	}
}

func TestHTMLIsRenderedWithoutScriptAndWithAlt(t *testing.T) {
	html := `<html><head><title>Chart</title><style>.x{color:#123456}</style><script>var ssn="999-99-9999";</script></head>
<body><p>SSN: 123<b>-45-</b>6789</p><img alt="MRN 445566" src="x.png"><div>Caf&eacute; &amp; DOB&nbsp;01/02/1980</div><!-- hidden 078-05-1120 --></body></html>`
	o := walkString(t, crlf("Content-Type: text/html; charset=utf-8\n\n")+html, Limits{})
	all := o.all()
	for _, want := range []string{"SSN: 123-45-6789", "MRN 445566", "Café & DOB 01/02/1980", "hidden 078-05-1120", "Chart"} {
		if !strings.Contains(all, want) {
			t.Errorf("missing %q in %q", want, all)
		}
	}
	if strings.Contains(all, "999-99-9999") || strings.Contains(all, "#123456") {
		t.Errorf("script or style leaked: %q", all)
	}
}

func TestNestedRFC822HeadersAndBodyAreWalked(t *testing.T) {
	inner := "From: nurse@example.org\nSubject: =?UTF-8?Q?Fwd_chart?=\nContent-Type: text/plain\n\ninner SSN 123-45-6789\n"
	msg := crlf("Subject: outer\nContent-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: text/plain\n\nouter body\n--B\nContent-Type: message/rfc822\n\n" + inner + "--B--\n")
	o := walkString(t, msg, Limits{})
	var subjects []string
	depthOfInner := -1
	for _, p := range o.parts {
		if p.Field == "subject" {
			subjects = append(subjects, p.text)
		}
		if strings.Contains(p.text, "inner SSN") {
			depthOfInner = p.Depth
		}
	}
	if fmt.Sprint(subjects) != "[outer Fwd chart]" {
		t.Errorf("subjects = %v", subjects)
	}
	if depthOfInner != 2 {
		t.Errorf("inner body depth = %d, want 2", depthOfInner)
	}
}

func TestAttachmentFilenameIsDecoded(t *testing.T) {
	msg := mimeWithAttachment("text/csv", "=?UTF-8?Q?Patienten_M=C3=BCller.csv?=", []byte("name,ssn\nJo,123-45-6789\n"))
	o := walkString(t, msg, Limits{})
	var found bool
	for _, p := range o.parts {
		if p.Kind == KindAttachment {
			found = true
			if p.Filename != "Patienten Müller.csv" || p.ContentType != "text/csv" || !strings.Contains(p.text, "name: Jo\tssn: 123-45-6789") {
				t.Errorf("attachment = %+v %q", p.Part, p.text)
			}
		}
	}
	if !found {
		t.Fatal("no attachment part")
	}
}

func TestHL7FieldsBecomeWords(t *testing.T) {
	hl7 := "MSH|^~\\&|LAB|HOSP|||202401011200||ORU^R01|123|P|2.5\rPID|1||MRN998877^^^HOSP^MR||DOE^JOHN||19800102|M|||||||||||123-45-6789\rOBX|1|ST|GLU^Glucose||105|mg/dL\r"
	o := walkString(t, mimeWithAttachment("application/octet-stream", "lab.hl7", []byte(hl7)), Limits{})
	all := o.all()
	for _, want := range []string{"MRN MRN998877", "patient name DOE JOHN", "DOB 19800102", "SSN 123-45-6789", "GLU Glucose"} {
		if !strings.Contains(all, want) {
			t.Errorf("missing %q in %q", want, all)
		}
	}
	// Sniffed without a label, too.
	o = walkString(t, crlf("Content-Type: text/plain\n\n")+hl7, Limits{})
	if !strings.Contains(o.all(), "SSN 123-45-6789") {
		t.Errorf("unlabelled HL7 not sniffed: %q", o.all())
	}
}

func TestFHIRJSONStringValuesAreExtracted(t *testing.T) {
	fhir := `{"resourceType":"Patient","identifier":[{"system":"http://hl7.org/fhir/sid/us-ssn","value":"123-45-6789"},{"system":"urn:mrn","value":"MRN\u0031234"}],"birthDate":"1980-01-02","multipleBirthInteger":2}`
	o := walkString(t, mimeWithAttachment("application/fhir+json", "p.json", []byte(fhir)), Limits{})
	all := o.all()
	for _, want := range []string{"us-ssn\nvalue\n123-45-6789", "MRN1234", "1980-01-02"} {
		if !strings.Contains(all, want) {
			t.Errorf("missing %q in %q", want, all)
		}
	}
	if strings.Contains(all, "{") {
		t.Errorf("JSON punctuation leaked: %q", all)
	}
}

func TestBrokenJSONIsDecodeUnscannable(t *testing.T) {
	o := walkString(t, mimeWithAttachment("application/json", "p.json", []byte(`{"ssn": "123-45-6789", oops`)), Limits{})
	if !o.hasReason(ReasonDecode) {
		t.Errorf("reasons = %v", o.reasons())
	}
}

func TestXMLTextAndAttributesAreExtracted(t *testing.T) {
	cda := `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY lol "lololol">]><ClinicalDocument xmlns="urn:hl7-org:v3"><patientRole><id root="2.16.840.1.113883.4.1" extension="123-45-6789"/><name>Jo &amp; Ann</name></patientRole></ClinicalDocument>`
	o := walkString(t, mimeWithAttachment("text/xml", "cda.xml", []byte(cda)), Limits{})
	all := o.all()
	for _, want := range []string{"2.16.840.1.113883.4.1", "123-45-6789", "Jo & Ann"} {
		if !strings.Contains(all, want) {
			t.Errorf("missing %q in %q", want, all)
		}
	}
}

func TestDocxRunsAreJoinedAndStylesIgnored(t *testing.T) {
	docx := buildDocx(t, "Patient SSN 123-45-6789", "MRN 445566")
	o := walkString(t, mimeWithAttachment("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "chart.docx", docx), Limits{})
	all := o.all()
	if !strings.Contains(all, "Patient SSN 123-45-6789\n") || !strings.Contains(all, "MRN 445566") {
		t.Errorf("docx text = %q", all)
	}
	if strings.Contains(all, "SSN999999999") {
		t.Errorf("styles.xml leaked: %q", all)
	}
	if len(o.res.Unscannable) != 0 {
		t.Errorf("unscannable = %v", o.res.Unscannable)
	}
	// Same bytes labelled octet-stream with no name: sniffed.
	o = walkString(t, mimeWithAttachment("application/octet-stream", "", docx), Limits{})
	if !strings.Contains(o.all(), "123-45-6789") {
		t.Errorf("unlabelled docx not sniffed: %q", o.all())
	}
}

func TestXlsxSharedStringsAndNumericCellsAreExtracted(t *testing.T) {
	xlsx := buildZip(t,
		zipEntry{name: "xl/workbook.xml", data: []byte(`<workbook/>`)},
		zipEntry{name: "xl/sharedStrings.xml", data: []byte(`<sst><si><t>SSN</t></si><si><r><t>Doe</t></r><r><t>, John</t></r></si></sst>`)},
		zipEntry{name: "xl/worksheets/sheet1.xml", data: []byte(`<worksheet><sheetData><row><c r="A1" t="s"><v>0</v></c><c r="B1"><v>123456789</v></c><c r="C1" t="inlineStr"><is><t>MRN 7788</t></is></c></row></sheetData></worksheet>`)},
	)
	o := walkString(t, mimeWithAttachment("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "x.xlsx", xlsx), Limits{})
	all := o.all()
	// Cells are rendered in place (a shared string where its cell is); the
	// string no cell uses is still read.
	for _, want := range []string{"SSN 123456789 MRN 7788\n", "Doe, John\n"} {
		if !strings.Contains(all, want) {
			t.Errorf("missing %q in %q", want, all)
		}
	}
	if strings.Contains(all, "\t0\t") || strings.HasPrefix(strings.TrimSpace(all), "0") {
		t.Errorf("shared string index leaked as text: %q", all)
	}
}

func TestPptxSlidesAreExtractedInOrder(t *testing.T) {
	slide := func(s string) []byte {
		return []byte(`<p:sld xmlns:a="a" xmlns:p="p"><p:txBody><a:p><a:r><a:t>` + s + `</a:t></a:r></a:p></p:txBody></p:sld>`)
	}
	pptx := buildZip(t,
		zipEntry{name: "ppt/presentation.xml", data: []byte(`<p:presentation/>`)},
		zipEntry{name: "ppt/slides/slide10.xml", data: slide("ten")},
		zipEntry{name: "ppt/slides/slide2.xml", data: slide("two")},
		zipEntry{name: "ppt/slides/_rels/slide2.xml.rels", data: []byte(`<Relationships><Relationship Target="secret"/></Relationships>`)},
	)
	o := walkString(t, mimeWithAttachment("application/octet-stream", "deck.pptx", pptx), Limits{})
	all := o.all()
	if i, j := strings.Index(all, "two"), strings.Index(all, "ten"); i < 0 || j < 0 || i > j {
		t.Errorf("slides out of order or missing: %q", all)
	}
	if strings.Contains(all, "secret") {
		t.Errorf("rels leaked: %q", all)
	}
}

func TestZipMembersAreWalkedAndNestedZipToo(t *testing.T) {
	inner := buildZip(t, zipEntry{name: "deep/notes.txt", data: []byte("inner SSN 123-45-6789")})
	outer := buildZip(t,
		zipEntry{name: "a.csv", data: []byte("mrn,445566")},
		zipEntry{name: "photo.jpg", data: []byte("\xff\xd8\xff\xe0binary")},
		zipEntry{name: "inner.zip", data: inner},
		zipEntry{name: "dir/", data: nil},
	)
	o := walkString(t, mimeWithAttachment("application/zip", "x.zip", outer), Limits{})
	all := o.all()
	if !strings.Contains(all, "mrn 445566") || !strings.Contains(all, "inner SSN 123-45-6789") {
		t.Errorf("got %q", all)
	}
	for _, p := range o.parts {
		if strings.Contains(p.text, "inner SSN") && (p.Filename != "deep/notes.txt" || p.ContentType != "text/plain" || p.Depth != 3) {
			t.Errorf("inner member part = %+v", p.Part)
		}
	}
	if len(o.res.Unscannable) != 0 {
		t.Errorf("unscannable = %v", o.res.Unscannable)
	}
}

func TestEncryptedZipMemberIsUnscannable(t *testing.T) {
	z := buildZip(t, zipEntry{name: "plain.txt", data: []byte("ok")}, zipEntry{name: "secret.txt", data: []byte("xxxx"), encrypt: true})
	o := walkString(t, mimeWithAttachment("application/zip", "x.zip", z), Limits{})
	if !o.hasReason(ReasonEncrypted) {
		t.Errorf("reasons = %v", o.reasons())
	}
}

func TestGzipAttachmentIsDecompressed(t *testing.T) {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Name = "labs.csv"
	zw.Write([]byte("ssn,123-45-6789\n"))
	zw.Close()
	o := walkString(t, mimeWithAttachment("application/gzip", "labs.csv.gz", b.Bytes()), Limits{})
	if !strings.Contains(o.all(), "ssn 123-45-6789") {
		t.Errorf("got %q (reasons %v)", o.all(), o.reasons())
	}
}

func TestEncryptedMIMEIsUnscannable(t *testing.T) {
	for name, msg := range map[string]string{
		"smime":       "Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\nContent-Transfer-Encoding: base64\n\nMIAGCSqGSIb3DQEHA6CAMIACAQAx\n",
		"pgp/mime":    "Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=B\n\n--B\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n--B\nContent-Type: application/octet-stream\n\n-----BEGIN PGP MESSAGE-----\nhQEMA\n-----END PGP MESSAGE-----\n--B--\n",
		"inline-pgp":  "Content-Type: text/plain\n\n-----BEGIN PGP MESSAGE-----\nhQEMA\n-----END PGP MESSAGE-----\n",
		"office-pass": "",
	} {
		if name == "office-pass" {
			ole := append([]byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"), make([]byte, 600)...)
			ole = append(ole, []byte("E\x00n\x00c\x00r\x00y\x00p\x00t\x00e\x00d\x00P\x00a\x00c\x00k\x00a\x00g\x00e\x00")...)
			msg = mimeWithAttachment("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "locked.docx", ole)
		} else {
			msg = crlf(msg)
		}
		o := walkString(t, msg, Limits{})
		if !o.hasReason(ReasonEncrypted) {
			t.Errorf("%s: reasons = %v", name, o.reasons())
		}
	}
}

func TestImagesHaveNoTextAndAreNotUnscannable(t *testing.T) {
	o := walkString(t, mimeWithAttachment("image/jpeg", "x.jpg", []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00binary")), Limits{})
	if len(o.res.Unscannable) != 0 {
		t.Errorf("unscannable = %v", o.res.Unscannable)
	}
	for _, p := range o.parts {
		if p.Kind == KindAttachment {
			t.Errorf("image produced text part %+v", p.Part)
		}
	}
}

func TestLegacyOfficeAndRarAreFormatUnscannable(t *testing.T) {
	for name, data := range map[string][]byte{
		"x.doc": append([]byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"), make([]byte, 100)...),
		"x.rar": []byte("Rar!\x1a\x07\x01\x00rest"),
	} {
		o := walkString(t, mimeWithAttachment("application/octet-stream", name, data), Limits{})
		if !o.hasReason(ReasonFormat) {
			t.Errorf("%s: reasons = %v", name, o.reasons())
		}
	}
}

func TestCallbackErrorStopsWalk(t *testing.T) {
	boom := errors.New("boom")
	calls := 0
	_, err := Walk(context.Background(), strings.NewReader(crlf("Subject: a\nTo: b\n\nbody\n")), Limits{}, func(p *Part) error {
		calls++
		return boom
	})
	if !errors.Is(err, boom) || calls != 1 {
		t.Errorf("err = %v, calls = %d", err, calls)
	}
}

func TestCancelledContextIsAnError(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Walk(ctx, strings.NewReader(crlf("Subject: a\n\nbody\n")), Limits{}, func(p *Part) error {
		_, err := io.Copy(io.Discard, p.Text)
		return err
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
}

func TestPartLimitOnTextIsSize(t *testing.T) {
	msg := crlf("Content-Type: text/plain\n\n") + strings.Repeat("x", 5000)
	o := walkString(t, msg, Limits{MaxPartBytes: 1000})
	if !o.hasReason(ReasonSize) {
		t.Errorf("reasons = %v", o.reasons())
	}
	if o.res.DecodedBytes > 1000 {
		t.Errorf("decoded %d bytes, budget 1000", o.res.DecodedBytes)
	}
}

func TestTimeoutIsUnscannable(t *testing.T) {
	var b strings.Builder
	b.WriteString("Content-Type: multipart/mixed; boundary=B\r\n\r\n")
	for i := 0; i < 50; i++ {
		b.WriteString("--B\r\nContent-Type: text/plain\r\n\r\nhello\r\n")
	}
	b.WriteString("--B--\r\n")
	res, err := Walk(context.Background(), strings.NewReader(b.String()), Limits{Timeout: 1}, func(p *Part) error {
		_, err := io.Copy(io.Discard, p.Text)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, u := range res.Unscannable {
		found = found || u.Reason == ReasonTimeout
	}
	if !found {
		t.Errorf("unscannable = %v", res.Unscannable)
	}
}

// An HL7 message pasted into a mail body gets the PID labels an .hl7 file gets.
func TestHL7PastedIntoABodyIsLabelled(t *testing.T) {
	msg := "From: a@example.org\r\nTo: b@example.org\r\nSubject: failing message\r\n\r\nBrandon,\r\n\r\nHere's the message that is failing.\r\n\r\n" +
		"MSH|^~\\&|NSLAB|NORTHSTAR|EPIC|LAKESHORE|202511041322||ORU^R01|MSG00019384|P|2.5.1\r\n" +
		"PID|1||3345821^^^LKS^MR||SORENSON^INGRID^M||19770614|F\r\n\r\nThanks\r\n"
	out := walkString(t, msg, Limits{})
	for _, want := range []string{"MRN 3345821", "patient name SORENSON INGRID", "DOB 19770614"} {
		if !strings.Contains(out.all(), want) {
			t.Errorf("pasted HL7 lacks %q: %q", want, out.all())
		}
	}
}

// Reply markers at line starts are dropped so wrapped quoted text reads on.
func TestQuotedReplyMarkersAreDropped(t *testing.T) {
	body := "Agreed.\r\n\r\n> On Nov 5 Viv wrote:\r\n> your pt was admitted with congestive heart\r\n> > failure, troponin >5 now\r\n>\r\n>> DOB:\r\n>> 03/04/1952\r\n"
	out := walkString(t, "From: a@example.org\r\nSubject: re\r\n\r\n"+body, Limits{})
	for _, want := range []string{"congestive heart\r\nfailure, troponin >5 now", "DOB:\r\n03/04/1952", "On Nov 5 Viv wrote:"} {
		if !strings.Contains(out.all(), want) {
			t.Errorf("quoted text lacks %q: %q", want, out.all())
		}
	}
}
