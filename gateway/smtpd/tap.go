package smtpd

import (
	"errors"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/sealgate/sealgate/internal/smtpaddr"
)

// connTap sees every plaintext byte go-smtp reads from one connection (and
// the replies it writes), after TLS and before any go-smtp parsing. It is
// installed as that connection's smtp.Server.Debug writer, which go-smtp tees
// the stream into. It exists for two things go-smtp hides from a Session:
//
//   - "\n.\r" followed by anything but "\n": go-smtp's DATA reader silently
//     drops ".\r" at the start of a line (data.go, stateDotCR), so the bare CR
//     of "\r\n.\rX" never reaches Data. Any occurrence is illegal in SMTP.
//   - the MAIL and RCPT paths as sent: go-smtp strips "<@a,@b:" source
//     routes, unquotes local parts ("a@b"@c becomes a@b@c) and passes NUL
//     and malformed UTF-8 on. The session parses the raw line with
//     smtpaddr instead (takeCmd).
//
// Reads and our own replies arrive interleaved; replies are plain "250 ..."
// lines, which can neither hide nor fake either pattern.
type connTap struct {
	mu       sync.Mutex
	state    int  // position in "\n.\r" match
	dotCR    bool // saw "\n.\r" + non-"\n"
	line     []byte
	overlong bool
	maxLine  int
	cmds     []tapCmd // MAIL and RCPT lines not yet taken by the session
}

// newConnTap keeps lines up to maxLine bytes: go-smtp refuses longer ones.
func newConnTap(maxLine int) *connTap {
	return &connTap{state: 1, maxLine: maxLine}
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
		if len(t.line) < t.maxLine+2 {
			t.line = append(t.line, c)
		} else {
			t.overlong = true
		}
	}
	return len(p), nil
}

func (t *connTap) endLine() {
	l := strings.TrimSuffix(string(t.line), "\r")
	if len(l) < 5 {
		return
	}
	verb := strings.ToUpper(l[:5])
	if verb != "MAIL " && verb != "RCPT " {
		return
	}
	// The same steps as go-smtp's parseCmd and handleMail/handleRcpt.
	arg, ok := cutPrefixFold(strings.TrimSpace(l[5:]), map[string]string{"MAIL ": "FROM:", "RCPT ": "TO:"}[verb])
	if !ok {
		return
	}
	arg = strings.TrimSpace(arg)
	e := tapCmd{mail: verb == "MAIL ", key: goSMTPPath(arg)}
	switch {
	case strings.ContainsFunc(l, isControl):
		// Checked on the raw line: go-smtp trims \v and \f silently.
		e.err = smtpaddr.ErrControl
	default:
		parse := smtpaddr.ParsePath
		if e.mail {
			parse = smtpaddr.ParseReversePath
		}
		var params string
		e.addr, e.routed, params, e.err = parse(arg)
		if e.err == nil && !utf8.ValidString(params) {
			e.err = errParamUTF8
		}
	}
	t.cmds = append(t.cmds, e)
	if len(t.cmds) > tapMaxCmds {
		t.cmds = t.cmds[1:]
	}
}

// errParamUTF8: the path is fine, the ESMTP parameters are not UTF-8.
var errParamUTF8 = errors.New("smtpd: malformed UTF-8 in parameters")

// isControl: C0 controls, DEL and C1 controls (as runes; bytes of a
// malformed sequence come out as U+FFFD and are the parser's business).
func isControl(r rune) bool { return r < 0x20 || (r >= 0x7f && r < 0xa0) }

// tapCmd is a MAIL or RCPT line as the client sent it, parsed by
// smtpaddr. go-smtp hands Mail and Rcpt its own, unquoted reading of the
// path; the session uses this one instead.
type tapCmd struct {
	mail   bool
	key    string // go-smtp's reading, to match the Mail/Rcpt call
	addr   smtpaddr.Address
	routed bool
	err    error
}

// tapMaxCmds bounds the queue: lines go-smtp refused itself, and lines of
// message data that look like commands, are never taken.
const tapMaxCmds = 256

// takeCmd returns the oldest MAIL (or RCPT) line that go-smtp read as
// path. Older lines of that verb were refused by go-smtp before reaching
// the session, and are dropped. ok is false when no line matches: the
// caller refuses (it must not fall back to go-smtp's reading).
func (t *connTap) takeCmd(mail bool, path string) (tapCmd, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i, e := range t.cmds {
		if e.mail != mail || e.key != path {
			continue
		}
		kept := t.cmds[:0:0]
		for j, o := range t.cmds {
			if j > i || o.mail != mail {
				kept = append(kept, o)
			}
		}
		t.cmds = kept
		return e, true
	}
	return tapCmd{}, false
}

// forgetCmds drops every queued line: called when DATA starts, after which
// all earlier MAIL and RCPT lines have been answered.
func (t *connTap) forgetCmds() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.cmds = nil
}

// restart: the stream starts over (inside TLS after STARTTLS). Queued lines
// and a partial line seen before are dropped; the dot-CR finding stays.
func (t *connTap) restart() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.cmds = nil
	t.line = t.line[:0]
	t.overlong = false
	t.state = 1
}

// goSMTPPath is go-smtp's parser.parsePath/parseReversePath (parse.go):
// the string its Mail or Rcpt call receives for arg.
func goSMTPPath(arg string) string {
	if strings.HasPrefix(arg, "<>") {
		return ""
	}
	s := strings.TrimPrefix(arg, "<")
	if strings.HasPrefix(s, "@") {
		if i := strings.IndexByte(s, ':'); i >= 0 {
			s = s[i+1:]
		}
	}
	var b strings.Builder
	if strings.HasPrefix(s, `"`) {
		s = s[1:]
		for len(s) > 0 {
			c := s[0]
			s = s[1:]
			if c == '\\' && len(s) > 0 {
				c, s = s[0], s[1:]
			} else if c == '"' {
				break
			}
			b.WriteByte(c)
		}
	} else {
		for len(s) > 0 && s[0] != '@' {
			b.WriteByte(s[0])
			s = s[1:]
		}
	}
	if i := strings.IndexAny(s, " \t>"); i >= 0 {
		s = s[:i]
	}
	return b.String() + s
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return "", false
	}
	return s[len(prefix):], true
}

func (t *connTap) sawDotCR() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.dotCR
}
