package policy

import (
	"fmt"
	"net/textproto"
	"path"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

var condKeys = []string{"all", "any", "not", "sender", "recipient", "all_recipients", "header", "subject_tag",
	"listener", "auth_user", "attachment", "size", "detect", "unscannable", "not_read"}

// cond compiles one condition mapping. Several keys in one mapping must all
// hold (an implicit all), in the order written.
func (c *compiler) cond(n *yaml.Node, p string) *Cond {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		c.errf(n, p, "must be a condition mapping (one of: %s)", strings.Join(condKeys, ", "))
		return nil
	}
	m := c.mapping(n, p, condKeys...)
	if m == nil {
		return nil
	}
	if len(n.Content) == 0 {
		c.errf(n, p, "empty condition (one of: %s)", strings.Join(condKeys, ", "))
		return nil
	}
	var parts []*Cond
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i].Value
		v, ok := m[k]
		if !ok {
			continue // reported by mapping
		}
		if x := c.condKey(k, v, joinPath(p, k)); x != nil {
			parts = append(parts, x)
		}
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return &Cond{kind: "all", path: p, sub: parts}
}

func (c *compiler) condKey(k string, v *yaml.Node, p string) *Cond {
	x := &Cond{kind: k, path: p}
	v = resolve(v)
	switch k {
	case "all", "any":
		if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
			c.errf(v, p, "must be a non-empty list of conditions")
			return nil
		}
		for i, e := range v.Content {
			if s := c.cond(e, fmt.Sprintf("%s[%d]", p, i)); s != nil {
				x.sub = append(x.sub, s)
			}
		}
	case "not":
		s := c.cond(v, p)
		if s == nil {
			return nil
		}
		x.sub = []*Cond{s}
	case "sender", "recipient", "all_recipients":
		x.addr = c.addrMatch(v, p)
	case "header":
		m := c.mapping(v, p, "name", "regex")
		if m == nil {
			return nil
		}
		if m["name"] == nil {
			c.errf(v, p, "name is required")
			return nil
		}
		name, _ := c.str(m["name"], p+".name")
		if !validHeaderName(name) {
			c.errf(m["name"], p+".name", "%q is not a valid header field name", name)
		}
		x.hdr = &headerMatch{name: textproto.CanonicalMIMEHeaderKey(name)}
		if rv := m["regex"]; rv != nil {
			s, _ := c.str(rv, p+".regex")
			re, err := regexp.Compile(s)
			if err != nil {
				c.errf(rv, p+".regex", "bad regular expression (RE2 syntax): %v", reErr(err))
			}
			x.hdr.re, x.hdr.raw = re, s
		}
	case "subject_tag":
		if v.Kind == yaml.ScalarNode && v.Tag == "!!bool" {
			b, _ := c.boolean(v, p)
			if !b {
				c.errf(v, p, "subject_tag: false is not supported; write not: {subject_tag: true}")
				return nil
			}
			x.tagAny = true
			break
		}
		tags, ok := c.strList(v, p)
		if !ok {
			return nil
		}
		for i, t := range tags {
			t = strings.ToLower(strings.TrimSpace(t))
			if t == "" {
				c.errf(elemNode(v, i), fmt.Sprintf("%s[%d]", p, i), "empty tag")
				continue
			}
			x.tags = append(x.tags, t)
		}
	case "listener", "auth_user":
		list, ok := c.strList(v, p)
		if !ok {
			return nil
		}
		if len(list) == 0 {
			c.errf(v, p, "must name at least one %s", k)
		}
		for _, s := range list {
			x.names = append(x.names, strings.ToLower(s))
		}
	case "attachment":
		m := c.mapping(v, p, "name", "type", "min_size", "max_size")
		if m == nil {
			return nil
		}
		a := &attachMatch{}
		for _, f := range []struct {
			key string
			dst *string
		}{{"name", &a.name}, {"type", &a.typ}} {
			if fv := m[f.key]; fv != nil {
				s, _ := c.str(fv, p+"."+f.key)
				s = strings.ToLower(s)
				if _, err := path.Match(s, ""); err != nil {
					c.errf(fv, p+"."+f.key, "bad glob %q", s)
				}
				*f.dst = s
			}
		}
		a.size = c.sizeRange(m["min_size"], m["max_size"], p+".min_size", p+".max_size")
		x.att = a
	case "size":
		m := c.mapping(v, p, "min", "max")
		if m == nil {
			return nil
		}
		if m["min"] == nil && m["max"] == nil {
			c.errf(v, p, "give min, max or both")
		}
		r := c.sizeRange(m["min"], m["max"], p+".min", p+".max")
		x.size = &r
	case "detect":
		x.det = c.detectMatch(v, p)
	case "unscannable":
		x.flag, _ = c.boolean(v, p)
	case "not_read":
		// not_read: true, or {min_size: 16KiB}: a part skipped unread (a picture with OCR
		// off) of at least that size, or of half of it when a camera named it (photo.go).
		if resolve(v).Kind == yaml.ScalarNode {
			x.flag, _ = c.boolean(v, p)
			break
		}
		m := c.mapping(v, p, "min_size")
		if m == nil {
			return nil
		}
		x.flag = true
		r := c.sizeRange(m["min_size"], nil, p+".min_size", "")
		x.size = &r
	}
	return x
}

