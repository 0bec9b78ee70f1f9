package main

import (
	"net"
	"strings"

	"github.com/miekg/dns"
)

// The demo delivers by MX, as a real gateway does, through a small DNS
// server of its own: every domain's MX is 127.0.0.1 (the capture mailbox),
// under a name its certificate does not cover ("mx.<domain>"), except
// demoVerifiedDomain, whose MX is "localhost", which the certificate names.
// So the relay can verify TLS to that one domain and no other, and each
// of the four methods has a recipient that gets it.
const demoVerifiedDomain = "verified.example"

// demoDNS serves the demo's zone on a UDP and a TCP socket of one port on
// 127.0.0.1, with the TXT records in txt (name without the final dot: value);
// close stops it.
func demoDNS(txt map[string]string) (addr string, close func(), err error) {
	// The UDP port the kernel picks may be taken for TCP by someone else:
	// try a few.
	var pc net.PacketConn
	var tl net.Listener
	for try := 0; ; try++ {
		if pc, err = net.ListenPacket("udp", "127.0.0.1:0"); err != nil {
			return "", nil, err
		}
		if tl, err = net.Listen("tcp", pc.LocalAddr().String()); err == nil {
			break
		}
		pc.Close()
		if try == 20 {
			return "", nil, err
		}
	}
	h := dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) { demoAnswer(w, req, txt) })
	udp, tcp := &dns.Server{PacketConn: pc, Handler: h}, &dns.Server{Listener: tl, Handler: h}
	go udp.ActivateAndServe()
	go tcp.ActivateAndServe()
	return pc.LocalAddr().String(), func() { udp.Shutdown(); tcp.Shutdown() }, nil
}

func demoAnswer(w dns.ResponseWriter, req *dns.Msg, txt map[string]string) {
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	for _, q := range req.Question {
		name := strings.ToLower(q.Name)
		hdr := dns.RR_Header{Name: q.Name, Class: dns.ClassINET, Ttl: 60, Rrtype: q.Qtype}
		switch {
		case q.Qtype == dns.TypeMX && name == dns.Fqdn(demoVerifiedDomain):
			m.Answer = append(m.Answer, &dns.MX{Hdr: hdr, Preference: 10, Mx: "localhost."})
		case q.Qtype == dns.TypeMX && !strings.HasPrefix(name, "mx.") && !strings.HasPrefix(name, "_"):
			m.Answer = append(m.Answer, &dns.MX{Hdr: hdr, Preference: 10, Mx: "mx." + name})
		case q.Qtype == dns.TypeA && (name == "localhost." || strings.HasPrefix(name, "mx.")):
			m.Answer = append(m.Answer, &dns.A{Hdr: hdr, A: net.IPv4(127, 0, 0, 1)})
		case q.Qtype == dns.TypeTXT && txt[strings.TrimSuffix(name, ".")] != "":
			// A TXT string holds at most 255 bytes (RFC 1035 §3.3.14).
			v := txt[strings.TrimSuffix(name, ".")]
			var parts []string
			for len(v) > 255 {
				parts, v = append(parts, v[:255]), v[255:]
			}
			m.Answer = append(m.Answer, &dns.TXT{Hdr: hdr, Txt: append(parts, v)})
		}
		// Anything else (AAAA, TXT for MTA-STS, TLSA for DANE) has no
		// records: the answer is empty, which is what most domains say.
	}
	w.WriteMsg(m)
}
