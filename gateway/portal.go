package gateway

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/mail"
	"strings"
	"time"

	"github.com/sealgate/sealgate/config"
	"github.com/sealgate/sealgate/envelope"
	"github.com/sealgate/sealgate/gateway/audit"
	"github.com/sealgate/sealgate/gateway/portal"
	"github.com/sealgate/sealgate/gateway/portal/notice"
	"github.com/sealgate/sealgate/gateway/portal/store"
	"github.com/sealgate/sealgate/gateway/process"
	"github.com/sealgate/sealgate/gateway/relay"
)

// portalGlue is the secure portal as the stage (Deposit), the web UI
// (code emails, replies, events) and the control socket see it.
type portalGlue struct {
	g       *Gateway
	svc     *portal.Service
	notices *notice.Templates
	srv     *http.Server
	addr    string
	cancel  context.CancelFunc
}

// startPortal opens the portal store and its HTTPS listener when the
// config enables it; the stage then offers the portal method.
func (g *Gateway) startPortal(cfg *config.Config) error {
	pc := cfg.Portal
	if !pc.Enabled {
		return nil
	}
	kek, err := pc.KEK()
	if err != nil {
		return fmt.Errorf("gateway: portal key-encryption key: %w", err)
	}
	wrap, err := store.NewLocalKEK(kek)
	if err != nil {
		return fmt.Errorf("gateway: portal: %w", err)
	}
	tmpl, err := notice.Load(pc.TemplateDir, notice.Branding{OrgName: pc.OrgName, LogoURL: pc.LogoURL})
	if err != nil {
		return fmt.Errorf("gateway: portal.template_dir: %w", err)
	}
	p := &portalGlue{g: g, notices: tmpl}
	p.svc, err = portal.New(portal.Config{
		Dir: pc.Dir, KEK: wrap, DefaultExpiry: pc.Expiry, PublicURL: strings.TrimSuffix(pc.PublicURL, "/"),
		OrgName: pc.OrgName, ReplyAll: pc.ReplyAll, Log: g.log, TOTP: pc.TOTP,
	}, codeMailer{p}, portalReplies{g}, portalEvents{g})
	if err != nil {
		return fmt.Errorf("gateway: portal: %w", err)
	}
	cert, err := tls.LoadX509KeyPair(pc.CertFile, pc.KeyFile)
	if err != nil {
		p.svc.Close()
		return fmt.Errorf("gateway: portal.cert_file: %w", err)
	}
	ln, err := net.Listen("tcp", pc.Listen)
	if err != nil {
		p.svc.Close()
		return fmt.Errorf("gateway: portal.listen: %w", err)
	}
	p.addr = ln.Addr().String()
	p.srv = p.svc.HTTPServer(&tls.Config{Certificates: []tls.Certificate{cert}})
	go func() {
		if err := p.srv.ServeTLS(ln, "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
			g.log.Error("portal: listener stopped", "err", err)
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	go p.svc.Run(ctx)
	g.portal = p
	return nil
}

func (p *portalGlue) stop(ctx context.Context) error {
	if p == nil {
		return nil
	}
	p.cancel()
	err := p.srv.Shutdown(ctx)
	return errors.Join(err, p.svc.Close())
}

// PortalAddr is the portal's listening address ("" when it is off).
func (g *Gateway) PortalAddr() string {
	if g.portal == nil {
		return ""
	}
	return g.portal.addr
}

// stagePortal is what the stage gets: nil (no portal method) when off.
func (g *Gateway) stagePortal() process.Portal {
	if g.portal == nil {
		return nil
	}
	return g.portal
}

// Deposit seals msg in the portal for rcpts and builds each recipient's
// notification: from the original sender, with the link, the sender's
// name and the expiry; the subject only when the admin opted in.
func (p *portalGlue) Deposit(ctx context.Context, env *envelope.Envelope, rcpts []string, ttl time.Duration, msg io.Reader) ([][]byte, error) {
	cfg := p.g.cfg.Load()
	// The header is read first, so the landing page can show the sender's
	// name; the body then streams into the store.
	br := bufio.NewReaderSize(msg, 64<<10)
	fromName, subject := headerFields(br)
	sender := env.From
	if fromName != "" {
		sender = (&mail.Address{Name: fromName, Address: env.From}).String()
	}
	var expires time.Time // zero: portal.expiry
	if ttl > 0 {
		expires = time.Now().Add(ttl)
	}
	rec, err := p.svc.Deposit(ctx, sender, rcpts, expires, br)
	if err != nil {
		return nil, err
	}
	if len(rec.Grants) != len(rcpts) {
		return nil, fmt.Errorf("portal: %d grants for %d recipients", len(rec.Grants), len(rcpts))
	}
	if !cfg.Portal.ShowSubject {
		subject = ""
	}
	out := make([][]byte, len(rcpts))
	for i, gr := range rec.Grants {
		if !strings.EqualFold(gr.Recipient, rcpts[i]) {
			return nil, fmt.Errorf("portal: grant %d is not for recipient %d", i, i)
		}
		out[i], err = p.notices.Notification(notice.Notification{
			From: env.From, FromName: fromName, To: gr.Recipient, Link: gr.Link, Expires: gr.Expires,
			Subject: subject, Hostname: cfg.Hostname,
		})
		if err != nil {
			return nil, err
		}
	}
	// Links the sealgate message to the portal one in the audit trail.
	var exp string
	if len(rec.Grants) > 0 {
		exp = rec.Grants[0].Expires.UTC().Format(time.RFC3339)
	}
	for _, r := range rcpts {
		if err := p.g.record(audit.Event{Type: audit.TypePortal, MsgID: env.ID, MessageID: env.MessageID,
			Data: audit.Portal{Event: "deposited", PortalID: rec.ID, Recipient: r, Expires: exp}}); err != nil {
			return nil, err
		}
		p.g.metrics.portalEvent("deposited")
	}
	// Only now: the notified records find their message by the link.
	p.svc.Notified(ctx, rec)
	return out, nil
}

// headerFields peeks at the message header (at most the reader's buffer)
// and returns the From display name and the decoded Subject.
func headerFields(br *bufio.Reader) (fromName, subject string) {
	buf, _ := br.Peek(br.Size())
	if i := bytes.Index(buf, []byte("\r\n\r\n")); i >= 0 {
		buf = buf[:i+2]
	}
	m, err := mail.ReadMessage(bytes.NewReader(append(buf[:len(buf):len(buf)], "\r\n"...)))
	if err != nil {
		return "", ""
	}
	if a, err := mail.ParseAddress(m.Header.Get("From")); err == nil {
		fromName = a.Name
	}
	var dec mime.WordDecoder
	subject, _ = dec.DecodeHeader(m.Header.Get("Subject"))
	return fromName, subject
}

// codeMailer sends one-time codes: a message of sealgate's own, from the
// configured no-reply address, through the queue like a DSN.
type codeMailer struct{ p *portalGlue }

func (m codeMailer) SendCode(ctx context.Context, to, code string, expires time.Time) error {
	cfg := m.p.g.cfg.Load()
	msg, err := m.p.notices.Code(notice.Code{From: cfg.Portal.CodeFrom, To: to, Code: code, Hostname: cfg.Hostname,
		Expires: expires, ValidFor: time.Until(expires).Round(time.Minute)})
	if err != nil {
		return err
	}
	return m.p.g.sendOwn(to, msg)
}

// sendOwn queues a message sealgate wrote itself (a code email): null
// sender, no DSN about it, per-domain TLS policy. After a restart it is
// processed like a DSN (TLS required).
func (g *Gateway) sendOwn(to string, msg []byte) error {
	w, err := g.spool.NewMessage()
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		w.Abort()
		return err
	}
	env := &envelope.Envelope{Recipients: []envelope.Recipient{{Addr: to, Notify: []string{"NEVER"}}}, DSN: true, Listener: "portal"}
	if err := w.Commit(env); err != nil {
		return err
	}
	return g.relay.Submit(w.ID(), []relay.Copy{{Recipients: []string{to}}})
}

// portalReplies takes a recipient's reply into the pipeline as a new
// message: recorded as received, then decided by the policy like any mail
// (it is likely PHI, and the sender's own domain gets it protected).
type portalReplies struct{ g *Gateway }

func (r portalReplies) Submit(ctx context.Context, from string, to []string, msg io.Reader) error {
	g := r.g
	cfg := g.cfg.Load()
	w, err := g.spool.NewMessage()
	if err != nil {
		return err
	}
	n, err := io.Copy(w, io.LimitReader(msg, int64(cfg.Limits.MaxMessageSize)+1))
	if err != nil {
		w.Abort()
		return err
	}
	if n > int64(cfg.Limits.MaxMessageSize) {
		w.Abort()
		return fmt.Errorf("portal: reply larger than limits.max_message_size")
	}
	env := &envelope.Envelope{From: from, Listener: "portal", Size: n}
	for _, t := range to {
		env.Recipients = append(env.Recipients, envelope.Recipient{Addr: t})
	}
	env.ID = w.ID()
	if err := g.recordReceived(env); err != nil {
		w.Abort()
		return err
	}
	if err := w.Commit(env); err != nil {
		return err
	}
	return g.stage.Accept(ctx, env)
}

// portalEvents writes the portal's events to the audit log.
type portalEvents struct{ g *Gateway }

func (e portalEvents) PortalEvent(ev portal.Event) error {
	e.g.metrics.portalEvent(strings.TrimPrefix(ev.Kind, "portal."))
	return e.g.record(audit.Event{Type: audit.TypePortal, Data: audit.Portal{
		Event: strings.TrimPrefix(ev.Kind, "portal."), PortalID: ev.MessageID, Recipient: ev.Recipient,
		Part: ev.Part, Failures: ev.Failures,
	}})
}
