package tlsrpt

import (
	"strings"
	"testing"
)

// FuzzParseRecords: any TXT answer gives rua URIs of the two schemes or
// an error, never a panic.
func FuzzParseRecords(f *testing.F) {
	for _, s := range []string{
		"v=TLSRPTv1; rua=mailto:a@b.example",
		"v=TLSRPTv1;rua=https://r.example/x,mailto:a@b.example",
		"v=TLSRPTv1; rua=mailto:%61@b.example",
		"v=TLSRPTv1; rua=", "v=TLSRPTv1", "",
	} {
		f.Add(s, "v=spf1 -all")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		us, err := ParseRecords([]string{a, b})
		if err != nil {
			return
		}
		if len(us) == 0 || len(us) > maxRUA {
			t.Fatalf("%d rua", len(us))
		}
		for _, u := range us {
			if u.Scheme != "mailto" && u.Scheme != "https" {
				t.Fatalf("scheme %q", u.Scheme)
			}
			if strings.ContainsAny(u.String(), "\r\n") {
				t.Fatalf("line break in %q", u)
			}
		}
	})
}
