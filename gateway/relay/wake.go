package relay

import (
	"container/heap"
	"time"
)

// The scheduler looks only at messages that may have work: those touched
// since its last round (ready), those whose earliest timed event has come
// (a min-heap on that time), and, when a delivery slot frees, those that
// waited for one (blocked). A message with nothing due costs nothing per
// round, however long the queue. Looking at a message with nothing to do
// is harmless, so every change of a message's state touches it.

// wakeHeap orders messages by wakeAt; msg.heapIdx is the index plus one
// (0: not in the heap).
type wakeHeap []*msg

func (h wakeHeap) Len() int           { return len(h) }
func (h wakeHeap) Less(i, j int) bool { return h[i].wakeAt.Before(h[j].wakeAt) }
func (h wakeHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].heapIdx, h[j].heapIdx = i+1, j+1
}
func (h *wakeHeap) Push(x any) {
	m := x.(*msg)
	m.heapIdx = len(*h) + 1
	*h = append(*h, m)
}
func (h *wakeHeap) Pop() any {
	old := *h
	m := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	m.heapIdx = 0
	return m
}

// touch makes the next round look at m; r.mu held.
func (r *Relay) touch(m *msg) {
	if !m.ready {
		m.ready = true
		r.ready = append(r.ready, m)
	}
}

// wakeAt makes m due for a look at t (zero: at no time); r.mu held.
func (r *Relay) wakeAt(m *msg, t time.Time) {
	switch {
	case t.IsZero():
		if m.heapIdx > 0 {
			heap.Remove(&r.timed, m.heapIdx-1)
		}
	case m.heapIdx > 0:
		m.wakeAt = t
		heap.Fix(&r.timed, m.heapIdx-1)
	default:
		m.wakeAt = t
		heap.Push(&r.timed, m)
	}
}

// block makes m wait for a delivery slot, at the back of the line;
// r.mu held.
func (r *Relay) block(m *msg) {
	if !m.blocked {
		m.blocked = true
		r.blocked = append(r.blocked, m)
	}
}

// unblock is called when a delivery slot frees; r.mu held. It touches
// nothing itself: the next round gives waiting messages the free slots,
// oldest first (dispatchBlocked). Touching every waiting message here
// made each finished delivery cost a pass over the whole backlog, so a
// flushed queue of 100,000 drained in time quadratic in its length.
func (r *Relay) unblock() { r.slotFreed = true }

// dispatchBlocked gives the free delivery slots to the messages that
// waited for one, in the order they began to wait, until the slots are
// taken or each waiting message has had one look this round; r.mu held.
// A message that must still wait (its destination is at its limit) goes
// to the back of the line.
func (r *Relay) dispatchBlocked(now time.Time) {
	if !r.slotFreed {
		return
	}
	r.slotFreed = false
	for n := len(r.blocked) - r.blockedHead; n > 0 && r.running < r.opts.MaxConcurrency; n-- {
		m := r.blocked[r.blockedHead]
		r.blocked[r.blockedHead] = nil
		r.blockedHead++
		m.blocked = false
		if r.msgs[m.st.ID] != m || m.deleted {
			continue
		}
		next, blocked := r.dispatchMsg(m, now)
		if blocked {
			r.block(m)
		}
		r.wakeAt(m, next)
	}
	// Reclaim the consumed front once it is most of the slice.
	if r.blockedHead > 64 && r.blockedHead*2 > len(r.blocked) {
		n := copy(r.blocked, r.blocked[r.blockedHead:])
		clear(r.blocked[n:])
		r.blocked = r.blocked[:n]
		r.blockedHead = 0
	}
}

// forget removes m from the queue in memory; r.mu held. Its stale entries
// in ready and blocked are dropped when met (dispatch checks r.msgs).
func (r *Relay) forget(m *msg) {
	if r.msgs[m.st.ID] == m {
		delete(r.msgs, m.st.ID)
	}
	r.wakeAt(m, time.Time{})
}

// takeDue touches every message whose wake time has come; r.mu held.
func (r *Relay) takeDue(now time.Time) {
	for len(r.timed) > 0 && !r.timed[0].wakeAt.After(now) {
		r.touch(heap.Pop(&r.timed).(*msg))
	}
}

// nextWake is the earliest wake time, or zero; r.mu held.
func (r *Relay) nextWake() time.Time {
	if len(r.timed) == 0 {
		return time.Time{}
	}
	return r.timed[0].wakeAt
}
