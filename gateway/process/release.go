package process

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sealgate/sealgate/policy"
)

// ErrNothingHeld is Release's answer for a message with no recipient held
// for want of a method.
var ErrNothingHeld = errors.New("process: no recipient is held for want of a method")

// Release serves the recipients of id held for want of a method by the one
// method an operator named (`queue release --method portal`): the policy is
// evaluated again, the held recipients' method lists become that method
// alone, and selection runs as usual, so the method must really be
// possible (the portal enabled, a usable key). It never serves them by
// anything else; the decision is recorded, naming the operator, before the
// queue serves the new copies. It returns how many were served.
func (s *Stage) Release(ctx context.Context, id, method, actor string) (int, error) {
	addrs, err := s.o.Queue.HeldRecipients(id)
	if err != nil {
		return 0, err
	}
	if len(addrs) == 0 {
		return 0, ErrNothingHeld
	}
	env, err := s.o.Store.Envelope(id)
	if err != nil {
		return 0, err
	}
	dec, err := s.evaluate(ctx, env)
	if err != nil {
		return 0, err
	}
	sub, subDec := heldOnly(env, dec, addrs)
	onlyMethod(subDec, method)
	p, err := s.planNamed(ctx, sub, subDec, s.o.Settings(), "o"+strconv.FormatInt(time.Now().UnixNano(), 36))
	if err != nil {
		return 0, err
	}
	if p.holdReason != "" {
		return 0, fmt.Errorf("process: %s is held by policy now (%s): release the message itself", id, p.holdReason)
	}
	copies, served := fallbackCopies(p, sub.Addrs())
	if len(served) < len(sub.Recipients) {
		var why []string
		for _, m := range p.methods {
			if containsAddr(sub.Addrs(), m.Addr) && !served[strings.ToLower(m.Addr)] {
				why = append(why, m.Addr+": "+m.Reason)
			}
		}
		return 0, fmt.Errorf("process: cannot release %s by %s: %s", id, method, strings.Join(why, "; "))
	}
	var methods []Method
	for _, m := range p.methods {
		if containsAddr(sub.Addrs(), m.Addr) {
			m.Reason = "released by " + actor + " with method " + method + "; " + m.Reason
			methods = append(methods, m)
		}
	}
	if err := s.o.Recorder.Decision(sub, subDec, methods, ""); err != nil {
		return 0, err
	}
	if err := s.o.Queue.ServeHeld(id, copies); err != nil {
		return 0, fmt.Errorf("process: release %s: %w", id, err)
	}
	return len(served), nil
}

// onlyMethod makes m the only method of every encrypt decision in dec, in
// new slices (the engine's may be shared).
func onlyMethod(dec *policy.Decision, m string) {
	dec.Methods = []string{m}
	rs := make([]policy.RecipientDecision, len(dec.Recipients))
	for i, rd := range dec.Recipients {
		rd.Methods = []string{m}
		rs[i] = rd
	}
	dec.Recipients = rs
}
