package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/viper"
	"go.yaml.in/yaml/v3"
)

// EnvVar is the environment variable that overrides key ("relay.smarthost"
// or viper's "relay::smarthost"): SEALGATE_RELAY_SMARTHOST.
func EnvVar(key string) string {
	key = strings.ReplaceAll(strings.ReplaceAll(key, keyDelim, "_"), ".", "_")
	return EnvPrefix + "_" + strings.ToUpper(key)
}

// EnvPrefix is the prefix of environment overrides: SEALGATE_LIMITS_MAX_RECIPIENTS.
const EnvPrefix = "SEALGATE"

// keyDelim replaces viper's "." so that map keys such as domain names in
// relay.tls_policy ("example.org") are not split into nested maps.
const keyDelim = "::"

// Problem is one thing wrong with a configuration, at a key path such as
// listeners[0].tls.cert_file.
type Problem struct {
	Path string
	Line int // line in the file, 0 when unknown (defaults, environment)
	// Env is the SEALGATE_* variable the value came from, if it did: the
	// variable is to blame, not the file's line.
	Env string
	Msg string
}

// Error lists every problem found in one configuration file.
type Error struct {
	File     string
	Problems []Problem
}

func (e *Error) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(p.String(e.File))
	}
	return b.String()
}

// String formats the problem as "config: FILE:LINE: PATH: MSG", or
// "config: SEALGATE_VAR: PATH: MSG" for a value from the environment.
func (p Problem) String(file string) string {
	loc := file
	if p.Env != "" {
		loc = p.Env
	} else if p.Line > 0 {
		loc = fmt.Sprintf("%s:%d", file, p.Line)
	}
	if p.Path == "" {
		return fmt.Sprintf("config: %s: %s", loc, p.Msg)
	}
	return fmt.Sprintf("config: %s: %s: %s", loc, p.Path, p.Msg)
}

// Load reads, overlays the environment on, and validates the file at path.
// A returned error is an *Error listing every problem.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{File: path, Problems: []Problem{{Msg: err.Error()}}}
	}
	return Parse(path, data)
}

// Parse is Load for bytes already read; name is used in messages and to
// resolve relative file paths.
func Parse(name string, data []byte) (*Config, error) {
	r := read(name, data)
	if len(r.probs) > 0 {
		return nil, &Error{File: name, Problems: r.probs}
	}
	return r.c, nil
}

// reading is everything one read of a file yields: the config as far as
// it decoded, where each value came from, and every problem.
type reading struct {
	c      *Config           // nil when the file is not usable YAML
	lines  map[string]int    // key path -> line of the key in the file
	env    map[string]string // key path -> SEALGATE_* variable that set it
	probs  []Problem         // in file order; environment ones first
	failed []string          // key paths whose value did not decode
}