func (c *compiler) sizeRange(minN, maxN *yaml.Node, minPath, maxPath string) sizeRange {
	var r sizeRange
	if minN != nil {
		r.min, _ = c.byteSize(minN, minPath)
	}
	if maxN != nil {
		r.max, _ = c.byteSize(maxN, maxPath)
		if r.max < r.min {
			c.errf(maxN, maxPath, "is below the minimum")
		}
	}
	return r
}

func (c *compiler) addrMatch(v *yaml.Node, p string) *addrMatch {
	m := c.mapping(v, p, "address", "domain", "list")
	if m == nil {
		return nil
	}
	a := &addrMatch{}
	if len(resolve(v).Content) == 0 {
		c.errf(v, p, "give address, domain or list")
	}
	if x := m["address"]; x != nil {
		list, _ := c.strList(x, p+".address")
		for i, g := range list {
			g = strings.ToLower(strings.TrimSpace(g))
			if _, err := path.Match(g, ""); err != nil || g == "" {
				c.errf(elemNode(x, i), fmt.Sprintf("%s.address[%d]", p, i), "bad address glob %q", g)
			}
			a.globs = append(a.globs, g)
		}
	}
	if x := m["domain"]; x != nil {
		list, _ := c.strList(x, p+".domain")
		for i, d := range list {
			d = strings.ToLower(strings.TrimSpace(d))
			if msg := checkAddrEntry(d); msg != "" || strings.Contains(d, "@") {
				if msg == "" {
					msg = fmt.Sprintf("%q: a domain has no '@' (use address: for addresses)", d)
				}
				c.errf(elemNode(x, i), fmt.Sprintf("%s.domain[%d]", p, i), "%s", msg)
			}
			a.domains = append(a.domains, d)
		}
	}
	if x := m["list"]; x != nil {
		list, _ := c.strList(x, p+".list")
		for i, l := range list {
			if _, ok := c.set.Lists[l]; !ok {
				if _, defined := c.listLine[l]; !defined {
					c.errf(elemNode(x, i), fmt.Sprintf("%s.list[%d]", p, i), "unknown list %q (known: %s)", l, strings.Join(sortedKeys(c.set.Lists), ", "))
				}
			}
			a.lists = append(a.lists, l)
		}
	}
	return a
}

func (c *compiler) detectMatch(v *yaml.Node, p string) *detectMatch {
	m := c.mapping(v, p, "types", "min_count", "min_confidence", "score")
	if m == nil {
		return nil
	}
	d := &detectMatch{}
	if x := m["types"]; x != nil {
		list, _ := c.strList(x, p+".types")
		for i, t := range list {
			if !contains(c.known, t) {
				c.errf(elemNode(x, i), fmt.Sprintf("%s.types[%d]", p, i), "unknown detector %q (known: %s)", t, strings.Join(c.known, ", "))
			}
			d.types = append(d.types, t)
		}
	}
	if x := m["min_count"]; x != nil {
		n, _ := c.integer(x, p+".min_count", 1)
		d.minCount, d.hasCount = int(n), true
	}
	if x := m["min_confidence"]; x != nil {
		s, _ := c.str(x, p+".min_confidence")
		d.minConfidence = confidenceRank(s)
		d.minConfName = strings.ToLower(s)
		if d.minConfidence == 0 {
			c.errf(x, p+".min_confidence", "must be low, medium or high")
		}
	}
	if x := m["score"]; x != nil {
		d.score, _ = c.number(x, p+".score")
		d.hasScore = true
	}
	if len(resolve(v).Content) == 0 {
		c.errf(v, p, "give types, min_count, min_confidence or score")
	}
	if !d.hasCount && (!d.hasScore || d.types != nil || d.minConfidence > 0) {
		d.minCount = 1 // {types: [ssn]} means "at least one ssn"
	}
	if d.hasScore && !d.hasCount && d.types == nil && d.minConfidence == 0 {
		d.minCount = 0 // score alone
	}
	return d
}

func sortedKeys(m map[string][]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sortStrings(out)
	return out
}
