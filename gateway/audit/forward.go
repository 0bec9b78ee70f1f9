package audit

import (
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
	"time"
)

// WriterForwarder writes each line plus "\n" to an io.Writer (stdout for a
// log shipper). Write errors are dropped: forwarding never stops mail.
type WriterForwarder struct {
	mu sync.Mutex
	w  io.Writer
}

// NewWriterForwarder forwards to w.
func NewWriterForwarder(w io.Writer) *WriterForwarder { return &WriterForwarder{w: w} }

// Forward implements Forwarder.
func (f *WriterForwarder) Forward(line []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b := make([]byte, 0, len(line)+1)
	b = append(append(b, line...), '\n')
	_, _ = f.w.Write(b)
}

// SyslogForwarder sends each line as an RFC 5424 message (facility
// log audit (13), severity informational, APP-NAME sealgate, MSGID audit)
// over udp, tcp (RFC 6587 octet counting) or a unix socket. It dials
// lazily and redials after an error; a message that cannot be sent is
// dropped and counted.
type SyslogForwarder struct {
	network, addr, hostname string
	pid                     string

	mu      sync.Mutex
	conn    net.Conn
	dropped uint64
}

// NewSyslogForwarder returns a forwarder to addr over network ("udp",
// "tcp", "unix" or "unixgram"). hostname "" means os.Hostname().
func NewSyslogForwarder(network, addr, hostname string) (*SyslogForwarder, error) {
	switch network {
	case "udp", "udp4", "udp6", "tcp", "tcp4", "tcp6", "unix", "unixgram":
	default:
		return nil, fmt.Errorf("audit: syslog network %q (want udp, tcp or unix)", network)
	}
	if addr == "" {
		return nil, fmt.Errorf("audit: syslog address is empty")
	}
	if hostname == "" {
		hostname, _ = os.Hostname()
	}
	if hostname == "" {
		hostname = "-"
	}
	return &SyslogForwarder{network: network, addr: addr, hostname: hostname, pid: strconv.Itoa(os.Getpid())}, nil
}

// rfc5424 builds one message: <PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG.
func (f *SyslogForwarder) rfc5424(line []byte, t time.Time) []byte {
	const pri = 13*8 + 6 // facility 13 (log audit), severity 6 (informational)
	head := fmt.Sprintf("<%d>1 %s %s sealgate %s audit - ", pri, t.UTC().Format("2006-01-02T15:04:05.000000Z"), f.hostname, f.pid)
	return append([]byte(head), line...)
}

// Forward implements Forwarder.
func (f *SyslogForwarder) Forward(line []byte) {
	msg := f.rfc5424(line, time.Now())
	f.mu.Lock()
	defer f.mu.Unlock()
	for attempt := 0; attempt < 2; attempt++ {
		if f.conn == nil {
			c, err := f.dial()
			if err != nil {
				break
			}
			f.conn = c
		}
		out := msg
		if n := f.conn.LocalAddr().Network(); n == "tcp" || n == "unix" {
			// RFC 6587 §3.4.1 octet counting on stream transports.
			out = append([]byte(strconv.Itoa(len(msg))+" "), msg...)
		}
		_ = f.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
		if _, err := f.conn.Write(out); err == nil {
			return
		}
		f.conn.Close()
		f.conn = nil
	}
	f.dropped++
}

func (f *SyslogForwarder) dial() (net.Conn, error) {
	if f.network == "unix" {
		// /dev/log is a datagram socket on most systems; try that first.
		if c, err := net.DialTimeout("unixgram", f.addr, 5*time.Second); err == nil {
			return c, nil
		}
	}
	return net.DialTimeout(f.network, f.addr, 5*time.Second)
}

// Dropped returns how many messages could not be sent.
func (f *SyslogForwarder) Dropped() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.dropped
}

// Close closes the connection.
func (f *SyslogForwarder) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.conn == nil {
		return nil
	}
	err := f.conn.Close()
	f.conn = nil
	return err
}
