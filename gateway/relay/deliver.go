package relay

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/sealgate/sealgate/envelope"
	"github.com/sealgate/sealgate/gateway/dane"
	"github.com/sealgate/sealgate/gateway/relay/tlspolicy"
	"github.com/sealgate/sealgate/internal/bcc"
	"github.com/sealgate/sealgate/internal/tlslevel"
)

// result is one recipient's outcome of one attempt.
type result struct {
	err      *DeliveryError // nil = delivered
	host     string
	tls      tlsInfo
	code     int
	enhanced string
	reply    string
}

type tlsInfo struct {
	version, cipher string
	verNum          uint16 // tls.VersionTLS12 ...
	verified        bool
	peerSHA256      string // hex SHA-256 of the peer's leaf certificate
	// auth is how the server was authenticated: "" (not), verified,
	// dane, mta-sts.
	auth string
	// failure is a TLSRPT result type recorded without deferring (MTA-STS
	// testing mode).
	failure string
}

// errTLSHandshake marks a failed handshake after STARTTLS was accepted:
// at level "may" the caller retries in plaintext once.
var errTLSHandshake = errors.New("relay: TLS handshake failed")

// deliverGroup makes one attempt to deliver copy c of m to addrs, which
// all share destination dest. Every addr gets a result.
func (r *Relay) deliverGroup(ctx context.Context, m *msg, c Copy, dest string, addrs []string) map[string]*result {
	all := func(res *result) map[string]*result {
		out := make(map[string]*result, len(addrs))
		for _, a := range addrs {
			cp := *res
			out[a] = &cp
		}
		return out
	}
	// Checked again here, not only when the group was scheduled: nothing
	// may leave that the audit log cannot record.
	if h := r.opts.Healthy; h != nil {
		if err := h(); err != nil {
			return all(&result{err: &DeliveryError{Enhanced: "4.3.0", Msg: "delivery paused: " + err.Error(), Err: err}})
		}
	}
	type hop struct{ name, addr string }
	var hops []hop
	var dp tlspolicy.Domain
	smarthost := dest == smarthostDest
	if smarthost {
		// DANE, MTA-STS and the downgrade memory are about recipient
		// domains' MX hosts; the smarthost's own level applies.
		host, _, _ := net.SplitHostPort(r.opts.Smarthost)
		hops = []hop{{host, r.opts.Smarthost}}
		dp = tlspolicy.Domain{Base: r.opts.SmarthostTLS, Floor: tlslevel.Level(c.MinTLS)}
		if m.env.RequireTLS {
			dp.Require, dp.Floor = true, tlslevel.Raise(dp.Floor, tlslevel.Verify)
		}
	} else {
		var f *tlspolicy.Failure
		dp, f = r.tls.ForDomain(ctx, dest, tlspolicy.Want{Floor: tlslevel.Level(c.MinTLS), RequireTLS: m.env.RequireTLS, TLSRequiredNo: m.env.TLSRequiredNo})
		if f != nil {
			return all(&result{err: policyFail(f)})
		}
		hosts, secure, derr := r.lookupMXSecure(ctx, dest)
		if derr != nil {
			return all(&result{err: derr})
		}
		dp.MXSecure = secure
		if hosts, f = r.tls.FilterMX(dp, hosts); f != nil {
			return all(&result{err: policyFail(f)})
		}
		for _, h := range hosts {
			hops = append(hops, hop{name: h})
		}
	}

	var last, downgrade *result
	for _, h := range hops {
		plan, f := r.tls.ForHost(ctx, dp, h.name)
		if f != nil {
			last = &result{host: h.name, err: policyFail(f)}
			continue
		}
		var addrsToTry []string
		if h.addr != "" {
			addrsToTry = []string{h.addr}
		} else {
			ips, err := r.lookupIPs(ctx, h.name)
			if err != nil {
				last = &result{host: h.name, err: &DeliveryError{Enhanced: "4.4.3", Msg: "host lookup failed", Host: h.name, Err: err}}
				continue
			}
			for _, ip := range ips {
				addrsToTry = append(addrsToTry, net.JoinHostPort(ip, strconv.Itoa(r.opts.MXPort)))
			}
		}
		for _, a := range addrsToTry {
			key := poolKey{name: h.name, addr: a, level: plan.Key()}
			sess := r.pool.get(key)
			if sess == nil {
				cl, ti, closeFn, derr := r.connect(ctx, h.name, a, plan)
				if derr != nil && errors.Is(derr.Err, errTLSHandshake) && plan.Level == tlslevel.May {
					// "may": one plaintext retry on a new connection.
					np := plan
					np.Level = tlslevel.None
					cl, ti, closeFn, derr = r.connect(ctx, h.name, a, np)
				}
				if derr != nil {
					last = &result{host: h.name, err: derr}
					if derr.Downgrade && downgrade == nil {
						downgrade = last
					}
					if derr.Permanent {
						return all(last) // e.g. REQUIRETLS (5.7.10): no other host is tried
					}
					continue // next address or next MX
				}
				sess = &session{cl: cl, ti: ti, close: closeFn, key: key}
			}
			out, reusable := r.transact(ctx, sess, h.name, m, c, addrs, smarthost)
			if reusable {
				r.pool.put(sess)
			} else {
				sess.close()
			}
			if !smarthost {
				r.remember(m.st.ID, dest, sess.ti, out)
			}
			return out
		}
	}
	if last == nil {
		last = &result{err: &DeliveryError{Enhanced: "4.4.4", Msg: "no usable host"}}
	}
	if downgrade != nil && !smarthost {
		// The downgrade is what the record must show, whatever failed last.
		last = downgrade
		r.downgradeSeen(m.st.ID, dest, last.err)
	}
	return all(last)
}

