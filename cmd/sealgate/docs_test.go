package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// docCommand is one `sealgate ...` command line found in the docs.
type docCommand struct {
	where  string // file:line
	text   string // the line or code span, for the failure message
	args   []string
	fenced bool // in a code block: an invocation, whose arguments count too
}

// docFiles are the pages an admin follows, and the unit file.
func docFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("../../docs/*.md")
	if err != nil || len(files) == 0 {
		t.Fatalf("no docs: %v", err)
	}
	return append([]string{"../../README.md", "../../deploy/sealgate.service"}, files...)
}

var codeSpan = regexp.MustCompile("`([^`]+)`")

// extractDocCommands finds every sealgate command line in fenced code
// blocks and inline code spans of the markdown file.
func extractDocCommands(t *testing.T, path string) []docCommand {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []docCommand
	name := strings.TrimPrefix(path, "../../")
	// A unit file is all "code": its ExecStart= and the install steps in
	// its comments.
	unit := strings.HasSuffix(path, ".service")
	fenced := unit
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if unit {
			// "#   sealgate check ..." (indented: a step), not comment prose.
			if rest, ok := strings.CutPrefix(line, "#   "); ok {
				line = rest
			} else if strings.HasPrefix(line, "#") {
				continue
			}
		}
		trim := strings.TrimSpace(line)
		if strings.HasPrefix(trim, "```") || strings.HasPrefix(trim, "~~~") {
			fenced = !fenced
			continue
		}
		var candidates []string
		if fenced {
			if i := strings.Index(line, " #"); i >= 0 {
				line = line[:i] // a shell or YAML comment
			}
			candidates = []string{line}
		} else {
			for _, m := range codeSpan.FindAllStringSubmatch(line, -1) {
				candidates = append(candidates, m[1])
			}
		}
		for _, c := range candidates {
			found := commandsIn(c)
			if !fenced && len(found) == 0 {
				// Prose names a subcommand without the binary:
				// `queue flush ID`, `audit show|export`.
				if f := strings.Fields(c); len(f) > 1 && groups[f[0]] {
					found = [][]string{f}
				}
			}
			for _, args := range found {
				out = append(out, docCommand{where: fmt.Sprintf("%s:%d", name, n), text: strings.TrimSpace(c), args: args, fenced: fenced})
			}
		}
	}
	return out
}

// groups are the commands with subcommands, which prose names without
// "sealgate" in front (`queue release ID --method tls`).
var groups = map[string]bool{"queue": true, "audit": true, "keys": true, "tls": true, "policy": true, "portal": true,
	"webhooks": true, "api-key": true, "dkim": true, "keygen": true}

// isBinary says whether a token runs the sealgate binary.
func isBinary(tok string) bool {
	return tok == "sealgate" || tok == "./sealgate" || strings.HasSuffix(tok, "bin/sealgate") || strings.HasSuffix(tok, "cmd/sealgate")
}

// commandStarts are the tokens after which a command begins; elsewhere
// "sealgate" is an argument (systemctl reload sealgate, useradd ... sealgate).
var commandStarts = map[string]bool{"$": true, "&&": true, "||": true, ";": true, "|": true, "sudo": true, "run": true, "exec": true, "sealgate": true}

// commandsIn returns the argument lists of the sealgate commands in a line.
func commandsIn(s string) [][]string {
	toks := strings.Fields(s)
	var out [][]string
	for i, tok := range toks {
		if !isBinary(tok) || i+1 >= len(toks) || toks[i+1] == "sealgate" {
			continue
		}
		// A command at the start, after a prompt, an operator, sudo, go
		// run, a cron user field or a unit key (ExecStart=/usr/...);
		// elsewhere an argument (go build -o /usr/local/bin/sealgate).
		if i > 0 && !commandStarts[toks[i-1]] && !strings.Contains(tok, "=") {
			continue
		}
		out = append(out, toks[i+1:])
	}
	return out
}

// helpFlags runs `sealgate PATH --help` in-process and returns its flags
// (long and short names) and whether each takes a value.
type flagSet map[string]bool

