package policy

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Problem is one thing wrong with a policy, with where it is.
type Problem struct {
	File string
	Line int
	Path string // key path: rules[2].when.all[0].detect.types[1]
	Msg  string
}

func (p Problem) String() string {
	var b strings.Builder
	b.WriteString("policy: ")
	if p.File != "" {
		b.WriteString(p.File)
		if p.Line > 0 {
			fmt.Fprintf(&b, ":%d", p.Line)
		}
		b.WriteString(": ")
	}
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// LintError is every problem found in a policy; Load returns it.
type LintError struct {
	Problems []Problem
}

func (e *LintError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// maxPolicyFile bounds one policy, list or dictionary file: policies are
// written by people, a 16 MiB file is a mistake.
const maxPolicyFile = 16 << 20

// Load reads the policy files named by paths (each a file, or a directory
// whose *.yaml and *.yml files are read), in lexical order of file name
// within each directory, and validates them. Problems come back as one
// *LintError listing all of them; nothing is half-loaded.
func Load(paths ...string) (*Set, error) {
	files, probs := expand(paths)
	if len(probs) > 0 {
		return nil, &LintError{Problems: probs}
	}
	srcs := make([]source, 0, len(files))
	for _, f := range files {
		data, err := readBounded(f)
		if err != nil {
			probs = append(probs, Problem{File: f, Msg: err.Error()})
			continue
		}
		srcs = append(srcs, source{name: f, data: data})
	}
	if len(probs) > 0 {
		return nil, &LintError{Problems: probs}
	}
	return compile(srcs, os.ReadFile)
}

// Lint returns every problem in the policy files; none means Load succeeds.
func Lint(paths ...string) []Problem {
	_, err := Load(paths...)
	if err == nil {
		return nil
	}
	if le, ok := err.(*LintError); ok {
		return le.Problems
	}
	return []Problem{{Msg: err.Error()}}
}

// LintBytes checks one policy document given as bytes (the REST API's
// policy validate), named name in problems. Lists and dictionaries it
// names are read from disk, relative to the working directory, as Load does.
func LintBytes(name string, data []byte) []Problem {
	if len(data) > maxPolicyFile {
		return []Problem{{File: name, Msg: fmt.Sprintf("%d bytes is larger than a policy can be (%d)", len(data), maxPolicyFile)}}
	}
	_, err := compile([]source{{name: name, data: data}}, os.ReadFile)
	if err == nil {
		return nil
	}
	if le, ok := err.(*LintError); ok {
		return le.Problems
	}
	return []Problem{{File: name, Msg: err.Error()}}
}

type source struct {
	name string // as the admin named it (path)
	data []byte
}

// expand turns files and directories into the ordered file list.
func expand(paths []string) ([]string, []Problem) {
	var files []string
	var probs []Problem
	if len(paths) == 0 {
		return nil, []Problem{{Msg: "no policy files given"}}
	}
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			probs = append(probs, Problem{File: p, Msg: strings.TrimPrefix(err.Error(), "stat "+p+": ")})
			continue
		}
		if !fi.IsDir() {
			files = append(files, p)
			continue
		}
		ents, err := os.ReadDir(p)
		if err != nil {
			probs = append(probs, Problem{File: p, Msg: err.Error()})
			continue
		}
		var names []string
		for _, e := range ents {
			n := e.Name()
			if e.IsDir() || strings.HasPrefix(n, ".") {
				continue
			}
			if ext := filepath.Ext(n); ext == ".yaml" || ext == ".yml" {
				names = append(names, n)
			}
		}
		sort.Strings(names)
		if len(names) == 0 {
			probs = append(probs, Problem{File: p, Msg: "directory has no *.yaml or *.yml files"})
		}
		for _, n := range names {
			files = append(files, filepath.Join(p, n))
		}
	}
	return files, probs
}

func readBounded(name string) ([]byte, error) {
	fi, err := os.Stat(name)
	if err != nil {
		return nil, err
	}
	if fi.Size() > maxPolicyFile {
		return nil, fmt.Errorf("file larger than %d bytes", maxPolicyFile)
	}
	return os.ReadFile(name)
}

