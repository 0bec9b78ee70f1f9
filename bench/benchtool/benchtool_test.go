package main

import (
	"crypto/x509"
	"encoding/pem"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

func TestDNSAnswersEveryMXWithLoopback(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(dnsHandler)}
	go s.ActivateAndServe()
	t.Cleanup(func() { s.Shutdown() })
	c := &dns.Client{Timeout: 5 * time.Second}
	ask := func(name string, qt uint16) *dns.Msg {
		t.Helper()
		m := new(dns.Msg)
		m.SetQuestion(name, qt)
		var r *dns.Msg
		for range 50 { // the server may not be serving yet
			if r, _, err = c.Exchange(m, pc.LocalAddr().String()); err == nil {
				return r
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatal(err)
		return nil
	}
	r := ask("d17.partner.test.", dns.TypeMX)
	if len(r.Answer) != 1 || r.Answer[0].(*dns.MX).Mx != "mx.d17.partner.test." {
		t.Fatalf("MX answer: %v", r.Answer)
	}
	r = ask("mx.d17.partner.test.", dns.TypeA)
	if len(r.Answer) != 1 || !r.Answer[0].(*dns.A).A.Equal(net.IPv4(127, 0, 0, 1)) {
		t.Fatalf("A answer: %v", r.Answer)
	}
	r = ask("_25._tcp.mx.d17.partner.test.", dns.TypeTLSA)
	if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 0 {
		t.Fatalf("TLSA: rcode %d, answer %v; want an empty NOERROR", r.Rcode, r.Answer)
	}
}

func TestSMIMECertsOnePerRecipient(t *testing.T) {
	dir := t.TempDir()
	if err := smimeCerts(dir, 3, "to-smime@partner.test"); err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"to-smime@partner.test", "to-smime-2@partner.test", "to-smime-3@partner.test"} {
		b, err := os.ReadFile(filepath.Join(dir, "smime-"+string(rune('1'+i))+".crt"))
		if err != nil {
			t.Fatal(err)
		}
		blk, _ := pem.Decode(b)
		if blk == nil {
			t.Fatalf("cert %d: no PEM block", i+1)
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.EmailAddresses) != 1 || !strings.EqualFold(c.EmailAddresses[0], want) {
			t.Errorf("cert %d: addresses %v, want %s", i+1, c.EmailAddresses, want)
		}
	}
	if err := smimeCerts(dir, 0, "x@y"); err == nil {
		t.Error("N=0 accepted")
	}
}

func TestParseCPUTicksCountsFromTheLastParen(t *testing.T) {
	line := "1234 (a) b) (c) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 1 0"
	got, err := parseCPUTicks(line)
	if err != nil || got != 300 {
		t.Fatalf("got %d, %v; want 300", got, err)
	}
	if _, err := parseCPUTicks("garbage"); err == nil {
		t.Error("garbage accepted")
	}
}