// prefixConn replays a synthetic greeting to go-smtp's client, which
// always reads one, after we did greeting/EHLO/STARTTLS ourselves.
type prefixConn struct {
	net.Conn
	r io.Reader
}

func (p *prefixConn) Read(b []byte) (int, error) { return p.r.Read(b) }

// connect opens an SMTP session to addr (server name name) meeting plan
// and returns a client that has said EHLO. The greeting, first EHLO and
// STARTTLS are done here, not by go-smtp, so that the EHLO name is ours,
// a handshake failure is told apart from other errors, and encrypt/verify
// never send a command in plaintext beyond EHLO and STARTTLS.
//
// The handshake itself accepts any certificate; the certificate is then
// checked here (PKIX against name, or DANE) before anything else is sent,
// so a failure can be named by its TLSRPT type.
func (r *Relay) connect(ctx context.Context, name, addr string, plan tlspolicy.Plan) (*smtp.Client, tlsInfo, func(), *DeliveryError) {
	var ti tlsInfo
	level := plan.Level
	fail := func(code int, enh, msg string, err error) (*smtp.Client, tlsInfo, func(), *DeliveryError) {
		return nil, ti, nil, &DeliveryError{Code: code, Enhanced: enh, Msg: msg, Host: name, Err: err}
	}
	d := net.Dialer{Timeout: r.opts.ConnectTimeout}
	raw, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fail(0, "4.4.1", "connect failed: "+err.Error(), err)
	}
	stop := context.AfterFunc(ctx, func() { raw.Close() })
	closeAll := func() { stop(); raw.Close() }
	failClose := func(code int, enh, msg string, err error) (*smtp.Client, tlsInfo, func(), *DeliveryError) {
		closeAll()
		return fail(code, enh, msg, err)
	}
	// tlsFailClose defers for a TLS policy failure; with the downgrade
	// memory in force it is a downgrade (RFC 8461 §10-style attack).
	tlsFailClose := func(failure, msg string, err error) (*smtp.Client, tlsInfo, func(), *DeliveryError) {
		closeAll()
		e := r.tlsFail(plan.Domain, failure, name, msg, err)
		if plan.Memory {
			e.Downgrade = true
			e.Msg = "TLS downgrade detected: " + msg
		}
		return nil, ti, nil, e
	}

	var conn net.Conn = raw
	var reader io.Reader
	if level == tlslevel.Implicit {
		tc := tls.Client(raw, r.tlsConfig(name, true))
		hctx, cancel := context.WithTimeout(ctx, r.opts.ConnectTimeout)
		err := tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			return failClose(0, "4.7.5", "TLS handshake failed", fmt.Errorf("%w: %w", errTLSHandshake, err))
		}
		ti = infoOf(tc.ConnectionState(), true)
		ti.auth = "verified"
		conn, reader = tc, tc // go-smtp reads the real greeting itself
	} else {
		raw.SetDeadline(time.Now().Add(r.opts.CommandTimeout))
		tp := textproto.NewConn(raw)
		if _, msg, err := tp.ReadResponse(220); err != nil {
			return failClose(codeOf(err), "4.4.2", "greeting: "+msg, err)
		}
		starttls := false
		if _, msg, err := cmd(tp, 250, "EHLO %s", r.opts.Hostname); err != nil {
			if _, _, err2 := cmd(tp, 250, "HELO %s", r.opts.Hostname); err2 != nil {
				return failClose(codeOf(err2), "4.4.2", "HELO refused", err2)
			}
		} else {
			for _, line := range strings.Split(msg, "\n")[1:] {
				if f := strings.Fields(line); len(f) > 0 && strings.EqualFold(f[0], "STARTTLS") {
					starttls = true
				}
			}
		}
		need := level.Encrypts()
		useTLS := level != tlslevel.None && starttls
		if need && !starttls {
			cmd(tp, 221, "QUIT")
			return tlsFailClose(tlspolicy.FailSTARTTLS, "TLS required but not offered", nil)
		}
		if useTLS {
			if code, msg, err := cmd(tp, 220, "STARTTLS"); err != nil {
				if need {
					closeAll()
					e := r.tlsFail(plan.Domain, tlspolicy.FailSTARTTLS, name, "STARTTLS refused: "+msg, err)
					e.Code, e.Downgrade = code, plan.Memory
					return nil, ti, nil, e
				}
				useTLS = false // "may": go on in plaintext on this session
			}
		}
		if useTLS {
			if tp.R.Buffered() > 0 {
				// Data pipelined after STARTTLS would be injected into
				// the TLS session (CVE-2011-0411 family).
				return failClose(0, "4.7.5", "data after STARTTLS reply", nil)
			}
			tc := tls.Client(raw, r.tlsConfig(name, false))
			hctx, cancel := context.WithTimeout(ctx, r.opts.ConnectTimeout)
			err := tc.HandshakeContext(hctx)
			cancel()
			if err != nil {
				if need {
					return tlsFailClose(tlspolicy.FailValidation, "TLS handshake failed: "+err.Error(), fmt.Errorf("%w: %w", errTLSHandshake, err))
				}
				return failClose(0, "4.7.5", "TLS handshake failed: "+err.Error(), fmt.Errorf("%w: %w", errTLSHandshake, err))
			}
			cs := tc.ConnectionState()
			pkixErr := r.verifyPKIX(cs, name)
			ti = infoOf(cs, pkixErr == nil)
			switch {
			case plan.DANE != nil:
				// RFC 7672 §3: DANE authenticates; PKIX does not matter.
				if err := dane.Verify(plan.DANE, cs, name); err != nil {
					return tlsFailClose(tlspolicy.FailTLSAInvalid, "certificate does not match the DANE TLSA records", err)
				}
				ti.verified, ti.auth = true, "dane"
			case level == tlslevel.Verify:
				if pkixErr != nil {
					return tlsFailClose(tlspolicy.ClassifyCertErr(pkixErr), "certificate verification failed: "+pkixErr.Error(), pkixErr)
				}
				ti.auth = plan.Auth
				if ti.auth == "" {
					ti.auth = "verified"
				}
			case pkixErr == nil:
				ti.auth = "verified" // opportunistic, but it would have passed
			}
			if plan.STSTesting && pkixErr != nil {
				// RFC 8461 §5: testing mode delivers and reports.
				ti.failure = tlspolicy.ClassifyCertErr(pkixErr)
				r.m.tlsFailure(plan.Domain, ti.failure)
			}
			if plan.Memory && cs.Version < plan.MinVersion {
				return tlsFailClose(tlspolicy.FailValidation, fmt.Sprintf("TLS version %s below the %s this domain proved", tls.VersionName(cs.Version), tls.VersionName(plan.MinVersion)), nil)
			}
			conn, reader = tc, io.MultiReader(strings.NewReader("220 "+name+"\r\n"), tc)
		} else {
			reader = io.MultiReader(strings.NewReader("220 "+name+"\r\n"), tp.R)
		}
		raw.SetDeadline(time.Time{})
	}

	cl := smtp.NewClient(&prefixConn{Conn: conn, r: reader})
	cl.CommandTimeout = r.opts.CommandTimeout
	cl.SubmissionTimeout = 2 * r.opts.CommandTimeout
	if err := cl.Hello(r.opts.Hostname); err != nil {
		return failClose(codeOf(err), "4.4.2", "EHLO failed", err)
	}
	if plan.RequireTLS {
		// RFC 8689 §4.2.1: the next hop must offer REQUIRETLS; if it does
		// not, the message is not delivered and a DSN says why (§5).
		if ok, _ := cl.Extension("REQUIRETLS"); !ok || !ti.verified {
			cl.Quit()
			closeAll()
			return nil, ti, nil, &DeliveryError{Permanent: true, Code: 550, Enhanced: "5.7.10", Msg: "REQUIRETLS support required", Host: name}
		}
	}
	return cl, ti, closeAll, nil
}

