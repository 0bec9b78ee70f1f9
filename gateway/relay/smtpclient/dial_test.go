package smtpclient

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sealgate/sealgate/gateway/relay/tlspolicy"
	"github.com/sealgate/sealgate/internal/tlslevel"
)

// scripted is a one-connection SMTP server: reply answers each command
// line (the greeting is sent first); it records what it was sent.
type scripted struct {
	ln    net.Listener
	mu    sync.Mutex
	lines []string
}

func newScripted(t *testing.T, reply func(line string) string) *scripted {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &scripted{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		io.WriteString(c, "220 mx.test ESMTP\r\n")
		br := bufio.NewReader(c)
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimRight(line, "\r\n")
			s.mu.Lock()
			s.lines = append(s.lines, line)
			s.mu.Unlock()
			out := reply(line)
			if out == "" {
				return
			}
			io.WriteString(c, out)
		}
	}()
	return s
}

func (s *scripted) sent() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.lines...)
}

func basicReply(starttls string) func(string) string {
	return func(line string) string {
		cmd := strings.ToUpper(strings.Fields(line + " x")[0])
		switch cmd {
		case "EHLO":
			if starttls == "" {
				return "250-mx.test\r\n250 8BITMIME\r\n"
			}
			return "250-mx.test\r\n250 STARTTLS\r\n"
		case "STARTTLS":
			return starttls
		case "QUIT":
			return "221 bye\r\n"
		}
		return "250 ok\r\n"
	}
}

func testClient(counted *[]string) *Client {
	return New(Config{Hostname: "relay.test", ConnectTimeout: 5 * time.Second, CommandTimeout: 5 * time.Second,
		Count: func(d, typ string) { *counted = append(*counted, d+" "+typ) }})
}

func TestEncryptWithoutSTARTTLSDefersAndCounts(t *testing.T) {
	srv := newScripted(t, basicReply(""))
	var counted []string
	_, e := testClient(&counted).Dial(context.Background(), "mx.test", srv.ln.Addr().String(), tlspolicy.Plan{Level: tlslevel.Encrypt, Domain: "d.test"})
	if e == nil || e.Enhanced != "4.7.5" || e.TLSFailure != tlspolicy.FailSTARTTLS || e.Permanent {
		t.Fatalf("Dial = %+v, want a 4.7.5 %s deferral", e, tlspolicy.FailSTARTTLS)
	}
	if len(counted) != 1 || counted[0] != "d.test "+tlspolicy.FailSTARTTLS {
		t.Errorf("counted %v", counted)
	}
	for _, l := range srv.sent() {
		if f := strings.Fields(l); len(f) > 0 && f[0] != "EHLO" && f[0] != "QUIT" {
			t.Errorf("sent %q in plaintext at level encrypt", l)
		}
	}
}

func TestMayGoesOnInPlaintextWhenSTARTTLSIsRefused(t *testing.T) {
	srv := newScripted(t, basicReply("454 4.7.0 not now\r\n"))
	var counted []string
	s, e := testClient(&counted).Dial(context.Background(), "mx.test", srv.ln.Addr().String(), tlspolicy.Plan{Level: tlslevel.May})
	if e != nil {
		t.Fatalf("Dial: %v", e)
	}
	defer s.Quit()
	if s.TLS.Version != "" {
		t.Errorf("TLS %+v on a plaintext session", s.TLS)
	}
	if got := srv.sent()[0]; got != "EHLO relay.test" {
		t.Errorf("first command %q, want our EHLO name", got)
	}
}

func TestDataPipelinedAfterSTARTTLSReplyIsRefused(t *testing.T) {
	srv := newScripted(t, basicReply("220 go ahead\r\n250 injected\r\n"))
	var counted []string
	_, e := testClient(&counted).Dial(context.Background(), "mx.test", srv.ln.Addr().String(), tlspolicy.Plan{Level: tlslevel.May})
	if e == nil || e.Msg != "data after STARTTLS reply" || e.Enhanced != "4.7.5" {
		t.Fatalf("Dial = %v, want the pipelining refusal", e)
	}
}

func TestSendReportsEachRecipient(t *testing.T) {
	srv := newScripted(t, func(line string) string {
		switch {
		case strings.HasPrefix(line, "RCPT TO:<no@"):
			return "550 5.1.1 no such user\r\n"
		case line == "DATA":
			return "354 go\r\n"
		case line == ".":
			return "250 2.0.0 queued as X\r\n"
		}
		return basicReply("")(line)
	})
	var counted []string
	s, e := testClient(&counted).Dial(context.Background(), "mx.test", srv.ln.Addr().String(), tlspolicy.Plan{Level: tlslevel.None})
	if e != nil {
		t.Fatal(e)
	}
	defer s.Quit()
	out, reusable := s.Send("a@src.test", nil, []Rcpt{{Addr: "yes@d.test"}, {Addr: "no@d.test"}}, func(w io.Writer) error {
		_, err := io.WriteString(w, "Subject: x\r\n\r\nhi\r\n")
		return err
	})
	if !reusable || out[0].Err != nil || out[0].Code != 250 {
		t.Errorf("accepted recipient: %+v (reusable %v)", out[0], reusable)
	}
	if out[1].Err == nil || !out[1].Err.Permanent || out[1].Err.Enhanced != "5.1.1" || out[1].Err.Host != "mx.test" {
		t.Errorf("refused recipient: %+v", out[1].Err)
	}
}

func TestSendNeverEndsDataAfterALocalError(t *testing.T) {
	srv := newScripted(t, func(line string) string {
		if line == "DATA" {
			return "354 go\r\n"
		}
		return basicReply("")(line)
	})
	var counted []string
	s, e := testClient(&counted).Dial(context.Background(), "mx.test", srv.ln.Addr().String(), tlspolicy.Plan{Level: tlslevel.None})
	if e != nil {
		t.Fatal(e)
	}
	boom := errors.New("disk gone")
	out, reusable := s.Send("a@src.test", nil, []Rcpt{{Addr: "b@d.test"}}, func(w io.Writer) error {
		io.WriteString(w, "Subject: x\r\n\r\npartial")
		return boom
	})
	if reusable || out[0].Err == nil || out[0].Err.Enhanced != "4.3.0" || !errors.Is(out[0].Err, boom) {
		t.Fatalf("Send = %+v (reusable %v), want a local 4.3.0", out[0].Err, reusable)
	}
	time.Sleep(50 * time.Millisecond)
	for _, l := range srv.sent() {
		if l == "." {
			t.Fatal("the final dot was sent after a short message")
		}
	}
}
