package main

import (
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/miekg/dns"
)

// dnsHandler answers the bench's MX curve: every name has an MX
// mx.<name>, every A query is 127.0.0.1, and everything else (AAAA, TLSA,
// the MTA-STS TXT) is an empty NOERROR, so the relay delivers by MX to the
// sink on 127.0.0.1 without DANE or MTA-STS. It counts nothing and logs
// nothing: the relay's lookups are what the curve measures.
func dnsHandler(w dns.ResponseWriter, req *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	if len(req.Question) == 1 {
		q := req.Question[0]
		hdr := dns.RR_Header{Name: q.Name, Class: dns.ClassINET, Ttl: 300}
		switch q.Qtype {
		case dns.TypeMX:
			hdr.Rrtype = dns.TypeMX
			m.Answer = append(m.Answer, &dns.MX{Hdr: hdr, Preference: 10, Mx: "mx." + strings.TrimPrefix(q.Name, "mx.")})
		case dns.TypeA:
			hdr.Rrtype = dns.TypeA
			m.Answer = append(m.Answer, &dns.A{Hdr: hdr, A: net.IPv4(127, 0, 0, 1)})
		}
	}
	w.WriteMsg(m)
}

// serveDNS answers on addr (127.0.0.1 only), UDP and TCP, until killed.
func serveDNS(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host != "127.0.0.1" {
		return fmt.Errorf("benchtool: dns: %q is not a 127.0.0.1 address", addr)
	}
	h := dns.HandlerFunc(dnsHandler)
	errc := make(chan error, 2)
	for _, nw := range []string{"udp", "tcp"} {
		s := &dns.Server{Addr: addr, Net: nw, Handler: h}
		go func() { errc <- s.ListenAndServe() }()
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	select {
	case err := <-errc:
		return fmt.Errorf("benchtool: dns: %w", err)
	case <-sig:
		return nil
	}
}
