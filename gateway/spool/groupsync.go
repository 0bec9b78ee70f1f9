package spool

import "sync"

// groupSync shares directory fsyncs between concurrent committers. A caller
// needs an fsync that *starts* after its rename; if one is already running
// it started too early, so the caller waits for the next one, which every
// caller that arrived meanwhile shares. Sync never returns before such an
// fsync has finished.
type groupSync struct {
	dir  string
	sync func(dir string) error

	mu      sync.Mutex
	cond    sync.Cond
	started uint64 // fsyncs started
	done    uint64 // fsyncs finished (they run one at a time, in order)
	running bool
	lastErr error  // result of fsync number done
	count   uint64 // fsyncs issued, for tests and benchmarks
	waiting int    // callers blocked on a running fsync, for tests
}

func newGroupSync(dir string, sync func(string) error) *groupSync {
	g := &groupSync{dir: dir, sync: sync}
	g.cond.L = &g.mu
	return g
}

// Sync returns once an fsync of the directory that began after the call
// has completed, with that fsync's error (or a later one's: conservative).
func (g *groupSync) Sync() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	need := g.started + 1
	for g.done < need {
		if g.running {
			g.waiting++
			g.cond.Wait()
			g.waiting--
			continue
		}
		g.running = true
		g.started++
		gen := g.started
		g.count++
		g.mu.Unlock()
		err := g.sync(g.dir)
		g.mu.Lock()
		g.running = false
		g.done = gen
		g.lastErr = err
		g.cond.Broadcast()
	}
	return g.lastErr
}

func (g *groupSync) syncs() uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.count
}
