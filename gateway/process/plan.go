package process

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/sealgate/sealgate/envelope"
	"github.com/sealgate/sealgate/internal/tlslevel"
	"github.com/sealgate/sealgate/policy"
)

// plan is how one message leaves: its copies, and whether it is held.
type plan struct {
	copies     []Copy
	holdReason string   // the whole message waits for an operator (quarantine, a block found late)
	partial    []string // why some recipients wait (Copy.Hold) while the others are delivered
	methods    []Method
	notify     bool // some rule asked to notify the sender
}

// holdNote is what the decision record and the sender's notice say is held:
// the message, or some of its recipients.
func (p plan) holdNote() string {
	if p.holdReason != "" {
		return p.holdReason
	}
	return strings.Join(p.partial, "; ")
}

// uses says whether some recipient goes by method.
func (p plan) uses(method string) bool {
	for _, m := range p.methods {
		if m.Method == method {
			return true
		}
	}
	return false
}

// ruleOutcome is what one rule decided for a group of recipients.
type ruleOutcome struct {
	rule, action string
	methods      []string
	min          string
	portalExpiry time.Duration
	strip        bool
	addHeaders   map[string]string
	bcc          []string
	notify       bool
	rcpts        []string
}

// groups splits the recipients by the rule that decided for each alone
// (policy.Decision.Recipients); without per-recipient decisions (a DSN, a
// synthetic decision) everyone follows the message-level decision.
func groups(env *envelope.Envelope, dec *policy.Decision) []*ruleOutcome {
	// Block and quarantine are message-wide: decided for the message, they
	// apply to every recipient.
	if len(dec.Recipients) != len(env.Recipients) || dec.Action == policy.ActionQuarantine || dec.Action == policy.ActionBlock {
		return []*ruleOutcome{{rule: dec.Rule, action: dec.Action, methods: dec.Methods, min: dec.Min, portalExpiry: dec.PortalExpiry,
			strip: dec.StripTag, addHeaders: dec.AddHeaders, bcc: dec.Bcc, notify: dec.NotifySender, rcpts: env.Addrs()}}
	}
	var out []*ruleOutcome
	byRule := map[string]*ruleOutcome{}
	for i, rd := range dec.Recipients {
		g := byRule[rd.Rule]
		if g == nil {
			g = &ruleOutcome{rule: rd.Rule, action: rd.Action, methods: rd.Methods, min: rd.Min, portalExpiry: rd.PortalExpiry, strip: rd.StripTag,
				addHeaders: rd.AddHeaders, bcc: rd.Bcc, notify: rd.NotifySender}
			byRule[rd.Rule] = g
			out = append(out, g)
		}
		g.rcpts = append(g.rcpts, env.Recipients[i].Addr)
	}
	return out
}

// plan maps a decision to copies, per group of recipients that the same
// rule decided for. TLS levels: require_tls means STARTTLS is mandatory
// ("encrypt"); the tls method of encrypt means verified TLS. A quarantine
// (or a block found after a restart) holds the whole message; an encrypt
// recipient with no usable method is held alone (planEncrypt).
func (s *Stage) plan(ctx context.Context, env *envelope.Envelope, dec *policy.Decision, set Settings) (plan, error) {
	return s.planNamed(ctx, env, dec, set, "")
}

// planNamed is plan with prefix in front of every copy's name suffix, so a
// later plan for the same message (Reprocess) never overwrites a copy the
// queue may still be sending.
func (s *Stage) planNamed(ctx context.Context, env *envelope.Envelope, dec *policy.Decision, set Settings, prefix string) (plan, error) {
	var p plan
	var holds []string
	bccSeen := map[string]bool{}
	for gi, grp := range groups(env, dec) {
		suffix := prefix
		if gi > 0 {
			suffix += fmt.Sprint(gi)
		}
		base, err := s.baseCopy(env, grp, dec.SubjectTag, suffix)
		if err != nil {
			return p, err
		}
		hold, err := s.planGroup(ctx, env, grp, base, suffix, set, &p)
		if err != nil {
			return p, err
		}
		if hold != "" {
			holds = append(holds, hold)
		}
		planBcc(grp, base, bccSeen, &p)
		p.notify = p.notify || grp.notify
	}
	p.holdReason = strings.Join(holds, "; ")
	return p, nil
}

// planGroup adds one rule group's copies and methods to p, built from the
// base copy; it returns why the message must be held ("" when it need not).
func (s *Stage) planGroup(ctx context.Context, env *envelope.Envelope, grp *ruleOutcome, base, suffix string, set Settings, p *plan) (string, error) {
	all := func(method string, minTLS tlslevel.Level) {
		p.copies = append(p.copies, Copy{Name: base, Recipients: grp.rcpts, MinTLS: minTLS})
		for _, r := range grp.rcpts {
			p.methods = append(p.methods, Method{Addr: r, Method: method, Reason: "rule " + grp.rule})
		}
	}
	switch grp.action {
	case policy.ActionPass:
		all("tls-opportunistic", "")
	case policy.ActionRequireTLS:
		all("tls-required", minEncrypt)
		if grp.rule == LoopRule && len(grp.methods) == 1 {
			// Still the copy it was: the relay stamps it again, so it is
			// recognised on the next loop too.
			p.copies[len(p.copies)-1].Method = grp.methods[0]
		}
	case policy.ActionQuarantine:
		all("quarantine", minEncrypt)
		return "quarantined by policy rule " + grp.rule, nil
	case policy.ActionEncrypt:
		return s.planEncrypt(ctx, env, grp, base, suffix, set, p)
	case policy.ActionBlock:
		// Blocks are answered inline (any recipient's block refuses the
		// message); here only after a crash: hold it for an operator.
		all("blocked", minVerify)
		return "blocked by policy rule " + grp.rule, nil
	default:
		return "", fmt.Errorf("process: unknown policy action %q", grp.action)
	}
	return "", nil
}

// planBcc adds the archive copy for the group's bcc addresses not served
// yet: the message as the policy modified it, over TLS at least; verified
// TLS when the rule encrypts (an archive is the admin's own mailbox, so it
// gets the plain copy).
func planBcc(grp *ruleOutcome, base string, seen map[string]bool, p *plan) {
	var bcc []string
	for _, b := range grp.bcc {
		if !seen[strings.ToLower(b)] {
			seen[strings.ToLower(b)] = true
			bcc = append(bcc, b)
		}
	}
	if len(bcc) == 0 {
		return
	}
	floor := minEncrypt
	if grp.action == policy.ActionEncrypt {
		floor = minVerify
	}
	p.copies = append(p.copies, Copy{Name: base, Recipients: bcc, MinTLS: floor})
	for _, b := range bcc {
		p.methods = append(p.methods, Method{Addr: b, Method: "tls-required", Reason: "policy bcc, rule " + grp.rule})
	}
}
