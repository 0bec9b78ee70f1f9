package process

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sealgate/sealgate/policy"
)

// Fallback re-selects recipients of id whose method failed at delivery (the
// relay found that verified TLS could not be had for a "tls" copy): the
// policy is evaluated again, narrowed to addrs, failed is taken out of their
// methods, and the rest of the rule's list is tried in its order through the
// same planning as Process, with new copy names. The amended decision is
// recorded (each reason starts "fallback after <failed> failed: <reason>")
// before the queue serves the new copies. Recipients with no method left
// stay held ("no secure method left after <failed> failed"), and the queue's
// hold lifetime bounces them in the end. Nothing weaker than today's policy
// is ever chosen: never plaintext unless the rule itself allows it.
//
// An error leaves the recipients waiting; the queue calls again.
func (s *Stage) Fallback(ctx context.Context, id string, addrs []string, failed, reason string) error {
	env, err := s.o.Store.Envelope(id)
	if err != nil {
		return err
	}
	dec, err := s.evaluate(ctx, env)
	if err != nil {
		return err
	}
	sub, subDec := heldOnly(env, dec, addrs)
	left := "no secure method left after " + failed + " failed"
	if len(sub.Recipients) == 0 {
		return s.o.Queue.KeepHeld(id, addrs, left)
	}
	withoutMethod(subDec, failed)
	p, err := s.planNamed(ctx, sub, subDec, s.o.Settings(), "f"+strconv.FormatInt(time.Now().UnixNano(), 36))
	if err != nil {
		return err
	}
	copies, served := fallbackCopies(p, sub.Addrs())
	if p.holdReason != "" {
		copies, served = nil, nil // the policy now holds the message: nobody leaves
	}
	note := "fallback after " + failed + " failed: " + reason
	var methods []Method
	for _, m := range p.methods {
		if containsAddr(sub.Addrs(), m.Addr) { // not an archive copy: the first decision sent it
			m.Reason = note + "; " + m.Reason
			methods = append(methods, m)
		}
	}
	var still []string
	for _, a := range sub.Addrs() {
		if !served[strings.ToLower(a)] {
			still = append(still, a)
		}
	}
	hold := p.holdNote()
	if len(still) > 0 {
		hold = strings.TrimPrefix(hold+"; "+left, "; ")
	}
	if err := s.o.Recorder.Decision(sub, subDec, methods, hold); err != nil {
		return err
	}
	if len(copies) > 0 {
		if err := s.o.Queue.ServeHeld(id, copies); err != nil {
			return fmt.Errorf("process: fallback %s: %w", id, err)
		}
	}
	if len(still) > 0 {
		if err := s.o.Queue.KeepHeld(id, still, left); err != nil {
			return fmt.Errorf("process: fallback %s: %w", id, err)
		}
	}
	s.log.Info("policy: recipients re-selected after a delivery failure", "msg_id", id, "failed", failed,
		"served", len(addrs)-len(still), "still_held", len(still))
	return nil
}

// fallbackCopies are p's copies for addrs (not the archive copies, not the
// held ones), and the addresses they serve (lower case).
func fallbackCopies(p plan, addrs []string) ([]Copy, map[string]bool) {
	want := map[string]bool{}
	for _, a := range addrs {
		want[strings.ToLower(a)] = true
	}
	served := map[string]bool{}
	var out []Copy
	for _, c := range p.copies {
		if c.Hold != "" || !within(c.Recipients, want) {
			continue
		}
		out = append(out, c)
		for _, a := range c.Recipients {
			served[strings.ToLower(a)] = true
		}
	}
	return out, served
}

// withoutMethod takes m out of every method list of dec, in new slices
// (the engine's may be shared).
func withoutMethod(dec *policy.Decision, m string) {
	drop := func(list []string) []string {
		out := make([]string, 0, len(list))
		for _, x := range list {
			if x != m {
				out = append(out, x)
			}
		}
		return out
	}
	dec.Methods = drop(dec.Methods)
	rs := make([]policy.RecipientDecision, len(dec.Recipients))
	for i, rd := range dec.Recipients {
		rd.Methods = drop(rd.Methods)
		rs[i] = rd
	}
	dec.Recipients = rs
}

func containsAddr(list []string, a string) bool {
	for _, x := range list {
		if strings.EqualFold(x, a) {
			return true
		}
	}
	return false
}
