package extract

import (
	"strings"
	"testing"
)

func TestTextLabelledAsImageIsStillRead(t *testing.T) {
	o := walkString(t, mimeWithAttachment("image/png", "chart.png", []byte("name,ssn\nJane,123-45-6789\n")), Limits{})
	if !strings.Contains(o.all(), "123-45-6789") {
		t.Fatalf("a CSV labelled image/png was skipped: %q", o.all())
	}
}

func TestFileBesideAnOfficeDocumentInAZipIsNotSkipped(t *testing.T) {
	z := buildZip(t,
		zipEntry{name: "[Content_Types].xml", data: []byte(`<?xml version="1.0"?><Types xmlns="x"/>`)},
		zipEntry{name: "word/document.xml", data: []byte(`<w:document xmlns:w="x"><w:body><w:p><w:r><w:t>cover</w:t></w:r></w:p></w:body></w:document>`)},
		zipEntry{name: "patients.csv", data: []byte("name,ssn\nJane,123-45-6789\n")},
	)
	o := walkString(t, mimeWithAttachment("application/zip", "records.zip", z), Limits{})
	if !strings.Contains(o.all(), "123-45-6789") {
		t.Fatalf("a member outside the OOXML structure was skipped: %q", o.all())
	}
}

func TestDeeplyNestedJSONIsUnscannable(t *testing.T) {
	deep := strings.Repeat("[", 5000) + strings.Repeat("]", 5000)
	o := walkString(t, mimeWithAttachment("application/json", "x.json", []byte(deep)), Limits{})
	if !o.hasReason(ReasonDepth) {
		t.Fatalf("reasons = %v", o.reasons())
	}
}
