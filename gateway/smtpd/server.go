package smtpd

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/sealgate/sealgate/envelope"
)

// MessageWriter receives one message's bytes. Commit makes it durable (and
// must not return before it is); Abort discards it.
type MessageWriter interface {
	io.Writer
	ID() string
	Commit(env *envelope.Envelope) error
	Abort() error
}

// Store hands out MessageWriters; the gateway adapts *spool.Spool to it.
type Store interface {
	NewMessage() (MessageWriter, error)
}

// AcceptedFunc is called after a message was committed and before the 250 is
// written; the gateway records it in the audit log there. A non-nil error
// means the message must not be acknowledged: the client gets 451 4.3.0 (or
// the *smtp.SMTPError returned) and the AcceptedFunc has already undone the
// commit. It must not block for long.
type AcceptedFunc func(env *envelope.Envelope) error

// Rejection describes one refused command or message, for the audit log.
// It carries codes and addresses, never message content.
type Rejection struct {
	Stage      string // connect, auth, mail, rcpt, data
	Reason     string // the metrics reason: relay_denied, size, smuggling, ...
	Code       int
	Enhanced   string
	Listener   string
	ClientIP   string
	From       string
	Recipients []string
	MsgID      string // set when the refusal came after a spool ID was allocated
}

// Server is one SMTP ingress listener.
type Server struct {
	cfg      atomic.Pointer[config]
	store    Store
	accepted AcceptedFunc
	metrics  *metrics
	limiter  *authLimiter

	mu        sync.Mutex
	closed    bool
	listeners map[net.Listener]struct{}
	conns     map[net.Conn]struct{} // open connections, closed by Close
	total     int
	perIP     map[netip.Addr]int
	wg        sync.WaitGroup
}

// New validates opts and returns a Server that is not yet listening.
func New(opts Options, store Store, accepted AcceptedFunc) (*Server, error) {
	if store == nil {
		return nil, errors.New("smtpd: nil Store")
	}
	cfg, err := buildConfig(opts)
	if err != nil {
		return nil, err
	}
	m, err := newMetrics(opts.Registerer)
	if err != nil {
		return nil, err
	}
	if accepted == nil {
		accepted = func(*envelope.Envelope) error { return nil }
	}
	s := &Server{
		store:     store,
		accepted:  accepted,
		metrics:   m,
		limiter:   newAuthLimiter(authFailWindow),
		listeners: make(map[net.Listener]struct{}),
		conns:     make(map[net.Conn]struct{}),
		perIP:     make(map[netip.Addr]int),
	}
	s.cfg.Store(cfg)
	return s, nil
}

// Update swaps access lists, users, limits, the logger and the TLS
// certificate for connections accepted from now on; open connections keep
// the options they started with. Name, ImplicitTLS and Registerer changes
// need a restart (a new Server on a new listener).
func (s *Server) Update(opts Options) error {
	old := s.cfg.Load()
	if opts.ImplicitTLS != old.opts.ImplicitTLS {
		return errors.New("smtpd: ImplicitTLS cannot change without a restart")
	}
	if opts.Name != old.opts.Name {
		return errors.New("smtpd: Name cannot change without a restart")
	}
	cfg, err := buildConfig(opts)
	if err != nil {
		return err
	}
	s.cfg.Store(cfg)
	return nil
}

// Serve accepts connections on l until Close. It returns nil after Close.
func (s *Server) Serve(l net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		l.Close()
		return nil
	}
	s.listeners[l] = struct{}{}
	s.mu.Unlock()

	var delay time.Duration
	for {
		raw, err := l.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed {
				return nil
			}
			if errors.Is(err, net.ErrClosed) {
				return fmt.Errorf("smtpd: accept: %w", err)
			}
			// EMFILE and friends: back off rather than spin.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			s.cfg.Load().log.Warn("smtpd: accept failed, retrying", "err", err, "delay", delay)
			time.Sleep(delay)
			continue
		}
		delay = 0
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.handle(raw)
		}()
	}
}

// Close stops accepting, closes every connection and waits for their
// goroutines. A message not yet answered 250 is not committed.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	var errs []error
	for l := range s.listeners {
		if err := l.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	if len(errs) > 0 {
		return fmt.Errorf("smtpd: close: %w", errors.Join(errs...))
	}
	return nil
}

func addrOf(a net.Addr) netip.Addr {
	if ta, ok := a.(*net.TCPAddr); ok {
		if ip, ok := netip.AddrFromSlice(ta.IP); ok {
			return ip.Unmap()
		}
	}
	if ap, err := netip.ParseAddrPort(a.String()); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}

func (c *config) allowedIP(ip netip.Addr) bool {
	for _, p := range c.opts.AllowNets {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// admit counts the connection against the total and per-IP limits.
func (s *Server) admit(ip netip.Addr, cfg *config) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.total >= cfg.opts.MaxConns || s.perIP[ip] >= cfg.opts.MaxConnsPerIP {
		return false
	}
	s.total++
	s.perIP[ip]++
	return true
}

func (s *Server) release(ip netip.Addr) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.total--
	if s.perIP[ip]--; s.perIP[ip] <= 0 {
		delete(s.perIP, ip)
	}
}