func cmd(tp *textproto.Conn, expect int, format string, args ...any) (int, string, error) {
	id, err := tp.Cmd(format, args...)
	if err != nil {
		return 0, "", err
	}
	tp.StartResponse(id)
	defer tp.EndResponse(id)
	return tp.ReadResponse(expect)
}

func codeOf(err error) int {
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code
	}
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se.Code
	}
	return 0
}

// tlsConfig verifies the chain against RootCAs and name when verify is
// set (implicit TLS to the smarthost); otherwise it accepts any
// certificate and the caller checks it after the handshake. Sessions are
// resumed from a shared cache (cheaper reconnects to the same MX).
func (r *Relay) tlsConfig(name string, verify bool) *tls.Config {
	return &tls.Config{
		ServerName:         name,
		RootCAs:            r.opts.RootCAs,
		InsecureSkipVerify: !verify,
		MinVersion:         tls.VersionTLS12,
		ClientSessionCache: r.tlsSessions,
	}
}

// verifyPKIX checks the peer's chain against RootCAs and name.
func (r *Relay) verifyPKIX(cs tls.ConnectionState, name string) error {
	if len(cs.PeerCertificates) == 0 {
		return errors.New("relay: no peer certificate")
	}
	inter := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{DNSName: name, Roots: r.opts.RootCAs, Intermediates: inter})
	return err
}

