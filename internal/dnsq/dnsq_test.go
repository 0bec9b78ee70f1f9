package dnsq

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/sealgate/sealgate/internal/dnstest"
)

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

// Moved from gateway/relay (TestTXTResolverJoinsStringsAndReportsNotFound).
// The NXDOMAIN case used to be a *net.DNSError with IsNotFound; it is now
// the package's one denial semantics, no records and no error (doc.go).
func TestTXTJoinsStringsAndNXDOMAINIsNoRecords(t *testing.T) {
	z := dnstest.Start(t).Add(`_mta-sts.ok.test. 60 IN TXT "v=STSv1; " "id=42;"`)
	z.Fail("_mta-sts.fail.test.", dns.RcodeServerFailure)
	res := &Client{Server: z.Addr}
	got, err := res.LookupTXT(ctx(t), "_mta-sts.ok.test")
	if err != nil || len(got) != 1 || got[0] != "v=STSv1; id=42;" {
		t.Errorf("ok: %q %v", got, err)
	}
	if got, r, err := res.TXT(ctx(t), "_mta-sts.none.test"); err != nil || got != nil || !r.NXDomain {
		t.Errorf("NXDOMAIN: %q %+v %v", got, r, err)
	}
	var rc *RcodeError
	if _, err := res.LookupTXT(ctx(t), "_mta-sts.fail.test"); !errors.As(err, &rc) || rc.RcodeString() != "SERVFAIL" {
		t.Errorf("SERVFAIL: %v", err)
	}
}

// Moved from gateway/dane (DNSResolver.trusted).
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
		if got := Trusted(c.server, c.trusted); got != c.want {
			t.Errorf("%s trusted=%v: got %v, want %v", c.server, c.trusted, got, c.want)
		}
	}
}

func TestQueryAsksForDNSSECAndTellsNXDOMAINFromNODATA(t *testing.T) {
	z := dnstest.Start(t).Add("a.test. 60 IN A 192.0.2.1")
	z.Secure("a.test.")
	c := &Client{Server: z.Addr}
	mx, r, err := c.MX(ctx(t), "a.test")
	if err != nil || len(mx) != 0 || r.NXDomain || !r.Secure || r.Server != z.Addr {
		t.Fatalf("NODATA: %v %+v %v", mx, r, err)
	}
	mx, r, err = c.MX(ctx(t), "b.test")
	if err != nil || len(mx) != 0 || !r.NXDomain || r.Secure {
		t.Fatalf("NXDOMAIN: %v %+v %v", mx, r, err)
	}
	for _, q := range z.Queries() {
		opt := q.IsEdns0()
		if opt == nil || !opt.Do() || !q.RecursionDesired || !q.AuthenticatedData {
			t.Fatalf("query without DO/RD/AD: %v", q)
		}
	}
}

func TestMXKeepsNullMXAndTrimsDots(t *testing.T) {
	z := dnstest.Start(t).Add("a.test. 60 IN MX 10 mx1.a.test.", "a.test. 60 IN MX 20 mx2.a.test.", "null.test. 60 IN MX 0 .")
	c := &Client{Server: z.Addr}
	mx, _, err := c.MX(ctx(t), "a.test")
	if err != nil || !slices.Equal(mx, []MX{{"mx1.a.test", 10}, {"mx2.a.test", 20}}) {
		t.Fatalf("%v %v", mx, err)
	}
	if mx, _, err := c.MX(ctx(t), "null.test"); err != nil || !slices.Equal(mx, []MX{{".", 0}}) {
		t.Fatalf("null MX: %v %v", mx, err)
	}
}

func TestADFromANonLoopbackServerIsNotBelievedUnlessTrusted(t *testing.T) {
	resp := &dns.Msg{MsgHdr: dns.MsgHdr{AuthenticatedData: true}}
	q := dns.Question{Name: "x.test.", Qtype: dns.TypeTLSA}
	if _, r, _ := classify(resp, q, "192.0.2.1:53", false); r.Secure {
		t.Error("AD believed from 192.0.2.1")
	}
	if _, r, _ := classify(resp, q, "192.0.2.1:53", true); !r.Secure {
		t.Error("AD not believed from a trusted resolver")
	}
}

