package config

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// removeDuplicateKeys reports every key that appears twice in one mapping
// and removes the later pair, keeping the first: yaml.v3 (and so viper)
// refuses such a file with its own wording. It reports whether it removed
// anything.
func removeDuplicateKeys(n *yaml.Node, path string, probs *[]Problem, depth int) bool {
	if depth > 64 || n == nil {
		return false
	}
	removed := false
	switch n.Kind {
	case yaml.MappingNode:
		seen := map[string]int{}
		kept := n.Content[:0:0]
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := joinPath(path, k.Value)
			if k.Kind == yaml.ScalarNode && k.Value != "<<" {
				if first, dup := seen[k.Value]; dup {
					*probs = append(*probs, Problem{Path: p, Line: k.Line,
						Msg: fmt.Sprintf("duplicate key %q (first at line %d): a key may appear only once in a mapping", k.Value, first)})
					removed = true
					continue
				}
				seen[k.Value] = k.Line
			}
			kept = append(kept, k, v)
			if removeDuplicateKeys(v, p, probs, depth+1) {
				removed = true
			}
		}
		n.Content = kept
	case yaml.SequenceNode:
		for i, c := range n.Content {
			if removeDuplicateKeys(c, fmt.Sprintf("%s[%d]", path, i), probs, depth+1) {
				removed = true
			}
		}
	}
	return removed
}

// unknownKey words the problem for key, unknown in the section at path
// whose keys are known: a did-you-mean when a known key is close (in this
// section, else anywhere), else the list of known keys.
func unknownKey(path, key string, known []string) string {
	if len(key) > 64 {
		// No key is that long; the distance would cost len² per candidate.
		return fmt.Sprintf("unknown key %.64q… (known: %s)", key, strings.Join(known, ", "))
	}
	if s, ok := closest(key, known); ok {
		return fmt.Sprintf("unknown key %q (did you mean %s?)", key, joinPath(path, s))
	}
	// The right key in the wrong section: "smarthost" at the top level.
	var leaves, names []string
	for _, kp := range KeyPaths() {
		leaves = append(leaves, kp)
		names = append(names, kp[strings.LastIndexAny(kp, ".]")+1:])
	}
	if s, ok := closest(key, names); ok {
		for i, n := range names {
			if n == s {
				return fmt.Sprintf("unknown key %q (did you mean %s?)", key, leaves[i])
			}
		}
	}
	return fmt.Sprintf("unknown key %q (known: %s)", key, strings.Join(known, ", "))
}

// closest returns the candidate nearest to s by edit distance, if it is
// near enough to be a typo of it: one edit in a short name, else a third
// of its length, from 2 to 3 edits.
func closest(s string, candidates []string) (string, bool) {
	best, bestD := "", -1
	for _, c := range candidates {
		if d := editDistance(s, c); bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	limit := 1
	if len(s) > 4 {
		limit = min(3, max(2, len(s)/3))
	}
	return best, bestD >= 0 && bestD <= limit
}

// editDistance is the Levenshtein distance between a and b, in bytes (key
// names are ASCII).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// KeyPaths returns every key of the configuration as written in
// docs/config.md, sorted: "relay.smarthost", "listeners[].tls.mode",
// "relay.tls_policy" (a map: its entries are relay.tls_policy.DOMAIN).
func KeyPaths() []string {
	var out []string
	keyPaths(reflect.TypeOf(Config{}), "", &out)
	sort.Strings(out)
	return out
}

func keyPaths(t reflect.Type, prefix string, out *[]string) {
	for i := 0; i < t.NumField(); i++ {
		tag := strings.Split(t.Field(i).Tag.Get("mapstructure"), ",")[0]
		if tag == "" || tag == "-" {
			continue
		}
		p := joinPath(prefix, tag)
		ft := t.Field(i).Type
		switch {
		case ft.Kind() == reflect.Struct && ft != reflect.TypeOf(time.Duration(0)):
			keyPaths(ft, p, out)
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
			keyPaths(ft.Elem(), p+"[]", out)
		default:
			*out = append(*out, p)
		}
	}
}