var helpFlagLine = regexp.MustCompile(`^\s+(?:-(\S), )?--([^\s=]+)(?: (\S+))?(?:\s{2,}|$)`)

func helpFlags(t *testing.T, cache map[string]flagSet, path []string) (flagSet, error) {
	key := strings.Join(path, " ")
	if fs, ok := cache[key]; ok {
		return fs, nil
	}
	out, code := runCLI(t, append(append([]string{}, path...), "--help")...)
	if code != 0 || !strings.Contains(out, "Usage:") {
		return nil, fmt.Errorf("`sealgate %s --help` exits %d", key, code)
	}
	fs := flagSet{}
	inFlags := false
	for _, l := range strings.Split(out, "\n") {
		switch {
		case strings.HasSuffix(l, "Flags:"):
			inFlags = true
			continue
		case strings.TrimSpace(l) == "" || !strings.HasPrefix(l, " "):
			inFlags = false
		}
		if !inFlags {
			continue
		}
		if m := helpFlagLine.FindStringSubmatch(l); m != nil {
			takesValue := m[3] != ""
			fs["--"+m[2]] = takesValue
			if m[1] != "" {
				fs["-"+m[1]] = takesValue
			}
		}
	}
	cache[key] = fs
	return fs, nil
}

// shellStop ends the sealgate part of a line.
func shellStop(tok string) bool {
	switch tok {
	case "|", "||", "&&", ";", ">", ">>", "<", "2>&1", "&":
		return true
	}
	return strings.HasPrefix(tok, ">") || strings.HasPrefix(tok, "2>") || strings.HasPrefix(tok, "$(") || strings.HasPrefix(tok, "#")
}

