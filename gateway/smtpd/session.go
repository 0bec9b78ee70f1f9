package smtpd

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"syscall"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/sealgate/sealgate/envelope"
	"github.com/sealgate/sealgate/gateway/spool"
	"github.com/sealgate/sealgate/internal/msgscan"
	"github.com/sealgate/sealgate/internal/smtpaddr"
)

// backend makes one session per EHLO (and a fresh one after STARTTLS).
type backend struct {
	srv   *Server
	cfg   *config
	tap   *connTap
	guard *guardConn
	ip    netip.Addr
	log   *slog.Logger
}

func (b *backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	b.guard.setSMTPConn(c)
	if why, reply, ok := b.guard.expired(); ok {
		b.guard.drop(c.Conn(), why, reply)
		return nil, errDroppedReply
	}
	s := &session{
		srv:   b.srv,
		cfg:   b.cfg,
		tap:   b.tap,
		guard: b.guard,
		conn:  c,
		ip:    b.ip,
		helo:  c.Hostname(),
		log:   b.log,
	}
	if strings.ContainsFunc(s.helo, isControl) {
		return nil, errControl
	}
	s.relayByIP = b.cfg.allowedIP(b.ip)
	if st, ok := c.TLSConnectionState(); ok {
		s.tls = &st
		s.certID = b.cfg.matchCert(st)
	}
	return s, nil
}

// matchCert returns "cert:<sha256>" when the client presented a certificate
// that is allowed by fingerprint or by name. Names count only on a chain
// verified against ClientCAs (crypto/tls did that for VerifyClientCertIfGiven).
func (c *config) matchCert(st tls.ConnectionState) string {
	if len(st.PeerCertificates) == 0 {
		return ""
	}
	leaf := st.PeerCertificates[0]
	sum := sha256.Sum256(leaf.Raw)
	fp := hex.EncodeToString(sum[:])
	if c.tls != nil && c.tls.ClientCAs != nil && len(st.VerifiedChains) == 0 {
		// RequestClientCert would not verify; never trust an unverified
		// chain when the operator named CAs.
		if _, err := leaf.Verify(x509.VerifyOptions{
			Roots: c.tls.ClientCAs, Intermediates: intermediates(st.PeerCertificates),
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		}); err != nil {
			return ""
		}
	}
	if c.certFPs[fp] {
		return "cert:" + fp
	}
	if len(c.certNames) > 0 && len(st.VerifiedChains) > 0 {
		if c.certNames[strings.ToLower(leaf.Subject.CommonName)] {
			return "cert:" + fp
		}
		for _, n := range leaf.DNSNames {
			if c.certNames[strings.ToLower(n)] {
				return "cert:" + fp
			}
		}
	}
	return ""
}

func intermediates(certs []*x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range certs[1:] {
		p.AddCert(c)
	}
	return p
}

type session struct {
	srv       *Server
	cfg       *config
	tap       *connTap
	guard     *guardConn
	conn      *smtp.Conn
	ip        netip.Addr
	helo      string
	log       *slog.Logger
	tls       *tls.ConnectionState
	certID    string
	authUser  string
	relayByIP bool

	env        *envelope.Envelope // current transaction, nil before MAIL
	utf8Local  bool               // an address of env has a non-ASCII local part
	closeAfter bool               // close the connection once the reply is out
}

func smtpErr(code int, ec smtp.EnhancedCode, msg string) *smtp.SMTPError {
	return &smtp.SMTPError{Code: code, EnhancedCode: ec, Message: msg}
}

func (s *session) reject(reason string, e *smtp.SMTPError, attrs ...any) *smtp.SMTPError {
	s.srv.metrics.reject(s.cfg.opts.Name, reason)
	s.recordReject(reason, e, "")
	s.log.Info("smtpd: rejected", append([]any{"reason", reason, "code", e.Code,
		"enhanced", fmt.Sprintf("%d.%d.%d", e.EnhancedCode[0], e.EnhancedCode[1], e.EnhancedCode[2])}, attrs...)...)
	return e
}

// recordReject tells the audit hook; stage follows from the transaction state.
func (s *session) recordReject(reason string, e *smtp.SMTPError, msgID string) {
	if s.cfg.opts.OnReject == nil {
		return
	}
	r := Rejection{Reason: reason, Code: e.Code, Listener: s.cfg.opts.Name, ClientIP: s.ip.String(), MsgID: msgID,
		Enhanced: fmt.Sprintf("%d.%d.%d", e.EnhancedCode[0], e.EnhancedCode[1], e.EnhancedCode[2])}
	switch {
	case msgID != "" || reason == "spool":
		r.Stage = "data"
	case reason == "auth" || (reason == "ratelimit" && s.env == nil):
		r.Stage = "auth"
	case s.env == nil:
		r.Stage = "mail"
	default:
		r.Stage = "rcpt"
	}
	if s.env != nil {
		r.From = s.env.From
		r.Recipients = s.env.Addrs()
	}
	s.cfg.opts.OnReject(r)
}

