package process

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/sealgate/sealgate/envelope"
	"github.com/sealgate/sealgate/policy"
)

// evalTimeout bounds the inline policy evaluation before the SMTP reply;
// extraction has its own limits well below it.
const evalTimeout = 60 * time.Second

// ErrTryLater is Accept's answer when nothing could be decided (the policy
// could not be evaluated, or a block could not be recorded): the message
// was removed, and the producer tells its client to try again later.
var ErrTryLater = errors.New("process: temporary local problem, try again later")

// BlockedError is Accept's answer when the policy blocks the message: it
// was recorded and removed, and the producer refuses it with Text.
type BlockedError struct {
	Rule string
	Text string // the admin's text, or policy.DefaultBlockText
}

func (e *BlockedError) Error() string {
	return fmt.Sprintf("process: blocked by rule %s: %s", e.Rule, e.Text)
}

// Accept runs inline, after the producer stored env and before it answers
// its client (smtpd: before the 250; the REST API: before its 202). nil
// means the message is the stage's now: it is enqueued for processing. A
// *BlockedError or ErrTryLater means the stage removed it again.
func (s *Stage) Accept(ctx context.Context, env *envelope.Envelope) error {
	if err := s.accept(ctx, env); err != nil {
		return err
	}
	s.Enqueue(env.ID)
	return nil
}

// AcceptNow is Accept for a producer whose client waits for the plan (the
// REST API answers with each recipient's method): the message is then
// processed in the caller's goroutine instead of waiting for a worker, so
// concurrent requests are the workers, and the recorded outcome is the
// answer. If processing fails the message is the stage's all the same,
// retried as a worker would, and the outcome is nil (not decided yet).
func (s *Stage) AcceptNow(ctx context.Context, env *envelope.Envelope) (*Outcome, error) {
	if err := s.accept(ctx, env); err != nil {
		return nil, err
	}
	out, err := s.process(env.ID)
	if err != nil {
		s.log.Error("processing failed; message stays queued and is retried", "msg_id", env.ID, "err", err)
		time.AfterFunc(retryAfter, func() { s.Enqueue(env.ID) })
	}
	return out, nil
}

func (s *Stage) accept(ctx context.Context, env *envelope.Envelope) error {
	ctx, cancel := context.WithTimeout(ctx, evalTimeout)
	defer cancel()
	dec, err := s.evaluate(ctx, env)
	if err != nil {
		// Nothing was decided: say "later", keep nothing.
		s.log.Error("policy evaluation failed; message refused with a temporary error", "msg_id", env.ID, "err", err)
		s.o.Store.Remove(env.ID)
		return ErrTryLater
	}
	blockForAny(dec)
	if dec.Action == policy.ActionBlock {
		return s.block(env, dec)
	}
	s.decided.put(env.ID, dec)
	return nil
}

// blockForAny makes a block for any recipient the message's decision: one
// DATA, one reply. It is recorded as that rule's block.
func blockForAny(dec *policy.Decision) {
	for _, rd := range dec.Recipients {
		if rd.Action == policy.ActionBlock && dec.Action != policy.ActionBlock {
			dec.Rule, dec.Action, dec.BlockText = rd.Rule, policy.ActionBlock, rd.BlockText
		}
	}
}

// block records an inline block and removes the message.
func (s *Stage) block(env *envelope.Envelope, dec *policy.Decision) error {
	if err := s.o.Recorder.Decision(env, dec, nil, ""); err != nil {
		s.o.Store.Remove(env.ID)
		return ErrTryLater
	}
	s.count(dec, plan{})
	s.o.Store.Remove(env.ID)
	s.log.Info("policy: message blocked", "msg_id", env.ID, "rule", dec.Rule)
	text := dec.BlockText
	if text == "" {
		text = policy.DefaultBlockText
	}
	return &BlockedError{Rule: dec.Rule, Text: text}
}

// decisions carries the inline decision from Accept to Process. After a
// crash it is gone, and Process evaluates the message again (same policy,
// same answer).
type decisions struct {
	mu sync.Mutex
	m  map[string]*policy.Decision
}

func (d *decisions) put(id string, dec *policy.Decision) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.m == nil {
		d.m = map[string]*policy.Decision{}
	}
	d.m[id] = dec
}

func (d *decisions) get(id string) *policy.Decision {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.m[id]
}

func (d *decisions) drop(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.m, id)
}
