package main

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"
)

// Config is one load run.
type Config struct {
	Addr     string // 127.0.0.1:PORT, nothing else
	Messages int    // messages to send in all
	Sessions int    // concurrent SMTP connections
	Size     int    // bytes per message, header included
	Rcpts    int    // recipients per message
	Reuse    int    // messages per connection; 1 = a new connection for each
	// Domains > 1 spreads messages over that many recipient domains:
	// message n goes to d<n mod Domains>.<domain of To> (the MX curve).
	Domains  int
	From, To string        // envelope sender and (first) recipient
	TLS      *tls.Config   // non-nil: STARTTLS on every connection, or fail
	Timeout  time.Duration // per SMTP command and for the dial
	// PHI starts every body with a clinical paragraph the shipped default
	// policy flags (name, SSN, MRN, diagnosis), so the gateway must
	// encrypt each message: the bench's encrypted runs.
	PHI bool
}

// Result is what a run prints, as one JSON line.
type Result struct {
	Messages    int            `json:"messages"` // accepted with a 250 after DATA
	Failed      int            `json:"failed"`
	Errors      map[string]int `json:"errors"` // by reply code, or "dial", "starttls", "io"
	Connections int            `json:"connections"`
	Sessions    int            `json:"sessions"`
	Reuse       int            `json:"reuse"`
	StartTLS    bool           `json:"starttls"`
	TLSVersion  string         `json:"tls_version,omitempty"`
	Size        int            `json:"size"`
	Rcpts       int            `json:"rcpts"`
	PHI         bool           `json:"phi,omitempty"`
	Seconds     float64        `json:"seconds"`
	MsgPerSec   float64        `json:"msg_per_s"`
	MBPerSec    float64        `json:"mb_per_s"` // 10^6 bytes of accepted messages per second
	P50ms       float64        `json:"p50_ms"`
	P99ms       float64        `json:"p99_ms"`
}

// checkLoopback refuses every target but 127.0.0.1: the generator is for
// benchmarks on this machine, never for someone else's server.
func checkLoopback(addr string) error {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return fmt.Errorf("loadgen: target %q is not IP:PORT: %w", addr, err)
	}
	if ap.Addr() != netip.AddrFrom4([4]byte{127, 0, 0, 1}) {
		return fmt.Errorf("loadgen: target %q refused: only 127.0.0.1 is allowed", addr)
	}
	return nil
}

func (c *Config) validate() error {
	var errs []error
	if err := checkLoopback(c.Addr); err != nil {
		errs = append(errs, err)
	}
	for _, v := range []struct {
		name string
		n    int
	}{{"messages", c.Messages}, {"sessions", c.Sessions}, {"rcpts", c.Rcpts}, {"reuse", c.Reuse}, {"size", c.Size}, {"domains", max(c.Domains, 1)}} {
		if v.n < 1 {
			errs = append(errs, fmt.Errorf("loadgen: -%s must be at least 1, not %d", v.name, v.n))
		}
	}
	if !strings.Contains(c.From, "@") || !strings.Contains(c.To, "@") {
		errs = append(errs, fmt.Errorf("loadgen: -from and -to must be addresses (local@domain)"))
	}
	return errors.Join(errs...)
}

// recipients returns the envelope recipients: To itself for one, and
// local-2@domain, local-3@domain ... after it for more.
func (c *Config) recipients() []string {
	rs := []string{c.To}
	local, domain, _ := strings.Cut(c.To, "@")
	for i := 2; i <= c.Rcpts; i++ {
		rs = append(rs, local+"-"+strconv.Itoa(i)+"@"+domain)
	}
	return rs
}

// recipientsFor returns message n's envelope recipients: rs itself, or
// with Domains > 1 the same local parts at d<n mod Domains>.<domain>.
func (c *Config) recipientsFor(rs []string, n int) []string {
	if c.Domains <= 1 {
		return rs
	}
	out := make([]string, len(rs))
	prefix := "d" + strconv.Itoa(n%c.Domains) + "."
	for i, r := range rs {
		local, domain, _ := strings.Cut(r, "@")
		out[i] = local + "@" + prefix + domain
	}
	return out
}

