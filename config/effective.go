package config

import (
	"fmt"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Setting is one effective configuration value, as `sealgate config` shows
// it (postconf's "name = value").
type Setting struct {
	Key     string `json:"key"`     // relay.smarthost, listeners[0].tls.mode, relay.tls_policy.example.org
	Value   string `json:"value"`   // as serve uses it: relative paths resolved, secrets masked
	Default string `json:"default"` // the built-in default ("" when the key has none)
	// Source is "FILE:LINE" for a value from the file, the SEALGATE_*
	// variable for one from the environment, or "default".
	Source string `json:"source"`
}

// SourceDefault is the Source of a value neither the file nor the
// environment sets.
const SourceDefault = "default"

// Masked replaces the value of a secret in every listing.
const Masked = "********"

// derivedDefaults describe defaults computed from other keys
// (applyDerivedDefaults), which Default() leaves empty.
var derivedDefaults = map[string]string{
	"control.socket":       "<data_dir>/control.sock",
	"keys.dir":             "<data_dir>/keys",
	"keys.lookup":          "[local]",
	"audit.dir":            "<data_dir>/audit",
	"portal.dir":           "<data_dir>/portal",
	"portal.code_from":     "no-reply@<hostname>",
	"listeners[].tls.mode": "starttls",
	"relay.hold_lifetime":  "0s (relay.max_lifetime)",
}

// Effective reads the file at path as Load does (environment included) and
// returns every value with its source and default, in the order of
// docs/config.md. problems is an *Error
// listing what Load would refuse, nil when the file is valid; settings is
// nil when the values cannot be read at all (not YAML, a value of the
// wrong type), and then problems says why.
func Effective(path string) (settings []Setting, problems error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{File: path, Problems: []Problem{{Msg: err.Error()}}}
	}
	r := read(path, data)
	if len(r.probs) > 0 {
		problems = &Error{File: path, Problems: r.probs}
	}
	if r.c == nil || len(r.failed) > 0 {
		return nil, problems
	}
	// Defaults derived from other keys are worked out from this file's
	// data_dir and hostname: the control socket moves with data_dir.
	d := Default()
	d.DataDir, d.Hostname = r.c.DataDir, r.c.Hostname
	d.applyDerivedDefaults()
	d.DataDir, d.Hostname = Default().DataDir, Default().Hostname
	defaults := map[string]string{"listeners[].tls.mode": derivedDefaults["listeners[].tls.mode"]}
	flatten(reflect.ValueOf(d), "", func(key, value string) { defaults[key] = value })
	elemDefaults(reflect.TypeOf(d), "", defaults)
	flatten(reflect.ValueOf(*r.c), "", func(key, value string) {
		s := Setting{Key: key, Value: value, Default: defaultOf(defaults, key), Source: SourceDefault}
		if ev, ok := r.env[strings.ReplaceAll(key, ".", keyDelim)]; ok {
			s.Source = ev
		} else if line, ok := r.lines[key]; ok {
			s.Source = fmt.Sprintf("%s:%d", path, line)
		}
		if secretKey(key) {
			if s.Value != "" {
				s.Value = Masked
			}
			if s.Default != "" {
				s.Default = Masked
			}
		}
		settings = append(settings, s)
	})
	return settings, problems
}

func defaultOf(defaults map[string]string, key string) string {
	if d, ok := defaults[key]; ok {
		return d
	}
	return defaults[normKey(key)]
}