// read parses, overlays the environment, decodes and validates. Unknown
// keys, values of the wrong type and invalid values are all reported in
// one pass: a value that did not decode is replaced by its default for
// validation, and problems that follow from it are left out.
func read(name string, data []byte) *reading {
	r := &reading{lines: map[string]int{}, env: map[string]string{}}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		r.probs = append(r.probs, yamlProblems(err)...)
		return r
	}
	if len(root.Content) > 0 {
		if removeDuplicateKeys(root.Content[0], "", &r.probs, 0) {
			// yaml.v3 refuses duplicates when decoding into a map (as
			// viper does); they are reported, so give viper the rest.
			if data2, err := yaml.Marshal(&root); err == nil {
				data = data2
			}
		}
		checkKeys(root.Content[0], reflect.TypeOf(Config{}), "", r.lines, &r.probs, 0)
		for _, p := range r.probs {
			if strings.HasPrefix(p.Msg, mustMapping) || strings.HasPrefix(p.Msg, mustList) {
				r.failed = append(r.failed, p.Path)
			}
		}
	}

	v := viper.NewWithOptions(viper.KeyDelimiter(keyDelim))
	v.SetConfigType("yaml")
	defaults := map[string]any{}
	setDefaults(v, reflect.ValueOf(Default()), "", defaults)
	v.SetEnvPrefix(EnvPrefix)
	v.SetEnvKeyReplacer(strings.NewReplacer(keyDelim, "_"))
	v.AutomaticEnv()
	for key := range defaults {
		// viper reads a variable only when it is not empty.
		if ev := EnvVar(key); os.Getenv(ev) != "" {
			r.env[key] = ev
		}
	}
	if err := v.ReadConfig(bytes.NewReader(data)); err != nil {
		if !rootProblem(r.probs) {
			// Not reached for anything checkKeys or yaml.v3 found above;
			// viper's own wording ("While parsing config:") stays out.
			var pe viper.ConfigParseError
			if errors.As(err, &pe) && pe.Unwrap() != nil {
				err = pe.Unwrap()
			}
			r.probs = append(r.probs, yamlProblems(err)...)
		}
		sortProblems(r.probs)
		return r
	}
	c, err := decode(v)
	if err != nil {
		for _, p := range decodeProblems(err) {
			if r.followsFromFailed(p.Path) {
				continue // the wrong shape, reported by checkKeys
			}
			r.failed = append(r.failed, p.Path)
			r.probs = append(r.probs, r.locate(p))
		}
		// Validate the rest as if each bad value were its default, so
		// that one run shows every problem.
		for _, f := range r.failed {
			if d, ok := defaults[strings.ReplaceAll(f, ".", keyDelim)]; ok {
				v.Set(strings.ReplaceAll(f, ".", keyDelim), d)
			}
		}
		c, _ = decode(v)
	}
	c.resolvePaths(filepath.Dir(name))
	c.applyDerivedDefaults()
	for _, p := range c.Validate() {
		if !r.followsFromFailed(p.Path) {
			r.probs = append(r.probs, r.locate(p))
		}
	}
	sortProblems(r.probs)
	r.c = c
	return r
}

func decode(v *viper.Viper) (*Config, error) {
	var c Config
	err := v.Unmarshal(&c, viper.DecodeHook(mapstructure.ComposeDecodeHookFunc(
		byteSizeHook, mapstructure.StringToTimeDurationHookFunc(), mapstructure.StringToSliceHookFunc(","))))
	return &c, err
}

// locate gives p its source: the SEALGATE_* variable that set the value,
// else the line of the key (or of its nearest parent) in the file.
func (r *reading) locate(p Problem) Problem {
	if ev, ok := r.env[strings.ReplaceAll(p.Path, ".", keyDelim)]; ok {
		p.Env, p.Line = ev, 0
		return p
	}
	p.Line = lineOf(r.lines, p.Path)
	return p
}

// followsFromFailed says whether a validation problem at path is about a
// value that did not decode, or its section ("listeners[0].relay" when
// listeners[0].relay.allow_ips was not a list): already reported.
func (r *reading) followsFromFailed(path string) bool {
	for _, f := range r.failed {
		if f == "" || path == f || within(path, f) || within(f, path) {
			return true
		}
	}
	return false
}

// within reports whether path is inside section: "a.b[0].c" in "a.b".
func within(path, section string) bool {
	return strings.HasPrefix(path, section) && len(path) > len(section) &&
		(path[len(section)] == '.' || path[len(section)] == '[')
}

func rootProblem(ps []Problem) bool {
	for _, p := range ps {
		if p.Path == "" {
			return true
		}
	}
	return false
}

// sortProblems puts problems in file order, as an admin reads the file;
// those without a line (environment, missing keys) come first.
func sortProblems(ps []Problem) {
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Line < ps[j].Line })
}

