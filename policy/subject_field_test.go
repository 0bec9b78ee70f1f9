package policy

import (
	"testing"

	"github.com/sealgate/sealgate/policy/detect"
	"github.com/sealgate/sealgate/policy/extract"
)

// TestSubjectLocationIsTheDetectorsSubject: the engine names the Subject header with the
// Field the detectors read as a subject (a name leading it is labelled, detect.FieldSubject).
func TestSubjectLocationIsTheDetectorsSubject(t *testing.T) {
	if got := fieldName(&extract.Part{Kind: kindHeader, Field: "subject"}); got != detect.FieldSubject {
		t.Fatalf("subject field %q, detectors read %q", got, detect.FieldSubject)
	}
}
