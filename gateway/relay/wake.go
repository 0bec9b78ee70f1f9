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

// block makes m wait for a delivery slot; r.mu held.
func (r *Relay) block(m *msg) {
	if !m.blocked {
		m.blocked = true
		r.blocked = append(r.blocked, m)
	}
}

// unblock touches every message waiting for a slot (one just freed);
// r.mu held.
func (r *Relay) unblock() {
	for _, m := range r.blocked {
		m.blocked = false
		r.touch(m)
	}
	clear(r.blocked)
	r.blocked = r.blocked[:0]
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