func TestAddrsReturnsIPv4ThenIPv6(t *testing.T) {
	z := dnstest.Start(t).Add("h.test. 60 IN AAAA 2001:db8::1", "h.test. 60 IN A 192.0.2.1")
	c := &Client{Server: z.Addr}
	got, err := c.Addrs(ctx(t), "h.test")
	if err != nil || !slices.Equal(got, []string{"192.0.2.1", "2001:db8::1"}) {
		t.Fatalf("%v %v", got, err)
	}
	if got, err := c.Addrs(ctx(t), "192.0.2.9"); err != nil || !slices.Equal(got, []string{"192.0.2.9"}) {
		t.Fatalf("literal: %v %v", got, err)
	}
	if _, err := c.Addrs(ctx(t), "none.test"); err == nil {
		t.Fatal("no error for a host without addresses")
	}
}

func TestTruncatedAnswerIsAskedAgainOverTCP(t *testing.T) {
	z := dnstest.Start(t).Add("_25._tcp.big.test. 60 IN TLSA 3 1 1 ABCD", "_25._tcp.big.test. 60 IN TLSA 2 0 1 00FF")
	z.TruncateUDP("_25._tcp.big.test.")
	z.SecureAll()
	got, r, err := (&Client{Server: z.Addr}).TLSA(ctx(t), "_25._tcp.big.test.")
	if err != nil || !r.Secure || len(got) != 2 || got[0].Usage != 3 || got[0].Data[0] != 0xab {
		t.Fatalf("%v %+v %v", got, r, err)
	}
}

func TestAllResolvConfServersAreTriedInOrder(t *testing.T) {
	z := dnstest.Start(t).Add("a.test. 60 IN A 192.0.2.1")
	_, port, _ := net.SplitHostPort(z.Addr)
	// 127.0.0.2 has nothing on the port (UDP: connection refused), so the
	// second nameserver must answer.
	conf := filepath.Join(t.TempDir(), "resolv.conf")
	if err := os.WriteFile(conf, []byte("nameserver 127.0.0.2\nnameserver 127.0.0.1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := &Client{ResolvConfPath: conf, Timeout: 2 * time.Second, port: port}
	servers, err := c.Servers()
	if err != nil || !slices.Equal(servers, []string{"127.0.0.2:" + port, "127.0.0.1:" + port}) {
		t.Fatalf("servers %v %v", servers, err)
	}
	got, err := c.Addrs(ctx(t), "a.test")
	if err != nil || !slices.Equal(got, []string{"192.0.2.1"}) {
		t.Fatalf("%v %v", got, err)
	}
}

func TestAnAnswerIsFinalEvenSERVFAIL(t *testing.T) {
	// Falling through on SERVFAIL could retry a bogus DNSSEC answer on a
	// resolver that does not validate (doc.go).
	z1 := dnstest.Start(t)
	z1.Fail("a.test.", dns.RcodeServerFailure)
	_, port, _ := net.SplitHostPort(z1.Addr)
	// A second nameserver on 127.0.0.2, same port, that would answer.
	pc, err := net.ListenPacket("udp", "127.0.0.2:"+port)
	if err != nil {
		t.Fatalf("127.0.0.2:%s: %v", port, err)
	}
	asked := make(chan struct{}, 10)
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		asked <- struct{}{}
		m := new(dns.Msg)
		m.SetReply(q)
		w.WriteMsg(m)
	})}
	go srv.ActivateAndServe()
	t.Cleanup(func() { srv.Shutdown() })
	conf := filepath.Join(t.TempDir(), "resolv.conf")
	if err := os.WriteFile(conf, []byte("nameserver 127.0.0.1\nnameserver 127.0.0.2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := &Client{ResolvConfPath: conf, port: port}
	var rc *RcodeError
	if _, _, err := c.Query(ctx(t), "a.test", dns.TypeA); !errors.As(err, &rc) || rc.Server != z1.Addr || rc.Qtype != dns.TypeA {
		t.Fatalf("%v", err)
	}
	if len(asked) != 0 {
		t.Fatal("the second nameserver was asked after a SERVFAIL")
	}
}

func TestNoServerAndNoResolvConfAreErrors(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close() // bound but never answers
	if _, _, err := (&Client{Server: pc.LocalAddr().String(), Timeout: 300 * time.Millisecond}).Query(ctx(t), "a.test", dns.TypeA); err == nil {
		t.Fatal("no error from a silent server")
	}
	conf := filepath.Join(t.TempDir(), "resolv.conf")
	os.WriteFile(conf, []byte("search example\n"), 0o644)
	if _, err := (&Client{ResolvConfPath: conf}).Servers(); err == nil {
		t.Fatal("no error without a nameserver")
	}
	if _, err := (&Client{ResolvConfPath: conf + ".missing"}).Servers(); err == nil {
		t.Fatal("no error without resolv.conf")
	}
}