// bodyLine is plain letters, so no PHI detector (SSN, NPI, dates ...) fires
// on the payload.
const bodyLine = "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnopqrstu\r\n"

// phiParagraph is what a clinic's note looks like to the PHI detectors: a
// named patient, an SSN, an MRN and a diagnosis. The SSN is one the SSA
// never issued in this form for a real person (the demo's).
const phiParagraph = "Re: patient Jane Q Testcase, DOB 04/26/1946\r\n" +
	"SSN 078-05-1121, MRN 4455667. Diagnosis: type 2 diabetes mellitus (E11.9),\r\n" +
	"follow-up HbA1c in 3 months. Please file with her chart.\r\n\r\n"

// message builds message n: a header with its own Message-ID, and body text
// so the whole is size bytes (or the header plus one short line, if size is
// smaller than that).
type message struct {
	head func(n int) []byte
	body []byte
}

func newMessage(c *Config) message {
	rs := c.recipients()
	head := func(n int) []byte {
		var b bytes.Buffer
		fmt.Fprintf(&b, "From: <%s>\r\nTo: <%s>\r\nSubject: loadgen %08d\r\n", c.From, strings.Join(rs, ">, <"), n)
		fmt.Fprintf(&b, "Date: Mon, 02 Jan 2006 15:04:05 +0000\r\nMessage-ID: <%08d.loadgen@bench.test>\r\n", n)
		b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n")
		return b.Bytes()
	}
	headLen := len(head(0)) // the same for every n below 10^8
	want := max(c.Size-headLen, 3)
	var body []byte
	if c.PHI {
		body = append(body, phiParagraph...)
	}
	for len(body) < want {
		body = append(body, bodyLine...)
	}
	body = body[:want-2]
	// A cut line must not end in a space or a lone CR: it ends in a letter.
	for len(body) > 0 && (body[len(body)-1] == ' ' || body[len(body)-1] == '\r') {
		body[len(body)-1] = 'x'
	}
	body = append(body, "\r\n"...)
	return message{head: head, body: body}
}

// stats gathers what the workers saw.
type stats struct {
	mu        sync.Mutex
	errors    map[string]int
	lat       []time.Duration
	ok, fail  int
	conns     int
	tlsVer    string
	sentBytes int64
}

func (s *stats) failed(kind string) {
	s.mu.Lock()
	s.errors[kind]++
	s.fail++
	s.mu.Unlock()
}

func (s *stats) sent(d time.Duration, bytes int) {
	s.mu.Lock()
	s.lat = append(s.lat, d)
	s.ok++
	s.sentBytes += int64(bytes)
	s.mu.Unlock()
}

// errKind names a failure for the errors map: the reply code for a server
// reply, else what broke.
func errKind(err error, fallback string) string {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return strconv.Itoa(se.Code)
	}
	return fallback
}

// Run sends cfg.Messages messages and reports how it went. A message that
// fails is counted, not retried.
func Run(cfg Config) (Result, error) {
	if err := cfg.validate(); err != nil {
		return Result{}, err
	}
	msg := newMessage(&cfg)
	rcpts := cfg.recipients()
	st := &stats{errors: map[string]int{}}
	var next atomic.Int64 // messages handed out so far
	claim := func() (int, bool) {
		n := int(next.Add(1))
		return n, n <= cfg.Messages
	}

	start := time.Now()
	var wg sync.WaitGroup
	for range min(cfg.Sessions, cfg.Messages) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := worker{cfg: &cfg, msg: msg, rcpts: rcpts, st: st}
			w.loop(claim)
		}()
	}
	wg.Wait()
	secs := time.Since(start).Seconds()

	r := Result{
		Messages: st.ok, Failed: st.fail, Errors: st.errors, Connections: st.conns,
		Sessions: cfg.Sessions, Reuse: cfg.Reuse, StartTLS: cfg.TLS != nil, TLSVersion: st.tlsVer,
		Size: len(msg.head(0)) + len(msg.body), Rcpts: cfg.Rcpts, PHI: cfg.PHI, Seconds: secs,
	}
	if secs > 0 {
		r.MsgPerSec = float64(st.ok) / secs
		r.MBPerSec = float64(st.sentBytes) / secs / 1e6
	}
	r.P50ms, r.P99ms = percentile(st.lat, 50), percentile(st.lat, 99)
	return r, nil
}

