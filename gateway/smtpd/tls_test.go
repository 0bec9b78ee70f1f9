package smtpd

import (
	"bufio"
	"crypto/tls"
	"strings"
	"testing"

	"github.com/sealgate/sealgate/internal/msgscan"
)

// CVE-2011-0411: commands pipelined after STARTTLS in the same packet must
// be discarded, not executed inside the TLS session as if the client sent
// them there.
func TestSTARTTLSCommandInjectionIsNotExecuted(t *testing.T) {
	pki := newPKI(t)
	opts := baseOptions(t)
	opts.TLSConfig = pki.serverTLS()
	_, addr := startServer(t, opts, &fakeStore{})
	c := dial(t, addr)
	c.cmd("EHLO client.example").expect(250)
	c.send("STARTTLS\r\nRSET\r\n") // one write: one packet on loopback
	c.expect(220)
	tc := tls.Client(c.conn, pki.clientTLS())
	if err := tc.Handshake(); err != nil {
		t.Fatalf("TLS handshake: %v", err)
	}
	c.conn = tc
	c.r = bufio.NewReader(tc)
	c.cmd("NOOP")
	code, text := c.reply()
	if code != 250 || strings.Contains(strings.ToLower(text), "reset") {
		t.Fatalf("first reply over TLS is %d %q: the injected RSET was executed", code, text)
	}
	// The session is usable and the NOOP was answered exactly once.
	c.cmd("EHLO client.example").expect(250)
}

func TestREQUIRETLSIsAdvertisedOnlyAfterSTARTTLS(t *testing.T) {
	pki := newPKI(t)
	opts := baseOptions(t)
	opts.TLSConfig = pki.serverTLS()
	_, addr := startServer(t, opts, &fakeStore{})
	c := dial(t, addr)
	if ehlo := c.cmd("EHLO client.example").expect(250); strings.Contains(ehlo, "REQUIRETLS") {
		t.Fatalf("REQUIRETLS offered in plaintext:\n%s", ehlo)
	}
	c.startTLS(pki.clientTLS())
	if ehlo := c.cmd("EHLO client.example").expect(250); !strings.Contains(ehlo, "REQUIRETLS") {
		t.Fatalf("REQUIRETLS not offered after STARTTLS:\n%s", ehlo)
	}
}

func TestTLSRequiredNoHeaderIsRecordedInEnvelope(t *testing.T) {
	for _, tc := range []struct {
		name, header string
		want         bool
	}{
		{"no", "TLS-Required: No\r\n", true},
		{"case", "tls-required:   no  \r\n", true},
		{"absent", "", false},
		{"other value", "TLS-Required: Yes\r\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := &fakeStore{}
			_, addr := startServer(t, baseOptions(t), store)
			c := dial(t, addr)
			c.cmd("EHLO client.example").expect(250)
			c.cmd("MAIL FROM:<a@example.org>").expect(250)
			c.cmd("RCPT TO:<b@example.net>").expect(250)
			c.cmd("DATA").expect(354)
			c.send("From: a@example.org\r\n" + tc.header + "Subject: x\r\n\r\nTLS-Required: No\r\n.\r\n")
			c.expect(250)
			if got := store.messages()[0].env.TLSRequiredNo; got != tc.want {
				t.Fatalf("TLSRequiredNo = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestTLSRequiredNoInBodyIsIgnored(t *testing.T) {
	sc := msgscan.New()
	sc.Scan([]byte("Subject: x\r\n\r\nTLS-Required: No\r\n"))
	sc.Finish()
	if sc.TLSRequiredNo {
		t.Fatal("a body line was taken for a header field")
	}
}

// RequireTLS is Postfix's smtpd_tls_security_level = encrypt: plain SMTP
// from an allowed IP gets 530 5.7.0 until STARTTLS (RFC 3207 §4).
func TestRequireTLSListenerRefusesPlainMail(t *testing.T) {
	pki := newPKI(t)
	opts := tlsOptions(t, pki)
	opts.RequireTLS = true
	opts.AllowNets = baseOptions(t).AllowNets
	store := &fakeStore{}
	_, addr := startServer(t, opts, store)
	c := dial(t, addr)
	c.cmd("EHLO client.example").expect(250)
	c.cmd("MAIL FROM:<a@example.org>").expectCode(530, "5.7.0")
	if code, _ := c.cmd("AUTH PLAIN " + plainIR("argon", "s3cret")).reply(); code/100 != 5 {
		t.Fatalf("AUTH over plain text: %d", code)
	}
	c.cmd("MAIL FROM:<a@example.org>").expectCode(530, "5.7.0")
	if n := len(store.messages()); n != 0 {
		t.Fatalf("committed %d", n)
	}
	c.startTLS(pki.clientTLS())
	c.cmd("EHLO client.example").expect(250)
	if code, _ := c.sendMessage("a@example.org", "b@example.net", testMessage); code != 250 {
		t.Fatalf("over TLS: %d", code)
	}
	if _, err := New(Options{Name: "x", Hostname: "h", RequireTLS: true}, store, nil); err == nil {
		t.Fatal("RequireTLS without a TLSConfig accepted")
	}
}

// Plain-text lines injected after STARTTLS are discarded by go-smtp; the
// tap saw them too and must forget them, or a later MAIL of the same go-smtp
// reading would be checked as the injected line.
func TestSTARTTLSInjectedAddressLineIsForgotten(t *testing.T) {
	pki := newPKI(t)
	opts := baseOptions(t)
	opts.TLSConfig = pki.serverTLS()
	store := &fakeStore{}
	_, addr := startServer(t, opts, store)
	c := dial(t, addr)
	c.cmd("EHLO client.example").expect(250)
	c.send("STARTTLS\r\nMAIL FROM:<\"x@evil.example\"@example.org>\r\n")
	c.expect(220)
	tc := tls.Client(c.conn, pki.clientTLS())
	if err := tc.Handshake(); err != nil {
		t.Fatalf("TLS handshake: %v", err)
	}
	c.conn = tc
	c.r = bufio.NewReader(tc)
	c.cmd("EHLO client.example").expect(250)
	c.cmd("MAIL FROM:<x@evil.example@example.org>").expectCode(501, "5.1.7")
}