func infoOf(cs tls.ConnectionState, verified bool) tlsInfo {
	ti := tlsInfo{version: tls.VersionName(cs.Version), verNum: cs.Version, cipher: tls.CipherSuiteName(cs.CipherSuite), verified: verified}
	if len(cs.PeerCertificates) > 0 {
		sum := sha256.Sum256(cs.PeerCertificates[0].Raw)
		ti.peerSHA256 = hex.EncodeToString(sum[:])
	}
	return ti
}

// transact runs one SMTP transaction on sess: MAIL, one RCPT per address,
// DATA. The DATA reply applies to the recipients RCPT accepted. reusable
// says the session is in a known state (no transaction open) and may
// carry the next one.
func (r *Relay) transact(ctx context.Context, sess *session, host string, m *msg, c Copy, addrs []string, smarthost bool) (out map[string]*result, reusable bool) {
	cl, ti := sess.cl, sess.ti
	out = make(map[string]*result, len(addrs))
	// An SMTP reply (not a network error) leaves the session usable once
	// RSET ends the failed transaction.
	resetIfReply := func(err error) bool {
		var se *smtp.SMTPError
		if !errors.As(err, &se) || se.Code == 421 {
			return false
		}
		return cl.Reset() == nil
	}
	setAll := func(list []string, e *DeliveryError) {
		for _, a := range list {
			out[a] = &result{err: e, host: host, tls: ti}
		}
	}
	env := m.env
	if smarthost && r.opts.SmarthostUser != "" && !sess.authed {
		if ti.version == "" {
			setAll(addrs, &DeliveryError{Enhanced: "4.7.5", Msg: "refusing AUTH without TLS", Host: host})
			return out, false
		}
		if err := cl.Auth(sasl.NewPlainClient("", r.opts.SmarthostUser, r.opts.SmarthostPassword)); err != nil {
			// A credentials problem is ours to fix: defer, never bounce.
			e := smtpErr(err, host)
			e.Permanent = false
			setAll(addrs, e)
			return out, false
		}
		sess.authed = true
	}
	hopUTF8, _ := cl.Extension("SMTPUTF8")
	from, rcptAddr, useUTF8, uerr := smtputf8Envelope(env, addrs, hopUTF8)
	if uerr != nil {
		// RFC 6531 §3.2: the message cannot be sent to this hop.
		uerr.Host = host
		setAll(addrs, uerr)
		return out, true
	}
	body, err := r.openCopy(m.st.ID, c.Name)
	if err != nil {
		setAll(addrs, &DeliveryError{Enhanced: "4.3.0", Msg: "local error reading message", Err: err})
		return out, true
	}
	defer body.Close()

	mo := &smtp.MailOptions{UTF8: useUTF8, EnvelopeID: env.EnvID}
	if c.Name == "" && r.opts.Sign == nil {
		mo.Size = env.Size // a signature would make it larger
	}
	switch strings.ToUpper(env.Ret) {
	case "FULL":
		mo.Return = smtp.DSNReturnFull
	case "HDRS":
		mo.Return = smtp.DSNReturnHeaders
	}
	if ok, _ := cl.Extension("REQUIRETLS"); ok && env.RequireTLS {
		mo.RequireTLS = true
	}
	if err := cl.Mail(from, mo); err != nil {
		setAll(addrs, smtpErr(err, host))
		return out, resetIfReply(err)
	}
	var accepted []string
	for _, a := range addrs {
		if err := cl.Rcpt(rcptAddr[a], rcptOptions(envRecipient(env, a))); err != nil {
			out[a] = &result{err: smtpErr(err, host), host: host, tls: ti}
			continue
		}
		accepted = append(accepted, a)
	}
	if len(accepted) == 0 {
		return out, cl.Reset() == nil
	}
	wc, err := cl.Data()
	if err != nil {
		setAll(accepted, smtpErr(err, host))
		return out, resetIfReply(err)
	}
	src := &readErr{r: body}
	if err := r.writeBody(wc, src, m.st.ID, c.Name); err != nil {
		// Never send the final dot after a short copy: that would commit
		// a truncated message. Dropping the connection aborts it.
		cl.Close()
		var e *DeliveryError
		var we *writeErr
		switch {
		case errors.As(err, &we):
			e = smtpErr(we.err, host)
		default:
			e = &DeliveryError{Enhanced: "4.3.0", Msg: "local error reading or signing message", Err: err}
		}
		setAll(accepted, e)
		return out, false
	}
	resp, err := wc.CloseWithResponse()
	if err != nil {
		// The final reply ends the transaction (RFC 5321 §4.1.1.4): an
		// SMTP error here leaves the session clean.
		setAll(accepted, smtpErr(err, host))
		var se *smtp.SMTPError
		return out, errors.As(err, &se) && se.Code != 421
	}
	for _, a := range accepted {
		out[a] = &result{host: host, tls: ti, code: 250, reply: resp.StatusText}
	}
	return out, true
}

