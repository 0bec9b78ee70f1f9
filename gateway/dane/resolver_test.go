package dane

import (
	"context"
	"encoding/hex"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// zone is what the test DNS server answers for one TLSA name.
type zone struct {
	records  []TLSA
	ad       bool
	rcode    int
	truncUDP bool // answer UDP queries with TC set and no records
}

type testDNS struct {
	mu      sync.Mutex
	zones   map[string]zone
	queries []*dns.Msg
	addr    string
}

func (s *testDNS) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	s.mu.Lock()
	s.queries = append(s.queries, req.Copy())
	q := req.Question[0]
	z, ok := s.zones[strings.ToLower(q.Name)]
	s.mu.Unlock()
	m := new(dns.Msg)
	m.SetReply(req)
	m.RecursionAvailable = true
	if !ok {
		m.Rcode = dns.RcodeNameError
		w.WriteMsg(m)
		return
	}
	m.Rcode = z.rcode
	m.AuthenticatedData = z.ad
	if z.truncUDP && w.LocalAddr().Network() == "udp" {
		m.Truncated = true
		w.WriteMsg(m)
		return
	}
	for _, r := range z.records {
		m.Answer = append(m.Answer, &dns.TLSA{
			Hdr:          dns.RR_Header{Name: q.Name, Rrtype: dns.TypeTLSA, Class: dns.ClassINET, Ttl: 300},
			Usage:        r.Usage,
			Selector:     r.Selector,
			MatchingType: r.MatchingType,
			Certificate:  strings.ToUpper(hex.EncodeToString(r.Data)),
		})
	}
	w.WriteMsg(m)
}

// startDNS serves zones over UDP and TCP on the same 127.0.0.1 ephemeral port.
func startDNS(t *testing.T, zones map[string]zone) *testDNS {
	t.Helper()
	s := &testDNS{zones: zones}
	var pc net.PacketConn
	var ln net.Listener
	for i := 0; ; i++ {
		var err error
		pc, err = net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ln, err = net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			break
		}
		pc.Close()
		if i == 20 {
			t.Fatalf("no port free for both UDP and TCP: %v", err)
		}
	}
	s.addr = pc.LocalAddr().String()
	for _, srv := range []*dns.Server{{PacketConn: pc, Handler: s}, {Listener: ln, Handler: s}} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		go srv.ActivateAndServe()
		select {
		case <-started:
		case <-time.After(10 * time.Second):
			t.Fatal("DNS server did not start")
		}
		t.Cleanup(func() { srv.Shutdown() })
	}
	return s
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
	s := startDNS(t, map[string]zone{
		"_25._tcp.signed.example.":   {records: []TLSA{rec}, ad: true},
		"_25._tcp.unsigned.example.": {records: []TLSA{rec}, ad: false},
	})
	r := &DNSResolver{Server: s.addr, Timeout: 10 * time.Second}

	got, secure, err := lookup(t, r, "Signed.Example")
	if err != nil || !secure || len(got) != 1 || got[0].String() != rec.String() {
		t.Fatalf("signed: %v %v %v", got, secure, err)
	}
	got, secure, err = lookup(t, r, "unsigned.example.")
	if err != nil || secure || len(got) != 1 {
		t.Fatalf("unsigned: %v %v %v", got, secure, err)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	for _, q := range s.queries {
		opt := q.IsEdns0()
		if opt == nil || !opt.Do() || !q.RecursionDesired || q.Question[0].Qtype != dns.TypeTLSA {
			t.Fatalf("query without DO/RD or not TLSA: %v", q)
		}
	}
	if s.queries[0].Question[0].Name != "_25._tcp.signed.example." {
		t.Fatalf("queried %q", s.queries[0].Question[0].Name)
	}
}

func TestADBitIsBelievedOnlyFromLoopbackOrTrustedResolver(t *testing.T) {
	cases := []struct {
		server  string
		trusted bool
		want    bool
	}{
		{"127.0.0.1:53", false, true},
		{"127.0.0.53:53", false, true},
		{"[::1]:53", false, true},
		{"192.0.2.1:53", false, false},
		{"[2001:db8::1]:53", false, false},
		{"localhost:53", false, false},
		{"192.0.2.1:53", true, true},
		{"garbage", false, false},
	}
	for _, c := range cases {
		r := &DNSResolver{Server: c.server, Trusted: c.trusted}
		if got := r.trusted(); got != c.want {
			t.Errorf("%s trusted=%v: got %v, want %v", c.server, c.trusted, got, c.want)
		}
	}
}

func TestTLSALookupServfailIsAnError(t *testing.T) {
	s := startDNS(t, map[string]zone{
		"_25._tcp.broken.example.":  {rcode: dns.RcodeServerFailure},
		"_25._tcp.refused.example.": {rcode: dns.RcodeRefused},
	})
	r := &DNSResolver{Server: s.addr, Timeout: 10 * time.Second}
	for _, h := range []string{"broken.example", "refused.example"} {
		if got, _, err := lookup(t, r, h); err == nil {
			t.Fatalf("%s: no error, records %v", h, got)
		}
	}
}

func TestTLSALookupNXDOMAINAndNODATAMeanNoRecords(t *testing.T) {
	s := startDNS(t, map[string]zone{
		"_25._tcp.nodata.example.": {ad: true},
	})
	r := &DNSResolver{Server: s.addr, Timeout: 10 * time.Second}
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
	s := startDNS(t, map[string]zone{
		"_25._tcp.big.example.": {records: []TLSA{rec, rec}, ad: true, truncUDP: true},
	})
	r := &DNSResolver{Server: s.addr, Timeout: 10 * time.Second}
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
	r := &DNSResolver{Server: pc.LocalAddr().String(), Timeout: 300 * time.Millisecond}
	if got, _, err := lookup(t, r, "mx.example"); err == nil {
		t.Fatalf("no error, records %v", got)
	}
	if _, _, err := (&DNSResolver{}).LookupTLSA(context.Background(), "mx.example", 25); err == nil {
		t.Fatal("no error without a configured server")
	}
}
