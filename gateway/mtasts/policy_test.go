package mtasts

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// The example policy of RFC 8461 §3.2.
const rfcPolicy = "version: STSv1\nmode: enforce\nmx: mail.example.com\nmx: *.example.net\nmx: backupmx.example.com\nmax_age: 604800\n"

func TestRFCExamplePolicyParses(t *testing.T) {
	for name, body := range map[string]string{
		"LF":               rfcPolicy,
		"CRLF":             strings.ReplaceAll(rfcPolicy, "\n", "\r\n"),
		"no final newline": strings.TrimSuffix(rfcPolicy, "\n"),
		"trailing blanks":  strings.ReplaceAll(rfcPolicy, "\n", " \t\n"),
	} {
		p, err := ParsePolicy([]byte(body))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if p.Version != "STSv1" || p.Mode != ModeEnforce || p.MaxAge != 604800*time.Second {
			t.Fatalf("%s: got %+v", name, p)
		}
		want := []string{"mail.example.com", "*.example.net", "backupmx.example.com"}
		if !slices.Equal(p.MX, want) {
			t.Fatalf("%s: mx %v, want %v", name, p.MX, want)
		}
	}
}

func TestPolicyModeNoneNeedsNoMX(t *testing.T) {
	p, err := ParsePolicy([]byte("version: STSv1\nmode: none\nmax_age: 86400\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Mode != ModeNone || len(p.MX) != 0 {
		t.Fatalf("got %+v", p)
	}
}

func TestPolicyFirstOccurrenceWinsAndUnknownFieldsAreIgnored(t *testing.T) {
	p, err := ParsePolicy([]byte("version: STSv1\nmode: testing\nmode: enforce\nmax_age: 10\nmax_age: 20\nmx: MX.Example.COM\nx-vendor.opt: some value here\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Mode != ModeTesting || p.MaxAge != 10*time.Second || !slices.Equal(p.MX, []string{"mx.example.com"}) {
		t.Fatalf("got %+v", p)
	}
}

func TestMalformedPoliciesAreRefused(t *testing.T) {
	cases := map[string]string{
		"empty":               "",
		"missing version":     "mode: enforce\nmx: a.example\nmax_age: 10\n",
		"wrong version":       "version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 10\n",
		"version case":        "version: stsv1\nmode: enforce\nmx: a.example\nmax_age: 10\n",
		"missing mode":        "version: STSv1\nmx: a.example\nmax_age: 10\n",
		"unknown mode":        "version: STSv1\nmode: strict\nmx: a.example\nmax_age: 10\n",
		"mode case":           "version: STSv1\nmode: Enforce\nmx: a.example\nmax_age: 10\n",
		"missing max_age":     "version: STSv1\nmode: enforce\nmx: a.example\n",
		"max_age too large":   "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 31557601\n",
		"max_age 11 digits":   "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 00000000001\n",
		"max_age negative":    "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: -1\n",
		"max_age not number":  "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 1d\n",
		"enforce without mx":  "version: STSv1\nmode: enforce\nmax_age: 10\n",
		"testing without mx":  "version: STSv1\nmode: testing\nmax_age: 10\n",
		"no colon":            "version: STSv1\nmode enforce\nmx: a.example\nmax_age: 10\n",
		"empty line inside":   "version: STSv1\n\nmode: enforce\nmx: a.example\nmax_age: 10\n",
		"bare CR":             "version: STSv1\rmode: enforce\nmx: a.example\nmax_age: 10\n",
		"space before colon":  "version : STSv1\nmode: enforce\nmx: a.example\nmax_age: 10\n",
		"double wildcard":     "version: STSv1\nmode: enforce\nmx: *.*.example.com\nmax_age: 10\n",
		"inner wildcard":      "version: STSv1\nmode: enforce\nmx: mx.*.example.com\nmax_age: 10\n",
		"wildcard no dot":     "version: STSv1\nmode: enforce\nmx: *example.com\nmax_age: 10\n",
		"U-label mx":          "version: STSv1\nmode: enforce\nmx: mx.exämple.com\nmax_age: 10\n",
		"empty label mx":      "version: STSv1\nmode: enforce\nmx: mx..example.com\nmax_age: 10\n",
		"trailing dot mx":     "version: STSv1\nmode: enforce\nmx: mx.example.com.\nmax_age: 10\n",
		"empty value":         "version: STSv1\nmode: enforce\nmx: \nmax_age: 10\n",
		"control in ext":      "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 10\nfoo: a\x00b\n",
		"html instead":        "<html><body>not found</body></html>",
		"field name too long": "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 10\nabcdefghijabcdefghijabcdefghijabc: x\n",
	}
	for name, body := range cases {
		if p, err := ParsePolicy([]byte(body)); err == nil {
			t.Errorf("%s: accepted: %+v", name, p)
		} else if !errors.Is(err, ErrPolicySyntax) {
			t.Errorf("%s: error %v does not wrap ErrPolicySyntax", name, err)
		}
	}
}

func TestPolicyLargerThan64KiBIsRefused(t *testing.T) {
	body := rfcPolicy + "x: " + strings.Repeat("a", MaxPolicySize) + "\n"
	if _, err := ParsePolicy([]byte(body)); err == nil {
		t.Fatal("oversize policy accepted")
	}
}

func TestMatchMXWildcardCoversOnlyTheLeftmostLabel(t *testing.T) {
	p := &Policy{MX: []string{"*.example.com", "mail.example.org"}}
	cases := map[string]bool{
		"mx1.example.com":    true,
		"MX1.Example.COM":    true,
		"mx1.example.com.":   true,
		"a.b.example.com":    false,
		"example.com":        false,
		".example.com":       false,
		"mx1.example.com.au": false,
		"xexample.com":       false,
		"mail.example.org":   true,
		"MAIL.example.org.":  true,
		"a.mail.example.org": false,
		"example.org":        false,
		"":                   false,
	}
	for host, want := range cases {
		if got := p.MatchMX(host); got != want {
			t.Errorf("MatchMX(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestTXTRecordParsing(t *testing.T) {
	good := map[string]string{
		"v=STSv1; id=20160831085700Z;": "20160831085700Z",
		"v=STSv1; id=abc":              "abc",
		"v=STSv1 ;id=abc ; ext=1":      "abc",
		"v=STSv1;id=first;id=second":   "first",
	}
	for txt, want := range good {
		id, err := parseRecord(txt)
		if err != nil || id != want {
			t.Errorf("parseRecord(%q) = %q, %v; want %q", txt, id, err, want)
		}
	}
	bad := []string{
		"v=STSv1",
		"v=STSv1;",
		"v=STSv1; id=",
		"v=STSv1; id=has-dash",
		"v=STSv1; id=" + strings.Repeat("a", 33),
		" v=STSv1; id=abc",
		"v=STSv10; id=abc",
		"v=STSv1; ; id=abc",
		"v=STSv1; junk; id=abc",
	}
	for _, txt := range bad {
		if id, err := parseRecord(txt); err == nil {
			t.Errorf("parseRecord(%q) accepted with id %q", txt, id)
		}
	}
}

func FuzzParsePolicy(f *testing.F) {
	f.Add([]byte(rfcPolicy))
	f.Add([]byte(strings.ReplaceAll(rfcPolicy, "\n", "\r\n")))
	f.Add([]byte("version: STSv1\nmode: none\nmax_age: 0\n"))
	f.Add([]byte("version: STSv1\rmode: x\n\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := ParsePolicy(body)
		if err != nil {
			return
		}
		if p.Version != "STSv1" || p.MaxAge < 0 || p.MaxAge > MaxMaxAge {
			t.Fatalf("accepted invalid policy %+v", p)
		}
		if p.Mode != ModeNone && len(p.MX) == 0 {
			t.Fatalf("accepted %s policy without mx", p.Mode)
		}
		for _, mx := range p.MX {
			if !p.MatchMX(strings.ReplaceAll(mx, "*", "x")) {
				t.Fatalf("pattern %q does not match its own instance", mx)
			}
		}
	})
}