// compile parses and validates sources; readFile reads the list and
// dictionary files they reference (relative to the policy file).
func compile(srcs []source, readFile func(string) ([]byte, error)) (*Set, error) {
	c := &compiler{
		set:      &Set{Lists: map[string][]string{}},
		readFile: readFile,
		listLine: map[string]string{},
	}
	type parsed struct {
		src  source
		root *yaml.Node
	}
	var docs []parsed
	for _, s := range srcs {
		c.set.Files = append(c.set.Files, s.name)
		var root yaml.Node
		if err := yaml.Unmarshal(s.data, &root); err != nil {
			c.problem(s.name, 0, "", yamlErr(err))
			continue
		}
		docs = append(docs, parsed{s, &root})
	}
	// Lists and settings first: rules refer to them whatever the file order.
	var ruleNodes []struct {
		file string
		n    *yaml.Node
	}
	for _, d := range docs {
		c.file = d.src.name
		c.dir = filepath.Dir(d.src.name)
		top := d.root
		if top.Kind == yaml.DocumentNode {
			if len(top.Content) == 0 {
				continue // empty file
			}
			top = top.Content[0]
		}
		m := c.mapping(top, "", "settings", "lists", "rules")
		if m == nil {
			continue
		}
		if n := m["settings"]; n != nil {
			c.settings(n)
		}
		if n := m["lists"]; n != nil {
			c.lists(n)
		}
		if n := m["rules"]; n != nil {
			ruleNodes = append(ruleNodes, struct {
				file string
				n    *yaml.Node
			}{d.src.name, n})
		}
	}
	c.known = knownDetectors(c.set.Settings.Detect)
	for _, rn := range ruleNodes {
		c.file = rn.file
		c.dir = filepath.Dir(rn.file)
		c.rules(rn.n)
	}
	c.checkRuleSet()
	d := c.set.Settings.Detect
	custom := d.Enabled != nil || len(d.MRNPatterns)+len(d.MemberIDPatterns)+len(d.Dictionaries)+len(d.Custom) > 0
	if len(c.probs) == 0 && custom { // the built-in detectors always compile; skip the cost
		if err := checkDetectSettings(c.set.Settings.Detect); err != nil {
			c.problem(c.settingsFile, c.settingsLine, "settings.detect", err.Error())
		}
	}
	if len(c.probs) > 0 {
		sort.SliceStable(c.probs, func(i, j int) bool {
			if c.probs[i].File != c.probs[j].File {
				return fileIndex(c.set.Files, c.probs[i].File) < fileIndex(c.set.Files, c.probs[j].File)
			}
			return c.probs[i].Line < c.probs[j].Line
		})
		return nil, &LintError{Problems: c.probs}
	}
	c.set.Hash = hashSources(srcs, c.extra)
	for _, x := range c.extra {
		c.set.refs = append(c.set.refs, x.name)
	}
	return c.set, nil
}

func fileIndex(files []string, f string) int {
	for i, x := range files {
		if x == f {
			return i
		}
	}
	return len(files)
}

