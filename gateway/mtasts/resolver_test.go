package mtasts

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/sealgate/sealgate/internal/dnsq"
	"github.com/sealgate/sealgate/internal/dnstest"
)

// The gateway's DNS client is the production Resolver (mtasts.DNSResolver,
// unused there, is gone); this proves it meets the Resolver contract.
func TestDNSClientAsResolverJoinsTXTStringsAndMapsRcodes(t *testing.T) {
	z := dnstest.Start(t).Add(`_mta-sts.example.test. 60 IN TXT "v=STSv1; " "id=abc;"`)
	z.Fail("_mta-sts.broken.test.", dns.RcodeServerFailure)
	r := &dnsq.Client{Server: z.Addr, Timeout: 10 * time.Second}
	ctx := context.Background()
	got, err := r.LookupTXT(ctx, "_mta-sts.example.test")
	if err != nil || !slices.Equal(got, []string{"v=STSv1; id=abc;"}) {
		t.Fatalf("got %q, %v", got, err)
	}
	if got, err := r.LookupTXT(ctx, "_mta-sts.missing.test."); err != nil || got != nil {
		t.Fatalf("NXDOMAIN: got %q, %v", got, err)
	}
	if _, err := r.LookupTXT(ctx, "_mta-sts.broken.test."); err == nil {
		t.Fatal("SERVFAIL: no error")
	}

	// The whole discovery over real DNS: SERVFAIL without cache is temporary.
	c := New(Options{Resolver: r})
	if p, err := c.Lookup(ctx, "broken.test"); p != nil || !IsTemporary(err) {
		t.Fatalf("got %v, %v; want temporary", p, err)
	}
	if p, err := c.Lookup(ctx, "missing.test"); p != nil || err != nil {
		t.Fatalf("got %v, %v; want no policy", p, err)
	}
}
