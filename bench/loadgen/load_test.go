package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/sealgate/sealgate/envelope"
	"github.com/sealgate/sealgate/internal/capture"
	"github.com/sealgate/sealgate/policy"
)

func startSink(t *testing.T, withTLS bool) *capture.Sink {
	t.Helper()
	var tc *tls.Config
	if withTLS {
		cert, err := tls.LoadX509KeyPair("../../testdata/tls/relay.crt", "../../testdata/tls/relay.key")
		if err != nil {
			t.Fatal(err)
		}
		tc = &tls.Config{Certificates: []tls.Certificate{cert}}
	}
	s := capture.New("sink.test", tc)
	s.Max = 10000
	if _, err := s.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func baseConfig(addr string) Config {
	return Config{
		Addr: addr, Messages: 30, Sessions: 4, Size: 2000, Rcpts: 1, Reuse: 1,
		From: "from@clinic.test", To: "to@partner.test", Timeout: 30 * time.Second,
	}
}

func TestEveryMessageArrivesWithAndWithoutStartTLS(t *testing.T) {
	verified, err := tlsConfig(false, "../../testdata/tls/relay.crt", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		tls       *tls.Config
		reuse     int
		rcpts     int
		wantConns int // 0: do not check
	}{
		{"plain, new connection each", nil, 1, 1, 30},
		{"plain, reuse 7, 3 recipients", nil, 7, 3, 0},
		{"starttls verified, new connection each", verified, 1, 1, 30},
		{"starttls insecure, reuse 100, 2 recipients", &tls.Config{InsecureSkipVerify: true}, 100, 2, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sink := startSink(t, tc.tls != nil)
			cfg := baseConfig(sink.Addr())
			cfg.TLS, cfg.Reuse, cfg.Rcpts = tc.tls, tc.reuse, tc.rcpts
			res, err := Run(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if res.Messages != 30 || res.Failed != 0 || len(res.Errors) != 0 {
				t.Fatalf("result %+v, want 30 messages and no errors", res)
			}
			if tc.wantConns != 0 && res.Connections != tc.wantConns {
				t.Errorf("connections = %d, want %d", res.Connections, tc.wantConns)
			}
			// With reuse r, no connection carries more than r messages.
			if minConns := (30 + tc.reuse - 1) / tc.reuse; res.Connections < minConns {
				t.Errorf("connections = %d, want at least %d", res.Connections, minConns)
			}
			if wantTLS := tc.tls != nil; res.StartTLS != wantTLS || strings.HasPrefix(res.TLSVersion, "TLS 1.") != wantTLS {
				t.Errorf("starttls %v, tls_version %q; want TLS %v", res.StartTLS, res.TLSVersion, wantTLS)
			}
			if res.Size != 2000 || res.MsgPerSec <= 0 || res.P99ms < res.P50ms {
				t.Errorf("result %+v: size, rate or percentiles are off", res)
			}
			if !sink.WaitFor(10*time.Second, func(ms []capture.Message) bool { return len(ms) == 30 }) {
				t.Fatalf("sink has %d messages, want 30", sink.Count())
			}
			ids := map[string]bool{}
			for _, m := range sink.Messages() {
				if len(m.Data) != 2000 {
					t.Errorf("message %d is %d bytes, want 2000", m.Seq, len(m.Data))
				}
				if len(m.Recipients) != tc.rcpts || m.Recipients[0] != "to@partner.test" {
					t.Errorf("message %d recipients %q, want %d starting with to@partner.test", m.Seq, m.Recipients, tc.rcpts)
				}
				if (m.TLS != "") != (tc.tls != nil) {
					t.Errorf("message %d TLS %q, want TLS %v", m.Seq, m.TLS, tc.tls != nil)
				}
				if !strings.HasSuffix(string(m.Data), "\r\n") || strings.Contains(string(m.Data), "\n\n") {
					t.Errorf("message %d is not CRLF text", m.Seq)
				}
				for _, line := range strings.Split(string(m.Data), "\r\n") {
					if id, ok := strings.CutPrefix(line, "Message-ID: "); ok {
						ids[id] = true
					}
				}
			}
			if len(ids) != 30 {
				t.Errorf("%d distinct Message-IDs, want 30", len(ids))
			}
		})
	}
}

func TestRefusalsAreCountedByReplyCode(t *testing.T) {
	sink := startSink(t, false)
	sink.FailRecipient("to-2@partner.test", &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"})
	cfg := baseConfig(sink.Addr())
	cfg.Rcpts, cfg.Reuse, cfg.Messages = 2, 5, 12
	res, err := Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Messages != 0 || res.Failed != 12 || res.Errors["550"] != 12 {
		t.Fatalf("result %+v, want 12 failed with 550", res)
	}
	// The refusals were answered with RSET on the same connection.
	if res.Connections > 4 {
		t.Errorf("connections = %d, want at most one per session (4)", res.Connections)
	}
}

func TestStartTLSRequiredButNotOffered(t *testing.T) {
	sink := startSink(t, false)
	cfg := baseConfig(sink.Addr())
	cfg.TLS, cfg.Messages = &tls.Config{InsecureSkipVerify: true}, 3
	res, err := Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed != 3 || res.Errors["starttls"] != 3 || sink.Count() != 0 {
		t.Fatalf("result %+v (sink %d), want 3 failed at starttls, nothing sent", res, sink.Count())
	}
}

func TestOnlyLoopbackTargets(t *testing.T) {
	for _, addr := range []string{"10.0.0.1:25", "[::1]:25", "localhost:25", "127.0.0.2:25", "example.com:25"} {
		cfg := baseConfig(addr)
		if _, err := Run(cfg); err == nil || !strings.Contains(err.Error(), addr) {
			t.Errorf("Run(%s) = %v, want a refusal naming it", addr, err)
		}
	}
	if err := checkLoopback("127.0.0.1:2525"); err != nil {
		t.Errorf("127.0.0.1:2525 refused: %v", err)
	}
}

func TestPercentileNearestRank(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	if p50, p99 := percentile(ds, 50), percentile(ds, 99); p50 != 50 || p99 != 99 {
		t.Errorf("p50, p99 = %v, %v; want 50, 99", p50, p99)
	}
	if p := percentile(nil, 99); p != 0 {
		t.Errorf("percentile of nothing = %v", p)
	}
}

// -phi makes a message the shipped default policy encrypts; without it the
// payload is clean (the plain runs must not trip a detector).
func TestPHIBodyIsEncryptedByTheDefaultPolicy(t *testing.T) {
	eng, err := policy.NewEngine(policy.DefaultSet())
	if err != nil {
		t.Fatal(err)
	}
	for _, phi := range []bool{false, true} {
		cfg := baseConfig("127.0.0.1:1")
		cfg.PHI, cfg.Size = phi, 10240
		m := newMessage(&cfg)
		raw := append(m.head(1), m.body...)
		if len(raw) != 10240 {
			t.Errorf("phi=%v: %d bytes, want 10240", phi, len(raw))
		}
		d, err := eng.Evaluate(context.Background(), policy.Input{
			Env:  &envelope.Envelope{From: cfg.From, Recipients: []envelope.Recipient{{Addr: cfg.To}}},
			Body: bytes.NewReader(raw),
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := d.Action == policy.ActionEncrypt; got != phi {
			t.Errorf("phi=%v: default policy says %s (rule %s)", phi, d.Action, d.Rule)
		}
	}
}

func TestDomainsSpreadsMessagesOverRecipientDomains(t *testing.T) {
	c := baseConfig("127.0.0.1:1")
	c.Rcpts, c.Domains = 2, 3
	rs := c.recipients()
	got := map[string]bool{}
	for n := 1; n <= 6; n++ {
		for _, r := range c.recipientsFor(rs, n) {
			got[r] = true
		}
	}
	for _, want := range []string{"to@d0.partner.test", "to-2@d1.partner.test", "to@d2.partner.test"} {
		if !got[want] {
			t.Errorf("no message to %s; got %v", want, got)
		}
	}
	if len(got) != 6 {
		t.Errorf("got %d distinct recipients, want 6 (2 per domain): %v", len(got), got)
	}
	c.Domains = 1
	if r := c.recipientsFor(rs, 5); r[0] != "to@partner.test" {
		t.Errorf("Domains 1 changed the recipient: %v", r)
	}
}
