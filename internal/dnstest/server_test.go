package dnstest

import (
	"testing"
	"time"

	"github.com/miekg/dns"
)

func ask(t *testing.T, addr, network, name string, qtype uint16) *dns.Msg {
	t.Helper()
	q := new(dns.Msg)
	q.SetQuestion(name, qtype)
	resp, _, err := (&dns.Client{Net: network, Timeout: 5 * time.Second}).Exchange(q, addr)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func TestZoneAnswersRecordsNODATAAndNXDOMAIN(t *testing.T) {
	z := Start(t).Add("Mx.Test. 60 IN A 192.0.2.1")
	z.Exists("empty.test")
	z.Secure("mx.test.")
	for _, network := range []string{"udp", "tcp"} {
		r := ask(t, z.Addr, network, "MX.test.", dns.TypeA)
		if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 || r.Answer[0].Header().Name != "MX.test." || !r.AuthenticatedData {
			t.Fatalf("%s records: %v", network, r)
		}
	}
	if r := ask(t, z.Addr, "udp", "mx.test.", dns.TypeMX); r.Rcode != dns.RcodeSuccess || len(r.Answer) != 0 {
		t.Fatalf("NODATA (other type): %v", r)
	}
	if r := ask(t, z.Addr, "udp", "empty.test.", dns.TypeMX); r.Rcode != dns.RcodeSuccess || r.AuthenticatedData {
		t.Fatalf("NODATA (Exists): %v", r)
	}
	if r := ask(t, z.Addr, "udp", "none.test.", dns.TypeA); r.Rcode != dns.RcodeNameError {
		t.Fatalf("NXDOMAIN: %v", r)
	}
	if n := len(z.Queries()); n != 5 {
		t.Fatalf("%d queries recorded", n)
	}
}

func TestFailTruncateAndReplace(t *testing.T) {
	z := Start(t).Add("a.test. 60 IN TXT old")
	z.Fail("bad.test.", dns.RcodeRefused)
	z.TruncateUDP("a.test.")
	if r := ask(t, z.Addr, "udp", "bad.test.", dns.TypeA); r.Rcode != dns.RcodeRefused {
		t.Fatalf("Fail: %v", r)
	}
	if r := ask(t, z.Addr, "udp", "a.test.", dns.TypeTXT); !r.Truncated || len(r.Answer) != 0 {
		t.Fatalf("TruncateUDP: %v", r)
	}
	z.Replace("a.test.", &dns.TXT{Hdr: dns.RR_Header{Name: "a.test.", Rrtype: dns.TypeTXT, Class: dns.ClassINET}, Txt: []string{"new"}})
	r := ask(t, z.Addr, "tcp", "a.test.", dns.TypeTXT)
	if len(r.Answer) != 1 || r.Answer[0].(*dns.TXT).Txt[0] != "new" {
		t.Fatalf("Replace: %v", r)
	}
}
