package policy

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writePolicy writes files into a new temp dir and returns it.
func writePolicy(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func lintDir(t *testing.T, files map[string]string) []Problem {
	t.Helper()
	dir := writePolicy(t, files)
	probs := Lint(dir)
	for i := range probs {
		probs[i].File = strings.TrimPrefix(probs[i].File, dir+string(filepath.Separator))
	}
	return probs
}

const defaultRule = `
  - id: default
    default: true
    action: pass
`

func TestUnknownDetectorIsReportedWithFileLineAndKeyPath(t *testing.T) {
	probs := lintDir(t, map[string]string{"rules.yaml": `rules:
  - id: a
    when: {sender: {domain: clinic.example}}
    action: pass
  - id: b
    when: {unscannable: true}
    action: quarantine
  - id: c
    when:
      all:
        - detect:
            types:
              - ssn
              - ssnn
        - recipient: {domain: gmail.com}
    action: block
` + defaultRule})
	if len(probs) != 1 {
		t.Fatalf("got %d problems, want 1: %v", len(probs), probs)
	}
	got := probs[0].String()
	want := `policy: rules.yaml:14: rules[2].when.all[0].detect.types[1]: unknown detector "ssnn" (known: ssn, npi, `
	if !strings.HasPrefix(got, want) {
		t.Fatalf("got  %s\nwant %s...", got, want)
	}
	if !strings.Contains(got, "unscannable)") {
		t.Errorf("the known list should end with unscannable: %s", got)
	}
}

func TestEveryProblemIsReportedNotJustTheFirst(t *testing.T) {
	probs := lintDir(t, map[string]string{"10-a.yaml": `settings:
  subject_tags: ["[secure]"]
  limitz: {}
lists:
  partners: [partner.example, "bad domain"]
rules:
  - id: one
    when: {recipient: {list: [nope]}}
    action: encrypt
    methods: [pgp, carrier-pigeon]
  - id: two
    when: {header: {name: X-Foo, regex: "("}}
    action: block
    block_text: "no"
    bcc: [archive@clinic.example]
  - id: three
    when: {sender: {adress: "*@x.example"}}
    action: pass
    min: tls
`, "20-b.yaml": `settings: {}
rules:
  - id: one
    when: {size: {min: 10 parsecs}}
    action: pass
` + defaultRule})
	want := []string{
		`10-a.yaml:3: settings.limitz: unknown key "limitz"`,
		`10-a.yaml:5: lists.partners[1]: "bad domain": an entry is one address glob or one domain`,
		`10-a.yaml:8: rules[0].when.recipient.list[0]: unknown list "nope" (known: partners)`,
		`10-a.yaml:10: rules[0].methods[1]: unknown method "carrier-pigeon"`,
		`10-a.yaml:12: rules[1].when.header.regex: bad regular expression`,
		`10-a.yaml:15: rules[1].bcc: a blocked message is never delivered`,
		`10-a.yaml:17: rules[2].when.sender.adress: unknown key "adress" (known: address, domain, list)`,
		`10-a.yaml:19: rules[2].min: min applies only to action encrypt`,
		`20-b.yaml:1: settings: settings given again (first in `,
		`20-b.yaml:3: rules[0].id: rule id "one" already used at `,
		`20-b.yaml:4: rules[0].when.size.min: "10 parsecs" is not a size: unknown unit`,
	}
	var all []string
	for _, p := range probs {
		all = append(all, p.String())
	}
	text := strings.Join(all, "\n")
	for _, w := range want {
		if !strings.Contains(text, "policy: "+w) {
			t.Errorf("missing problem %q in:\n%s", w, text)
		}
	}
	if len(probs) != len(want) {
		t.Errorf("got %d problems, want %d:\n%s", len(probs), len(want), text)
	}
}

func TestDefaultRuleIsRequiredUniqueAndLast(t *testing.T) {
	cases := map[string]struct{ body, want string }{
		"missing": {`rules:
  - id: a
    when: {unscannable: true}
    action: pass
`, "no default rule"},
		"twice": {`rules:
  - id: d1
    default: true
    action: pass
  - id: d2
    default: true
    action: pass
`, "a second default rule"},
		"not last": {`rules:
  - id: d1
    default: true
    action: pass
  - id: a
    when: {unscannable: true}
    action: pass
`, "must be the last rule"},
		"with conditions": {`rules:
  - id: d1
    default: true
    when: {unscannable: true}
    action: pass
`, "the default rule has no conditions"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			probs := lintDir(t, map[string]string{"p.yaml": c.body})
			if len(probs) == 0 || !strings.Contains(probs[0].String(), c.want) {
				t.Fatalf("got %v, want %q", probs, c.want)
			}
		})
	}
}

