package policy

import (
	"fmt"
	"path"
	"strings"

	"github.com/sealgate/sealgate/policy/detect"
)

// eval returns whether c holds for the message and why, in policy terms:
// the reason names patterns, list names and counts, never the message's
// addresses, header values, subject, file names or text.
func (e *Engine) eval(c *Cond, f *facts) (bool, string) {
	switch c.kind {
	case "all":
		whys := make([]string, 0, len(c.sub))
		for i, s := range c.sub {
			ok, why := e.eval(s, f)
			if !ok {
				if len(c.sub) == 1 {
					return false, why
				}
				return false, fmt.Sprintf("all: [%d] %s", i, why)
			}
			whys = append(whys, why)
		}
		return true, "all: " + strings.Join(whys, "; ")
	case "any":
		var whys []string
		for i, s := range c.sub {
			ok, why := e.eval(s, f)
			if ok {
				return true, fmt.Sprintf("any: [%d] %s", i, why)
			}
			whys = append(whys, why)
		}
		return false, "any: none holds (" + strings.Join(whys, "; ") + ")"
	case "not":
		ok, why := e.eval(c.sub[0], f)
		return !ok, "not: " + why
	case "sender":
		addr := strings.ToLower(f.env.From)
		if how := e.addrMatches(c.addr, addr); how != "" {
			return true, "sender matches " + how
		}
		return false, "sender matches no " + describeAddr(c.addr)
	case "recipient":
		for _, r := range f.env.Recipients {
			if how := e.addrMatches(c.addr, strings.ToLower(r.Addr)); how != "" {
				return true, "a recipient matches " + how
			}
		}
		return false, fmt.Sprintf("none of %d recipients matches %s", len(f.env.Recipients), describeAddr(c.addr))
	case "all_recipients":
		if len(f.env.Recipients) == 0 {
			return false, "no recipients"
		}
		for i, r := range f.env.Recipients {
			if e.addrMatches(c.addr, strings.ToLower(r.Addr)) == "" {
				return false, fmt.Sprintf("recipient %d of %d does not match %s", i+1, len(f.env.Recipients), describeAddr(c.addr))
			}
		}
		return true, fmt.Sprintf("all %d recipients match %s", len(f.env.Recipients), describeAddr(c.addr))
	case "header":
		vals := f.header.Values(c.hdr.name)
		if c.hdr.re == nil {
			if len(vals) > 0 {
				return true, "header " + c.hdr.name + " is present"
			}
			return false, "header " + c.hdr.name + " is absent"
		}
		for _, v := range vals {
			if c.hdr.re.MatchString(e.decodeHeader(strings.TrimSpace(v))) {
				return true, fmt.Sprintf("header %s matches /%s/", c.hdr.name, c.hdr.raw)
			}
		}
		if len(vals) == 0 {
			return false, "header " + c.hdr.name + " is absent"
		}
		return false, fmt.Sprintf("header %s does not match /%s/", c.hdr.name, c.hdr.raw)
	case "subject_tag":
		if c.tagAny {
			if f.settingsTag != "" {
				f.matchedTag = f.settingsTag
				return true, fmt.Sprintf("subject has tag %q", f.settingsTag)
			}
			return false, "subject has no recognised tag"
		}
		if t := findTag(f.subject, c.tags); t != "" {
			f.matchedTag = t
			return true, fmt.Sprintf("subject has tag %q", t)
		}
		return false, fmt.Sprintf("subject has none of the tags %s", quoteList(c.tags))
	case "listener":
		if contains(c.names, strings.ToLower(f.env.Listener)) {
			return true, fmt.Sprintf("listener is %q", f.env.Listener)
		}
		return false, fmt.Sprintf("listener is not one of %s", quoteList(c.names))
	case "auth_user":
		if f.env.AuthUser != "" && contains(c.names, strings.ToLower(f.env.AuthUser)) {
			return true, "authenticated user is listed"
		}
		return false, fmt.Sprintf("authenticated user is not one of the %d listed", len(c.names))
	case "attachment":
		for _, a := range f.attachments {
			if attMatches(c.att, a) {
				return true, fmt.Sprintf("an attachment matches %s", describeAtt(c.att))
			}
		}
		return false, fmt.Sprintf("none of %d attachments matches %s", len(f.attachments), describeAtt(c.att))
	case "size":
		ok := f.size >= c.size.min && (c.size.max == 0 || f.size <= c.size.max)
		if ok {
			return true, fmt.Sprintf("size %d is within %s", f.size, describeRange(*c.size))
		}
		return false, fmt.Sprintf("size %d is outside %s", f.size, describeRange(*c.size))
	case "detect":
		return e.evalDetect(c.det, f)
	case "not_read":
		var minSize int64
		if c.size != nil {
			minSize = c.size.min
		}
		n := 0
		for _, u := range f.notRead {
			// A photo a camera or a phone named counts from half the size: resized
			// for mail, a picture of a form is often smaller than a logo limit.
			if sz := f.partSize(u.Part); minSize == 0 || sz >= minSize || (sz >= minSize/2 && f.cameraPhoto(u.Part)) {
				n++
			}
		}
		what := "part(s) not read (pictures; settings.ocr is off)"
		if minSize > 0 {
			what = fmt.Sprintf("part(s) of %d bytes or more not read (pictures; settings.ocr is off)", minSize)
		}
		return c.flag == (n > 0), fmt.Sprintf("%d %s", n, what)
	case "unscannable":
		n := len(f.unscannable)
		if c.flag == (n > 0) {
			if n > 0 {
				return true, fmt.Sprintf("%d part(s) could not be scanned (%s)", n, reasons(f))
			}
			return true, "every part was scanned"
		}
		if n > 0 {
			return false, fmt.Sprintf("%d part(s) could not be scanned (%s)", n, reasons(f))
		}
		return false, "every part was scanned"
	}
	return false, "unknown condition " + c.kind
}