// yamlLine matches yaml.v3's "yaml: line 12: ..." and its "line 12: ..."
// items of "yaml: unmarshal errors:".
var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// yamlProblems turns a yaml.v3 error into problems with their line.
func yamlProblems(err error) []Problem {
	var out []Problem
	for _, l := range strings.Split(err.Error(), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || l == "yaml: unmarshal errors:" {
			continue
		}
		p := Problem{Msg: "not valid YAML: " + strings.TrimPrefix(l, "yaml: ")}
		if m := yamlLine.FindStringSubmatch(l); m != nil {
			p.Line, _ = strconv.Atoi(m[1])
			p.Msg = "not valid YAML: " + m[2]
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		out = []Problem{{Msg: "not valid YAML"}}
	}
	return out
}

// decodeProblems splits mapstructure's combined error ("'a::b' cannot
// parse ...") into one Problem per key, with viper's "::" shown as ".".
func decodeProblems(err error) []Problem {
	var out []Problem
	for _, l := range strings.Split(err.Error(), "\n") {
		l = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "*"))
		if l == "" || strings.HasPrefix(l, "decoding failed") {
			continue
		}
		l = strings.ReplaceAll(l, keyDelim, ".")
		p := Problem{Msg: l}
		if strings.HasPrefix(l, "'") {
			if end := strings.Index(l[1:], "'"); end > 0 {
				p.Path = l[1 : end+1]
				p.Msg = strings.TrimSpace(l[end+2:])
			}
		}
		p.Msg = plainDecodeMsg(p.Msg)
		out = append(out, p)
	}
	if len(out) == 0 {
		out = []Problem{{Msg: err.Error()}}
	}
	return out
}

// plainDecodeMsg says what mapstructure means without Go type names:
// an admin knows numbers, lists and mappings, not map[string]interface {}.
func plainDecodeMsg(m string) string {
	want := m // "cannot parse value as 'int'", "expected type 'string', got ..."
	if g := expectedType.FindStringSubmatch(m); g != nil {
		want = "'" + g[1] + "'"
	}
	switch {
	case strings.Contains(m, "time: "):
		return "not a duration (examples: 30s, 5m, 2h)"
	case strings.Contains(m, "is not a size"):
		return m // byteSizeHook's own words
	case strings.Contains(want, "'int"), strings.Contains(want, "'uint"), strings.Contains(want, "'time.Duration'"):
		return "not a whole number"
	case strings.Contains(want, "'float"):
		return "not a number"
	case strings.Contains(want, "'bool'"):
		return "not true or false"
	case strings.Contains(want, "expected a map or struct"), strings.Contains(want, "'map["):
		return mustMapping
	case strings.Contains(want, "array or slice"), strings.Contains(want, "'[]"):
		return mustList
	case strings.Contains(want, "'string'"), strings.Contains(want, "'tlslevel.Level'"):
		return "must be a single value, not a list or a mapping"
	}
	return "not a valid value"
}

var expectedType = regexp.MustCompile(`expected type '([^']*)'`)

// What checkKeys and decoding say about a value of the wrong shape.
const (
	mustMapping = "must be a mapping of keys"
	mustList    = "must be a list"
)

