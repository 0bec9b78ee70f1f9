package smtpd

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
)

// guardConn is the TCP connection as go-smtp (and TLS, which go-smtp puts
// on top of it for STARTTLS) reads it. It enforces what go-smtp does not:
//
//   - A read timeout ends the connection there and then: 421 4.4.2 and
//     close. go-smtp reads lines through bufio, which returns an
//     unterminated fragment as a complete line when the deadline fires and
//     forgets the error (golang/go#56390); go-smtp used to run the fragment ("MAIL FROM:<x>"
//     without CRLF got 250) and give the next line a fresh timeout, so a
//     client trickling bytes outlived several timeouts. The fragment still
//     reaches go-smtp, but the connection is closed: session hooks refuse
//     it (expired) and go-smtp's own reply cannot be written.
//   - The session lifetime and the command cap, checked at every command:
//     go-smtp calls SetReadDeadline once before reading each command line
//     (conn.go, readLine), which is where this conn counts them.
//
// Replies it writes go through go-smtp's current connection (the TLS one
// after STARTTLS), always from go-smtp's own goroutine. A TLS connection is
// never written to during its handshake (that would deadlock on the
// handshake lock): implicit TLS is handshaken before go-smtp starts, and
// during a STARTTLS handshake go-smtp's connection is still this one.
type guardConn struct {
	net.Conn
	host    string
	end     time.Time // absolute end of the session
	maxCmds int
	top     net.Conn // where replies go before go-smtp's Conn is known
	log     func(reason string)

	mu     sync.Mutex
	sc     *smtp.Conn // go-smtp's connection, from the first NewSession
	cmds   int
	inData bool // DATA is being read: Data answers its own timeout
	closed bool
}

// errDropped is what go-smtp reads once we answered and closed: it ends
// its loop quietly on net.ErrClosed.
var errDropped = fmt.Errorf("smtpd: connection dropped: %w", net.ErrClosed)

func (g *guardConn) Read(p []byte) (int, error) {
	g.mu.Lock()
	closed := g.closed
	g.mu.Unlock()
	if closed {
		return 0, errDropped
	}
	n, err := g.Conn.Read(p)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		g.mu.Lock()
		inData := g.inData
		g.mu.Unlock()
		if inData {
			return n, err
		}
		if !time.Now().Before(g.end) {
			g.drop(g.current(), "lifetime", fmt.Sprintf(replyLifetime, g.host))
		} else {
			g.drop(g.current(), "timeout", fmt.Sprintf(replyTimeout, g.host))
		}
		return n, errDropped
	}
	return n, err
}

const (
	replyTimeout  = "421 4.4.2 %s Command timeout, closing"
	replyLifetime = "421 4.7.0 %s Session lifetime exceeded, closing"
	replyCommands = "421 4.7.0 %s Too many commands in one session, closing"
)

func (g *guardConn) Close() error {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
	return g.Conn.Close()
}

// SetReadDeadline is called by go-smtp before each command line (and once
// before an implicit TLS handshake). No deadline passes the session end.
func (g *guardConn) SetReadDeadline(t time.Time) error {
	g.mu.Lock()
	g.cmds++
	g.mu.Unlock()
	if why, reply, ok := g.expired(); ok {
		g.drop(g.current(), why, reply)
		return errDropped
	}
	return g.Conn.SetReadDeadline(g.clamp(t))
}

func (g *guardConn) SetDeadline(t time.Time) error {
	if err := g.Conn.SetWriteDeadline(t); err != nil {
		return err
	}
	return g.Conn.SetReadDeadline(g.clamp(t))
}

// setDataDeadline is Data's own deadline, not a command; while inData a
// read timeout is left to Data to answer.
func (g *guardConn) setDataDeadline(t time.Time, inData bool) {
	g.mu.Lock()
	g.inData = inData
	g.mu.Unlock()
	g.Conn.SetReadDeadline(g.clamp(t))
}

func (g *guardConn) clamp(t time.Time) time.Time {
	if t.IsZero() || t.After(g.end) {
		return g.end
	}
	return t
}

// expired reports whether commands must no longer run: the connection was
// dropped (this command may be a fragment cut by the timeout) or the
// session is over. Hooks answer with drop, which is a no-op once closed.
func (g *guardConn) expired() (why, reply string, ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case g.closed:
		return "timeout", "", true
	case !time.Now().Before(g.end):
		return "lifetime", fmt.Sprintf(replyLifetime, g.host), true
	case g.cmds > g.maxCmds:
		return "commands", fmt.Sprintf(replyCommands, g.host), true
	}
	return "", "", false
}

// current is the connection go-smtp writes replies to now.
func (g *guardConn) current() net.Conn {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.sc != nil {
		return g.sc.Conn()
	}
	return g.top
}

func (g *guardConn) setSMTPConn(c *smtp.Conn) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.sc == nil {
		g.sc = c
	}
}

// drop writes one reply line on c and closes the connection; once closed
// it does nothing.
func (g *guardConn) drop(c net.Conn, why, reply string) {
	g.mu.Lock()
	closed := g.closed
	g.mu.Unlock()
	if closed {
		return
	}
	g.log(why)
	if c != nil {
		c.SetWriteDeadline(time.Now().Add(10 * time.Second))
		fmt.Fprintf(c, "%s\r\n", reply)
	}
	g.Close()
}
