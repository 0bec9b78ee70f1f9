package smtpd

import (
	"strings"
	"sync"
)

// connTap sees every plaintext byte go-smtp reads from one connection (and
// the replies it writes), after TLS and before any go-smtp parsing. It is
// installed as that connection's smtp.Server.Debug writer, which go-smtp tees
// the stream into. It exists for two things go-smtp hides from a Session:
//
//   - "\n.\r" followed by anything but "\n": go-smtp's DATA reader silently
//     drops ".\r" at the start of a line (data.go, stateDotCR), so the bare CR
//     of "\r\n.\rX" never reaches Data. Any occurrence is illegal in SMTP.
//   - source routes: go-smtp strips "<@a,@b:" from RCPT TO before Rcpt.
//
// Reads and our own replies arrive interleaved; replies are plain "250 ..."
// lines, which can neither hide nor fake either pattern.
type connTap struct {
	mu       sync.Mutex
	state    int  // position in "\n.\r" match
	dotCR    bool // saw "\n.\r" + non-"\n"
	line     []byte
	overlong bool
	routed   map[string]int // source-routed RCPT mailboxes seen, lower-case
}

const tapMaxLine = 1024

func newConnTap() *connTap {
	return &connTap{state: 1, routed: make(map[string]int)}
}

func (t *connTap) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, c := range p {
		switch t.state {
		case 0:
			if c == '\n' {
				t.state = 1
			}
		case 1: // after "\n"
			switch c {
			case '.':
				t.state = 2
			case '\n':
			default:
				t.state = 0
			}
		case 2: // after "\n."
			switch c {
			case '\r':
				t.state = 3
			case '\n':
				t.state = 1
			default:
				t.state = 0
			}
		case 3: // after "\n.\r"
			if c == '\n' {
				t.state = 1
			} else {
				t.dotCR = true
				t.state = 0
			}
		}

		if c == '\n' {
			if !t.overlong {
				t.endLine()
			}
			t.line = t.line[:0]
			t.overlong = false
			continue
		}
		if len(t.line) < tapMaxLine {
			t.line = append(t.line, c)
		} else {
			t.overlong = true
		}
	}
	return len(p), nil
}

func (t *connTap) endLine() {
	l := strings.TrimRight(string(t.line), "\r")
	if len(l) < 8 || !strings.EqualFold(l[:8], "RCPT TO:") {
		return
	}
	rest := strings.TrimSpace(l[8:])
	rest = strings.TrimPrefix(rest, "<")
	if !strings.HasPrefix(rest, "@") {
		return
	}
	i := strings.IndexByte(rest, ':')
	if i < 0 {
		return
	}
	t.routed[routeKey(rest[i+1:])]++
}

// routeKey reduces a mailbox the way go-smtp's parser hands it to Rcpt
// (quotes removed), lower-cased, so the tap and Rcpt agree.
func routeKey(s string) string {
	if i := strings.IndexAny(s, "> \t"); i >= 0 {
		s = s[:i]
	}
	s = strings.NewReplacer(`\`, "", `"`, "").Replace(s)
	return strings.ToLower(s)
}

// takeRouted reports whether a source-routed RCPT for addr was seen, and
// consumes it.
func (t *connTap) takeRouted(addr string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	k := routeKey(addr)
	if t.routed[k] > 0 {
		t.routed[k]--
		return true
	}
	return false
}

func (t *connTap) sawDotCR() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.dotCR
}
