package smtpclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"strings"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/sealgate/sealgate/gateway/relay/tlspolicy"
	"github.com/sealgate/sealgate/internal/tlslevel"
)

// Config configures a Client.
type Config struct {
	Hostname                       string // the EHLO name
	ConnectTimeout, CommandTimeout time.Duration
	RootCAs                        *x509.CertPool // nil = system roots
	// Count is told of every TLS failure of a plan with a Domain, by
	// domain and RFC 8460 type (the relay's metric).
	Count func(domain, failure string)
}

// Client dials SMTP sessions; safe for concurrent use.
type Client struct {
	cfg      Config
	sessions tls.ClientSessionCache
}

// New returns a Client. TLS sessions are resumed from a shared cache
// (cheaper reconnects to the same MX).
func New(cfg Config) *Client {
	if cfg.Count == nil {
		cfg.Count = func(string, string) {}
	}
	return &Client{cfg: cfg, sessions: tls.NewLRUClientSessionCache(256)}
}

// dial is one Dial in progress: the steps share the raw connection, what
// TLS achieved so far, and how to fail.
type dial struct {
	c        *Client
	name     string
	plan     tlspolicy.Plan
	raw      net.Conn
	closeAll func()
	ti       TLSInfo
}

// Dial opens an SMTP session to addr (server name name) meeting plan and
// returns it past EHLO (and STARTTLS, if any): connect, then implicit TLS
// or greeting, EHLO and STARTTLS, then the peer check, then go-smtp's
// EHLO, then REQUIRETLS.
func (c *Client) Dial(ctx context.Context, name, addr string, plan tlspolicy.Plan) (*Session, *Error) {
	nd := net.Dialer{Timeout: c.cfg.ConnectTimeout}
	raw, err := nd.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, &Error{Enhanced: "4.4.1", Msg: "connect failed: " + err.Error(), Host: name, Err: err}
	}
	stop := context.AfterFunc(ctx, func() { raw.Close() })
	d := &dial{c: c, name: name, plan: plan, raw: raw, closeAll: func() { stop(); raw.Close() }}
	var conn net.Conn
	var reader io.Reader
	var derr *Error
	if plan.Level == tlslevel.Implicit {
		conn, reader, derr = d.implicitTLS(ctx)
	} else {
		conn, reader, derr = d.plainStart(ctx)
	}
	if derr != nil {
		return nil, derr
	}
	cl, derr := d.client(conn, reader)
	if derr != nil {
		return nil, derr
	}
	return &Session{cl: cl, TLS: d.ti, close: d.closeAll, key: KeyFor(name, addr, plan), name: name, LocalAddr: raw.LocalAddr().String()}, nil
}

// fail closes the connection and returns an Error for the host.
func (d *dial) fail(code int, enh, msg string, err error) *Error {
	d.closeAll()
	return &Error{Code: code, Enhanced: enh, Msg: msg, Host: d.name, Err: err}
}

// tlsFail closes the connection and defers for a TLS policy failure;
// with the downgrade memory in force it is a downgrade (RFC 8461
// §10-style attack).
func (d *dial) tlsFail(failure, msg string, err error) *Error {
	d.closeAll()
	e := d.c.tlsFailure(d.plan.Domain, failure, d.name, msg, err)
	e.LocalAddr = d.raw.LocalAddr().String()
	if d.plan.Memory {
		e.Downgrade = true
		e.Msg = "TLS downgrade detected: " + msg
	}
	return e
}

// tlsFailure builds a deferral (4.7.5) for a TLS failure and counts it.
func (c *Client) tlsFailure(domain, failure, host, msg string, err error) *Error {
	if domain != "" {
		c.cfg.Count(domain, failure)
	}
	return &Error{Enhanced: "4.7.5", Msg: msg, Host: host, Err: err, TLSFailure: failure}
}

// implicitTLS does the handshake on the first byte (the smarthost's
// implicit level), verifying the chain in the handshake.
func (d *dial) implicitTLS(ctx context.Context) (net.Conn, io.Reader, *Error) {
	tc := tls.Client(d.raw, d.c.tlsConfig(d.name, true))
	hctx, cancel := context.WithTimeout(ctx, d.c.cfg.ConnectTimeout)
	err := tc.HandshakeContext(hctx)
	cancel()
	if err != nil {
		return nil, nil, d.fail(0, "4.7.5", "TLS handshake failed", fmt.Errorf("%w: %w", errTLSHandshake, err))
	}
	d.ti = infoOf(tc.ConnectionState(), true)
	d.ti.Auth = "verified"
	return tc, tc, nil // go-smtp reads the real greeting itself
}

