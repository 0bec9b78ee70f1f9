package policy

import (
	"fmt"
	"net/textproto"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

func (c *compiler) settings(n *yaml.Node) {
	if c.settingsFile != "" {
		c.errf(n, "settings", "settings given again (first in %s:%d); at most one settings section across all files", c.settingsFile, c.settingsLine)
		return
	}
	c.settingsFile, c.settingsLine = c.file, n.Line
	m := c.mapping(n, "settings", "subject_tags", "limits", "detect", "ocr")
	if m == nil {
		return
	}
	s := &c.set.Settings
	if v := m["subject_tags"]; v != nil {
		if tags, ok := c.strList(v, "settings.subject_tags"); ok {
			for i, t := range tags {
				if strings.TrimSpace(t) == "" || strings.ContainsAny(t, "\r\n") {
					c.errf(elemNode(v, i), fmt.Sprintf("settings.subject_tags[%d]", i), "a tag must be non-empty text on one line")
					continue
				}
				s.SubjectTags = append(s.SubjectTags, strings.TrimSpace(t))
			}
		}
	}
	if v := m["limits"]; v != nil {
		c.limits(v)
	}
	if v := m["detect"]; v != nil {
		c.detectSettings(v)
	}
	if v := m["ocr"]; v != nil {
		c.ocrSettings(v)
	}
}

// reOCRLang is a tesseract language code (traineddata name); it becomes a
// command-line argument, so nothing else may pass.
var reOCRLang = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{1,31}$`)

func (c *compiler) ocrSettings(n *yaml.Node) {
	const p = "settings.ocr"
	m := c.mapping(n, p, "enabled", "languages", "timeout", "max_pixels", "max_pages", "dpi")
	if m == nil {
		return
	}
	o := &c.set.Settings.OCR
	if v := m["enabled"]; v != nil {
		o.Enabled, _ = c.boolean(v, p+".enabled")
	}
	if v := m["languages"]; v != nil {
		langs, _ := c.strList(v, p+".languages")
		if len(langs) == 0 {
			c.errf(v, p+".languages", "must name at least one tesseract language (example: [eng])")
		}
		for i, l := range langs {
			if !reOCRLang.MatchString(l) {
				c.errf(elemNode(v, i), fmt.Sprintf("%s.languages[%d]", p, i), "not a tesseract language code (examples: eng, deu, chi_sim)")
			}
		}
		o.Languages = langs
	}
	if v := m["timeout"]; v != nil {
		o.Timeout = c.positiveDuration(v, p+".timeout")
	}
	if v := m["max_pixels"]; v != nil {
		if x, ok := c.integer(v, p+".max_pixels", 10000); ok {
			o.MaxPixels = x
		}
	}
	if v := m["max_pages"]; v != nil {
		if x, ok := c.integer(v, p+".max_pages", 1); ok {
			o.MaxPages = int(x)
		}
	}
	if v := m["dpi"]; v != nil {
		if x, ok := c.integer(v, p+".dpi", 72); ok {
			if x > 1200 {
				c.errf(v, p+".dpi", "must be at most 1200")
			}
			o.DPI = int(x)
		}
	}
}

func (c *compiler) positiveDuration(v *yaml.Node, path string) time.Duration {
	s, ok := c.str(v, path)
	if !ok {
		return 0
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		c.errf(v, path, "not a positive duration (examples: 30s, 2m)")
		return 0
	}
	return d
}

func (c *compiler) limits(n *yaml.Node) {
	const p = "settings.limits"
	m := c.mapping(n, p, "max_depth", "max_parts", "max_decoded_bytes", "max_part_bytes", "max_header_bytes", "max_zip_ratio", "timeout", "helper_memory", "helper_timeout")
	if m == nil {
		return
	}
	l := &c.set.Settings.Limits
	ints := map[string]*int{"max_depth": &l.MaxDepth, "max_parts": &l.MaxParts, "max_zip_ratio": &l.MaxZipRatio}
	for k, dst := range ints {
		if v := m[k]; v != nil {
			if x, ok := c.integer(v, p+"."+k, 1); ok {
				*dst = int(x)
			}
		}
	}
	sizes := map[string]*int64{"max_decoded_bytes": &l.MaxDecodedBytes, "max_part_bytes": &l.MaxPartBytes}
	for k, dst := range sizes {
		if v := m[k]; v != nil {
			if x, ok := c.byteSize(v, p+"."+k); ok {
				if x < 1 {
					c.errf(v, p+"."+k, "must be at least 1 byte")
				}
				*dst = x
			}
		}
	}
	if v := m["max_header_bytes"]; v != nil {
		if x, ok := c.byteSize(v, p+".max_header_bytes"); ok {
			if x < 1024 || x > 64<<20 {
				c.errf(v, p+".max_header_bytes", "must be between 1KiB and 64MiB")
			}
			l.MaxHeaderBytes = int(x)
		}
	}
	if v := m["timeout"]; v != nil {
		if s, ok := c.str(v, p+".timeout"); ok {
			d, err := time.ParseDuration(s)
			if err != nil || d <= 0 {
				c.errf(v, p+".timeout", "not a positive duration (examples: 30s, 2m)")
			}
			l.Timeout = d
		}
	}
	if v := m["helper_memory"]; v != nil {
		if x, ok := c.byteSize(v, p+".helper_memory"); ok {
			if x < 64<<20 {
				c.errf(v, p+".helper_memory", "must be at least 64MiB (pdftotext and tesseract need that much address space to start)")
			}
			l.HelperMemory = x
		}
	}
	if v := m["helper_timeout"]; v != nil {
		l.HelperTimeout = c.positiveDuration(v, p+".helper_timeout")
	}
}

func (c *compiler) detectSettings(n *yaml.Node) {
	const p = "settings.detect"
	m := c.mapping(n, p, "enabled", "mrn_patterns", "member_id_patterns", "dictionaries", "dictionary_files", "custom")
	if m == nil {
		return
	}
	d := &c.set.Settings.Detect
	if v := m["enabled"]; v != nil {
		d.Enabled, _ = c.strList(v, p+".enabled")
		builtin := builtinDetectors()
		for i, t := range d.Enabled {
			if !contains(builtin, t) {
				c.errf(elemNode(v, i), fmt.Sprintf("%s.enabled[%d]", p, i), "unknown detector %q (known: %s)", t, strings.Join(builtin, ", "))
			}
		}
		if d.Enabled == nil {
			d.Enabled = []string{} // an explicit empty list: only custom detectors
		}
	}
	for _, k := range []string{"mrn_patterns", "member_id_patterns"} {
		v := m[k]
		if v == nil {
			continue
		}
		list, _ := c.strList(v, p+"."+k)
		for i, re := range list {
			if _, err := regexp.Compile(re); err != nil {
				c.errf(elemNode(v, i), fmt.Sprintf("%s.%s[%d]", p, k, i), "bad regular expression (RE2 syntax): %v", reErr(err))
			}
		}
		if k == "mrn_patterns" {
			d.MRNPatterns = list
		} else {
			d.MemberIDPatterns = list
		}
	}
	d.Dictionaries = map[string][]string{}
	if v := m["dictionaries"]; v != nil {
		c.eachKey(v, p+".dictionaries", func(k *yaml.Node, val *yaml.Node, kp string) {
			if !c.checkName(k, kp, k.Value) {
				return
			}
			terms, ok := c.strList(val, kp)
			if ok {
				d.Dictionaries[k.Value] = append(d.Dictionaries[k.Value], terms...)
			}
		})
	}
	if v := m["dictionary_files"]; v != nil {
		c.eachKey(v, p+".dictionary_files", func(k *yaml.Node, val *yaml.Node, kp string) {
			if !c.checkName(k, kp, k.Value) {
				return
			}
			if _, dup := d.Dictionaries[k.Value]; dup {
				c.errf(k, kp, "dictionary %q is also given inline", k.Value)
				return
			}
			if f, ok := c.str(val, kp); ok {
				if terms, ok := c.readListFile(val, kp, f); ok {
					d.Dictionaries[k.Value] = terms
				}
			}
		})
	}
	for name := range d.Dictionaries {
		if contains(builtinDetectors(), name) && name != "condition" && name != "medication" && name != "procedure" {
			c.errf(n, p+".dictionaries."+name, "%q is a built-in detector name", name)
		}
	}
	if v := m["custom"]; v != nil {
		v = resolve(v)
		if v.Kind != yaml.SequenceNode {
			c.errf(v, p+".custom", "must be a list of {name, pattern, confidence, context}")
			return
		}
		for i, e := range v.Content {
			ep := fmt.Sprintf("%s.custom[%d]", p, i)
			em := c.mapping(e, ep, "name", "pattern", "confidence", "context")
			if em == nil {
				continue
			}
			var cd CustomDetector
			if em["name"] == nil || em["pattern"] == nil {
				c.errf(e, ep, "name and pattern are required")
				continue
			}
			cd.Name, _ = c.str(em["name"], ep+".name")
			c.checkName(em["name"], ep+".name", cd.Name)
			if contains(builtinDetectors(), cd.Name) || cd.Name == FindingUnscannable {
				c.errf(em["name"], ep+".name", "%q is a built-in detector name", cd.Name)
			}
			for _, o := range d.Custom {
				if o.Name == cd.Name {
					c.errf(em["name"], ep+".name", "custom detector %q defined twice", cd.Name)
				}
			}
			cd.Pattern, _ = c.str(em["pattern"], ep+".pattern")
			if _, err := regexp.Compile(cd.Pattern); err != nil {
				c.errf(em["pattern"], ep+".pattern", "bad regular expression (RE2 syntax): %v", reErr(err))
			}
			cd.Confidence = "medium"
			if cv := em["confidence"]; cv != nil {
				if s, ok := c.str(cv, ep+".confidence"); ok {
					if confidenceRank(s) == 0 {
						c.errf(cv, ep+".confidence", "must be low, medium or high")
					}
					cd.Confidence = strings.ToLower(s)
				}
			}
			if cv := em["context"]; cv != nil {
				cd.Context, _ = c.strList(cv, ep+".context")
			}
			d.Custom = append(d.Custom, cd)
		}
	}
}

// reErr keeps the useful part of a regexp error.
func reErr(err error) string {
	return strings.TrimPrefix(err.Error(), "error parsing regexp: ")
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

func (c *compiler) checkName(n *yaml.Node, path, name string) bool {
	if !nameRE.MatchString(name) {
		c.errf(n, path, "name %q: use letters, digits, '_', '.', '-'", name)
		return false
	}
	return true
}

// eachKey calls fn for each key of a mapping node.
func (c *compiler) eachKey(n *yaml.Node, path string, fn func(k, v *yaml.Node, kp string)) {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		c.errf(n, path, "must be a mapping")
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		kp := joinPath(path, k.Value)
		if seen[k.Value] {
			c.errf(k, kp, "key %q given twice", k.Value)
			continue
		}
		seen[k.Value] = true
		fn(k, n.Content[i+1], kp)
	}
}

func (c *compiler) lists(n *yaml.Node) {
	c.eachKey(n, "lists", func(k, v *yaml.Node, kp string) {
		if !c.checkName(k, kp, k.Value) {
			return
		}
		if where, dup := c.listLine[k.Value]; dup {
			c.errf(k, kp, "list %q already defined at %s", k.Value, where)
			return
		}
		c.listLine[k.Value] = fmt.Sprintf("%s:%d", c.file, k.Line)
		var entries []string
		if rv := resolve(v); rv.Kind == yaml.MappingNode {
			m := c.mapping(rv, kp, "file")
			if m == nil || m["file"] == nil {
				if m != nil {
					c.errf(rv, kp, "file is required")
				}
				return
			}
			f, ok := c.str(m["file"], kp+".file")
			if !ok {
				return
			}
			if entries, ok = c.readListFile(m["file"], kp+".file", f); !ok {
				return
			}
		} else {
			var ok bool
			if entries, ok = c.strList(v, kp); !ok {
				return
			}
		}
		out := make([]string, 0, len(entries))
		for i, e := range entries {
			e = strings.ToLower(strings.TrimSpace(e))
			if msg := checkAddrEntry(e); msg != "" {
				c.errf(elemNode(v, i), fmt.Sprintf("%s[%d]", kp, i), "%s", msg)
				continue
			}
			out = append(out, e)
		}
		c.set.Lists[k.Value] = out
	})
}

// checkAddrEntry validates a list entry: an address glob (with '@') or a
// domain (exact, or ".suffix" for its subdomains).
func checkAddrEntry(e string) string {
	if e == "" {
		return "empty entry"
	}
	if strings.ContainsAny(e, " \t\r\n<>,;") {
		return fmt.Sprintf("%q: an entry is one address glob or one domain", e)
	}
	if strings.Contains(e, "@") {
		if _, err := path.Match(e, ""); err != nil {
			return fmt.Sprintf("%q: bad glob", e)
		}
		return ""
	}
	if strings.ContainsAny(e, "*?[") {
		return fmt.Sprintf("%q: domains take no wildcards; use .%s for subdomains", e, strings.TrimLeft(e, "*."))
	}
	if strings.HasSuffix(e, ".") || strings.Contains(e, "..") || e == "." {
		return fmt.Sprintf("%q: not a domain", e)
	}
	return ""
}

func (c *compiler) rules(n *yaml.Node) {
	n = resolve(n)
	if n.Kind != yaml.SequenceNode {
		c.errf(n, "rules", "must be a list of rules")
		return
	}
	if c.ids == nil {
		c.ids = map[string]string{}
	}
	for i, rn := range n.Content {
		p := fmt.Sprintf("rules[%d]", i)
		if r := c.rule(rn, p); r != nil {
			c.set.Rules = append(c.set.Rules, r)
		}
	}
}

func (c *compiler) rule(n *yaml.Node, p string) *Rule {
	m := c.mapping(n, p, "id", "description", "when", "default", "action", "methods", "min",
		"portal_expiry", "block_text", "strip_tag", "add_header", "bcc", "notify_sender")
	if m == nil {
		return nil
	}
	r := &Rule{File: c.file, Line: n.Line}
	if v := m["id"]; v == nil {
		c.errf(n, p, "id is required")
	} else if s, ok := c.str(v, p+".id"); ok && c.checkName(v, p+".id", s) {
		r.ID = s
		if where, dup := c.ids[s]; dup {
			c.errf(v, p+".id", "rule id %q already used at %s", s, where)
		}
		c.ids[s] = fmt.Sprintf("%s:%d", c.file, v.Line)
	}
	if v := m["description"]; v != nil {
		r.Description, _ = c.str(v, p+".description")
	}
	if v := m["default"]; v != nil {
		r.Default, _ = c.boolean(v, p+".default")
	}
	switch w := m["when"]; {
	case r.Default && w != nil:
		c.errf(w, p+".when", "the default rule has no conditions: it applies when no other rule matched")
	case !r.Default && w == nil:
		c.errf(n, p, "when is required (or default: true for the default rule)")
	case w != nil:
		r.When = c.cond(w, p+".when")
	}
	if v := m["action"]; v == nil {
		c.errf(n, p, "action is required (%s)", strings.Join(allActions, ", "))
	} else if s, ok := c.str(v, p+".action"); ok {
		if !contains(allActions, s) {
			c.errf(v, p+".action", "unknown action %q (known: %s)", s, strings.Join(allActions, ", "))
		}
		r.Action = s
	}
	if r.Action == ActionEncrypt {
		r.Methods = append([]string(nil), allMethods...)
		r.Min = MinEndToEnd
	}
	only := func(key, action string) bool {
		if v := m[key]; v != nil && r.Action != action && r.Action != "" {
			c.errf(v, p+"."+key, "%s applies only to action %s", key, action)
			return false
		}
		return m[key] != nil
	}
	if only("methods", ActionEncrypt) {
		v := m["methods"]
		if list, ok := c.strList(v, p+".methods"); ok {
			r.Methods = nil
			for i, meth := range list {
				ip := fmt.Sprintf("%s.methods[%d]", p, i)
				switch {
				case !contains(allMethods, meth):
					c.errf(elemNode(v, i), ip, "unknown method %q (known: %s)", meth, strings.Join(allMethods, ", "))
				case contains(r.Methods, meth):
					c.errf(elemNode(v, i), ip, "method %q listed twice", meth)
				default:
					r.Methods = append(r.Methods, meth)
				}
			}
			if len(list) == 0 {
				c.errf(v, p+".methods", "at least one method is required")
			}
		}
	}
	if only("min", ActionEncrypt) {
		if s, ok := c.str(m["min"], p+".min"); ok {
			if s != MinTLS && s != MinEndToEnd {
				c.errf(m["min"], p+".min", "must be %s or %s", MinTLS, MinEndToEnd)
			}
			r.Min = s
		}
	}
	if only("portal_expiry", ActionEncrypt) {
		r.PortalExpiry = c.portalExpiry(m["portal_expiry"], p+".portal_expiry")
	}
	if r.Action == ActionEncrypt && r.Min == MinEndToEnd && len(r.Methods) == 1 && r.Methods[0] == "tls" {
		c.errf(m["methods"], p+".methods", "min: end-to-end cannot be met by tls alone; add pgp, smime or portal, or set min: tls")
	}
	if r.Action == ActionBlock {
		r.BlockText = DefaultBlockText
	}
	if only("block_text", ActionBlock) {
		if s, ok := c.str(m["block_text"], p+".block_text"); ok {
			if msg := checkReplyText(s); msg != "" {
				c.errf(m["block_text"], p+".block_text", "%s", msg)
			}
			r.BlockText = s
		}
	}
	mods := []string{"strip_tag", "add_header", "bcc", "notify_sender"}
	for _, k := range mods {
		if v := m[k]; v != nil && r.Action == ActionBlock {
			c.errf(v, p+"."+k, "a blocked message is never delivered: %s does not apply to action block", k)
		}
	}
	if v := m["strip_tag"]; v != nil {
		r.StripTag, _ = c.boolean(v, p+".strip_tag")
	}
	if v := m["notify_sender"]; v != nil {
		r.NotifySender, _ = c.boolean(v, p+".notify_sender")
	}
	if v := m["bcc"]; v != nil {
		if list, ok := c.strList(v, p+".bcc"); ok {
			for i, a := range list {
				if !plausibleAddr(a) {
					c.errf(elemNode(v, i), fmt.Sprintf("%s.bcc[%d]", p, i), "%q is not an email address", a)
				}
				r.Bcc = append(r.Bcc, a)
			}
		}
	}
	if v := m["add_header"]; v != nil {
		r.AddHeaders = map[string]string{}
		c.eachKey(v, p+".add_header", func(k, val *yaml.Node, kp string) {
			if !validHeaderName(k.Value) {
				c.errf(k, kp, "%q is not a valid header field name", k.Value)
				return
			}
			s, ok := c.str(val, kp)
			if !ok {
				return
			}
			if strings.ContainsAny(s, "\r\n\x00") || len(s) > 900 {
				c.errf(val, kp, "a header value must be one line under 900 characters")
				return
			}
			r.AddHeaders[textproto.CanonicalMIMEHeaderKey(k.Value)] = s
		})
	}
	return r
}

// checkRuleSet checks what only the whole set shows: exactly one default
// rule, and it is last.
func (c *compiler) checkRuleSet() {
	var defaults []*Rule
	for _, r := range c.set.Rules {
		if r.Default {
			defaults = append(defaults, r)
		}
	}
	switch {
	case len(defaults) == 0:
		file := ""
		if len(c.set.Files) > 0 {
			file = c.set.Files[len(c.set.Files)-1]
		}
		c.problem(file, 0, "rules", "no default rule: add a last rule with default: true and an action")
	case len(defaults) > 1:
		for _, r := range defaults[1:] {
			c.problem(r.File, r.Line, "rules", fmt.Sprintf("rule %q: a second default rule (the first is %q at %s:%d); exactly one is allowed",
				r.ID, defaults[0].ID, defaults[0].File, defaults[0].Line))
		}
	case c.set.Rules[len(c.set.Rules)-1] != defaults[0]:
		r := defaults[0]
		c.problem(r.File, r.Line, "rules", fmt.Sprintf("default rule %q must be the last rule of the last file; rules after it would never run", r.ID))
	}
}

// checkReplyText keeps block_text a valid single SMTP reply line.
func checkReplyText(s string) string {
	if s == "" {
		return "must not be empty"
	}
	if len(s) > 400 {
		return "must be at most 400 characters (one SMTP reply line)"
	}
	for _, r := range s {
		if r < 0x20 || r > 0x7e {
			return "must be printable ASCII on one line (it is sent as the SMTP reply)"
		}
	}
	return ""
}

func plausibleAddr(a string) bool {
	at := strings.LastIndexByte(a, '@')
	return at > 0 && at < len(a)-1 && !strings.ContainsAny(a, " \t\r\n<>,;\"")
}

// validHeaderName: RFC 5322 §3.6.8 field name, printable ASCII except colon.
func validHeaderName(s string) bool {
	if s == "" || len(s) > 76 {
		return false
	}
	for _, r := range s {
		if r <= 32 || r >= 127 || r == ':' {
			return false
		}
	}
	return true
}

// ParseByteSize reads "1024", "512KiB", "10MB", "20 MiB" (K/M/G with or
// without the i; KB = 1000, KiB = 1024).
func ParseByteSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9') {
		i++
	}
	if i == 0 {
		return 0, fmt.Errorf("%q is not a size (examples: 1024, 512KiB, 10MB, 20MiB)", s)
	}
	n, err := strconv.ParseInt(t[:i], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a size: too large", s)
	}
	unit := strings.ToLower(strings.TrimSpace(t[i:]))
	mult := map[string]int64{"": 1, "b": 1, "k": 1 << 10, "kb": 1000, "kib": 1 << 10, "m": 1 << 20, "mb": 1000_000,
		"mib": 1 << 20, "g": 1 << 30, "gb": 1000_000_000, "gib": 1 << 30}[unit]
	if mult == 0 {
		return 0, fmt.Errorf("%q is not a size: unknown unit %q (B, KB, KiB, MB, MiB, GB, GiB)", s, t[i:])
	}
	if n > (1<<62)/mult {
		return 0, fmt.Errorf("%q is not a size: too large", s)
	}
	return n * mult, nil
}

func confidenceRank(s string) int {
	switch strings.ToLower(s) {
	case "low":
		return 1
	case "medium":
		return 2
	case "high":
		return 3
	}
	return 0
}

// portalExpiry reads a rule's portal_expiry: a Go duration ("168h") or a
// number of days ("14d"), from 1 hour to 366 days.
func (c *compiler) portalExpiry(v *yaml.Node, p string) time.Duration {
	s, ok := c.str(v, p)
	if !ok {
		return 0
	}
	var d time.Duration
	var err error
	if days, found := strings.CutSuffix(s, "d"); found {
		var n int
		if n, err = strconv.Atoi(days); err == nil {
			d = time.Duration(n) * 24 * time.Hour
		}
	} else {
		d, err = time.ParseDuration(s)
	}
	if err != nil || d < time.Hour || d > 366*24*time.Hour {
		c.errf(v, p, "%q is not a duration from 1h to 366d (e.g. 168h or 14d)", s)
		return 0
	}
	return d
}
