package relay

import (
	"testing"

	"github.com/miekg/dns"
)

// An internationalised recipient domain is looked up in DNS by its A-label:
// "bücher.test" has its MX at "xn--bcher-kva.test.". Before, the MX query went out in
// UTF-8, found nothing and the message waited on an implicit MX that does not exist.
func TestIDNRecipientDomainIsLookedUpAsALabel(t *testing.T) {
	z := &dnsZone{
		mx: map[string][]*dns.MX{"xn--bcher-kva.test.": {mx(10, "mx.test.")}},
		a:  map[string]string{"mx.test.": "127.0.0.1"},
	}
	a, _, res, port := mxSetup(t, z, nil)
	st := newMemStore()
	st.put(testEnvelope("m1", "a@src.test", "x@bücher.test"), testBody)
	r := startRelay(t, Options{Resolver: res, MXPort: port, DefaultTLS: "none"}, st)
	r.Submit("m1", []Copy{{Recipients: []string{"x@bücher.test"}}})
	waitFor(t, "removal", func() bool { return st.isRemoved("m1") })
	if got := len(a.received()); got != 1 {
		t.Fatalf("the MX of the A-label got %d messages", got)
	}
}
