package dnstest

import (
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// Server is a running test zone. Its methods may be called while it
// serves.
type Server struct {
	// Addr is host:port, the same for UDP and TCP.
	Addr string

	t         testing.TB
	mu        sync.Mutex
	rrs       map[string][]dns.RR // owner (lower case, fqdn) -> records of every type
	exists    map[string]bool
	fail      map[string]int
	secure    map[string]bool
	secureAll bool
	truncUDP  map[string]bool
	queries   []*dns.Msg
}

// Start serves an empty zone until the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{t: t, rrs: map[string][]dns.RR{}, exists: map[string]bool{},
		fail: map[string]int{}, secure: map[string]bool{}, truncUDP: map[string]bool{}}
	pc, ln := listen(t)
	s.Addr = pc.LocalAddr().String()
	for _, srv := range []*dns.Server{{PacketConn: pc, Handler: s}, {Listener: ln, Handler: s}} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		go srv.ActivateAndServe()
		select {
		case <-started:
		case <-time.After(10 * time.Second):
			t.Fatal("dnstest: server did not start")
		}
		t.Cleanup(func() { srv.Shutdown() })
	}
	return s
}

// listen finds a 127.0.0.1 port free for both UDP and TCP.
func listen(t testing.TB) (net.PacketConn, net.Listener) {
	for i := 0; ; i++ {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			return pc, ln
		}
		pc.Close()
		if i == 20 {
			t.Fatalf("dnstest: no port free for both UDP and TCP: %v", err)
		}
	}
}

func key(name string) string { return dns.Fqdn(strings.ToLower(name)) }

// Add puts records in the zone, each in zone-file syntax
// ("mx.test. 60 IN A 127.0.0.1"); a line that does not parse fails the test.
func (s *Server) Add(lines ...string) *Server {
	s.t.Helper()
	for _, l := range lines {
		rr, err := dns.NewRR(l)
		if err != nil || rr == nil {
			s.t.Fatalf("dnstest: record %q: %v", l, err)
		}
		s.AddRR(rr)
	}
	return s
}

// AddRR puts records in the zone.
func (s *Server) AddRR(rrs ...dns.RR) *Server {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, rr := range rrs {
		k := key(rr.Header().Name)
		s.rrs[k] = append(s.rrs[k], rr)
	}
	return s
}

// Replace drops name's records and puts rrs in their place.
func (s *Server) Replace(name string, rrs ...dns.RR) *Server {
	s.mu.Lock()
	delete(s.rrs, key(name))
	s.mu.Unlock()
	return s.AddRR(rrs...)
}

// Exists makes names answer NODATA rather than NXDOMAIN when they have no
// records.
func (s *Server) Exists(names ...string) *Server {
	return s.mark(s.exists, names)
}

// Secure sets the AD bit on answers for names (records and denials).
func (s *Server) Secure(names ...string) *Server {
	return s.mark(s.secure, names)
}

// SecureAll sets the AD bit on every answer.
func (s *Server) SecureAll() *Server {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.secureAll = true
	return s
}

// TruncateUDP answers UDP questions for names with TC set and no records.
func (s *Server) TruncateUDP(names ...string) *Server {
	return s.mark(s.truncUDP, names)
}

// Fail answers questions for name with rcode (e.g. dns.RcodeServerFailure).
func (s *Server) Fail(name string, rcode int) *Server {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail[key(name)] = rcode
	return s
}

func (s *Server) mark(set map[string]bool, names []string) *Server {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range names {
		set[key(n)] = true
	}
	return s
}

// Queries returns copies of the queries received so far, in order.
func (s *Server) Queries() []*dns.Msg {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*dns.Msg, len(s.queries))
	for i, q := range s.queries {
		out[i] = q.Copy()
	}
	return out
}

// ServeDNS answers as doc.go says.
func (s *Server) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(req)
	m.RecursionAvailable = true
	if len(req.Question) == 1 {
		s.answer(m, req, w.LocalAddr().Network() == "udp")
	} else {
		m.Rcode = dns.RcodeFormatError
	}
	w.WriteMsg(m)
}

func (s *Server) answer(m, req *dns.Msg, udp bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queries = append(s.queries, req.Copy())
	q := req.Question[0]
	k := key(q.Name)
	m.AuthenticatedData = s.secureAll || s.secure[k]
	if rc, ok := s.fail[k]; ok {
		m.Rcode = rc
		return
	}
	if udp && s.truncUDP[k] {
		m.Truncated = true
		return
	}
	for _, rr := range s.rrs[k] {
		if rr.Header().Rrtype == q.Qtype {
			cp := dns.Copy(rr)
			cp.Header().Name = q.Name // answer in the asker's case
			m.Answer = append(m.Answer, cp)
		}
	}
	if len(s.rrs[k]) == 0 && !s.exists[k] {
		m.Rcode = dns.RcodeNameError
	}
}
