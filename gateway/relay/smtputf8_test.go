package relay

import (
	"strings"
	"testing"

	"github.com/emersion/go-smtp"
)

// RFC 6531 §3.2: a message that needs SMTPUTF8 never goes to a hop that did
// not offer it. A non-ASCII domain alone does not need it: the A-label is
// the same address. A non-ASCII local part (or, flagged by ingress as
// env.SMTPUTF8, UTF-8 headers) does: 5.6.7 and a DSN.
func TestSMTPUTF8IsNeverSentToAHopWithoutIt(t *testing.T) {
	noUTF8 := func(s *smtp.Server) { s.EnableSMTPUTF8 = false }
	for _, tc := range []struct {
		name     string
		hopUTF8  bool
		envUTF8  bool
		from     string
		rcpt     string
		wantFrom string
		wantRcpt string // "" : bounced 5.6.7
		wantOpt  bool   // SMTPUTF8 on MAIL
	}{
		{name: "domain only, A-labelled", from: "a@bücher.example", rcpt: "b@müller.example",
			wantFrom: "a@xn--bcher-kva.example", wantRcpt: "b@xn--mller-kva.example"},
		{name: "UTF-8 local part bounces", from: "a@src.test", rcpt: "jürgen@dst.test"},
		{name: "flagged message bounces", envUTF8: true, from: "a@src.test", rcpt: "b@dst.test"},
		{name: "flagged message to a UTF-8 hop", hopUTF8: true, envUTF8: true, from: "a@src.test", rcpt: "jürgen@dst.test",
			wantFrom: "a@src.test", wantRcpt: "jürgen@dst.test", wantOpt: true},
		{name: "UTF-8 local part to a UTF-8 hop", hopUTF8: true, from: "a@src.test", rcpt: "jürgen@dst.test",
			wantFrom: "a@src.test", wantRcpt: "jürgen@dst.test", wantOpt: true},
		{name: "plain ASCII", from: "a@src.test", rcpt: "b@dst.test", wantFrom: "a@src.test", wantRcpt: "b@dst.test"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var sk *sink
			if tc.hopUTF8 {
				sk = newSink(t, "127.0.0.1:0", nil)
			} else {
				sk = newSink(t, "127.0.0.1:0", nil, noUTF8)
			}
			st := newMemStore()
			env := testEnvelope("m1", tc.from, tc.rcpt)
			env.SMTPUTF8 = tc.envUTF8
			st.put(env, testBody)
			r := startRelay(t, Options{Smarthost: sk.addr, SmarthostTLS: "none"}, st)
			if err := r.Submit("m1", []Copy{{Recipients: []string{tc.rcpt}}}); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "removal", func() bool { return st.isRemoved("m1") })
			var got []sinkMsg
			for _, m := range sk.received() {
				if m.from != "" { // not the DSN
					got = append(got, m)
				}
			}
			if tc.wantRcpt == "" {
				if len(got) != 0 {
					t.Fatalf("sent to a hop without SMTPUTF8: %+v", got)
				}
				envs, bodies := st.dsns()
				if len(envs) != 1 {
					t.Fatalf("%d DSNs, want 1", len(envs))
				}
				if _, status := parseDSN(t, bodies[0]); !strings.Contains(status, "5.6.7") {
					t.Fatalf("DSN status:\n%s", status)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("sink got %d messages", len(got))
			}
			m := got[0]
			if m.from != tc.wantFrom || strings.Join(m.rcpts, ",") != tc.wantRcpt || m.mailOpts.UTF8 != tc.wantOpt {
				t.Fatalf("sent MAIL FROM:<%s> (SMTPUTF8 %v) RCPT TO:<%v>; want <%s> (%v) <%s>",
					m.from, m.mailOpts.UTF8, m.rcpts, tc.wantFrom, tc.wantOpt, tc.wantRcpt)
			}
		})
	}
}
