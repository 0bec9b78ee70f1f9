package main

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPolicyTestExplainsObservedCases runs `sealgate policy test` on every
// regression message of testdata/phi/observed and checks that its report
// names what the engine must find there (the .want files), so an admin who
// tries one of those messages sees why it was decided.
func TestPolicyTestExplainsObservedCases(t *testing.T) {
	wants, _ := filepath.Glob("../../testdata/phi/observed/*.want")
	if len(wants) == 0 {
		t.Fatal("no observed cases")
	}
	for _, w := range wants {
		name := strings.TrimSuffix(filepath.Base(w), ".want")
		t.Run(name, func(t *testing.T) {
			out, code := runCLI(t, "policy", "test", strings.TrimSuffix(w, ".want")+".eml")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, out)
			}
			f, err := os.Open(w)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				verb, arg, _ := strings.Cut(strings.TrimSpace(sc.Text()), " ")
				switch verb {
				case "finding":
					if !findingLine(out, arg) {
						t.Errorf("report does not list a %s finding:\n%s", arg, out)
					}
				case "unscannable":
					if !strings.Contains(out, ": "+arg+"\n") {
						t.Errorf("report does not list a part unscannable for %s:\n%s", arg, out)
					}
				case "flagged":
					if strings.Contains(out, "(rule default)") {
						t.Errorf("report shows the default rule deciding:\n%s", out)
					}
				case "notflagged":
					if !strings.Contains(out, "(rule default)") {
						t.Errorf("report shows a rule other than default deciding:\n%s", out)
					}
				}
			}
		})
	}
}

// findingLine reports whether the "findings:" section lists typ.
func findingLine(out, typ string) bool {
	_, rest, ok := strings.Cut(out, "\nfindings:\n")
	if !ok {
		return false
	}
	for _, l := range strings.Split(rest, "\n") {
		if l == "" {
			break
		}
		if f := strings.Fields(l); len(f) > 0 && f[0] == typ {
			return true
		}
	}
	return false
}
