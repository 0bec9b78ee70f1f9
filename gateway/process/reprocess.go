package process

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sealgate/sealgate/envelope"
	"github.com/sealgate/sealgate/policy"
)

// Reprocess runs selection again for the recipients of id that are held for
// want of a method: after a key or certificate was imported for them, or
// when the TLS knowledge changed. Those that now have a method get new
// copies, made under new names (the queue may still be sending the old
// ones), with a decision record before the queue serves them; the others
// stay held. The rest of the message is not touched. It returns how many
// recipients were served and how many are still held.
//
// The policy is evaluated again (it may have changed since): a recipient's
// new copy is never weaker than what today's policy requires. The archive
// (policy bcc) copies went out with the first decision and are not repeated.
func (s *Stage) Reprocess(ctx context.Context, id string) (served, held int, err error) {
	addrs, err := s.o.Queue.HeldRecipients(id)
	if err != nil || len(addrs) == 0 {
		return 0, 0, err
	}
	env, err := s.o.Store.Envelope(id)
	if err != nil {
		return 0, len(addrs), err
	}
	dec, err := s.evaluate(ctx, env)
	if err != nil {
		return 0, len(addrs), err
	}
	sub, subDec := heldOnly(env, dec, addrs)
	if len(sub.Recipients) == 0 {
		return 0, len(addrs), nil
	}
	set := s.o.Settings()
	p, err := s.planNamed(ctx, sub, subDec, set, "r"+strconv.FormatInt(time.Now().UnixNano(), 36))
	if err != nil {
		return 0, len(addrs), err
	}
	if p.holdReason != "" {
		return 0, len(addrs), nil // the policy now holds the whole message: leave it to an operator
	}
	want := map[string]bool{}
	for _, a := range sub.Recipients {
		want[strings.ToLower(a.Addr)] = true
	}
	var copies []Copy
	for _, c := range p.copies {
		if c.Hold != "" || !within(c.Recipients, want) {
			continue // still no method, or an archive copy the first decision sent
		}
		copies = append(copies, c)
		served += len(c.Recipients)
	}
	held = len(addrs) - served
	if served == 0 {
		return 0, held, nil
	}
	for i := range p.methods {
		p.methods[i].Reason = "re-selected: " + p.methods[i].Reason
	}
	if err := s.o.Recorder.Decision(sub, subDec, p.methods, p.holdNote()); err != nil {
		return 0, len(addrs), err
	}
	if err := s.o.Queue.ServeHeld(id, copies); err != nil {
		return 0, len(addrs), fmt.Errorf("process: reprocess %s: %w", id, err)
	}
	s.log.Info("policy: held recipients re-selected", "msg_id", id, "served", served, "still_held", held)
	return served, held, nil
}

// heldOnly narrows env and its decision to the held addresses, keeping each
// recipient's own decision (Decision.Recipients is indexed like
// env.Recipients).
func heldOnly(env *envelope.Envelope, dec *policy.Decision, addrs []string) (*envelope.Envelope, *policy.Decision) {
	held := map[string]bool{}
	for _, a := range addrs {
		held[strings.ToLower(a)] = true
	}
	e := *env
	d := *dec
	e.Recipients, d.Recipients = nil, nil
	perRcpt := len(dec.Recipients) == len(env.Recipients)
	for i, r := range env.Recipients {
		if !held[strings.ToLower(r.Addr)] {
			continue
		}
		e.Recipients = append(e.Recipients, r)
		if perRcpt {
			d.Recipients = append(d.Recipients, dec.Recipients[i])
		}
	}
	return &e, &d
}

func within(addrs []string, set map[string]bool) bool {
	for _, a := range addrs {
		if !set[strings.ToLower(a)] {
			return false
		}
	}
	return len(addrs) > 0
}
