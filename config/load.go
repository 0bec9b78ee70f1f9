package config

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/viper"
	"go.yaml.in/yaml/v3"
)

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
	Msg  string
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

// String formats the problem as "config: FILE:LINE: PATH: MSG".
func (p Problem) String(file string) string {
	loc := file
	if p.Line > 0 {
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
	cerr := &Error{File: name}
	lines := map[string]int{}

	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		cerr.Problems = append(cerr.Problems, Problem{Msg: "not valid YAML: " + err.Error()})
		return nil, cerr
	}
	if len(root.Content) > 0 {
		checkKeys(root.Content[0], reflect.TypeOf(Config{}), "", lines, &cerr.Problems, 0)
	}

	v := viper.NewWithOptions(viper.KeyDelimiter(keyDelim))
	v.SetConfigType("yaml")
	setDefaults(v, reflect.ValueOf(Default()), "")
	v.SetEnvPrefix(EnvPrefix)
	v.SetEnvKeyReplacer(strings.NewReplacer(keyDelim, "_"))
	v.AutomaticEnv()
	if err := v.ReadConfig(bytes.NewReader(data)); err != nil {
		cerr.Problems = append(cerr.Problems, Problem{Msg: err.Error()})
		return nil, cerr
	}
	// Unknown keys are reported with everything else: keep going.
	var c Config
	err := v.Unmarshal(&c, viper.DecodeHook(mapstructure.ComposeDecodeHookFunc(
		byteSizeHook, mapstructure.StringToTimeDurationHookFunc(), mapstructure.StringToSliceHookFunc(","))))
	decodeFailed := err != nil
	if err != nil {
		for _, p := range decodeProblems(err) {
			p.Line = lineOf(lines, p.Path)
			cerr.Problems = append(cerr.Problems, p)
		}
	}
	c.resolvePaths(filepath.Dir(name))
	c.applyDerivedDefaults()
	// A value that did not decode would show again as a spurious
	// "must be set"; the other checks only run on a fully decoded file.
	if !decodeFailed {
		for _, p := range c.Validate() {
			p.Line = lineOf(lines, p.Path)
			cerr.Problems = append(cerr.Problems, p)
		}
	}
	if len(cerr.Problems) > 0 {
		// In file order, as an admin reads the file.
		sort.SliceStable(cerr.Problems, func(i, j int) bool { return cerr.Problems[i].Line < cerr.Problems[j].Line })
		return nil, cerr
	}
	return &c, nil
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
		if strings.Contains(p.Msg, "time: ") {
			p.Msg = "not a duration (examples: 30s, 5m, 2h)"
		} else if strings.Contains(p.Msg, "cannot parse value as 'int'") {
			p.Msg = "not a whole number"
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		out = []Problem{{Msg: err.Error()}}
	}
	return out
}

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
			*probs = append(*probs, Problem{Path: path, Line: n.Line, Msg: "must be a mapping of keys"})
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
				*probs = append(*probs, Problem{Path: p, Line: k.Line,
					Msg: fmt.Sprintf("unknown key %q (known: %s)", k.Value, strings.Join(known, ", "))})
				continue
			}
			checkKeys(val, ft, p, lines, probs, depth+1)
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return // scalars become one-element or comma lists; type errors come from decoding
		}
		for i, c := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			lines[p] = c.Line
			checkKeys(c, t.Elem(), p, lines, probs, depth+1)
		}
	case reflect.Map:
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
func setDefaults(v *viper.Viper, val reflect.Value, prefix string) {
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
			setDefaults(v, f, key)
		case reflect.Slice, reflect.Map:
			// Lists and maps come from the file only.
		default:
			if f.Type() == reflect.TypeOf(time.Duration(0)) {
				v.SetDefault(key, f.Interface().(time.Duration).String())
				continue
			}
			v.SetDefault(key, f.Interface())
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
