package relay

import (
	"context"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/sealgate/sealgate/envelope"
	"github.com/sealgate/sealgate/gateway/relay/smtpclient"
	"github.com/sealgate/sealgate/gateway/relay/tlspolicy"
	"github.com/sealgate/sealgate/internal/bcc"
	"github.com/sealgate/sealgate/internal/loopmark"
	"github.com/sealgate/sealgate/internal/tlslevel"
)

// result is one recipient's outcome of one attempt.
type result struct {
	err      *DeliveryError // nil = delivered
	host     string
	tls      smtpclient.TLSInfo
	code     int
	enhanced string
	reply    string
}

// hop is one server to try: an MX host (addr "" = look it up) or the
// smarthost.
type hop struct{ name, addr string }

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
	smarthost := dest == smarthostDest
	report := r.tlsSessions(c, smarthost)
	hops, dp, derr := r.hops(ctx, m, c, dest)
	if derr != nil {
		if report {
			r.sessionFailed(dest, dp, nil, "", "", derr)
		}
		return all(&result{err: derr})
	}
	var last, downgrade *result
	for _, h := range hops {
		plan, f := r.tls.ForHost(ctx, dp, h.name)
		if f != nil {
			last = &result{host: h.name, err: policyFail(f)}
			if report {
				r.sessionFailed(dest, dp, nil, h.name, "", last.err)
			}
			continue
		}
		addrsToTry, lerr := r.addrsOf(ctx, h)
		if lerr != nil {
			last = &result{host: h.name, err: lerr}
			continue
		}
		for _, a := range addrsToTry {
			sess, fellBack, derr := r.session(ctx, h.name, a, plan)
			if report {
				if derr != nil {
					r.sessionFailed(dest, dp, &plan, h.name, a, derr)
				} else {
					r.sessionOpened(dest, dp, plan, h.name, a, sess, fellBack)
				}
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
			out, reusable := r.transact(sess, h.name, m, c, addrs, smarthost)
			if reusable {
				r.pool.Put(sess)
			} else {
				sess.Close()
			}
			if !smarthost {
				r.remember(m.st.ID, dest, sess.TLS, out)
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

// hops returns the servers to try for dest in order, and the TLS policy
// that applies to them: the smarthost with its own level, or the MX hosts
// of the recipient domain with its policy (MTA-STS may drop some).
func (r *Relay) hops(ctx context.Context, m *msg, c Copy, dest string) ([]hop, tlspolicy.Domain, *DeliveryError) {
	if dest == smarthostDest {
		// DANE, MTA-STS and the downgrade memory are about recipient
		// domains' MX hosts; the smarthost's own level applies.
		host, _, _ := net.SplitHostPort(r.opts.Smarthost)
		dp := tlspolicy.Domain{Base: r.opts.SmarthostTLS, Floor: c.MinTLS}
		if m.env.RequireTLS {
			dp.Require, dp.Floor = true, tlslevel.Raise(dp.Floor, tlslevel.Verify)
		}
		return []hop{{host, r.opts.Smarthost}}, dp, nil
	}
	want := tlspolicy.Want{Floor: c.MinTLS, RequireTLS: m.env.RequireTLS, TLSRequiredNo: m.env.TLSRequiredNo, Report: c.TLSReport}
	dp, f := r.tls.ForDomain(ctx, dest, want)
	if f != nil {
		return nil, dp, policyFail(f)
	}
	hosts, secure, derr := r.lookupMXSecure(ctx, dest)
	if derr != nil {
		return nil, dp, derr
	}
	dp.MXSecure = secure
	if hosts, f = r.tls.FilterMX(dp, hosts); f != nil {
		return nil, dp, policyFail(f)
	}
	hops := make([]hop, 0, len(hosts))
	for _, h := range hosts {
		hops = append(hops, hop{name: h})
	}
	return hops, dp, nil
}

// addrsOf returns the addresses (host:port) to try for h.
func (r *Relay) addrsOf(ctx context.Context, h hop) ([]string, *DeliveryError) {
	if h.addr != "" {
		return []string{h.addr}, nil
	}
	ips, err := r.lookupIPs(ctx, h.name)
	if err != nil {
		return nil, &DeliveryError{Enhanced: "4.4.3", Msg: "host lookup failed", Host: h.name, Err: err}
	}
	addrs := make([]string, 0, len(ips))
	for _, ip := range ips {
		addrs = append(addrs, net.JoinHostPort(ip, strconv.Itoa(r.opts.MXPort)))
	}
	return addrs, nil
}

// session returns a pooled session for (name, addr, plan), or dials one.
// At may, a failed handshake is retried once in plaintext on a new
// connection (fellBack).
func (r *Relay) session(ctx context.Context, name, addr string, plan tlspolicy.Plan) (sess *smtpclient.Session, fellBack bool, derr *DeliveryError) {
	if sess := r.pool.Get(smtpclient.KeyFor(name, addr, plan)); sess != nil {
		return sess, false, nil
	}
	sess, derr = r.client.Dial(ctx, name, addr, plan)
	if derr != nil && derr.IsHandshake() && plan.Level == tlslevel.May {
		np := plan
		np.Level = tlslevel.None
		fellBack = true
		sess, derr = r.client.Dial(ctx, name, addr, np)
	}
	return sess, fellBack, derr
}

// transact runs one SMTP transaction on sess for copy c of m: AUTH to
// the smarthost once per connection, the envelope as the hop's SMTPUTF8
// allows, then MAIL, one RCPT per address, DATA (smtpclient.Session.Send).
// reusable says the session is in a known state (no transaction open) and
// may carry the next one.
func (r *Relay) transact(sess *smtpclient.Session, host string, m *msg, c Copy, addrs []string, smarthost bool) (out map[string]*result, reusable bool) {
	ti := sess.TLS
	out = make(map[string]*result, len(addrs))
	setAll := func(list []string, e *DeliveryError) {
		for _, a := range list {
			out[a] = &result{err: e, host: host, tls: ti}
		}
	}
	env := m.env
	if smarthost && r.opts.SmarthostUser != "" {
		if e := sess.Auth(r.opts.SmarthostUser, r.opts.SmarthostPassword); e != nil {
			setAll(addrs, e)
			return out, false
		}
	}
	from, rcptAddr, useUTF8, uerr := smtputf8Envelope(env, addrs, sess.Extension("SMTPUTF8"))
	if uerr != nil {
		// RFC 6531 §3.2: the message cannot be sent to this hop.
		uerr.Host = host
		setAll(addrs, uerr)
		return out, true
	}
	now := time.Now() // one stamp time for every read of the copy
	body, err := r.openCopy(m.st.ID, c, now)
	if err != nil {
		setAll(addrs, &DeliveryError{Enhanced: "4.3.0", Msg: "local error reading message", Err: err})
		return out, true
	}
	defer body.Close()
	rcpts := make([]smtpclient.Rcpt, len(addrs))
	for i, a := range addrs {
		rcpts[i] = smtpclient.Rcpt{Addr: rcptAddr[a], Opts: rcptOptions(envRecipient(env, a))}
	}
	src := &readErr{r: body}
	replies, reusable := sess.Send(from, r.mailOptions(env, c, useUTF8, sess.Extension("REQUIRETLS")), rcpts, func(w io.Writer) error {
		return r.writeBody(w, src, m.st.ID, c, now)
	})
	for i, a := range addrs {
		out[a] = &result{err: replies[i].Err, host: host, tls: ti, code: replies[i].Code, enhanced: replies[i].Enhanced, reply: replies[i].Text}
	}
	return out, reusable
}

// mailOptions are MAIL FROM's parameters for copy c of env.
func (r *Relay) mailOptions(env *envelope.Envelope, c Copy, useUTF8, hopRequireTLS bool) *smtp.MailOptions {
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
	if hopRequireTLS && env.RequireTLS {
		mo.RequireTLS = true
	}
	return mo
}

// writeBody sends the copy to w: as is, or through Options.Sign, which
// reads it twice (first is the copy already open). Write errors are told
// apart by smtpclient (the remote's fault); what is returned here beyond
// them is local: a read error of the copy or of a re-opened copy.
func (r *Relay) writeBody(w io.Writer, first *readErr, id string, c Copy, now time.Time) error {
	if r.opts.Sign == nil {
		_, err := io.Copy(w, first)
		return err
	}
	used := false
	var readers []*readErr
	open := func() (io.ReadCloser, error) {
		if !used {
			used = true
			return io.NopCloser(first), nil // closed by transact
		}
		b, err := r.openCopy(id, c, now)
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

// openCopy opens what leaves: every copy, however it was built (the
// original, a modified or encrypted copy, a released held message, a DSN),
// loses its Bcc and Resent-Bcc fields here (RFC 5322 §3.6.3), and any loop
// mark; an end-to-end encrypted copy gets a fresh mark (Options.Marker).
// The SIZE declared for the original may then be a little off the bytes
// sent: harmless, a server compares it with its limit.
func (r *Relay) openCopy(id string, c Copy, now time.Time) (io.ReadCloser, error) {
	var rc io.ReadCloser
	var err error
	if c.Name == "" {
		rc, err = r.store.OpenBody(id)
	} else {
		rc, err = r.store.OpenCopy(id, c.Name)
	}
	if err != nil {
		return nil, err
	}
	out := bcc.StripFields(rc, func(name string) bool {
		return bcc.IsField(name) || strings.EqualFold(strings.TrimRight(name, " \t"), loopmark.Name)
	})
	if r.opts.Marker != nil && (c.Method == "pgp" || c.Method == "smime") {
		pr, pw := io.Pipe()
		done := make(chan struct{})
		go func(src io.Reader) {
			defer close(done)
			pw.CloseWithError(r.opts.Marker.Stamp(pw, src, c.Method, id, now))
		}(out)
		return struct {
			io.Reader
			io.Closer
		}{pr, stampCloser{pr, done, rc}}, nil
	}
	return struct {
		io.Reader
		io.Closer
	}{out, rc}, nil
}

// stampCloser ends a stamped copy: the pipe first, so the stamping
// goroutine stops even when the reader stopped early, then, once it has,
// the copy it reads from.
type stampCloser struct {
	pr   *io.PipeReader
	done chan struct{}
	rc   io.Closer
}

func (c stampCloser) Close() error {
	c.pr.Close()
	<-c.done
	return c.rc.Close()
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
