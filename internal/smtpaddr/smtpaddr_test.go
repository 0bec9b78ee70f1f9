package smtpaddr

import (
	"errors"
	"testing"
	"unicode/utf8"
)

func TestParsePath(t *testing.T) {
	for _, tc := range []struct {
		in, want, domain, rest string
		routed, utf8           bool
		err                    error
	}{
		{in: "<a@example.org>", want: "a@example.org", domain: "example.org"},
		{in: "<a.b+c@example.org> SIZE=10", want: "a.b+c@example.org", domain: "example.org", rest: " SIZE=10"},
		{in: `<"ceo@bank.example"@clinic.example>`, want: `"ceo@bank.example"@clinic.example`, domain: "clinic.example"},
		{in: `<"a b"@x.example>`, want: `"a b"@x.example`, domain: "x.example"},
		{in: `<"a\"b\\c"@x.example>`, want: `"a\"b\\c"@x.example`, domain: "x.example"},
		{in: `<"abc"@x.example>`, want: `abc@x.example`, domain: "x.example"}, // equivalent dot-string
		{in: "<a@[192.0.2.1]>", want: "a@[192.0.2.1]", domain: "[192.0.2.1]"},
		{in: "<a@[IPv6:2001:db8::1]>", want: "a@[IPv6:2001:db8::1]", domain: "[IPv6:2001:db8::1]"},
		{in: "<@relay.example,@b.example:a@example.org>", want: "a@example.org", domain: "example.org", routed: true},
		{in: "<jürgen@bücher.example>", want: "jürgen@bücher.example", domain: "bücher.example", utf8: true},
		{in: "<a@bücher.example>", want: "a@bücher.example", domain: "bücher.example", utf8: true},

		{in: "<ceo@bank.example@clinic.example>", err: ErrSyntax},
		{in: "<a@@x.example>", err: ErrSyntax},
		{in: "<a\x00b@x.example>", err: ErrControl},
		{in: "<a@x.example\x00>", err: ErrControl},
		{in: "<a\x7fb@x.example>", err: ErrControl},
		{in: "<\"a\tb\"@x.example>", err: ErrControl},
		{in: "<a@x.example> X=\x01", want: "a@x.example", domain: "x.example", rest: " X=\x01"}, // parameters are the caller's
		{in: "<a@x.example> X=\xff", want: "a@x.example", domain: "x.example", rest: " X=\xff"},
		{in: "<\"a>b\"@x.example> X=\xff", want: `"a>b"@x.example`, domain: "x.example", rest: " X=\xff"},
		{in: "<\"a\xff\"@x.example> X", err: ErrUTF8},
		{in: "<a\xff@x.example>", err: ErrUTF8},
		{in: "<a@x\xc3.example>", err: ErrUTF8},
		{in: "<a@x.example", err: ErrSyntax},
		{in: "a@x.example", err: ErrSyntax},
		{in: "<a@x.example >", err: ErrSyntax},
		{in: "<.a@x.example>", err: ErrSyntax},
		{in: "<a..b@x.example>", err: ErrSyntax},
		{in: "<a@-x.example>", err: ErrSyntax},
		{in: "<a@x..example>", err: ErrSyntax},
		{in: "<a@x.example.>", err: ErrSyntax},
		{in: "<a@>", err: ErrSyntax},
		{in: "<@x.example>", err: ErrSyntax},
		{in: "<a%b@x.example>", want: "a%b@x.example", domain: "x.example"}, // syntax is fine; relay rules are the caller's
		{in: "<a@[300.0.0.1]>", err: ErrSyntax},
		{in: "<a@[tag:x]>", err: ErrSyntax},
		{in: `<"a@x.example>`, err: ErrSyntax},
		{in: "<a(b)@x.example>", err: ErrSyntax},
	} {
		a, routed, rest, err := ParsePath(tc.in)
		if tc.err != nil {
			if !errors.Is(err, tc.err) {
				t.Errorf("ParsePath(%q) = %q, %v; want error %v", tc.in, a.String(), err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParsePath(%q): %v", tc.in, err)
			continue
		}
		if a.String() != tc.want || a.Domain != tc.domain || rest != tc.rest || routed != tc.routed || a.NeedsSMTPUTF8() != tc.utf8 {
			t.Errorf("ParsePath(%q) = %q domain %q rest %q routed %v utf8 %v; want %q %q %q %v %v",
				tc.in, a, a.Domain, rest, routed, a.NeedsSMTPUTF8(), tc.want, tc.domain, tc.rest, tc.routed, tc.utf8)
		}
	}
}

func TestReversePathNull(t *testing.T) {
	a, _, rest, err := ParseReversePath("<> BODY=8BITMIME")
	if err != nil || !a.IsNull() || a.String() != "" || rest != " BODY=8BITMIME" {
		t.Fatalf("<>: %+v %q %v", a, rest, err)
	}
	if _, _, _, err := ParsePath("<>"); err == nil {
		t.Fatal("ParsePath accepted <>")
	}
}

func TestASCIIDomain(t *testing.T) {
	a, err := Parse("a@Bücher.example")
	if err != nil {
		t.Fatal(err)
	}
	d, err := a.ASCIIDomain()
	if err != nil || d != "xn--bcher-kva.example" || !a.LocalASCII() {
		t.Fatalf("ASCIIDomain = %q, %v", d, err)
	}
	a, _ = Parse("jürgen@x.example")
	if a.LocalASCII() || !a.NeedsSMTPUTF8() {
		t.Fatal("non-ASCII local part not reported")
	}
}

// FuzzParsePath: no panic; what parses re-parses to the same address, is
// valid UTF-8 without control characters, and its domain is exactly the
// part after the last "@" of String() (what every other package relies on).
func FuzzParsePath(f *testing.F) {
	for _, s := range []string{"<a@b.example>", `<"x@y"@z.example>`, "<@r.example:a@b.example> SIZE=1",
		"<a@[IPv6:::1]>", "<ü@ü.example>", "<a\x00@b>", `<"\"\\"@b.example>`, "<>", "<a@b@c>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, _, _, err := ParseReversePath(s)
		if err != nil {
			return
		}
		out := a.String()
		if !utf8.ValidString(out) || checkBytes(out) != nil {
			t.Fatalf("%q -> %q: bad bytes", s, out)
		}
		if a.IsNull() {
			return
		}
		b, err := Parse(out)
		if err != nil || b != a {
			t.Fatalf("%q -> %q -> %+v, %v; want %+v", s, out, b, err, a)
		}
		if i := lastAt(out); out[i+1:] != a.Domain {
			t.Fatalf("%q: domain after last @ %q, want %q", out, out[i+1:], a.Domain)
		}
	})
}

func lastAt(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '@' {
			return i
		}
	}
	return -1
}
