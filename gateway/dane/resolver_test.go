package dane

import (
	"context"
	"encoding/hex"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/sealgate/sealgate/internal/dnsq"
	"github.com/sealgate/sealgate/internal/dnstest"
)

// addTLSA puts recs under name in the test zone.
func addTLSA(z *dnstest.Server, name string, recs ...TLSA) {
	for _, r := range recs {
		z.AddRR(&dns.TLSA{
			Hdr:          dns.RR_Header{Name: name, Rrtype: dns.TypeTLSA, Class: dns.ClassINET, Ttl: 300},
			Usage:        r.Usage,
			Selector:     r.Selector,
			MatchingType: r.MatchingType,
			Certificate:  strings.ToUpper(hex.EncodeToString(r.Data)),
		})
	}
}

func resolverFor(addr string, timeout time.Duration) *DNSResolver {
	return &DNSResolver{DNS: &dnsq.Client{Server: addr, Timeout: timeout}}
}

func lookup(t *testing.T, r *DNSResolver, host string) ([]TLSA, bool, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return r.LookupTLSA(ctx, host, 25)
}

func TestTLSAFromLoopbackResolverIsSecureOnlyWithADBit(t *testing.T) {
	rec := TLSA{Usage: 3, Selector: 1, MatchingType: 1, Data: make([]byte, 32)}
	rec.Data[0] = 0xab
	s := dnstest.Start(t)
	addTLSA(s, "_25._tcp.signed.example.", rec)
	addTLSA(s, "_25._tcp.unsigned.example.", rec)
	s.Secure("_25._tcp.signed.example.")
	r := resolverFor(s.Addr, 10*time.Second)

	got, secure, err := lookup(t, r, "Signed.Example")
	if err != nil || !secure || len(got) != 1 || got[0].String() != rec.String() {
		t.Fatalf("signed: %v %v %v", got, secure, err)
	}
	got, secure, err = lookup(t, r, "unsigned.example.")
	if err != nil || secure || len(got) != 1 {
		t.Fatalf("unsigned: %v %v %v", got, secure, err)
	}

	queries := s.Queries()
	for _, q := range queries {
		opt := q.IsEdns0()
		if opt == nil || !opt.Do() || !q.RecursionDesired || q.Question[0].Qtype != dns.TypeTLSA {
			t.Fatalf("query without DO/RD or not TLSA: %v", q)
		}
	}
	if queries[0].Question[0].Name != "_25._tcp.signed.example." {
		t.Fatalf("queried %q", queries[0].Question[0].Name)
	}
}

// TestADBitIsBelievedOnlyFromLoopbackOrTrustedResolver moved to
// internal/dnsq with the rule (dnsq.Trusted).

func TestTLSALookupServfailIsAnError(t *testing.T) {
	s := dnstest.Start(t)
	s.Fail("_25._tcp.broken.example.", dns.RcodeServerFailure)
	s.Fail("_25._tcp.refused.example.", dns.RcodeRefused)
	r := resolverFor(s.Addr, 10*time.Second)
	for _, h := range []string{"broken.example", "refused.example"} {
		if got, _, err := lookup(t, r, h); err == nil {
			t.Fatalf("%s: no error, records %v", h, got)
		}
	}
}

func TestTLSALookupNXDOMAINAndNODATAMeanNoRecords(t *testing.T) {
	s := dnstest.Start(t)
	s.Exists("_25._tcp.nodata.example.")
	s.Secure("_25._tcp.nodata.example.")
	r := resolverFor(s.Addr, 10*time.Second)
	got, secure, err := lookup(t, r, "nodata.example")
	if err != nil || len(got) != 0 || !secure {
		t.Fatalf("NODATA: %v %v %v", got, secure, err)
	}
	got, secure, err = lookup(t, r, "missing.example")
	if err != nil || len(got) != 0 || secure {
		t.Fatalf("NXDOMAIN: %v %v %v", got, secure, err)
	}
}

func TestTruncatedTLSAAnswerIsRetriedOverTCP(t *testing.T) {
	rec := TLSA{Usage: 2, Selector: 0, MatchingType: 2, Data: make([]byte, 64)}
	s := dnstest.Start(t)
	addTLSA(s, "_25._tcp.big.example.", rec, rec)
	s.Secure("_25._tcp.big.example.")
	s.TruncateUDP("_25._tcp.big.example.")
	r := resolverFor(s.Addr, 10*time.Second)
	got, secure, err := lookup(t, r, "big.example")
	if err != nil || !secure || len(got) != 2 {
		t.Fatalf("%v %v %v", got, secure, err)
	}
}

func TestTLSALookupOfUnreachableResolverIsAnError(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close() // bound but never answers
	r := resolverFor(pc.LocalAddr().String(), 300*time.Millisecond)
	if got, _, err := lookup(t, r, "mx.example"); err == nil {
		t.Fatalf("no error, records %v", got)
	}
	if _, _, err := (&DNSResolver{}).LookupTLSA(context.Background(), "mx.example", 25); err == nil {
		t.Fatal("no error without a configured server")
	}
}
