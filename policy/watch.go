package policy

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Debounce is how long the watcher waits after the last file event before
// reloading: editors write a file in several steps.
const Debounce = 500 * time.Millisecond

// Watcher reloads a policy when its files change. It never swaps anything
// itself: it hands each new Set (or the reason it was refused) to onChange,
// and the caller keeps the old engine when the new policy fails.
type Watcher struct {
	fw       *fsnotify.Watcher
	paths    []string
	onChange func(*Set, error)
	done     chan struct{}
	wg       sync.WaitGroup
	once     sync.Once
}

// Watch watches the directories holding paths (and the list and dictionary
// files the current policy reads) and calls onChange(set, nil) after a change
// that produced a different, valid policy, or onChange(nil, err) when the
// changed policy fails to load (err is a *LintError for lint problems).
// Callbacks run on one goroutine, one at a time; a callback must not call
// Close (Close waits for it).
func Watch(paths []string, onChange func(set *Set, err error)) (*Watcher, error) {
	if len(paths) == 0 {
		return nil, errors.New("policy: watch: no paths")
	}
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("policy: watch: %w", err)
	}
	w := &Watcher{fw: fw, paths: paths, onChange: onChange, done: make(chan struct{})}
	last := ""
	var refs []string
	if set, err := Load(paths...); err == nil {
		last, refs = set.Hash, set.refs
	}
	for _, d := range w.dirs(refs) {
		if err := fw.Add(d); err != nil {
			fw.Close()
			return nil, fmt.Errorf("policy: watch %s: %w", d, err)
		}
	}
	w.wg.Add(1)
	go w.loop(last)
	return w, nil
}

// dirs are the directories to watch: each path if it is a directory, else
// its parent (editors replace files by rename, which a file watch misses),
// plus the parents of list and dictionary files of the current policy.
func (w *Watcher) dirs(refs []string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(d string) {
		d = filepath.Clean(d)
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	for _, p := range w.paths {
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			add(p)
		} else {
			add(filepath.Dir(p))
		}
	}
	for _, ref := range refs {
		if _, err := os.Stat(filepath.Dir(ref)); err == nil {
			add(filepath.Dir(ref))
		}
	}
	return out
}

func (w *Watcher) loop(lastHash string) {
	defer w.wg.Done()
	var timer *time.Timer
	var fire <-chan time.Time
	failed := false
	for {
		select {
		case <-w.done:
			if timer != nil {
				timer.Stop()
			}
			return
		case _, ok := <-w.fw.Events:
			if !ok {
				return
			}
			if timer == nil {
				timer = time.NewTimer(Debounce)
			} else {
				timer.Reset(Debounce)
			}
			fire = timer.C
		case err, ok := <-w.fw.Errors:
			if !ok {
				return
			}
			w.onChange(nil, fmt.Errorf("policy: watch: %w", err))
		case <-fire:
			fire = nil
			set, err := Load(w.paths...)
			switch {
			case err != nil:
				failed = true
				w.onChange(nil, err)
			case set.Hash != lastHash || failed:
				failed = false
				lastHash = set.Hash
				for _, d := range w.dirs(set.refs) {
					_ = w.fw.Add(d) // a list file may live in a new directory; Add is idempotent
				}
				w.onChange(set, nil)
			}
		}
	}
}

// Close stops watching; no callback runs after it returns.
func (w *Watcher) Close() error {
	var err error
	w.once.Do(func() {
		close(w.done)
		err = w.fw.Close()
		w.wg.Wait()
	})
	return err
}