// plainStart reads the greeting, says EHLO (HELO if refused) and does
// STARTTLS as the plan asks. The reader it returns starts with a
// synthetic greeting for go-smtp (see the package doc).
func (d *dial) plainStart(ctx context.Context) (net.Conn, io.Reader, *Error) {
	d.raw.SetDeadline(time.Now().Add(d.c.cfg.CommandTimeout))
	tp := textproto.NewConn(d.raw)
	if _, msg, err := tp.ReadResponse(220); err != nil {
		return nil, nil, d.fail(codeOf(err), "4.4.2", "greeting: "+msg, err)
	}
	starttls, derr := d.ehlo(tp)
	if derr != nil {
		return nil, nil, derr
	}
	level := d.plan.Level
	need := level.Encrypts()
	useTLS := level != tlslevel.None && starttls
	if need && !starttls {
		cmd(tp, 221, "QUIT")
		return nil, nil, d.tlsFail(tlspolicy.FailSTARTTLS, "TLS required but not offered", nil)
	}
	if useTLS {
		if code, msg, err := cmd(tp, 220, "STARTTLS"); err != nil {
			if need {
				d.closeAll()
				e := d.c.tlsFailure(d.plan.Domain, tlspolicy.FailSTARTTLS, d.name, "STARTTLS refused: "+msg, err)
				e.Code, e.Downgrade = code, d.plan.Memory
				e.LocalAddr = d.raw.LocalAddr().String()
				return nil, nil, e
			}
			useTLS = false // may: go on in plaintext on this session
		}
	}
	greeting := strings.NewReader("220 " + d.name + "\r\n")
	if !useTLS && d.plan.STSTesting {
		// RFC 8461 §5: testing mode delivers in the clear and reports it.
		d.ti.Failure = tlspolicy.FailSTARTTLS
		d.c.cfg.Count(d.plan.Domain, d.ti.Failure)
	}
	if !useTLS {
		d.raw.SetDeadline(time.Time{})
		return d.raw, io.MultiReader(greeting, tp.R), nil
	}
	tc, derr := d.startTLS(ctx, tp, need)
	if derr != nil {
		return nil, nil, derr
	}
	d.raw.SetDeadline(time.Time{})
	return tc, io.MultiReader(greeting, tc), nil
}

// ehlo says EHLO, or HELO when EHLO is refused; starttls says the server
// offered STARTTLS.
func (d *dial) ehlo(tp *textproto.Conn) (starttls bool, e *Error) {
	_, msg, err := cmd(tp, 250, "EHLO %s", d.c.cfg.Hostname)
	if err != nil {
		if _, _, err2 := cmd(tp, 250, "HELO %s", d.c.cfg.Hostname); err2 != nil {
			return false, d.fail(codeOf(err2), "4.4.2", "HELO refused", err2)
		}
		return false, nil
	}
	for _, line := range strings.Split(msg, "\n")[1:] {
		if f := strings.Fields(line); len(f) > 0 && strings.EqualFold(f[0], "STARTTLS") {
			starttls = true
		}
	}
	return starttls, nil
}

// startTLS does the handshake after the server's 220 to STARTTLS and
// checks the peer. need: the plan refuses plaintext.
func (d *dial) startTLS(ctx context.Context, tp *textproto.Conn, need bool) (*tls.Conn, *Error) {
	if tp.R.Buffered() > 0 {
		// Data pipelined after STARTTLS would be injected into the TLS
		// session (CVE-2011-0411 family).
		return nil, d.fail(0, "4.7.5", "data after STARTTLS reply", nil)
	}
	tc := tls.Client(d.raw, d.c.tlsConfig(d.name, false))
	hctx, cancel := context.WithTimeout(ctx, d.c.cfg.ConnectTimeout)
	err := tc.HandshakeContext(hctx)
	cancel()
	if err != nil {
		werr := fmt.Errorf("%w: %w", errTLSHandshake, err)
		if need {
			return nil, d.tlsFail(tlspolicy.FailValidation, "TLS handshake failed: "+err.Error(), werr)
		}
		return nil, d.fail(0, "4.7.5", "TLS handshake failed: "+err.Error(), werr)
	}
	if derr := d.checkPeer(tc.ConnectionState()); derr != nil {
		return nil, derr
	}
	return tc, nil
}

// client hands the connection to go-smtp, says EHLO again (now over TLS,
// if any) and checks REQUIRETLS.
func (d *dial) client(conn net.Conn, reader io.Reader) (*smtp.Client, *Error) {
	cl := smtp.NewClient(&prefixConn{Conn: conn, r: reader})
	cl.CommandTimeout = d.c.cfg.CommandTimeout
	cl.SubmissionTimeout = 2 * d.c.cfg.CommandTimeout
	if err := cl.Hello(d.c.cfg.Hostname); err != nil {
		return nil, d.fail(codeOf(err), "4.4.2", "EHLO failed", err)
	}
	if d.plan.RequireTLS {
		// RFC 8689 §4.2.1: the next hop must offer REQUIRETLS; if it does
		// not, the message is not delivered and a DSN says why (§5).
		if ok, _ := cl.Extension("REQUIRETLS"); !ok || !d.ti.Verified {
			cl.Quit()
			d.closeAll()
			return nil, &Error{Permanent: true, Code: 550, Enhanced: "5.7.10", Msg: "REQUIRETLS support required", Host: d.name}
		}
	}
	return cl, nil
}

// prefixConn replays a synthetic greeting to go-smtp's client, which
// always reads one, after we did greeting/EHLO/STARTTLS ourselves.
type prefixConn struct {
	net.Conn
	r io.Reader
}

func (p *prefixConn) Read(b []byte) (int, error) { return p.r.Read(b) }

func cmd(tp *textproto.Conn, expect int, format string, args ...any) (int, string, error) {
	id, err := tp.Cmd(format, args...)
	if err != nil {
		return 0, "", err
	}
	tp.StartResponse(id)
	defer tp.EndResponse(id)
	return tp.ReadResponse(expect)
}