// writeBody sends the copy to wc: as is, or through Options.Sign, which
// reads it twice (first is the copy already open). A write error comes
// back as *writeErr (the remote's fault); anything else is local.
func (r *Relay) writeBody(wc io.Writer, first *readErr, id, name string) error {
	w := &errWriter{w: wc}
	if r.opts.Sign == nil {
		if _, err := io.Copy(w, first); err != nil {
			if w.err != nil {
				return &writeErr{w.err}
			}
			return err
		}
		return nil
	}
	used := false
	var readers []*readErr
	open := func() (io.ReadCloser, error) {
		if !used {
			used = true
			return io.NopCloser(first), nil // closed by transact
		}
		b, err := r.openCopy(id, name)
		if err != nil {
			return nil, err
		}
		re := &readErr{r: b}
		readers = append(readers, re)
		return struct {
			io.Reader
			io.Closer
		}{re, b}, nil
	}
	err := r.opts.Sign(w, open)
	if w.err != nil {
		return &writeErr{w.err}
	}
	if err == nil && first.err != nil {
		err = first.err
	}
	for _, re := range readers {
		if err == nil && re.err != nil {
			err = re.err
		}
	}
	return err
}

// errWriter remembers a write error so it is blamed on the remote.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	n, err := e.w.Write(p)
	if err != nil && e.err == nil {
		e.err = err
	}
	return n, err
}

