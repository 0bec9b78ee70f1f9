package notice

import (
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strings"
	"unicode/utf8"
)

// Field limits: generous for real values, small enough that no header line
// can pass 998 bytes once folded.
const (
	maxName    = 256
	maxSubject = 900
	maxLink    = 2048
	maxAddr    = 320
	maxFooter  = 4096
)

// errField names the field and the problem, never the value: a value may
// be a subject, which may be PHI.
func errField(field, problem string) error {
	return fmt.Errorf("notice: %s: %s", field, problem)
}

// checkLine refuses what could end or split a header line: CR, LF, any
// other C0 or C1 control, DEL, and malformed UTF-8.
func checkLine(field, v string, max int) error {
	if len(v) > max {
		return errField(field, fmt.Sprintf("longer than %d bytes", max))
	}
	return checkText(field, v, false)
}

func checkText(field, v string, newlines bool) error {
	if !utf8.ValidString(v) {
		return errField(field, "malformed UTF-8")
	}
	for _, r := range v {
		if r == '\n' && newlines {
			continue
		}
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029' {
			return errField(field, "control character")
		}
	}
	return nil
}

// checkAddr accepts a bare addr-spec only: "Name <a@b>" or a list would
// let a caller's field add recipients or rename the sender.
func checkAddr(field, v string) error {
	if v == "" {
		return errField(field, "empty address")
	}
	if err := checkLine(field, v, maxAddr); err != nil {
		return err
	}
	a, err := mail.ParseAddress(v)
	if err != nil {
		return errField(field, "not an address")
	}
	if a.Name != "" || a.Address != v {
		return errField(field, "not a bare address")
	}
	return nil
}

// checkHTTPS accepts an absolute https URL with a host and no user info,
// written in printable ASCII (so it is the same in text, HTML and QP).
func checkHTTPS(field, v string) error {
	if len(v) > maxLink {
		return errField(field, fmt.Sprintf("longer than %d bytes", maxLink))
	}
	for i := 0; i < len(v); i++ {
		if v[i] <= 0x20 || v[i] >= 0x7f || v[i] == '"' || v[i] == '<' || v[i] == '>' || v[i] == '\\' {
			return errField(field, "character not allowed in a link")
		}
	}
	u, err := url.Parse(v)
	if err != nil {
		return errField(field, "not a URL")
	}
	if u.Scheme != "https" || u.Host == "" || u.User != nil || u.Opaque != "" {
		return errField(field, "not an https URL with a host")
	}
	return nil
}

// checkHostname accepts an ASCII domain name (LDH labels): it ends up in
// Message-ID, where nothing else may go.
func checkHostname(v string) error {
	if v == "" || len(v) > 253 {
		return errField("Hostname", "empty or too long")
	}
	for _, l := range strings.Split(v, ".") {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return errField("Hostname", "not a domain name")
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return errField("Hostname", "not a domain name")
			}
		}
	}
	return nil
}

// checkCode accepts what a one-time code is made of: 4 to 32 ASCII letters
// and digits.
func checkCode(v string) error {
	if len(v) < 4 || len(v) > 32 {
		return errField("Code", "not 4 to 32 characters")
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return errField("Code", "not letters and digits")
		}
	}
	return nil
}

func checkBranding(b Branding) error {
	return errors.Join(
		checkLine("Branding.OrgName", b.OrgName, maxName),
		checkLine("Branding.SupportContact", b.SupportContact, maxName),
		checkFooter(b.Footer),
		checkLogo(b.LogoURL),
	)
}

func checkFooter(v string) error {
	if len(v) > maxFooter {
		return errField("Branding.Footer", fmt.Sprintf("longer than %d bytes", maxFooter))
	}
	return checkText("Branding.Footer", strings.ReplaceAll(v, "\r\n", "\n"), true)
}

func checkLogo(v string) error {
	if v == "" {
		return nil
	}
	return checkHTTPS("Branding.LogoURL", v)
}
