package spool

import (
	"bytes"
	"io"
	"sync"
)

// maxMemCopy is the largest copy PutCopy keeps in memory; larger ones are
// written to a file as they stream, so a large message is never held whole.
const maxMemCopy = 1 << 20

// memCopies holds outbound copies that have not been written to a file:
// most encrypted messages are delivered at the first attempt, and their
// copies then never touch the disk (no create, rename or unlink in msg/,
// which contend with every commit on the same directories and journal).
// A copy is derived data (PutCopy says why it needs no fsync), so losing
// it in a crash costs what losing an unsynced file costs: the message has
// no state, and it is planned and encrypted again. SaveState writes a
// message's copies to files, durably, before the state that names them.
type memCopies struct {
	mu    sync.Mutex
	limit int64 // bytes; <= 0 keeps none
	used  int64
	gen   uint64
	m     map[string]map[string]memCopy // id -> copy name -> copy
}

type memCopy struct {
	b   []byte
	gen uint64
}

// put keeps b as id's copy name if the budget allows, replacing any copy
// of that name in memory, and reports whether it did.
func (c *memCopies) put(id, name string, b []byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.m[id][name]
	if c.used-int64(len(old.b))+int64(len(b)) > c.limit {
		return false
	}
	if c.m == nil {
		c.m = make(map[string]map[string]memCopy)
	}
	if c.m[id] == nil {
		c.m[id] = make(map[string]memCopy)
	}
	c.gen++
	c.m[id][name] = memCopy{b: b, gen: c.gen}
	c.used += int64(len(b)) - int64(len(old.b))
	return true
}

// get returns id's copy name, if it is in memory. The bytes are never
// changed after put, so readers need no lock.
func (c *memCopies) get(id, name string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	mc, ok := c.m[id][name]
	return mc.b, ok
}

// forget drops one copy (a file of that name replaced it).
func (c *memCopies) forget(id, name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if mc, ok := c.m[id][name]; ok {
		c.used -= int64(len(mc.b))
		delete(c.m[id], name)
		if len(c.m[id]) == 0 {
			delete(c.m, id)
		}
	}
}

// take returns a snapshot of id's copies in memory; they stay until done.
func (c *memCopies) take(id string) map[string]memCopy {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m[id]) == 0 {
		return nil
	}
	out := make(map[string]memCopy, len(c.m[id]))
	for n, mc := range c.m[id] {
		out[n] = mc
	}
	return out
}

// done drops the copies written to files, unless replaced meanwhile.
func (c *memCopies) done(id string, written map[string]memCopy) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for n, w := range written {
		if mc, ok := c.m[id][n]; ok && mc.gen == w.gen {
			c.used -= int64(len(mc.b))
			delete(c.m[id], n)
		}
	}
	if len(c.m[id]) == 0 {
		delete(c.m, id)
	}
}

// drop forgets every copy of id (Remove, quarantine).
func (c *memCopies) drop(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, mc := range c.m[id] {
		c.used -= int64(len(mc.b))
	}
	delete(c.m, id)
}

// MemoryCopyBytes returns the bytes of outbound copies held in memory.
func (s *Spool) MemoryCopyBytes() int64 {
	s.mem.mu.Lock()
	defer s.mem.mu.Unlock()
	return s.mem.used
}

// readForMemory reads r up to maxMemCopy bytes. whole is false when r
// holds more: the caller then writes the prefix and the rest to a file. A
// whole copy is returned at its own size (the read buffer grows in
// doublings), so the budget counts the memory that is held.
func readForMemory(r io.Reader) (prefix []byte, whole bool, err error) {
	var buf bytes.Buffer
	n, err := buf.ReadFrom(io.LimitReader(r, maxMemCopy+1))
	if err != nil {
		return nil, false, err
	}
	if n > maxMemCopy {
		return buf.Bytes(), false, nil
	}
	return bytes.Clone(buf.Bytes()), true, nil
}
