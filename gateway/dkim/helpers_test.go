package dkim

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	msgauth "github.com/emersion/go-msgauth/dkim"
	"github.com/miekg/dns"
	"github.com/sealgate/sealgate/internal/dnstest"
)

// testDNS is the shared test zone (internal/dnstest, UDP and TCP on
// 127.0.0.1) serving TXT records, so both verifiers (go-msgauth and dkimpy)
// fetch keys over real DNS.
type testDNS struct {
	addr string
	zone *dnstest.Server
}

func newTestDNS(t *testing.T) *testDNS {
	t.Helper()
	z := dnstest.Start(t)
	return &testDNS{addr: z.Addr, zone: z}
}

// set makes value name's one TXT record, in 255-byte strings.
func (d *testDNS) set(name, value string) {
	fqdn := dns.Fqdn(strings.ToLower(name))
	d.zone.Replace(fqdn, &dns.TXT{
		Hdr: dns.RR_Header{Name: fqdn, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 60},
		Txt: chunk(value, 255),
	})
}

// lookupTXT is go-msgauth's LookupTXT against the test server.
func (d *testDNS) lookupTXT(name string) ([]string, error) {
	c := &dns.Client{Net: "tcp", Timeout: 10 * time.Second}
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), dns.TypeTXT)
	r, _, err := c.Exchange(m, d.addr)
	if err != nil {
		return nil, err
	}
	if r.Rcode != dns.RcodeSuccess {
		return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
	}
	var out []string
	for _, rr := range r.Answer {
		if t, ok := rr.(*dns.TXT); ok {
			out = append(out, strings.Join(t.Txt, ""))
		}
	}
	return out, nil
}

// publish puts k's public key in the test DNS.
func (d *testDNS) publish(k *Key) {
	name, value := TXTRecord(k.Domain, k.Selector, k.Signer.Public())
	d.set(name, value)
}

// verifyGo verifies every signature with go-msgauth and returns the results.
func (d *testDNS) verifyGo(t *testing.T, signed []byte) []*msgauth.Verification {
	t.Helper()
	vs, err := msgauth.VerifyWithOptions(bytes.NewReader(signed), &msgauth.VerifyOptions{LookupTXT: d.lookupTXT})
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	return vs
}

// Keys are generated once per test binary: RSA generation is slow under -race.
var (
	keysOnce sync.Once
	rsaKey   *rsa.PrivateKey
	edKey    ed25519.PrivateKey
)

func testKeys(*testing.T) (*rsa.PrivateKey, ed25519.PrivateKey) {
	keysOnce.Do(func() {
		k, _, err := GenerateKey("rsa")
		if err != nil {
			panic(err)
		}
		rsaKey = k.(*rsa.PrivateKey)
		e, _, err := GenerateKey("ed25519")
		if err != nil {
			panic(err)
		}
		edKey = e.(ed25519.PrivateKey)
	})
	return rsaKey, edKey
}

func testKey(t *testing.T, alg, domain, selector string) *Key {
	r, e := testKeys(t)
	var s crypto.Signer = r
	if alg == "ed25519" {
		s = e
	}
	return &Key{Domain: domain, Selector: selector, Signer: s}
}

// crlf turns a readable test message with \n line ends into wire form.
func crlf(s string) []byte {
	return []byte(strings.ReplaceAll(s, "\n", "\r\n"))
}

func signBytes(t *testing.T, s *Signer, msg []byte) ([]byte, bool) {
	t.Helper()
	var out bytes.Buffer
	signed, err := s.Sign(&out, bytes.NewReader(msg))
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	return out.Bytes(), signed
}
