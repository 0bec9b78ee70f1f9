package relay

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Submit queues message id for delivery of copies and schedules an
// attempt at once. Its initial state (every recipient queued) is not
// saved: it is derived again from the durable message. After a crash
// Restore finds no state, reports needsProcessing, and the gateway
// processes the message again, making its copies again (at worst a
// duplicate delivery). The state is first saved when it holds something
// processing cannot derive: a deferral, a final status owing a DSN, a
// hold. The store makes the copies it names durable before it (spool
// SaveState).
func (r *Relay) Submit(id string, copies []Copy) error {
	return r.submit(id, copies, "")
}

// SubmitHeld queues id held, as a quarantine: nothing is attempted until an
// operator releases it. The state is saved before it returns, so the hold
// survives a crash. reason is shown by `queue list/show` and must carry no
// message content.
func (r *Relay) SubmitHeld(id string, copies []Copy, reason string) error {
	if reason == "" {
		reason = "held"
	}
	return r.submit(id, copies, reason)
}
func (r *Relay) submit(id string, copies []Copy, holdReason string) error {
	env, err := r.store.Envelope(id)
	if err != nil {
		return fmt.Errorf("relay: submit %s: %w", id, err)
	}
	now := r.now()
	st := queueState{Version: 1, ID: id, From: env.From, Received: env.Received, Size: env.Size, Copies: copies,
		Held: holdReason != "", HoldReason: holdReason}
	if st.Received.IsZero() {
		st.Received = now
	}
	seen := make(map[string]bool)
	for ci, c := range copies {
		for _, a := range c.Recipients {
			key := c.Name + "\x00" + strings.ToLower(a)
			if seen[key] {
				continue
			}
			seen[key] = true
			st.Recipients = append(st.Recipients, &rcpt{
				RecipientState: RecipientState{Addr: a, Status: StatusQueued, NextAttempt: now, Copy: c.Name,
					Held: c.Hold != "", HoldReason: c.Hold},
				CopyIdx: ci,
			})
		}
	}
	if len(st.Recipients) == 0 {
		return fmt.Errorf("relay: submit %s: no recipients", id)
	}
	m := &msg{env: env, st: st}
	r.mu.Lock()
	if _, dup := r.msgs[id]; dup {
		r.mu.Unlock()
		return fmt.Errorf("relay: submit %s: already queued", id)
	}
	r.msgs[id] = m
	r.touch(m)
	r.mu.Unlock()
	if st.Held || heldCopies(copies) || reportCopies(copies) {
		if err := r.save(m); err != nil {
			r.mu.Lock()
			r.forget(m)
			r.mu.Unlock()
			return err
		}
	}
	r.log.Info("relay: queued", "msg_id", id, "recipients", len(st.Recipients), "copies", len(copies), "held", st.Held, "hold_reason", holdReason)
	r.kick()
	return nil
}

// Restore loads the saved state of id into the queue. needsProcessing is
// true when no state was ever saved: the message was accepted but never
// submitted, so the gateway must process it and call Submit.
func (r *Relay) Restore(id string) (needsProcessing bool, err error) {
	raw, err := r.store.LoadState(id)
	if err != nil {
		return false, fmt.Errorf("relay: restore %s: %w", id, err)
	}
	if raw == nil {
		return true, nil
	}
	var st queueState
	if err := json.Unmarshal(raw, &st); err != nil {
		return false, fmt.Errorf("relay: restore %s: bad state: %w", id, err)
	}
	env, err := r.store.Envelope(id)
	if err != nil {
		return false, fmt.Errorf("relay: restore %s: %w", id, err)
	}
	for i, rc := range st.Recipients {
		if rc == nil || rc.CopyIdx < 0 || rc.CopyIdx >= len(st.Copies) {
			return false, fmt.Errorf("relay: restore %s: bad state: recipient %d", id, i)
		}
	}
	if name, err := r.missingCopy(id, &st); err != nil {
		// A copy still to send is gone (the store drops torn copies at
		// start): plan the message again, which makes the copies again.
		// Never another copy in its place, never the original.
		r.log.Warn("relay: restore: a queued copy cannot be opened; the message is planned again", "msg_id", id, "copy", name, "err", err)
		return true, nil
	}
	r.mu.Lock()
	if _, dup := r.msgs[id]; dup {
		r.mu.Unlock()
		return false, fmt.Errorf("relay: restore %s: already queued", id)
	}
	m := &msg{env: env, st: st}
	r.msgs[id] = m
	r.touch(m)
	r.mu.Unlock()
	r.log.Info("relay: restored", "msg_id", id, "recipients", len(st.Recipients))
	r.kick()
	return false, nil
}

// heldCopies reports whether some copy holds its recipients: that state must
// be durable before Submit returns, like a held message's.
func heldCopies(copies []Copy) bool {
	for _, c := range copies {
		if c.Hold != "" {
			return true
		}
	}
	return false
}

// missingCopy opens each named copy that a queued recipient still waits
// for and returns the first that cannot be opened.
func (r *Relay) missingCopy(id string, st *queueState) (string, error) {
	seen := make(map[int]bool)
	for _, rc := range st.Recipients {
		if rc.Status != StatusQueued || seen[rc.CopyIdx] {
			continue
		}
		seen[rc.CopyIdx] = true
		name := st.Copies[rc.CopyIdx].Name
		if name == "" {
			continue
		}
		c, err := r.store.OpenCopy(id, name)
		if err != nil {
			return name, err
		}
		c.Close()
	}
	return "", nil
}