func TestLoadErrorIsALintErrorWithOneProblemPerLine(t *testing.T) {
	dir := writePolicy(t, map[string]string{"p.yaml": "rules:\n  - id: a\n    when: {bogus: 1, unscannable: maybe}\n    action: pass\n" + defaultRule})
	_, err := Load(dir)
	var le *LintError
	if !errors.As(err, &le) {
		t.Fatalf("got %v, want *LintError", err)
	}
	if n := strings.Count(err.Error(), "\n") + 1; n != len(le.Problems) || n != 2 {
		t.Fatalf("got %d lines for %d problems: %v", n, len(le.Problems), err)
	}
}

func TestYAMLSyntaxErrorNamesTheFile(t *testing.T) {
	probs := lintDir(t, map[string]string{"p.yaml": "rules: [\n"})
	if len(probs) == 0 || probs[0].File != "p.yaml" || !strings.Contains(probs[0].Msg, "YAML syntax") {
		t.Fatalf("got %v", probs)
	}
}

func TestFilesLoadInLexicalOrderAndRulesFollowIt(t *testing.T) {
	dir := writePolicy(t, map[string]string{
		"20-b.yml":    "rules:\n  - id: b\n    when: {unscannable: true}\n    action: pass\n",
		"10-a.yaml":   "rules:\n  - id: a\n    when: {unscannable: true}\n    action: pass\n",
		"99-z.yaml":   "rules:" + defaultRule,
		"notes.txt":   "not a policy",
		".hidden.yml": "garbage: [",
	})
	set, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range set.Rules {
		ids = append(ids, r.ID)
	}
	if got := strings.Join(ids, ","); got != "a,b,default" {
		t.Fatalf("rule order %s", got)
	}
	if len(set.Files) != 3 || filepath.Base(set.Files[0]) != "10-a.yaml" {
		t.Fatalf("files %v", set.Files)
	}
}

func TestHashIsStableAcrossDirectoriesAndChangesWithAnyByte(t *testing.T) {
	files := map[string]string{
		"p.yaml":          "lists:\n  archive: {file: lists/a.txt}\nrules:\n  - id: a\n    when: {recipient: {list: archive}}\n    action: pass\n" + defaultRule,
		"lists/a.txt":     "# archive\narchive@clinic.example\n",
		"lists/other.txt": "unused",
	}
	s1, err := Load(writePolicy(t, files))
	if err != nil {
		t.Fatal(err)
	}
	s2, err := Load(writePolicy(t, files))
	if err != nil {
		t.Fatal(err)
	}
	if s1.Hash != s2.Hash || len(s1.Hash) != 64 {
		t.Fatalf("same policy, different hashes %s %s", s1.Hash, s2.Hash)
	}
	files["lists/a.txt"] += "other@clinic.example\n"
	s3, err := Load(writePolicy(t, files))
	if err != nil {
		t.Fatal(err)
	}
	if s3.Hash == s1.Hash {
		t.Fatal("changing a list file did not change the hash")
	}
	if got := s3.Lists["archive"]; len(got) != 2 || got[0] != "archive@clinic.example" {
		t.Fatalf("list %v", got)
	}
}

