package selector

import (
	"context"
	"strings"
	"testing"
	"time"
)

// tlsAnswer is a TLS knowledge answer per domain: verified or not, and from
// where (admin, dane, mta-sts, memory, probe).
type tlsAnswer struct {
	ok  bool
	how string
}

type tableTLS map[string]tlsAnswer

func (f tableTLS) CanVerifyTLS(_ context.Context, domain string) (bool, string, error) {
	a := f[domain]
	return a.ok, a.how, nil
}

// TestMethodTable: recipient material x TLS capability x rule constraints ->
// the method, and the reason names what was skipped. The shipped order is
// pgp > smime > tls > portal.
func TestMethodTable(t *testing.T) {
	ctx := context.Background()
	future, past := time.Now().Add(24*time.Hour), time.Now().Add(-time.Hour)
	keys := fakeKeys{
		"pgp@verified.test":     {pgpEntry(t, "pgp@verified.test")},
		"cert@verified.test":    {certEntry(t, "cert@verified.test", future)},
		"expired@verified.test": {certEntry(t, "expired@verified.test", past)},
		"both@plain.test":       {pgpEntry(t, "both@plain.test"), certEntry(t, "both@plain.test", future)},
		"other@plain.test":      {certEntry(t, "someone-else@plain.test", future)},
	}
	tls := tableTLS{
		"verified.test":   {true, "admin"},
		"dane.test":       {true, "dane"},
		"sts.test":        {true, "mta-sts"},
		"remembered.test": {true, "memory"},
		"downgraded.test": {false, "memory"}, // proved verified TLS before, not now: an operator decides
		"plain.test":      {false, "probe"},
	}
	shipped := []string{PGP, SMIME, TLS, Portal}
	noPortal := []string{PGP, SMIME, TLS}
	cases := []struct {
		addr    string
		methods []string
		e2e     bool
		portal  bool
		want    string
		reason  []string // substrings of the reason
	}{
		{"pgp@verified.test", shipped, false, true, PGP, []string{"OpenPGP"}},
		{"cert@verified.test", shipped, false, true, SMIME, []string{"pgp: no key", "S/MIME"}},
		{"both@plain.test", shipped, true, false, PGP, nil},
		{"both@plain.test", []string{SMIME, PGP}, true, false, SMIME, nil},
		{"expired@verified.test", shipped, false, false, TLS, []string{"smime:", "known from admin"}},
		{"expired@verified.test", shipped, true, false, "", []string{"tls: policy requires end-to-end", "portal: not available"}},
		{"expired@verified.test", shipped, true, true, Portal, []string{"secure portal"}},
		{"nokey@dane.test", shipped, false, false, TLS, []string{"known from dane"}},
		{"nokey@sts.test", shipped, false, false, TLS, []string{"known from mta-sts"}},
		{"nokey@remembered.test", shipped, false, false, TLS, []string{"known from memory"}},
		{"nokey@downgraded.test", shipped, false, true, Portal, []string{"cannot guarantee verified TLS to downgraded.test now (memory)"}},
		{"nokey@downgraded.test", shipped, false, false, "", []string{"(memory)", "portal: not available"}},
		{"nokey@plain.test", shipped, false, true, Portal, []string{"cannot guarantee verified TLS to plain.test"}},
		{"nokey@plain.test", noPortal, false, true, "", []string{"tls: cannot guarantee"}}, // the rule forbids the portal
		{"other@plain.test", shipped, false, false, "", []string{"smime:"}},                // a certificate for another address
		{"broken@x.test", shipped, false, true, Portal, []string{"keystore: busy"}},        // lookup failure is said, not hidden
	}
	for _, c := range cases {
		s := &Selector{Keys: keys, TLS: tls, PortalAvailable: c.portal}
		got := s.Choose(ctx, c.addr, c.methods, c.e2e)
		if got.Method != c.want {
			t.Errorf("%s %v e2e=%v portal=%v: method %q, want %q (%s)", c.addr, c.methods, c.e2e, c.portal, got.Method, c.want, got.Reason)
			continue
		}
		for _, r := range c.reason {
			if !strings.Contains(got.Reason, r) {
				t.Errorf("%s %v e2e=%v portal=%v: reason %q lacks %q", c.addr, c.methods, c.e2e, c.portal, got.Reason, r)
			}
		}
	}
}
