// Package capture is a small SMTP sink that keeps every message it receives
// in memory, with a web page listing them. The demo relays into it, and the
// integration tests use it as sealgate's next hop. It is not a mail store:
// it keeps at most Max messages and forgets them on exit.
package capture

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"
)

// Message is one captured transaction.
type Message struct {
	Seq        int
	Received   time.Time
	From       string
	Recipients []string
	Data       []byte
	TLS        string // negotiated TLS version, "" for plaintext
	// ServerName is the name the client asked for (SNI): the name it
	// verified the certificate against, if it verified. NameMatches says
	// the sink's certificate is valid for that name, so a client that
	// checks certificates could verify this connection.
	ServerName  string
	NameMatches bool
}

// Sink is an SMTP server that captures messages.
type Sink struct {
	// Max is how many messages are kept (oldest dropped); 0 means 1000.
	Max int

	mu       sync.Mutex
	msgs     []Message
	seq      int
	notify   chan struct{}
	failRcpt map[string]*smtp.SMTPError
	failAll  *smtp.SMTPError
	srv      *smtp.Server
	l        net.Listener
	addr     string
	down     atomic.Bool
	held     func() []Held
	leaf     *x509.Certificate // the certificate the sink presents
}

// SetHeld gives the web page a list of what the gateway holds.
func (s *Sink) SetHeld(f func() []Held) {
	s.mu.Lock()
	s.held = f
	s.mu.Unlock()
}

// Held is one recipient the gateway holds instead of sending, and why.
type Held struct {
	MsgID, Recipient, Reason string
}

// New returns a sink; tlsConfig may be nil (no STARTTLS offered).
func New(hostname string, tlsConfig *tls.Config) *Sink {
	s := &Sink{notify: make(chan struct{}), failRcpt: map[string]*smtp.SMTPError{}}
	if tlsConfig != nil && len(tlsConfig.Certificates) > 0 && len(tlsConfig.Certificates[0].Certificate) > 0 {
		s.leaf, _ = x509.ParseCertificate(tlsConfig.Certificates[0].Certificate[0])
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{sink: s, conn: c}, nil
	}))
	srv.Domain = hostname
	srv.TLSConfig = tlsConfig
	srv.EnableSMTPUTF8 = true
	srv.EnableDSN = true
	srv.EnableREQUIRETLS = true
	srv.ReadTimeout = time.Minute
	srv.WriteTimeout = time.Minute
	s.srv = srv
	return s
}

// Listen starts serving on addr ("127.0.0.1:0" for an ephemeral port) and
// returns the bound address.
func (s *Sink) Listen(addr string) (string, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return "", err
	}
	s.addr = l.Addr().String()
	s.l = l
	go s.srv.Serve(downListener{l, s})
	return s.addr, nil
}

// SetDown makes the sink behave like a host that is down while keeping its
// port: every connection is closed at once, before the greeting. Tests use
// it instead of a closed port, which another process could take meanwhile.
func (s *Sink) SetDown(down bool) { s.down.Store(down) }

type downListener struct {
	net.Listener
	s *Sink
}

func (l downListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil || !l.s.down.Load() {
			return c, err
		}
		c.Close()
	}
}

// Addr is the address Listen bound.
func (s *Sink) Addr() string { return s.addr }

// Close stops accepting connections; open ones end when their clients
// close them. (go-smtp's Server.Close races with a connection in its EHLO
// handler, which the race detector reports in tests.)
func (s *Sink) Close() error {
	if s.l == nil {
		return nil
	}
	return s.l.Close()
}

// FailRecipient makes RCPT TO:<addr> fail with code/enhanced/text; code 0 clears it.
func (s *Sink) FailRecipient(addr string, e *smtp.SMTPError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e == nil {
		delete(s.failRcpt, addr)
		return
	}
	s.failRcpt[addr] = e
}

// FailAll makes every MAIL FROM fail with e (nil clears it).
func (s *Sink) FailAll(e *smtp.SMTPError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failAll = e
}

// Messages returns a copy of what was captured, oldest first.
func (s *Sink) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Get returns the message with sequence number seq.
func (s *Sink) Get(seq int) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.msgs {
		if m.Seq == seq {
			return m, true
		}
	}
	return Message{}, false
}

// Count is the number of messages captured since start.
func (s *Sink) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seq
}

// WaitFor waits until pred holds for the captured messages or the timeout
// passes; it reports whether pred held.
func (s *Sink) WaitFor(timeout time.Duration, pred func([]Message) bool) bool {
	deadline := time.After(timeout)
	for {
		s.mu.Lock()
		ok := pred(s.msgs)
		ch := s.notify
		s.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-ch:
		case <-deadline:
			return false
		}
	}
}

func (s *Sink) add(m Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	m.Seq = s.seq
	max := s.Max
	if max == 0 {
		max = 1000
	}
	s.msgs = append(s.msgs, m)
	if len(s.msgs) > max {
		s.msgs = s.msgs[len(s.msgs)-max:]
	}
	close(s.notify)
	s.notify = make(chan struct{})
}

type session struct {
	sink *Sink
	conn *smtp.Conn
	from string
	rcpt []string
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	ss.sink.mu.Lock()
	e := ss.sink.failAll
	ss.sink.mu.Unlock()
	if e != nil {
		return e
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.sink.mu.Lock()
	e := ss.sink.failRcpt[to]
	ss.sink.mu.Unlock()
	if e != nil {
		return e
	}
	ss.rcpt = append(ss.rcpt, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, r); err != nil {
		if errors.Is(err, smtp.ErrDataTooLarge) {
			return err
		}
		return fmt.Errorf("capture: %w", err)
	}
	m := Message{Received: time.Now(), From: ss.from, Recipients: ss.rcpt, Data: buf.Bytes()}
	if st, ok := ss.conn.TLSConnectionState(); ok {
		m.TLS = tls.VersionName(st.Version) + " " + tls.CipherSuiteName(st.CipherSuite)
		m.ServerName = st.ServerName
		if ss.sink.leaf != nil && st.ServerName != "" {
			m.NameMatches = ss.sink.leaf.VerifyHostname(st.ServerName) == nil
		}
	}
	ss.sink.add(m)
	return nil
}

func (ss *session) Reset()        { ss.from, ss.rcpt = "", nil }
func (ss *session) Logout() error { return nil }