type writeErr struct{ err error }

func (e *writeErr) Error() string { return "relay: write: " + e.err.Error() }
func (e *writeErr) Unwrap() error { return e.err }

// openCopy opens what leaves: every copy, however it was built (the
// original, a modified or encrypted copy, a released held message, a DSN),
// loses its Bcc and Resent-Bcc fields here (RFC 5322 §3.6.3). The SIZE
// declared for the original may then be a little above the bytes sent:
// harmless, a server compares it with its limit.
func (r *Relay) openCopy(id, name string) (io.ReadCloser, error) {
	var rc io.ReadCloser
	var err error
	if name == "" {
		rc, err = r.store.OpenBody(id)
	} else {
		rc, err = r.store.OpenCopy(id, name)
	}
	if err != nil {
		return nil, err
	}
	return struct {
		io.Reader
		io.Closer
	}{bcc.Strip(rc), rc}, nil
}

// readErr remembers a read error so it is not blamed on the remote.
type readErr struct {
	r   io.Reader
	err error
}

func (e *readErr) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF {
		e.err = err
	}
	return n, err
}

func rcptOptions(er envelope.Recipient) *smtp.RcptOptions {
	o := &smtp.RcptOptions{}
	never := false
	for _, n := range er.Notify {
		switch v := smtp.DSNNotify(strings.ToUpper(strings.TrimSpace(n))); v {
		case smtp.DSNNotifyNever:
			never = true
		case smtp.DSNNotifySuccess, smtp.DSNNotifyFailure, smtp.DSNNotifyDelayed:
			o.Notify = append(o.Notify, v)
		}
	}
	if never {
		o.Notify = []smtp.DSNNotify{smtp.DSNNotifyNever}
	}
	if typ, addr, ok := strings.Cut(er.ORCPT, ";"); ok && addr != "" {
		switch strings.ToLower(strings.TrimSpace(typ)) {
		case "rfc822":
			o.OriginalRecipientType, o.OriginalRecipient = smtp.DSNAddressTypeRFC822, addr
		case "utf-8":
			o.OriginalRecipientType, o.OriginalRecipient = smtp.DSNAddressTypeUTF8, addr
		}
	}
	return o
}

// smtpErr turns a client error into a DeliveryError. Only a 5xx reply is
// permanent; unknown errors (network, protocol) are temporary.
func smtpErr(err error, host string) *DeliveryError {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		e := &DeliveryError{Permanent: se.Code >= 500, Code: se.Code, Msg: se.Message, Host: host, Err: err}
		if ec := se.EnhancedCode; ec[0] > 0 {
			e.Enhanced = fmt.Sprintf("%d.%d.%d", ec[0], ec[1], ec[2])
		}
		return e
	}
	return &DeliveryError{Enhanced: "4.4.2", Msg: err.Error(), Host: host, Err: err}
}
