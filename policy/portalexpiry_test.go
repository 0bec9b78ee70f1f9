package policy

import (
	"strings"
	"testing"
	"time"
)

func TestPortalExpiryIsARuleOfItsOwn(t *testing.T) {
	dir := writePolicy(t, map[string]string{"rules.yaml": "rules:\n  - id: short\n    when: {subject_tag: true}\n    action: encrypt\n    portal_expiry: 7d\n  - id: hours\n    when: {unscannable: true}\n    action: encrypt\n    portal_expiry: 36h\n" + defaultRule})
	set, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := set.Rules[0].PortalExpiry; got != 7*24*time.Hour {
		t.Fatalf("7d read as %v", got)
	}
	if got := set.Rules[1].PortalExpiry; got != 36*time.Hour {
		t.Fatalf("36h read as %v", got)
	}
	for _, bad := range []string{"portal_expiry: 10m", "portal_expiry: 400d", "portal_expiry: soon"} {
		probs := lintDir(t, map[string]string{"r.yaml": "rules:\n  - id: x\n    when: {subject_tag: true}\n    action: encrypt\n    " + bad + "\n" + defaultRule})
		if len(probs) != 1 || !strings.Contains(probs[0].String(), "rules[0].portal_expiry") {
			t.Errorf("%s: %v", bad, probs)
		}
	}
	probs := lintDir(t, map[string]string{"r.yaml": "rules:\n  - id: x\n    when: {subject_tag: true}\n    action: pass\n    portal_expiry: 7d\n" + defaultRule})
	if len(probs) != 1 || !strings.Contains(probs[0].String(), "applies only to action encrypt") {
		t.Errorf("portal_expiry on pass: %v", probs)
	}
}