func (s *Server) handle(raw net.Conn) {
	cfg := s.cfg.Load()
	ip := addrOf(raw.RemoteAddr())
	log := cfg.log.With("listener", cfg.opts.Name, "client_ip", ip.String())
	s.metrics.conn(cfg.opts.Name)
	defer s.metrics.connDone()

	if !s.admit(ip, cfg) {
		s.metrics.reject(cfg.opts.Name, "ratelimit")
		cfg.opts.onReject(Rejection{Stage: "connect", Reason: "ratelimit", Code: 421, Enhanced: "4.7.0", Listener: cfg.opts.Name, ClientIP: ip.String()})
		log.Info("smtpd: connection refused", "reason", "ratelimit", "code", 421)
		s.refuse(raw, cfg, "too many connections, try again later")
		return
	}
	defer s.release(ip)
	if !cfg.allowedIP(ip) && s.limiter.limited(ip.String(), cfg.opts.AuthFailLimit) {
		s.metrics.reject(cfg.opts.Name, "ratelimit")
		cfg.opts.onReject(Rejection{Stage: "connect", Reason: "auth_failures", Code: 421, Enhanced: "4.7.0", Listener: cfg.opts.Name, ClientIP: ip.String()})
		log.Info("smtpd: connection refused", "reason", "auth_failures", "code", 421)
		s.refuse(raw, cfg, "too many failed authentications, try again later")
		return
	}

	done := make(chan struct{})
	var once sync.Once
	nc := &notifyConn{Conn: raw, onClose: func() { once.Do(func() { close(done) }) }}
	guard := &guardConn{Conn: nc, host: cfg.opts.Hostname, end: time.Now().Add(cfg.opts.MaxSessionTime),
		maxCmds: cfg.opts.MaxCommands, log: func(why string) {
			s.metrics.reject(cfg.opts.Name, why)
			log.Info("smtpd: connection dropped", "reason", why, "code", 421)
		}}
	var conn net.Conn = guard
	if cfg.opts.ImplicitTLS {
		conn = tls.Server(conn, cfg.tls)
	}
	guard.top = conn
	tap := newConnTap(cfg.opts.MaxLineLength)
	srv := smtp.NewServer(&backend{srv: s, cfg: cfg, tap: tap, guard: guard, ip: ip, log: log})
	srv.Domain = cfg.opts.Hostname
	srv.TLSConfig = cfg.tls
	srv.MaxMessageBytes = cfg.opts.MaxMessageBytes
	srv.MaxLineLength = cfg.opts.MaxLineLength
	// Enforced in Rcpt so that refusals are logged and counted.
	srv.MaxRecipients = 0
	srv.ReadTimeout = cfg.opts.CommandTimeout
	srv.WriteTimeout = cfg.opts.CommandTimeout
	srv.AllowInsecureAuth = false
	srv.EnableSMTPUTF8 = true
	srv.EnableDSN = true
	srv.EnableREQUIRETLS = true
	srv.Debug = tap
	srv.ErrorLog = errorLog{log}

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		conn.Close()
		return
	}
	s.conns[nc] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.conns, nc)
		s.mu.Unlock()
	}()

	if tc, ok := conn.(*tls.Conn); ok {
		// Handshake before go-smtp starts, so that guardConn never writes
		// on a TLS connection that is still in its handshake.
		nc.SetDeadline(time.Now().Add(cfg.opts.CommandTimeout))
		if err := tc.Handshake(); err != nil {
			log.Debug("smtpd: TLS handshake failed", "err", err)
			nc.Close()
			return
		}
	}

	// go-smtp has no per-connection entry point, so each connection gets
	// its own smtp.Server on a one-connection listener. That also gives
	// each connection its own Debug tap and its own snapshot of the options.
	srv.Serve(&oneConnListener{conn: conn, done: done})
	// Serve returns when the connection closed; wait for its handler.
	srv.Shutdown(context.Background())
}

// refuse answers 421 4.7.0 and closes. On an implicit-TLS port the reply
// has to go inside TLS.
func (s *Server) refuse(raw net.Conn, cfg *config, why string) {
	defer raw.Close()
	var c net.Conn = raw
	deadline := time.Now().Add(10 * time.Second)
	c.SetDeadline(deadline)
	if cfg.opts.ImplicitTLS {
		tc := tls.Server(raw, cfg.tls)
		if err := tc.Handshake(); err != nil {
			return
		}
		c = tc
	}
	fmt.Fprintf(c, "421 4.7.0 %s %s\r\n", cfg.opts.Hostname, why)
}

// notifyConn tells the one-connection listener that the connection closed.
type notifyConn struct {
	net.Conn
	onClose func()
}

func (c *notifyConn) Close() error {
	c.onClose()
	return c.Conn.Close()
}

type oneConnListener struct {
	mu   sync.Mutex
	conn net.Conn
	done chan struct{}
}

func (l *oneConnListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	c := l.conn
	l.conn = nil
	l.mu.Unlock()
	if c != nil {
		return c, nil
	}
	<-l.done
	return nil, net.ErrClosed
}

func (l *oneConnListener) Close() error { return nil }

func (l *oneConnListener) Addr() net.Addr { return &net.TCPAddr{} }

// errorLog routes go-smtp's internal errors (never message content) to slog.
type errorLog struct{ log *slog.Logger }

func (e errorLog) Printf(format string, v ...any) {
	e.log.Debug("smtpd: go-smtp", "detail", fmt.Sprintf(format, v...))
}

func (e errorLog) Println(v ...any) { e.log.Debug("smtpd: go-smtp", "detail", fmt.Sprint(v...)) }
