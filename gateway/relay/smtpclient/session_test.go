package smtpclient

import "testing"

func TestSplitEnhancedTakesOnlyAStatusCode(t *testing.T) {
	for in, want := range map[string][2]string{
		"2.0.0 Ok: queued as 4ABC": {"2.0.0", "Ok: queued as 4ABC"},
		"2.6.0 <id@x> Queued mail": {"2.6.0", "<id@x> Queued mail"},
		"2.0.0":                    {"2.0.0", ""},
		"Ok: queued as 4ABC":       {"", "Ok: queued as 4ABC"},
		"1.0.0 no":                 {"", "1.0.0 no"},
		"2.0 Ok":                   {"", "2.0 Ok"},
		"2.1234.0 Ok":              {"", "2.1234.0 Ok"},
		"":                         {"", ""},
	} {
		if e, r := splitEnhanced(in); e != want[0] || r != want[1] {
			t.Errorf("splitEnhanced(%q) = %q, %q; want %q, %q", in, e, r, want[0], want[1])
		}
	}
}
