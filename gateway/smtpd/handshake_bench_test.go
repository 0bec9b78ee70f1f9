package smtpd

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"net"
	"testing"
	"time"

	"github.com/sealgate/sealgate/internal/testpki"
)

// BenchmarkTLSHandshake is the STARTTLS cost per new connection, both
// ends in this process (the client's share is small next to the
// server's signature): an RSA-2048 certificate, an ECDSA P-256 one
// (tls.ec_cert_file), and a resumed TLS 1.3 session (session tickets are
// on by default; the client must keep a session cache).
func BenchmarkTLSHandshake(b *testing.B) {
	cert := func(key crypto.Signer) tls.Certificate {
		c := testpki.SelfSigned(b, &x509.Certificate{Subject: pkix.Name{CommonName: "bench.test"}, DNSNames: []string{"bench.test"},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}, key)
		return testpki.TLSCert(c, key)
	}
	rsaCert, ecCert := cert(testpki.RSAKey(2048, 0)), cert(testpki.ECKey(b))
	// Loopback TCP, not net.Pipe: a TLS 1.3 server writes its tickets
	// after the handshake, which an unbuffered pipe would deadlock on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	run := func(b *testing.B, srv *tls.Config, cli *tls.Config) {
		resumed := 0
		defer func() { b.ReportMetric(float64(resumed)/float64(b.N), "resumed/op") }()
		for b.Loop() {
			c2, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				b.Fatal(err)
			}
			c1, err := ln.Accept()
			if err != nil {
				b.Fatal(err)
			}
			done := make(chan error, 1)
			go func() {
				s := tls.Server(c1, srv)
				done <- s.Handshake()
				// A resumable ticket is sent after the handshake: read
				// until the client closes so it gets there.
				buf := make([]byte, 1)
				s.Read(buf)
				s.Close()
			}()
			c := tls.Client(c2, cli)
			if err := c.Handshake(); err != nil {
				b.Fatal(err)
			}
			c.Write([]byte{0})
			io.Copy(io.Discard, c) // takes in the ticket, then the server's close
			if err := <-done; err != nil {
				b.Fatal(err)
			}
			if c.ConnectionState().DidResume {
				resumed++
			}
			c.Close()
		}
	}
	b.Run("rsa2048", func(b *testing.B) {
		run(b, &tls.Config{Certificates: []tls.Certificate{rsaCert}}, &tls.Config{InsecureSkipVerify: true})
	})
	b.Run("ecdsa-p256", func(b *testing.B) {
		run(b, &tls.Config{Certificates: []tls.Certificate{ecCert, rsaCert}}, &tls.Config{InsecureSkipVerify: true})
	})
	b.Run("rsa2048-resumed", func(b *testing.B) {
		run(b, &tls.Config{Certificates: []tls.Certificate{rsaCert}},
			&tls.Config{InsecureSkipVerify: true, ServerName: "bench.test", ClientSessionCache: tls.NewLRUClientSessionCache(8)})
	})
}
