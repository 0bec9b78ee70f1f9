// Package control is the local socket between the running daemon and the
// `sealgate queue` commands, like Postfix's postqueue/postsuper talking to
// the master. The socket is a Unix stream socket created mode 0600: only
// the daemon's user (and root) can hold, release or delete mail.
//
// Protocol: the client writes one JSON Request line; the server answers one
// JSON Response line, optionally followed by raw bytes (a message body for
// `queue show --body`) until it closes the connection.
package control

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// Request is one command.
type Request struct {
	Op   string `json:"op"` // list, show, flush, hold, release, delete
	ID   string `json:"id,omitempty"`
	Body bool   `json:"body,omitempty"`
	// Method is how release sends recipients held for want of a method:
	// the operator must name it ("tls": verified TLS), never implied.
	Method string `json:"method,omitempty"`
	// Until is the new expiry (RFC 3339) of portal-extend, and the expiry
	// of apikey-create ("" = never).
	Until string `json:"until,omitempty"`
	// Name and Scopes describe the key of apikey-create.
	Name   string   `json:"name,omitempty"`
	Scopes []string `json:"scopes,omitempty"`
	// Since (RFC 3339) is where webhooks-replay starts.
	Since string `json:"since,omitempty"`
	// Actor is set by the server from the socket's peer credentials
	// ("uid=0 pid=1234"); whatever a client sends is overwritten.
	Actor string `json:"-"`
}

// Response is the answer; Data holds the op's result as JSON.
type Response struct {
	OK    bool            `json:"ok"`
	Error string          `json:"error,omitempty"`
	Data  json.RawMessage `json:"data,omitempty"`
	// Stream says raw bytes follow the response line.
	Stream bool `json:"stream,omitempty"`
}

// Handler executes requests. If it returns a non-nil stream, the bytes are
// copied after the response line, then closed.
type Handler interface {
	Handle(ctx context.Context, req Request) (data any, stream io.ReadCloser, err error)
}

// Server serves the control socket.
type Server struct {
	l   net.Listener
	h   Handler
	log *slog.Logger
}

// Listen creates the socket at path (replacing a stale one) with mode 0600.
func Listen(path string, h Handler, log *slog.Logger) (*Server, error) {
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return nil, fmt.Errorf("control: %s: another sealgate is running", path)
	}
	os.Remove(path)
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("control: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		l.Close()
		return nil, fmt.Errorf("control: %w", err)
	}
	return &Server{l: l, h: h, log: log}, nil
}

// Serve accepts connections until Close.
func (s *Server) Serve() {
	for {
		c, err := s.l.Accept()
		if err != nil {
			return
		}
		go s.serve(c)
	}
}

// Close removes the socket.
func (s *Server) Close() error { return s.l.Close() }

func (s *Server) serve(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Minute))
	line, err := bufio.NewReader(io.LimitReader(c, 64<<10)).ReadBytes('\n')
	if err != nil {
		return
	}
	var req Request
	var resp Response
	var stream io.ReadCloser
	if err := json.Unmarshal(line, &req); err != nil {
		resp.Error = "control: bad request: " + err.Error()
	} else {
		req.Actor = peerOf(c)
		var data any
		data, stream, err = s.h.Handle(context.Background(), req)
		if err != nil {
			resp.Error = err.Error()
		} else {
			resp.OK = true
			if data != nil {
				resp.Data, _ = json.Marshal(data)
			}
			resp.Stream = stream != nil
		}
		s.log.Info("control request", "op", req.Op, "msg_id", req.ID, "actor", req.Actor, "ok", resp.OK)
	}
	out, _ := json.Marshal(resp)
	c.Write(append(out, '\n'))
	if stream != nil {
		defer stream.Close()
		io.Copy(c, stream)
	}
}

// Errors of Do that say the daemon is not there (ErrUnavailable) or did not
// answer (ErrNoAnswer), so that a CLI can tell them from a refused request.
var (
	ErrUnavailable = errors.New("control: daemon unavailable")
	ErrNoAnswer    = errors.New("control: no answer")
)

// kindError is err, also matching kind with errors.Is, without kind's text
// in the message ("control: daemon unavailable" said twice).
type kindError struct{ err, kind error }

func (e kindError) Error() string   { return e.err.Error() }
func (e kindError) Unwrap() []error { return []error{e.err, e.kind} }

// Do sends one request to the socket at path and returns the response; if
// the response streams, body receives the bytes.
func Do(path string, req Request, body io.Writer) (*Response, error) {
	c, err := net.DialTimeout("unix", path, 5*time.Second)
	if err != nil {
		return nil, kindError{fmt.Errorf("control: cannot reach the daemon at %s (is `sealgate serve` running, and may you open the socket?): %w", path, err), ErrUnavailable}
	}
	defer c.Close()
	out, _ := json.Marshal(req)
	if _, err := c.Write(append(out, '\n')); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoAnswer, err)
	}
	br := bufio.NewReader(c)
	line, err := br.ReadBytes('\n')
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoAnswer, err)
	}
	var resp Response
	if err := json.Unmarshal(line, &resp); err != nil {
		return nil, fmt.Errorf("control: bad answer: %w", err)
	}
	if !resp.OK {
		return &resp, errors.New(resp.Error)
	}
	if resp.Stream && body != nil {
		if _, err := io.Copy(body, br); err != nil {
			return &resp, fmt.Errorf("control: %w", err)
		}
	}
	return &resp, nil
}

// peerOf names the process on the other end of a Unix socket.
func peerOf(c net.Conn) string {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return "unknown"
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return "unknown"
	}
	var cred *unix.Ucred
	raw.Control(func(fd uintptr) {
		cred, _ = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	})
	if cred == nil {
		return "unknown"
	}
	return fmt.Sprintf("uid=%d pid=%d", cred.Uid, cred.Pid)
}