// placeholder is an argument written as a name to fill in: ID, MSG_ID,
// FILE..., <64 hex>, DOMAIN.
func placeholder(tok string) bool {
	if strings.HasPrefix(tok, "<") || strings.HasSuffix(tok, "...") {
		return true
	}
	return regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`).MatchString(tok)
}

func subcommand(c *cobra.Command, name string) *cobra.Command {
	for _, s := range c.Commands() {
		if s.Name() == name || s.HasAlias(name) {
			return s
		}
	}
	return nil
}

func commandPath(c *cobra.Command) []string {
	var p []string
	for ; c.HasParent(); c = c.Parent() {
		p = append([]string{c.Name()}, p...)
	}
	return p
}

// checkDocCommand walks args down the command tree: every subcommand must
// exist, and every flag must be one the command's --help lists. With
// countArgs (an invocation in a code block, not a name in prose) the
// positional arguments must also be what the command accepts.
func checkDocCommand(t *testing.T, root *cobra.Command, cache map[string]flagSet, args []string, countArgs bool) []string {
	var problems []string
	cmd := root
	var parent *cobra.Command // where the last subcommand was found (for "a | b" synopses)
	mayDescend := true
	synopsis := false // a " | " was already an alternative: the next ones are too
	var positional []string
	for i := 0; i < len(args); i++ {
		tok := strings.Trim(args[i], "[](),")
		if tok == "" {
			continue
		}
		if tok == "|" && parent != nil && i+1 < len(args) && (synopsis || subcommand(parent, strings.Trim(args[i+1], "[]")) != nil) {
			// "queue list | show ID | flush [ID]": alternatives, not a pipe.
			cmd, mayDescend, synopsis = parent, true, true
			countArgs = false // a synopsis, not one invocation
			continue
		}
		if shellStop(tok) {
			break
		}
		if strings.HasPrefix(tok, "-") && len(tok) > 1 {
			if tok == "--" {
				break
			}
			fs, err := helpFlags(t, cache, commandPath(cmd))
			if err != nil {
				return append(problems, err.Error())
			}
			name, _, hasValue := strings.Cut(tok, "=")
			takesValue, ok := fs[name]
			if !ok {
				problems = append(problems, fmt.Sprintf("`sealgate %s` has no flag %s", strings.Join(commandPath(cmd), " "), name))
				continue
			}
			if takesValue && !hasValue {
				i++ // its value
			}
			continue
		}
		if !mayDescend || !cmd.HasSubCommands() {
			mayDescend = false // a positional argument
			positional = append(positional, tok)
			continue
		}
		if strings.Contains(tok, "|") {
			// "tls show|reset DOMAIN": each alternative must exist.
			for _, alt := range strings.Split(tok, "|") {
				if sub := subcommand(cmd, alt); sub == nil {
					problems = append(problems, fmt.Sprintf("`sealgate %s` has no subcommand %q", strings.Join(commandPath(cmd), " "), alt))
				} else if _, err := helpFlags(t, cache, commandPath(sub)); err != nil {
					problems = append(problems, err.Error())
				}
			}
			return problems
		}
		if placeholder(tok) {
			return problems // "sealgate COMMAND --help": any of them
		}
		sub := subcommand(cmd, tok)
		if sub == nil {
			return append(problems, fmt.Sprintf("`sealgate %s` has no subcommand %q", strings.Join(commandPath(cmd), " "), tok))
		}
		parent, cmd = cmd, sub
	}
	if _, err := helpFlags(t, cache, commandPath(cmd)); err != nil {
		problems = append(problems, err.Error())
	}
	if countArgs && cmd.Args != nil {
		if err := cmd.ValidateArgs(positional); err != nil {
			problems = append(problems, fmt.Sprintf("`sealgate %s`: %v", strings.Join(commandPath(cmd), " "), err))
		}
	}
	return problems
}

// knownWrong are documented on purpose as what does not work.
var knownWrong = map[string]bool{
	"queue lsit": true, // docs/operations.md: an unknown subcommand exits 64
}

// TestDocumentedCommandsExist runs `--help` on every command README.md and
// docs/*.md show (code blocks and inline code) and fails on a command,
// subcommand or flag the binary does not have.
func TestDocumentedCommandsExist(t *testing.T) {
	root := newRoot()
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	cache := map[string]flagSet{}
	total := 0
	for _, f := range docFiles(t) {
		for _, dc := range extractDocCommands(t, f) {
			total++
			if knownWrong[strings.Join(dc.args, " ")] {
				continue
			}
			for _, p := range checkDocCommand(t, root, cache, dc.args, dc.fenced) {
				t.Errorf("%s: %s\n\tin: %s", dc.where, p, dc.text)
			}
		}
	}
	if total < 50 {
		t.Fatalf("found only %d documented commands: is the extraction broken?", total)
	}
	t.Logf("%d documented command lines, %d commands' --help checked", total, len(cache))
}

// The checker itself: it must catch what it is for.
func TestDocCommandCheckerCatchesUnknownCommandsAndFlags(t *testing.T) {
	root := newRoot()
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	cache := map[string]flagSet{}
	for line, want := range map[string]string{
		"sealgate queue lsit":                                        `has no subcommand "lsit"`,
		"sealgate audit export --formt csv":                          "has no flag --formt",
		"sudo -u sealgate sealgate audit verify --bad":               "has no flag --bad",
		"sealgate tls show|forget DOMAIN":                            `has no subcommand "forget"`,
		"sealgate queue list | shw ID":                               "",
		"sealgate queue list | show ID | flsh [ID]":                  `has no subcommand "flsh"`,
		"sealgate audit report --since 720h [--format csv] > r.csv":  "",
		"systemctl reload sealgate":                                  "",
		"journalctl -u sealgate -f":                                  "",
		"*/10 * * * * sealgate sealgate audit export --since 15m":    "",
		"ExecStart=/usr/local/bin/sealgate serve -c /etc/x.yaml":     "",
		"ExecStart=/usr/local/bin/sealgate serve --cfg /etc/x.yaml":  "has no flag --cfg",
		"go build -o /usr/local/bin/sealgate ./cmd/sealgate":         "",
		"go run ./cmd/sealgate demo --lisen 127.0.0.1:2525":          "has no flag --lisen",
		"sealgate COMMAND --help":                                    "",
		"sealgate completion bash > /etc/bash_completion.d/sealgate": "",
	} {
		var problems []string
		for _, args := range commandsIn(line) {
			problems = append(problems, checkDocCommand(t, root, cache, args, true)...)
		}
		got := strings.Join(problems, "; ")
		if (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("%q: problems %q, want %q", line, got, want)
		}
	}
}