// DefaultSettings returns every key with its built-in default (postconf
// -d), in key order; a default computed from other keys is described
// ("<data_dir>/keys").
func DefaultSettings() []Setting {
	var out []Setting
	flatten(reflect.ValueOf(Default()), "", func(key, value string) {
		if d, ok := derivedDefaults[key]; ok && (value == "" || value == "[]") {
			value = d
		}
		out = append(out, Setting{Key: key, Value: value, Default: value, Source: SourceDefault})
	})
	if d, ok := derivedDefaults["listeners[].tls.mode"]; ok {
		out = append(out, Setting{Key: "listeners[].tls.mode", Value: d, Default: d, Source: SourceDefault})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// elemDefaults adds the defaults of the keys inside list items
// (listeners[].tls.required = false) to out, keeping those already there.
func elemDefaults(t reflect.Type, prefix string, out map[string]string) {
	for i := 0; i < t.NumField(); i++ {
		tag := strings.Split(t.Field(i).Tag.Get("mapstructure"), ",")[0]
		if tag == "" || tag == "-" {
			continue
		}
		key, ft := joinPath(prefix, tag), t.Field(i).Type
		switch {
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
			flatten(reflect.New(ft.Elem()).Elem(), key+"[]", func(k, v string) {
				if _, ok := out[k]; !ok {
					out[k] = v
				}
			})
			elemDefaults(ft.Elem(), key+"[]", out)
		case ft.Kind() == reflect.Struct:
			elemDefaults(ft, key, out)
		}
	}
}

// flatten calls emit for every leaf of v (a config struct) by key path:
// structs are walked, lists of structs by index, maps by key; lists of
// values and empty lists and maps are one leaf ("[a, b]", "[]", "{}").
func flatten(v reflect.Value, prefix string, emit func(key, value string)) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		tag := strings.Split(t.Field(i).Tag.Get("mapstructure"), ",")[0]
		if tag == "" || tag == "-" {
			continue
		}
		key := joinPath(prefix, tag)
		f := v.Field(i)
		switch {
		case f.Kind() == reflect.Struct:
			flatten(f, key, emit)
		case f.Kind() == reflect.Slice && f.Type().Elem().Kind() == reflect.Struct:
			if f.Len() == 0 {
				emit(key, "[]")
			}
			for j := 0; j < f.Len(); j++ {
				flatten(f.Index(j), fmt.Sprintf("%s[%d]", key, j), emit)
			}
		case f.Kind() == reflect.Slice:
			items := make([]string, f.Len())
			for j := range items {
				items[j] = formatValue(f.Index(j))
			}
			emit(key, "["+strings.Join(items, ", ")+"]")
		case f.Kind() == reflect.Map:
			if f.Len() == 0 {
				emit(key, "{}")
			}
			keys := make([]string, 0, f.Len())
			for _, k := range f.MapKeys() {
				keys = append(keys, k.String())
			}
			sort.Strings(keys)
			for _, k := range keys {
				emit(key+"."+k, formatValue(f.MapIndex(reflect.ValueOf(k).Convert(f.Type().Key()))))
			}
		default:
			emit(key, formatValue(f))
		}
	}
}

// formatValue writes a value the way the file would: 5m, 50MiB, true.
func formatValue(v reflect.Value) string {
	switch x := v.Interface().(type) {
	case time.Duration:
		return formatDuration(x)
	case ByteSize:
		return formatSize(x)
	}
	return fmt.Sprint(v.Interface())
}

// formatDuration drops Go's zero units: 720h, 1h30m, 5m, 30s.
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func formatSize(n ByteSize) string {
	for _, u := range []struct {
		suffix string
		mult   ByteSize
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n != 0 && n%u.mult == 0 {
			return fmt.Sprintf("%d%s", n/u.mult, u.suffix)
		}
	}
	return fmt.Sprint(int64(n))
}

// secretKey says whether the value of key is a secret to mask: inline
// passwords, password hashes, secrets, tokens, keys. Files and variable
// names that hold secrets (*_file, *_env) are not secrets themselves.
func secretKey(key string) bool {
	leaf := strings.ToLower(key[strings.LastIndexAny(key, ".]")+1:])
	if strings.HasSuffix(leaf, "_file") || strings.HasSuffix(leaf, "_env") || strings.HasSuffix(leaf, "_dir") {
		return false
	}
	for _, w := range []string{"password", "secret", "passphrase", "token"} {
		if strings.Contains(leaf, w) {
			return true
		}
	}
	return leaf == "key" || strings.HasSuffix(leaf, "_key")
}

var indexRE = regexp.MustCompile(`\[\d+\]`)

// normKey writes list indices as []: listeners[0].tls.mode is an instance
// of listeners[].tls.mode.
func normKey(key string) string { return indexRE.ReplaceAllString(key, "[]") }

// MatchKey says whether the setting key is selected by name: the key
// itself, a section that holds it ("relay", "listeners[0]"), or the same
// with every index ("listeners[].tls.mode").
func MatchKey(name, key string) bool {
	for _, k := range []string{key, normKey(key)} {
		if k == name || within(k, name) {
			return true
		}
	}
	return false
}

// KnownKey says whether name is a key or a section of the configuration
// (list indices and map entries included); if not, suggestion is the
// nearest known one, or "".
func KnownKey(name string) (ok bool, suggestion string) {
	n := normKey(name)
	var all []string
	for _, kp := range KeyPaths() {
		if n == kp || within(kp, n) || (isMapKey(kp) && within(n, kp)) {
			return true, ""
		}
		all = append(all, kp)
		for p := kp; strings.ContainsAny(p, ".["); {
			p = p[:strings.LastIndexAny(p, ".[")]
			all = append(all, p)
		}
	}
	if s, ok := closest(n, all); ok {
		return false, s
	}
	return false, ""
}

// isMapKey says whether the key path kp is a map, whose entries are
// kp.NAME.
func isMapKey(kp string) bool {
	t := reflect.TypeOf(Config{})
	for _, part := range strings.Split(strings.ReplaceAll(kp, "[]", ""), ".") {
		if t.Kind() != reflect.Struct {
			return false
		}
		found := false
		for i := 0; i < t.NumField(); i++ {
			if strings.Split(t.Field(i).Tag.Get("mapstructure"), ",")[0] == part {
				t, found = t.Field(i).Type, true
				break
			}
		}
		if !found {
			return false
		}
		if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct {
			t = t.Elem()
		}
	}
	return t.Kind() == reflect.Map
}