func (e *Engine) evalDetect(d *detectMatch, f *facts) (bool, string) {
	count := 0
	var seen []string
	scoreFs := f.findings[:0:0]
	for _, fd := range f.all {
		if d.types != nil && !contains(d.types, fd.Type) {
			continue
		}
		if fd.Type != FindingUnscannable {
			scoreFs = append(scoreFs, fd)
		}
		if int(fd.Confidence) < d.minConfidence {
			continue
		}
		count += fd.Count
		seen = append(seen, fmt.Sprintf("%s×%d", fd.Type, fd.Count))
	}
	var parts []string
	ok := true
	if d.minCount > 0 {
		what := "findings"
		if d.types != nil {
			what = strings.Join(d.types, "/") + " findings"
		}
		if d.minConfidence > 0 {
			what += " at " + d.minConfName + "+"
		}
		if count >= d.minCount {
			parts = append(parts, fmt.Sprintf("%d %s (%s) >= %d", count, what, strings.Join(seen, ", "), d.minCount))
		} else {
			ok = false
			parts = append(parts, fmt.Sprintf("%d %s < %d", count, what, d.minCount))
		}
	}
	if d.hasScore {
		s := f.score
		if d.types != nil {
			s = detect.Score(scoreFs)
		}
		if s >= d.score {
			parts = append(parts, fmt.Sprintf("score %.2f >= %g", s, d.score))
		} else {
			ok = false
			parts = append(parts, fmt.Sprintf("score %.2f < %g", s, d.score))
		}
	}
	return ok, "detect: " + strings.Join(parts, ", ")
}

// addrMatches says which entry matched addr, or "" for none.
func (e *Engine) addrMatches(a *addrMatch, addr string) string {
	dom := ""
	if at := strings.LastIndexByte(addr, '@'); at >= 0 {
		dom = addr[at+1:]
	}
	for _, g := range a.globs {
		if ok, _ := path.Match(g, addr); ok {
			return fmt.Sprintf("address %q", g)
		}
	}
	for _, d := range a.domains {
		if domainMatches(d, dom) {
			return fmt.Sprintf("domain %q", d)
		}
	}
	for _, l := range a.lists {
		for _, entry := range e.set.Lists[l] {
			if strings.Contains(entry, "@") {
				if ok, _ := path.Match(entry, addr); ok {
					return fmt.Sprintf("list %q", l)
				}
			} else if domainMatches(entry, dom) {
				return fmt.Sprintf("list %q", l)
			}
		}
	}
	return ""
}

// domainMatches: "x.org" matches exactly; ".x.org" matches its subdomains
// (as tls_policy does elsewhere in sealgate), not x.org itself.
func domainMatches(pattern, dom string) bool {
	if dom == "" {
		return false
	}
	if strings.HasPrefix(pattern, ".") {
		return strings.HasSuffix(dom, pattern)
	}
	return dom == pattern
}

func attMatches(m *attachMatch, a attachment) bool {
	if m.name != "" {
		if ok, _ := path.Match(m.name, a.name); !ok {
			return false
		}
	}
	if m.typ != "" {
		if ok, _ := path.Match(m.typ, a.typ); !ok {
			return false
		}
	}
	if a.size < m.size.min {
		return false
	}
	return m.size.max == 0 || a.size <= m.size.max
}

func describeAddr(a *addrMatch) string {
	var parts []string
	if len(a.globs) > 0 {
		parts = append(parts, "address "+quoteList(a.globs))
	}
	if len(a.domains) > 0 {
		parts = append(parts, "domain "+quoteList(a.domains))
	}
	if len(a.lists) > 0 {
		parts = append(parts, "list "+quoteList(a.lists))
	}
	return strings.Join(parts, " or ")
}

func describeAtt(m *attachMatch) string {
	var parts []string
	if m.name != "" {
		parts = append(parts, fmt.Sprintf("name %q", m.name))
	}
	if m.typ != "" {
		parts = append(parts, fmt.Sprintf("type %q", m.typ))
	}
	if m.size.min > 0 || m.size.max > 0 {
		parts = append(parts, "size "+describeRange(m.size))
	}
	if len(parts) == 0 {
		return "(any)"
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func describeRange(r sizeRange) string {
	if r.max == 0 {
		return fmt.Sprintf("[%d, ∞)", r.min)
	}
	return fmt.Sprintf("[%d, %d]", r.min, r.max)
}

func quoteList(l []string) string {
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = fmt.Sprintf("%q", s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func reasons(f *facts) string {
	seen := map[string]bool{}
	var out []string
	for _, u := range f.unscannable {
		if !seen[u.Reason] {
			seen[u.Reason] = true
			out = append(out, u.Reason)
		}
	}
	return strings.Join(out, ", ")
}
