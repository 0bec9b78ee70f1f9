package mtasts

import (
	"context"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/miekg/dns"
)

func startTXTServer(t *testing.T, txt map[string][]string, rcode map[string]int) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(req)
		name := req.Question[0].Name
		if rc, ok := rcode[name]; ok {
			m.Rcode = rc
		} else if strs, ok := txt[name]; ok {
			m.Answer = append(m.Answer, &dns.TXT{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 60}, Txt: strs})
		} else {
			m.Rcode = dns.RcodeNameError
		}
		w.WriteMsg(m)
	})}
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	go srv.ActivateAndServe()
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("DNS server did not start")
	}
	t.Cleanup(func() { srv.Shutdown() })
	return pc.LocalAddr().String()
}

func TestDNSResolverJoinsTXTStringsAndMapsRcodes(t *testing.T) {
	addr := startTXTServer(t,
		map[string][]string{"_mta-sts.example.test.": {"v=STSv1; ", "id=abc;"}},
		map[string]int{"_mta-sts.broken.test.": dns.RcodeServerFailure})
	r := &DNSResolver{Server: addr, Timeout: 10 * time.Second}
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
