package process

import (
	"context"
	"errors"
	"time"

	"github.com/sealgate/sealgate/envelope"
	"github.com/sealgate/sealgate/policy"
)

// processTimeout bounds one message's processing (key lookups, WKD,
// encryption).
const processTimeout = 5 * time.Minute

// Process turns the message's decision into outbound copies, records the
// decision (durable before anything can leave) and hands the copies to the
// queue. It is safe to call again for the same message: once the queue has
// it, Process does nothing.
func (s *Stage) Process(id string) error {
	_, err := s.process(id)
	return err
}

// Outcome is what processing decided for a message, as recorded: the
// action and rule, whether the whole message is held, and each
// recipient's method.
type Outcome struct {
	Action, Rule string
	Held         bool
	Methods      []Method
}

// process is Process, returning the outcome when it planned the message
// now (nil when there was nothing to do).
func (s *Stage) process(id string) (*Outcome, error) {
	if s.o.Queue.Queued(id) {
		return nil, nil // already planned and queued (a retried or repeated hand-off)
	}
	env, err := s.o.Store.Envelope(id)
	if errors.Is(err, ErrNotFound) {
		return nil, nil // withdrawn or removed meanwhile: nothing to do
	}
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), processTimeout)
	defer cancel()
	dec, err := s.decision(ctx, env)
	if err != nil {
		return nil, err
	}
	set := s.o.Settings()
	// A block here (not inline) means the message was evaluated again after
	// a restart: it may have had a 250 under an earlier policy. It is held
	// for an operator (plan does that), never dropped after a 250 and never sent.
	p, err := s.plan(ctx, env, dec, set)
	if err != nil {
		return nil, err
	}
	if err := s.o.Recorder.Decision(env, dec, p.methods, p.holdNote()); err != nil {
		return nil, err
	}
	if err := s.submit(id, p); err != nil {
		return nil, err
	}
	s.decided.drop(id)
	s.count(dec, p)
	if dec.NotifySender || p.notify || (set.NotifyHeld && p.holdNote() != "") || (set.NotifyPortal && p.uses("portal")) {
		if nerr := s.notifySender(env, dec, p, set); nerr != nil {
			// The message itself is queued; a lost notice is logged, not retried.
			s.log.Error("policy: sender notification failed", "msg_id", id, "err", nerr)
		}
	}
	return &Outcome{Action: dec.Action, Rule: dec.Rule, Held: p.holdReason != "", Methods: p.methods}, nil
}

// decision is the inline decision Accept kept, or a fresh one: after a
// restart, or for our own DSNs, which carry the sender's headers only and
// leave as any other mail without PHI (TLS required).
func (s *Stage) decision(ctx context.Context, env *envelope.Envelope) (*policy.Decision, error) {
	// Kept until the queue has the message: a failed hand-off is retried
	// with the same decision, not a second scan.
	if dec := s.decided.get(env.ID); dec != nil {
		return dec, nil
	}
	if env.DSN {
		return &policy.Decision{Action: policy.ActionRequireTLS, Rule: "dsn"}, nil
	}
	return s.evaluate(ctx, env)
}

func (s *Stage) submit(id string, p plan) error {
	if p.holdReason != "" {
		return s.o.Queue.SubmitHeld(id, p.copies, p.holdReason)
	}
	return s.o.Queue.Submit(id, p.copies)
}