func lineOf(lines map[string]int, path string) int {
	for p := path; p != ""; {
		if l, ok := lines[p]; ok {
			return l
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return 0
}

// checkKeys walks the YAML tree beside the Config type and reports keys the
// type does not have: a typo must never silently disable a safeguard.
func checkKeys(n *yaml.Node, t reflect.Type, path string, lines map[string]int, probs *[]Problem, depth int) {
	// The config type is a few levels deep; a deeper document (or an alias
	// that contains itself) has nothing more to check.
	if depth > 16 {
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.AliasNode {
		// The anchor was checked where it is defined; following aliases
		// could expand a small document exponentially.
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if t == reflect.TypeOf(time.Duration(0)) {
			return
		}
		if n.Kind != yaml.MappingNode {
			if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
				return
			}
			*probs = append(*probs, Problem{Path: path, Line: n.Line, Msg: mustMapping})
			return
		}
		fields := map[string]reflect.Type{}
		var known []string
		for i := 0; i < t.NumField(); i++ {
			tag := strings.Split(t.Field(i).Tag.Get("mapstructure"), ",")[0]
			if tag == "" || tag == "-" {
				continue
			}
			fields[tag] = t.Field(i).Type
			known = append(known, tag)
		}
		sort.Strings(known)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			p := joinPath(path, k.Value)
			lines[p] = k.Line
			ft, ok := fields[k.Value]
			if !ok {
				*probs = append(*probs, Problem{Path: p, Line: k.Line, Msg: unknownKey(path, k.Value, known)})
				continue
			}
			checkKeys(val, ft, p, lines, probs, depth+1)
		}
	case reflect.Slice:
		if n.Kind == yaml.MappingNode {
			*probs = append(*probs, Problem{Path: path, Line: n.Line, Msg: mustList + " (one \"- \" item per entry)"})
			return
		}
		if n.Kind != yaml.SequenceNode {
			return // scalars become one-element or comma lists; type errors come from decoding
		}
		for i, c := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			lines[p] = c.Line
			checkKeys(c, t.Elem(), p, lines, probs, depth+1)
		}
	case reflect.Map:
		if n.Kind == yaml.SequenceNode {
			*probs = append(*probs, Problem{Path: path, Line: n.Line, Msg: mustMapping + " (example.org: verify), not a list"})
			return
		}
		if n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			p := joinPath(path, n.Content[i].Value)
			lines[p] = n.Content[i].Line
			checkKeys(n.Content[i+1], t.Elem(), p, lines, probs, depth+1)
		}
	}
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// setDefaults registers every scalar leaf of the default config with viper,
// so that each one can be overridden from the environment.
// Each key and its default (as given to viper) goes into out.
func setDefaults(v *viper.Viper, val reflect.Value, prefix string, out map[string]any) {
	t := val.Type()
	for i := 0; i < t.NumField(); i++ {
		tag := strings.Split(t.Field(i).Tag.Get("mapstructure"), ",")[0]
		if tag == "" || tag == "-" {
			continue
		}
		key := tag
		if prefix != "" {
			key = prefix + keyDelim + tag
		}
		f := val.Field(i)
		switch f.Kind() {
		case reflect.Struct:
			setDefaults(v, f, key, out)
		case reflect.Slice, reflect.Map:
			// Lists and maps come from the file only.
		default:
			if f.Type() == reflect.TypeOf(time.Duration(0)) {
				v.SetDefault(key, f.Interface().(time.Duration).String())
				out[key] = f.Interface().(time.Duration).String()
				continue
			}
			v.SetDefault(key, f.Interface())
			out[key] = f.Interface()
		}
	}
}

// ByteSize is a size in bytes; in YAML a number or "50MiB", "10MB", "512KiB".
type ByteSize int64

var sizeUnits = []struct {
	suffix string
	mult   int64
}{
	{"KIB", 1 << 10}, {"MIB", 1 << 20}, {"GIB", 1 << 30},
	{"KB", 1000}, {"MB", 1000 * 1000}, {"GB", 1000 * 1000 * 1000},
	{"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1},
}

// ParseByteSize reads "50MiB", "10MB", "1024".
func ParseByteSize(s string) (ByteSize, error) {
	u := strings.ToUpper(strings.TrimSpace(s))
	mult := int64(1)
	for _, su := range sizeUnits {
		if strings.HasSuffix(u, su.suffix) {
			mult = su.mult
			u = strings.TrimSpace(strings.TrimSuffix(u, su.suffix))
			break
		}
	}
	n, err := strconv.ParseInt(u, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a size (examples: 52428800, 50MiB, 10MB)", s)
	}
	return ByteSize(n * mult), nil
}

func byteSizeHook(from, to reflect.Type, data any) (any, error) {
	if to != reflect.TypeOf(ByteSize(0)) || from.Kind() != reflect.String {
		return data, nil
	}
	return ParseByteSize(data.(string))
}