func TestMissingListFileIsAProblem(t *testing.T) {
	probs := lintDir(t, map[string]string{"p.yaml": "lists:\n  x: {file: nope.txt}\nrules:" + defaultRule})
	if len(probs) != 1 || probs[0].Line != 2 || !strings.Contains(probs[0].Msg, "cannot read") {
		t.Fatalf("got %v", probs)
	}
}

func TestCustomDetectorAndDictionaryNamesAreUsableInConditions(t *testing.T) {
	dir := writePolicy(t, map[string]string{"p.yaml": `settings:
  detect:
    dictionaries: {oncology: [chemotherapy, radiotherapy]}
    dictionary_files: {rare: rare.txt}
    custom: [{name: employee_id, pattern: 'EMP-\d{6}', confidence: medium, context: [employee]}]
rules:
  - id: a
    when: {detect: {types: [oncology, rare, employee_id, unscannable]}}
    action: quarantine
` + defaultRule, "rare.txt": "fabry disease\n"})
	set, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := set.Settings.Detect.Dictionaries["rare"]; len(got) != 1 {
		t.Fatalf("dictionary file: %v", got)
	}
}

func TestBadCustomRegexIsReportedAtLoad(t *testing.T) {
	probs := lintDir(t, map[string]string{"p.yaml": `settings:
  detect:
    mrn_patterns: ['\bMRN\d+(?!x)']
    custom: [{name: x, pattern: '[a-'}]
rules:` + defaultRule})
	if len(probs) != 2 || probs[0].Path != "settings.detect.mrn_patterns[0]" || probs[1].Path != "settings.detect.custom[0].pattern" {
		t.Fatalf("got %v", probs)
	}
}

func TestShippedDefaultPolicyIsEmbeddedVerbatim(t *testing.T) {
	disk, err := os.ReadFile("../testdata/policy/default/default.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(disk, defaultPolicy) {
		t.Fatal("policy/default.yaml and testdata/policy/default/default.yaml differ: copy one over the other")
	}
	set, err := Load("../testdata/policy/default")
	if err != nil {
		t.Fatal(err)
	}
	if def := DefaultSet(); def.Hash != set.Hash || len(def.Rules) != len(set.Rules) {
		t.Fatalf("embedded hash %s, on disk %s", def.Hash, set.Hash)
	}
}

func TestShippedDefaultPolicyFailsClosedFirst(t *testing.T) {
	set := DefaultSet()
	first := set.Rules[0]
	if first.When == nil || first.When.kind != "unscannable" || !first.When.flag || first.Action != ActionEncrypt {
		t.Fatalf("first shipped rule is %q (%s), want unscannable -> encrypt", first.ID, first.Action)
	}
	if last := set.Rules[len(set.Rules)-1]; !last.Default || last.Action == ActionPass {
		t.Fatalf("shipped default rule %q action %s: must not pass mail in the clear", last.ID, last.Action)
	}
}

func TestByteSizes(t *testing.T) {
	for in, want := range map[string]int64{"1024": 1024, "200MiB": 200 << 20, "10MB": 10_000_000, "512 KiB": 512 << 10, "1g": 1 << 30} {
		got, err := ParseByteSize(in)
		if err != nil || got != want {
			t.Errorf("%q: got %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "MiB", "-5", "5 parsecs", "99999999999999999999"} {
		if _, err := ParseByteSize(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func FuzzLoad(f *testing.F) {
	f.Add(defaultPolicy)
	f.Add([]byte("rules:\n  - id: a\n    when: {any: [{not: {detect: {score: 5}}}, {attachment: {name: '*.pdf'}}]}\n    action: block\n" + defaultRule))
	f.Add([]byte("settings: {limits: {max_depth: 3}, detect: {custom: [{name: x, pattern: 'a+'}]}}\nrules: []"))
	f.Add([]byte("a: &x [*x]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		set, err := compile([]source{{name: "fuzz.yaml", data: data}}, func(string) ([]byte, error) {
			return nil, os.ErrNotExist
		})
		if err == nil && (set == nil || len(set.Rules) == 0 || !set.Rules[len(set.Rules)-1].Default) {
			t.Fatalf("loaded a set without a default rule")
		}
	})
}
