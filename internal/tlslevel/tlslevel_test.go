package tlslevel

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, l := range All() {
		got, err := Parse(l.String())
		if err != nil || got != l {
			t.Errorf("Parse(%q) = %q, %v", l, got, err)
		}
	}
	for _, bad := range []string{"", "Verify", "tls", "dane_only"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q): no error", bad)
		}
	}
	_, err := ParseIn("implicit", Admin())
	if err == nil || !strings.Contains(err.Error(), `unknown level "implicit" (known: none, may, encrypt, verify, dane, dane-only, mta-sts)`) {
		t.Errorf("ParseIn(implicit, Admin()) = %v", err)
	}
	if _, err := ParseIn("implicit", Smarthost()); err != nil {
		t.Errorf("ParseIn(implicit, Smarthost()) = %v", err)
	}
}

func TestRaise(t *testing.T) {
	cases := []struct{ level, floor, want Level }{
		{May, "", May},
		{May, Encrypt, Encrypt},
		{Verify, Encrypt, Verify},
		{None, Verify, Verify},
		{Implicit, Verify, Implicit},
		{Encrypt, "bogus", Verify}, // a damaged floor is the strictest
		{Encrypt, DANE, Verify},    // a source is not a floor
		{"", None, ""},             // an unranked level counts as none
	}
	for _, c := range cases {
		if got := Raise(c.level, c.floor); got != c.want {
			t.Errorf("Raise(%q, %q) = %q, want %q", c.level, c.floor, got, c.want)
		}
	}
}

func TestEncrypts(t *testing.T) {
	want := map[Level]bool{None: false, May: false, Encrypt: true, Verify: true, Implicit: true, DANE: false, "": false}
	for l, w := range want {
		if l.Encrypts() != w {
			t.Errorf("%q.Encrypts() = %v", l, !w)
		}
	}
}

func TestSetsAreCopies(t *testing.T) {
	o := Ordered()
	o[0] = "x"
	if Ordered()[0] != None {
		t.Fatal("Ordered() exposes the package's slice")
	}
}
