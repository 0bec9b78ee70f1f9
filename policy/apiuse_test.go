package policy

import (
	"slices"
	"testing"
)

// A force-encrypt request raises pass and require_tls and never lowers
// anything: encrypt keeps its rule's methods, block and quarantine stay.
func TestAtLeastEncrypt(t *testing.T) {
	d := &Decision{Rule: "default", Action: ActionPass, Recipients: []RecipientDecision{
		{Rule: "partners", Action: ActionRequireTLS},
		{Rule: "phi", Action: ActionEncrypt, Methods: []string{"pgp"}, Min: MinEndToEnd},
		{Rule: "ssn-out", Action: ActionBlock},
		{Rule: "review", Action: ActionQuarantine},
	}}
	d.AtLeastEncrypt(RuleForceEncrypt)
	if d.Action != ActionEncrypt || d.Rule != RuleForceEncrypt || !slices.Equal(d.Methods, allMethods) {
		t.Errorf("message: %s by %s with %v, want encrypt by %s with every method", d.Action, d.Rule, d.Methods, RuleForceEncrypt)
	}
	want := []RecipientDecision{
		{Rule: RuleForceEncrypt, Action: ActionEncrypt, Methods: allMethods},
		{Rule: "phi", Action: ActionEncrypt, Methods: []string{"pgp"}, Min: MinEndToEnd},
		{Rule: "ssn-out", Action: ActionBlock},
		{Rule: "review", Action: ActionQuarantine},
	}
	for i, w := range want {
		g := d.Recipients[i]
		if g.Rule != w.Rule || g.Action != w.Action || !slices.Equal(g.Methods, w.Methods) || g.Min != w.Min {
			t.Errorf("recipient %d: %+v, want %+v", i, g, w)
		}
	}
	// The methods are a copy: changing them must not change the package's list.
	d.Methods[0] = "x"
	if allMethods[0] != "pgp" {
		t.Fatal("AtLeastEncrypt shares allMethods")
	}
}

// LintBytes finds what Load would, for a document that is not a file.
func TestLintBytes(t *testing.T) {
	if ps := LintBytes("ok.yaml", []byte("rules:\n  - id: all\n    default: true\n    action: pass\n")); len(ps) != 0 {
		t.Fatalf("valid policy: %v", ps)
	}
	ps := LintBytes("bad.yaml", []byte("rules:\n  - id: x\n    default: true\n    action: sendit\n"))
	if len(ps) != 1 || ps[0].File != "bad.yaml" || ps[0].Line != 4 || ps[0].Path != "rules[0].action" {
		t.Fatalf("bad action: %+v, want one problem at bad.yaml:4 rules[0].action", ps)
	}
}