// percentile is the nearest-rank percentile p of ds in milliseconds.
func percentile(ds []time.Duration, p int) float64 {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	i := (len(ds)*p + 99) / 100 // ceil(len*p/100), 1-based
	return float64(ds[max(i, 1)-1].Microseconds()) / 1000
}

// worker is one session: it keeps a connection for cfg.Reuse messages,
// then says QUIT and opens the next.
type worker struct {
	cfg   *Config
	msg   message
	rcpts []string
	st    *stats

	c    *smtp.Client
	used int // messages sent on c
}

func (w *worker) loop(claim func() (int, bool)) {
	defer w.hangUp(true)
	for {
		n, ok := claim()
		if !ok {
			return
		}
		// Latency counts from the claim, so with -reuse 1 it includes the
		// connect and the TLS handshake, as a real upstream sees it.
		t0 := time.Now()
		if w.c == nil {
			if kind, err := w.connect(); err != nil {
				w.st.failed(kind)
				continue
			}
		}
		size, kind, err := w.send(n)
		if err != nil {
			w.st.failed(kind)
			w.recover(err)
			continue
		}
		w.st.sent(time.Since(t0), size)
		w.used++
		if w.used >= w.cfg.Reuse {
			w.hangUp(true)
		}
	}
}

func (w *worker) connect() (string, error) {
	conn, err := net.DialTimeout("tcp", w.cfg.Addr, w.cfg.Timeout)
	if err != nil {
		return "dial", err
	}
	// Greeting, EHLO, STARTTLS and the handshake all fit in one timeout.
	conn.SetDeadline(time.Now().Add(w.cfg.Timeout))
	var c *smtp.Client
	if w.cfg.TLS != nil {
		c, err = smtp.NewClientStartTLS(conn, w.cfg.TLS)
		if err != nil {
			return errKind(err, "starttls"), err
		}
	} else {
		c = smtp.NewClient(conn)
	}
	// After STARTTLS the handshake is lazy: this EHLO drives it.
	if err := c.Hello("loadgen.bench"); err != nil {
		c.Close()
		return errKind(err, "io"), err
	}
	conn.SetDeadline(time.Time{})
	c.CommandTimeout = w.cfg.Timeout
	c.SubmissionTimeout = w.cfg.Timeout
	w.c, w.used = c, 0
	w.st.mu.Lock()
	w.st.conns++
	if st, ok := c.TLSConnectionState(); ok {
		w.st.tlsVer = tls.VersionName(st.Version)
	}
	w.st.mu.Unlock()
	return "", nil
}

// send is one transaction; it returns the message's size, or what failed.
func (w *worker) send(n int) (int, string, error) {
	if err := w.c.Mail(w.cfg.From, nil); err != nil {
		return 0, errKind(err, "io"), err
	}
	for _, r := range w.cfg.recipientsFor(w.rcpts, n) {
		if err := w.c.Rcpt(r, nil); err != nil {
			return 0, errKind(err, "io"), err
		}
	}
	d, err := w.c.Data()
	if err != nil {
		return 0, errKind(err, "io"), err
	}
	head := w.msg.head(n)
	if _, err := d.Write(head); err != nil {
		return 0, "io", err
	}
	if _, err := d.Write(w.msg.body); err != nil {
		return 0, "io", err
	}
	if err := d.Close(); err != nil {
		return 0, errKind(err, "io"), err
	}
	return len(head) + len(w.msg.body), "", nil
}

// recover gets the connection ready for the next message after a failed
// one: RSET after a plain refusal, a new connection after anything else.
func (w *worker) recover(err error) {
	var se *smtp.SMTPError
	if errors.As(err, &se) && se.Code != 421 {
		if w.c.Reset() == nil {
			return
		}
	}
	w.hangUp(false)
}

// hangUp ends the connection, politely if asked.
func (w *worker) hangUp(quit bool) {
	if w.c == nil {
		return
	}
	if !quit || w.c.Quit() != nil {
		w.c.Close()
	}
	w.c = nil
}