func (s *session) AuthMechanisms() []string {
	if len(s.cfg.users) == 0 {
		return nil
	}
	return []string{sasl.Plain, sasl.Login}
}

func (s *session) Auth(mech string) (sasl.Server, error) {
	if e := s.stopped(); e != nil {
		return nil, e
	}
	if strings.ContainsFunc(mech, isControl) {
		return nil, s.reject("syntax", errControl)
	}
	if s.srv.limiter.limited(s.ip.String(), s.cfg.opts.AuthFailLimit) {
		return nil, s.reject("ratelimit", smtpErr(454, smtp.EnhancedCode{4, 7, 0}, "Too many failed authentications, try again later"))
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(identity, username, password string) error {
			if identity != "" && identity != username {
				return s.authFailed(username)
			}
			return s.checkPassword(username, password)
		}), nil
	case sasl.Login:
		return &loginServer{auth: s.checkPassword}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

func (s *session) checkPassword(username, password string) error {
	if e := s.stopped(); e != nil {
		// A timed-out fragment of a SASL response is never checked.
		return e
	}
	h, ok := s.cfg.users[username]
	if !ok || !h.Verify(password) {
		return s.authFailed(username)
	}
	s.authUser = username
	s.log.Info("smtpd: authenticated", "user", username)
	return nil
}

func (s *session) authFailed(username string) error {
	s.srv.limiter.fail(s.ip.String())
	return s.reject("auth", smtp.ErrAuthFailed, "user", username)
}

func (s *session) Mail(from string, opts *smtp.MailOptions) error {
	// Take this command's raw line first, whatever the answer: a line left
	// queued could be taken for a later one.
	c, ok := s.tap.takeCmd(true, from)
	if e := s.stopped(); e != nil {
		return e
	}
	if s.cfg.opts.RequireTLS && s.tls == nil {
		return s.reject("tls_required", smtpErr(530, smtp.EnhancedCode{5, 7, 0}, "Must issue a STARTTLS command first"))
	}
	if opts.RequireTLS && s.tls == nil {
		// RFC 8689 §4.1: REQUIRETLS is only valid on a TLS session.
		return s.reject("syntax", smtpErr(530, smtp.EnhancedCode{5, 7, 10}, "REQUIRETLS needs TLS"))
	}
	if strings.ContainsFunc(s.conn.Hostname(), isControl) {
		// A later EHLO renames the session without asking NewSession.
		return s.reject("syntax", errControl)
	}
	addr, e := parsedPath(true, c, ok, opts.UTF8)
	if e != nil {
		return s.reject("syntax", e)
	}
	from = addr.String()
	s.utf8Local = !addr.LocalASCII()
	if !s.cfg.opts.senderAllowed(addr) {
		return s.reject("sender_domain", smtpErr(550, smtp.EnhancedCode{5, 7, 1}, "Sender domain not allowed through this gateway"), "from_domain", addr.Domain)
	}
	if h := s.cfg.opts.Healthy; h != nil {
		if err := h(); err != nil {
			return s.reject("unavailable", smtpErr(451, smtp.EnhancedCode{4, 3, 0}, "Service temporarily unavailable, try again later"), "err", err)
		}
	}
	env := &envelope.Envelope{
		From:       from,
		Listener:   s.cfg.opts.Name,
		ClientIP:   s.ip.String(),
		ClientHelo: s.helo,
		Ret:        string(opts.Return),
		EnvID:      opts.EnvelopeID,
		SMTPUTF8:   opts.UTF8,
		Body8Bit:   opts.Body == smtp.Body8BitMIME,
		RequireTLS: opts.RequireTLS,
	}
	switch {
	case s.authUser != "":
		env.AuthUser = s.authUser
	case s.certID != "":
		env.AuthUser = s.certID
	}
	if s.tls != nil {
		env.TLSVersion = tls.VersionName(s.tls.Version)
		env.TLSCipher = tls.CipherSuiteName(s.tls.CipherSuite)
	}
	s.env = env
	return nil
}

func (s *session) Rcpt(to string, opts *smtp.RcptOptions) error {
	c, ok := s.tap.takeCmd(false, to) // first, as in Mail
	if e := s.stopped(); e != nil {
		return e
	}
	if s.env == nil {
		return smtpErr(503, smtp.EnhancedCode{5, 5, 1}, "MAIL first")
	}
	if len(s.env.Recipients) >= s.cfg.opts.MaxRecipients {
		return s.reject("recipients", smtpErr(452, smtp.EnhancedCode{4, 5, 3},
			fmt.Sprintf("Too many recipients (max %d)", s.cfg.opts.MaxRecipients)))
	}
	// Forms that route through us to somewhere else are refused for
	// everyone, authenticated or not: a smarthost never needs them.
	if ok && c.err == nil && c.routed {
		return s.reject("relay_denied", smtpErr(554, smtp.EnhancedCode{5, 7, 1}, "Source routes are not accepted"), "rcpt", to)
	}
	addr, e := parsedPath(false, c, ok, s.env.SMTPUTF8)
	if e != nil {
		return s.reject("syntax", e, "rcpt", to)
	}
	to = addr.String()
	rcptUTF8 := !addr.LocalASCII()
	if strings.ContainsAny(addr.Local, "@%!") {
		return s.reject("relay_denied", smtpErr(554, smtp.EnhancedCode{5, 7, 1}, "Relaying via %, ! or @ in the local part is not accepted"), "rcpt", to)
	}
	if !s.relayByIP && s.authUser == "" && s.certID == "" {
		return s.reject("relay_denied", smtpErr(554, smtp.EnhancedCode{5, 7, 1}, "Relay access denied"), "rcpt", to)
	}
	r := envelope.Recipient{Addr: to}
	for _, n := range opts.Notify {
		r.Notify = append(r.Notify, string(n))
	}
	if opts.OriginalRecipient != "" {
		r.ORCPT = string(opts.OriginalRecipientType) + ";" + opts.OriginalRecipient
	}
	s.env.Recipients = append(s.env.Recipients, r)
	s.utf8Local = s.utf8Local || rcptUTF8
	return nil
}

// errDroppedReply is returned by a hook after guardConn.drop answered and
// closed; go-smtp's attempt to write it fails on the closed connection.
var errDroppedReply = smtpErr(421, smtp.EnhancedCode{4, 4, 2}, "Closing")

// stopped answers 421 and closes when the command must not run: it may be
// an unterminated fragment left by a read timeout, or the session is over.
func (s *session) stopped() *smtp.SMTPError {
	why, reply, ok := s.guard.expired()
	if !ok {
		return nil
	}
	s.guard.drop(s.conn.Conn(), why, reply)
	return errDroppedReply
}

var errControl = smtpErr(501, smtp.EnhancedCode{5, 5, 2}, "Control characters are not allowed in commands")

// parsedPath checks the MAIL (mail=true) or RCPT path the client sent, as
// smtpaddr parsed it from the raw line the tap kept (c, found by go-smtp's
// own reading; ok false if none). utf8 is whether the transaction has the
// SMTPUTF8 parameter.
func parsedPath(mail bool, c tapCmd, ok bool, utf8 bool) (smtpaddr.Address, *smtp.SMTPError) {
	// RFC 3463: 5.1.7 bad sender address syntax, 5.1.3 bad destination.
	syntax := smtp.EnhancedCode{5, 1, 3}
	if mail {
		syntax = smtp.EnhancedCode{5, 1, 7}
	}
	if !ok {
		// No raw line to check (never expected): refuse rather than trust
		// go-smtp's unquoted reading.
		return smtpaddr.Address{}, smtpErr(501, syntax, "Address could not be parsed")
	}
	switch {
	case errors.Is(c.err, smtpaddr.ErrControl):
		return smtpaddr.Address{}, errControl
	case errors.Is(c.err, errParamUTF8):
		return smtpaddr.Address{}, smtpErr(501, smtp.EnhancedCode{5, 5, 4}, "Parameters are not valid UTF-8")
	case errors.Is(c.err, smtpaddr.ErrUTF8):
		return smtpaddr.Address{}, smtpErr(553, syntax, "Address is not valid UTF-8")
	case c.err != nil:
		return smtpaddr.Address{}, smtpErr(501, syntax, "Address syntax error (RFC 5321 §4.1.2)")
	case c.addr.IsNull() && !mail:
		return smtpaddr.Address{}, smtpErr(501, syntax, "Address needs a local part and a domain")
	case c.addr.NeedsSMTPUTF8() && !utf8:
		// RFC 6531 §3.4.
		return smtpaddr.Address{}, smtpErr(553, smtp.EnhancedCode{5, 6, 7}, "Non-ASCII address needs the SMTPUTF8 parameter")
	}
	return c.addr, nil
}

func (s *session) Reset() {
	s.env = nil
	// RSET and a later EHLO land here; a timed-out fragment of either
	// must not be answered.
	s.stopped()
	if s.closeAfter {
		// go-smtp calls Reset after writing the DATA/BDAT reply.
		s.conn.Conn().Close()
	}
}

// Logout: go-smtp calls it after a STARTTLS handshake (and at the end).
// Lines the tap saw after STARTTLS in plain text were injected, and go-smtp
// discarded them (CVE-2011-0411); the tap forgets them too.
func (s *session) Logout() error {
	s.tap.restart()
	return nil
}

// storeErr maps a store failure to a temporary reply. It must be an
// unwrapped *smtp.SMTPError: go-smtp turns anything else into a 554.
func storeErr(err error) *smtp.SMTPError {
	if isNoSpace(err) {
		return smtpErr(452, smtp.EnhancedCode{4, 3, 1}, "Insufficient system storage, try again later")
	}
	return smtpErr(451, smtp.EnhancedCode{4, 3, 0}, "Temporary local problem, try again later")
}

func isNoSpace(err error) bool {
	return errors.Is(err, spool.ErrNoSpace) || errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

var errSmuggling = smtpErr(550, smtp.EnhancedCode{5, 6, 0}, "bare CR or LF in message data refused")

func (s *session) Data(r io.Reader) error {
	start := time.Now()
	env := s.env
	if env == nil || len(env.Recipients) == 0 {
		return smtpErr(503, smtp.EnhancedCode{5, 5, 1}, "No valid recipients")
	}
	// Every MAIL and RCPT line before DATA has been answered; what the tap
	// sees from here on is message data.
	s.tap.forgetCmds()
	_, isBDAT := r.(*io.PipeReader)
	if !isBDAT {
		if e := s.stopped(); e != nil {
			// "DATA" was a timed-out fragment (go-smtp already sent 354).
			return e
		}
		// go-smtp only sets a deadline per command line; bound the whole
		// transfer. BDAT chunks are bounded by the command timeout each.
		s.guard.setDataDeadline(start.Add(s.cfg.opts.DataTimeout), true)
		defer func() { s.guard.setDataDeadline(time.Now().Add(s.cfg.opts.CommandTimeout), false) }()
	} else if why, _, ok := s.guard.expired(); ok {
		// Data runs beside go-smtp's reader for BDAT: no writing here; the
		// guard answers at the next command.
		io.Copy(io.Discard, r)
		return s.reject(why, smtpErr(421, smtp.EnhancedCode{4, 4, 2}, "Closing"))
	}

	w, err := s.srv.store.NewMessage()
	if err != nil {
		io.Copy(io.Discard, r)
		return s.reject("spool", storeErr(err), "err", err)
	}
	id := w.ID()
	log := s.log.With("msg_id", id)
	fail := func(reason string, e *smtp.SMTPError, attrs ...any) error {
		if aerr := w.Abort(); aerr != nil {
			log.Warn("smtpd: abort failed", "err", aerr)
		}
		s.srv.metrics.reject(s.cfg.opts.Name, reason)
		s.recordReject(reason, e, id)
		log.Info("smtpd: message refused", append([]any{"reason", reason, "code", e.Code}, attrs...)...)
		return e
	}

	cw := &countWriter{w: w}
	_, werr := io.WriteString(cw, s.receivedHeader(id, start))
	sc := msgscan.New()
	buf := make([]byte, 32*1024)
	for {
		n, rerr := r.Read(buf)
		if n > 0 {
			sc.Scan(buf[:n])
			if werr == nil && !sc.Bare {
				_, werr = cw.Write(buf[:n])
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			var se *smtp.SMTPError
			if errors.As(rerr, &se) { // too large
				io.Copy(io.Discard, r)
				return fail("size", se)
			}
			if errors.Is(rerr, smtp.ErrTooLongLine) {
				// Permanent (docs/config.md), or the upstream retries the
				// same message forever; the stream is lost mid-line.
				s.closeAfter = true
				return fail("line_length", smtpErr(500, smtp.EnhancedCode{5, 4, 0}, "Line too long, closing connection"))
			}
			var ne net.Error
			if errors.As(rerr, &ne) && ne.Timeout() {
				// The stream is mid-message: nothing sane can follow.
				c := s.conn.Conn()
				c.SetWriteDeadline(time.Now().Add(10 * time.Second))
				fmt.Fprintf(c, "421 4.4.2 %s data timeout, closing\r\n", s.cfg.opts.Hostname)
				c.Close()
				return fail("timeout", smtpErr(421, smtp.EnhancedCode{4, 4, 2}, "Data timeout"))
			}
			return fail("aborted", smtpErr(451, smtp.EnhancedCode{4, 3, 0}, "Transfer aborted"), "err", rerr)
		}
	}
	sc.Finish()

	if sc.Bare || s.tap.sawDotCR() {
		s.closeAfter = true
		return fail("smuggling", errSmuggling)
	}
	if sc.Received > s.cfg.opts.MaxReceived {
		return fail("loop", smtpErr(554, smtp.EnhancedCode{5, 4, 6}, "Too many Received headers (mail loop?)"), "received", sc.Received)
	}
	if werr != nil {
		return fail("spool", storeErr(werr), "err", werr)
	}
	env.Received = start
	env.MessageID = sc.MessageID()
	env.TLSRequiredNo = sc.TLSRequiredNo
	env.Body8Bit = env.Body8Bit || sc.EightBit
	// Like Postfix's smtputf8_autodetect_classes: the next hop must offer
	// SMTPUTF8 only if the message really needs it (a UTF-8 local part or
	// UTF-8 header fields), not because the client offered the parameter
	// on ASCII mail. A non-ASCII domain alone travels as A-labels.
	env.SMTPUTF8 = env.SMTPUTF8 && (s.utf8Local || sc.HeaderEightBit)
	env.Size = cw.n
	env.ID = id
	if bc := s.cfg.opts.BeforeCommit; bc != nil {
		if err := bc(env); err != nil {
			return fail("audit", smtpErr(451, smtp.EnhancedCode{4, 3, 0}, "Temporary local problem, try again later"), "err", err)
		}
	}
	if err := w.Commit(env); err != nil {
		return fail("spool", storeErr(err), "err", err)
	}
	lat := time.Since(start)
	if err := s.srv.accepted(env); err != nil {
		s.env = nil
		var se *smtp.SMTPError
		if !errors.As(err, &se) {
			se = smtpErr(451, smtp.EnhancedCode{4, 3, 0}, "Temporary local problem, try again later")
		}
		reason := "audit"
		if se.Code >= 500 {
			reason = "policy"
			log.Info("smtpd: message refused by policy", "code", se.Code)
		} else {
			log.Error("smtpd: accepted message could not be processed; refused with a temporary error", "err", err)
		}
		s.srv.metrics.reject(s.cfg.opts.Name, reason)
		// The message was committed and then refused: the audit log gets
		// the outcome of its "received" record (a policy block is already
		// recorded as a decision).
		if se.Code < 500 {
			s.recordReject(reason, se, id)
		}
		return smtpErr(se.Code, se.EnhancedCode, se.Message)
	}
	s.srv.metrics.accept(s.cfg.opts.Name, lat.Seconds())
	log.Info("smtpd: accepted", "recipients", len(env.Recipients), "size", env.Size,
		"auth_user", env.AuthUser, "tls", env.TLSVersion, "latency_ms", lat.Milliseconds())
	s.env = nil
	// The queue ID in the reply, as Postfix gives it, lets the upstream's
	// message trace (M365, Workspace) be matched to sealgate's msg_id.
	// go-smtp writes a returned *SMTPError as is, and a 250 is a 250.
	return &smtp.SMTPError{Code: 250, EnhancedCode: smtp.EnhancedCode{2, 0, 0}, Message: "Ok: queued as " + id}
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// receivedHeader is our trace field (RFC 5321 §4.4). It never names the
// recipient: with many recipients that would leak them to each other.
func (s *session) receivedHeader(id string, t time.Time) string {
	proto := "ESMTP"
	if s.tls != nil {
		proto += "S"
	}
	if s.authUser != "" {
		proto += "A" // RFC 3848
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Received: from %s ([%s])\r\n\tby %s (sealgate) with %s id %s",
		sanitizeHelo(s.helo), s.ip, s.cfg.opts.Hostname, proto, id)
	if s.tls != nil {
		fmt.Fprintf(&b, "\r\n\t(version=%s cipher=%s)",
			strings.ReplaceAll(tls.VersionName(s.tls.Version), " ", ""), tls.CipherSuiteName(s.tls.CipherSuite))
	}
	fmt.Fprintf(&b, ";\r\n\t%s\r\n", t.Format(time.RFC1123Z))
	return b.String()
}

// sanitizeHelo keeps the client's HELO from breaking our header syntax.
func sanitizeHelo(h string) string {
	if h == "" {
		return "unknown"
	}
	if len(h) > 255 {
		h = h[:255]
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9',
			r == '.', r == '-', r == '_', r == ':', r == '[', r == ']':
			return r
		}
		return '_'
	}, h)
}
