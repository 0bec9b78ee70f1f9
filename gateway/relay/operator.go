package relay

import (
	"fmt"
	"strings"
)

// List returns a snapshot of the queue.
func (r *Relay) List() []Entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Entry, 0, len(r.msgs))
	for _, m := range r.msgs {
		if !m.deleted {
			out = append(out, m.entry())
		}
	}
	return out
}

// Show returns the snapshot of one message.
func (r *Relay) Show(id string) (Entry, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m, ok := r.msgs[id]
	if !ok || m.deleted {
		return Entry{}, ErrNotFound
	}
	return m.entry(), nil
}
func (m *msg) entry() Entry {
	e := Entry{ID: m.st.ID, From: m.st.From, Held: m.st.Held, HoldReason: m.st.HoldReason, Received: m.st.Received, Size: m.st.Size}
	for _, rc := range m.st.Recipients {
		e.Recipients = append(e.Recipients, rc.RecipientState)
	}
	return e
}

// Flush makes the queued recipients of id ("" = every message) due now,
// ignoring backoff. Held messages are left alone.
func (r *Relay) Flush(id string) error {
	r.mu.Lock()
	now := r.now()
	found := false
	for mid, m := range r.msgs {
		if (id != "" && mid != id) || m.deleted {
			continue
		}
		found = true
		if m.st.Held {
			continue
		}
		r.touch(m)
		for _, rc := range m.st.Recipients {
			if rc.Status == StatusQueued && !rc.Held && rc.NextAttempt.After(now) {
				rc.NextAttempt = now
			}
		}
	}
	r.mu.Unlock()
	if id != "" && !found {
		return ErrNotFound
	}
	r.kick()
	return nil
}

// Hold stops delivery attempts for id until Release. Durable.
func (r *Relay) Hold(id string) error { return r.setHeld(id, true) }

// Release undoes Hold (and the holds of single recipients, Copy.Hold) and
// makes the message due now. Durable.
func (r *Relay) Release(id string) error { return r.setHeld(id, false) }
func (r *Relay) setHeld(id string, held bool) error {
	r.mu.Lock()
	m, ok := r.msgs[id]
	if !ok || m.deleted {
		r.mu.Unlock()
		return ErrNotFound
	}
	m.st.Held = held
	m.st.HoldReason = ""
	r.touch(m)
	if held {
		m.st.HoldReason = "held by an operator"
	} else {
		// Releasing a message releases its held recipients too.
		now := r.now()
		for _, rc := range m.st.Recipients {
			if rc.Status == StatusQueued {
				rc.NextAttempt = now
				rc.Held, rc.HoldReason, rc.Fallback = false, "", ""
			}
		}
	}
	r.mu.Unlock()
	if err := r.save(m); err != nil {
		return err
	}
	r.log.Info("relay: hold changed", "msg_id", id, "held", held)
	r.kick()
	return nil
}

// Delete removes id from the queue and the store without any DSN. An
// attempt already in flight may still deliver.
func (r *Relay) Delete(id string) error {
	r.mu.Lock()
	m, ok := r.msgs[id]
	if !ok || m.deleted {
		r.mu.Unlock()
		return ErrNotFound
	}
	r.mu.Unlock()
	m.saveMu.Lock()
	defer m.saveMu.Unlock()
	r.mu.Lock()
	m.deleted = true
	if m.inflight == 0 && !m.settling {
		r.forget(m)
	}
	r.mu.Unlock()
	if err := r.store.Remove(id); err != nil {
		return fmt.Errorf("relay: delete %s: %w", id, err)
	}
	r.log.Info("relay: deleted by operator", "msg_id", id)
	return nil
}

// Depth is the number of messages in the queue.
func (r *Relay) Depth() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, m := range r.msgs {
		if !m.deleted {
			n++
		}
	}
	return n
}

// HeldRecipients lists the recipients of id held alone (Copy.Hold) and still
// queued, for a new selection (the processing stage's Reprocess).
func (r *Relay) HeldRecipients(id string) ([]string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m, ok := r.msgs[id]
	if !ok || m.deleted {
		return nil, ErrNotFound
	}
	var out []string
	for _, rc := range m.st.Recipients {
		if rc.Held && rc.Status == StatusQueued {
			out = append(out, rc.Addr)
		}
	}
	return out, nil
}

// ServeHeld gives held recipients of id the new copies a later selection made
// for them: each copy is added to the message, its recipients leave the hold
// and are due now. Recipients that are not held (delivered meanwhile, or
// released) are left as they are. Durable when it returns.
func (r *Relay) ServeHeld(id string, copies []Copy) error {
	r.mu.Lock()
	m, ok := r.msgs[id]
	if !ok || m.deleted {
		r.mu.Unlock()
		return ErrNotFound
	}
	now := r.now()
	changed := false
	for _, c := range copies {
		if c.Hold != "" {
			continue
		}
		ci := -1
		for _, a := range c.Recipients {
			for _, rc := range m.st.Recipients {
				if !rc.Held || rc.Status != StatusQueued || !strings.EqualFold(rc.Addr, a) {
					continue
				}
				if ci < 0 {
					m.st.Copies = append(m.st.Copies, c)
					ci = len(m.st.Copies) - 1
				}
				rc.CopyIdx, rc.Copy = ci, c.Name
				rc.Held, rc.HoldReason, rc.Fallback = false, "", ""
				rc.NextAttempt = now
				changed = true
			}
		}
	}
	r.touch(m)
	r.mu.Unlock()
	if !changed {
		return nil
	}
	if err := r.save(m); err != nil {
		return err
	}
	r.log.Info("relay: held recipients served", "msg_id", id)
	r.kick()
	return nil
}
