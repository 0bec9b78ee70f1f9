package detect

import (
	"strings"
	"testing"
)

// TestASubjectLeadingWithANameLabelsIt: the Subject header names the patient the body is
// about ("Ruth Calloway - missed infusion"), as "Re:" and "Fw:" do; the same words in a
// body line (a signature "Ruth Calloway - Office Manager") do not; a subject that leads
// with something other than a set-off name is not labelled.
func TestASubjectLeadingWithANameLabelsIt(t *testing.T) {
	s := newScanner(t, Config{})
	subj := Location{Field: FieldSubject}
	for _, tc := range []struct {
		text string
		loc  Location
		want []string
	}{
		{"Ruth Calloway - missed infusion, reschedule?", subj, []string{"R*** C*******/high"}},
		{"Calloway, Ruth: prior auth status", subj, []string{"C*******, R***/high"}},
		{"Fw: Ruth Calloway - prior auth", subj, []string{"R*** C*******/high"}},
		{"FWD: Ruth Calloway", subj, []string{"R*** C*******/high"}},
		{"Ruth Calloway - Office Manager", Location{Field: "body"}, []string{"R*** C*******/medium"}},
		{"JD for REQ-2291 - ok to post?", subj, nil},
		{"Quarterly Budget Review - draft", subj, nil},
		{"Lunch with Ruth Calloway - Friday", subj, []string{"R*** C*******/medium"}},
	} {
		var got []string
		for _, m := range s.Explain([]byte(tc.text), tc.loc) {
			if m.Type == TypePersonName {
				got = append(got, m.Masked+"/"+m.Confidence.String())
				if m.Offset < 0 || m.Offset >= len(tc.text) {
					t.Errorf("%q: offset %d outside the subject", tc.text, m.Offset)
				}
			}
		}
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("%q (%s): got %q, want %q", tc.text, tc.loc.Field, got, tc.want)
		}
		// Scan agrees with Explain on the subject's confidence.
		var high bool
		for _, f := range s.Scan([]byte(tc.text), tc.loc) {
			high = high || (f.Type == TypePersonName && f.Confidence == High)
		}
		if wantHigh := len(tc.want) > 0 && strings.HasSuffix(tc.want[0], "/high"); high != wantHigh {
			t.Errorf("%q: Scan high %v, want %v", tc.text, high, wantHigh)
		}
	}
}

// TestADeathNoticeNamesAPatient: a name right before "died" or "passed away" is about a
// person whose death is being reported (a hospice or home-health notice).
func TestADeathNoticeNamesAPatient(t *testing.T) {
	s := newScanner(t, Config{})
	for _, tc := range []struct{ text, want string }{
		{"Walter Brandvold died at 2215 with his daughter at the bedside.", "W***** B********/high"},
		{"Walter Brandvold passed away this morning at home.", "W***** B********/high"},
		{"Walter Brandvold passed the budget to finance.", ""}, // surname unlisted, no context
	} {
		if got := strings.Join(nameHits(t, s, tc.text), "|"); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.text, got, tc.want)
		}
	}
}
