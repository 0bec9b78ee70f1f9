package loopmark

import (
	"net/textproto"
	"strings"
	"testing"
)

// FuzzParse: parse never panics, and what it accepts prints back to a value
// it reads the same.
func FuzzParse(f *testing.F) {
	f.Add("v=1; t=1796198400; m=pgp; id=S1; mac=" + strings.Repeat("A", 43))
	f.Add("v=1;\r\n\tt=1; m=a; id=.; mac=")
	f.Add("mac=;mac=;v=1")
	f.Fuzz(func(t *testing.T, v string) {
		fl, err := parse(v)
		if err != nil {
			return
		}
		again, err := parse(fl.String())
		if err != nil || again.String() != fl.String() {
			t.Fatalf("%q parsed to %q, which reads back as %q, %v", v, fl.String(), again.String(), err)
		}
	})
}

// FuzzCheck: with any bound fields, a fresh mark passes and the same mark
// on a header that differs in a bound field does not; a value nobody
// signed never passes. No input panics.
func FuzzCheck(f *testing.F) {
	f.Add("<a@b>", "a@b.example", "multipart/encrypted; protocol=\"application/pgp-encrypted\"", "pgp", "v=1; t=1796198400; m=pgp; id=S1; mac="+strings.Repeat("A", 43))
	f.Add("", "\"x\" <@>", "text/plain; charset=\"", "tls", "")
	m := marker(f, make([]byte, 32))
	f.Fuzz(func(t *testing.T, msgid, from, ctype, method, forged string) {
		h := textproto.MIMEHeader{}
		h.Set("Message-Id", msgid)
		h.Set("From", from)
		h.Set("Content-Type", ctype)
		h.Add(Name, forged)
		if _, ok := m.Check(h, now); ok {
			t.Fatalf("unsigned value %q accepted", forged)
		}
		StripAll(h)
		_, v, err := m.Header(method, "S1", h, now)
		if err != nil {
			return
		}
		h.Set(Name, v)
		if got, ok := m.Check(h, now); !ok || got.Method != method {
			t.Fatalf("fresh mark refused: %+v", h)
		}
		h.Set("Message-Id", msgid+"x")
		if _, ok := m.Check(h, now); ok {
			t.Fatalf("mark passed after Message-ID changed: %+v", h)
		}
	})
}