// hashSources is the policy version: SHA-256 over, for each file in order,
// its base name, a NUL, its length (8 bytes big-endian) and its bytes. Base
// names keep the hash stable wherever the policy directory is installed.
func hashSources(srcs []source, extra []source) string {
	h := sha256.New()
	var n [8]byte
	for _, group := range [][]source{srcs, extra} {
		for _, s := range group {
			h.Write([]byte(filepath.Base(s.name)))
			h.Write([]byte{0})
			binary.BigEndian.PutUint64(n[:], uint64(len(s.data)))
			h.Write(n[:])
			h.Write(s.data)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// yamlErr strips the library's prefix; the line is already in its text.
func yamlErr(err error) string {
	s := err.Error()
	s = strings.TrimPrefix(s, "yaml: ")
	return "YAML syntax: " + s
}

type compiler struct {
	set      *Set
	probs    []Problem
	file     string
	dir      string
	readFile func(string) ([]byte, error)
	extra    []source // list and dictionary files, for the hash

	known        []string          // detector type names usable in conditions
	listLine     map[string]string // list name -> "file:line" of its definition
	settingsFile string
	settingsLine int
	ids          map[string]string
}

func (c *compiler) problem(file string, line int, path, msg string) {
	c.probs = append(c.probs, Problem{File: file, Line: line, Path: path, Msg: msg})
}

func (c *compiler) errf(n *yaml.Node, path, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	c.problem(c.file, line, path, fmt.Sprintf(format, args...))
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// mapping checks n is a mapping with only the allowed keys (each at most
// once) and returns its values by key. Unknown keys are problems: a typo must
// never silently disable a rule.
func (c *compiler) mapping(n *yaml.Node, path string, allowed ...string) map[string]*yaml.Node {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		c.errf(n, path, "must be a mapping of keys (%s)", strings.Join(allowed, ", "))
		return nil
	}
	out := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		p := joinPath(path, k.Value)
		if !contains(allowed, k.Value) {
			c.errf(k, p, "unknown key %q (known: %s)", k.Value, strings.Join(allowed, ", "))
			continue
		}
		if _, dup := out[k.Value]; dup {
			c.errf(k, p, "key %q given twice", k.Value)
			continue
		}
		out[k.Value] = v
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (c *compiler) str(n *yaml.Node, path string) (string, bool) {
	n = resolve(n)
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		c.errf(n, path, "must be a string")
		return "", false
	}
	return n.Value, true
}

// strList accepts a sequence of strings, or one string.
func (c *compiler) strList(n *yaml.Node, path string) ([]string, bool) {
	n = resolve(n)
	if n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		return []string{n.Value}, true
	}
	if n.Kind != yaml.SequenceNode {
		c.errf(n, path, "must be a list of strings")
		return nil, false
	}
	out := make([]string, 0, len(n.Content))
	ok := true
	for i, e := range n.Content {
		s, good := c.str(e, fmt.Sprintf("%s[%d]", path, i))
		ok = ok && good
		out = append(out, s)
	}
	return out, ok
}

func (c *compiler) boolean(n *yaml.Node, path string) (bool, bool) {
	n = resolve(n)
	if n.Kind == yaml.ScalarNode && n.Tag == "!!bool" {
		var b bool
		if err := n.Decode(&b); err == nil {
			return b, true
		}
	}
	c.errf(n, path, "must be true or false")
	return false, false
}

func (c *compiler) integer(n *yaml.Node, path string, min int64) (int64, bool) {
	n = resolve(n)
	var v int64
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" || n.Decode(&v) != nil {
		c.errf(n, path, "must be a whole number")
		return 0, false
	}
	if v < min {
		c.errf(n, path, "must be at least %d", min)
		return 0, false
	}
	return v, true
}

func (c *compiler) number(n *yaml.Node, path string) (float64, bool) {
	n = resolve(n)
	var v float64
	if n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!float") || n.Decode(&v) != nil {
		c.errf(n, path, "must be a number")
		return 0, false
	}
	if v < 0 {
		c.errf(n, path, "must not be negative")
		return 0, false
	}
	return v, true
}

func (c *compiler) byteSize(n *yaml.Node, path string) (int64, bool) {
	n = resolve(n)
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		c.errf(n, path, "must be a size (examples: 1024, 512KiB, 10MB, 20MiB)")
		return 0, false
	}
	v, err := ParseByteSize(n.Value)
	if err != nil {
		c.errf(n, path, "%v", err)
		return 0, false
	}
	return v, true
}

// readListFile reads a list or dictionary file named relative to the
// current policy file: one entry per line, # starts a comment.
func (c *compiler) readListFile(n *yaml.Node, path, name string) ([]string, bool) {
	full := name
	if !filepath.IsAbs(full) {
		full = filepath.Join(c.dir, name)
	}
	data, err := c.readFile(full)
	if err != nil {
		if pe, ok := err.(*fs.PathError); ok {
			err = pe.Err
		}
		c.errf(n, path, "cannot read %s: %v", full, err)
		return nil, false
	}
	if len(data) > maxPolicyFile {
		c.errf(n, path, "%s is larger than %d bytes", full, maxPolicyFile)
		return nil, false
	}
	c.extra = append(c.extra, source{name: full, data: data})
	var out []string
	for _, l := range strings.Split(string(data), "\n") {
		if i := strings.IndexByte(l, '#'); i >= 0 {
			l = l[:i]
		}
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out, true
}

// elemNode is the i-th element of a sequence, for its line; n itself for a
// scalar written in place of a one-element list.
func elemNode(n *yaml.Node, i int) *yaml.Node {
	n = resolve(n)
	if n.Kind == yaml.SequenceNode && i < len(n.Content) {
		return n.Content[i]
	}
	return n
}
