package audit

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Options configures Open. SigningKey and Dir are required.
type Options struct {
	Dir                string
	SigningKey         ed25519.PrivateKey // signs checkpoints
	SegmentMaxBytes    int64              // default 64 MiB
	CheckpointEvery    int                // default 1000 records
	CheckpointInterval time.Duration      // default 5m; a checkpoint is written if any record was appended since the last one
	Retention          time.Duration      // 0 = keep forever; older whole segments are deleted, never the newest
	Forward            Forwarder          // optional copy of each durable line (buffered; drops and counts when full)
	Logger             *slog.Logger
	Registerer         prometheus.Registerer // may be nil
	Now                func() time.Time      // nil = time.Now

	// fault, for tests only: called before each write, fsync and truncate
	// of a segment with "write", "sync" or "truncate"; a non-nil error is
	// used as that operation's result.
	fault func(op string) error
}

// Forwarder receives a copy of each durable line (without "\n"), in order.
// It is called from one goroutine of its own, never from Append: a slow or
// blocking Forwarder only loses copies (counted), it never delays mail.
type Forwarder interface{ Forward(line []byte) }

const (
	defaultSegmentMax = 64 << 20
	defaultEvery      = 1000
	defaultInterval   = 5 * time.Minute
	forwardBuffer     = 4096
)

// chainState is where the chain stands: the last record and the size of
// the current segment through it.
type chainState struct {
	seq       uint64
	head      string // hash of the last record's line
	off       int64  // bytes of whole records in the current segment
	sinceCkpt int    // records since the last checkpoint
}

// batch is the set of records one fsync makes durable.
type batch struct {
	done  bool
	err   error
	lines [][]byte
}

// Log is an open audit log. Its methods are safe for concurrent use.
type Log struct {
	opts    Options
	now     func() time.Time
	logger  *slog.Logger
	met     *metrics
	fwd     chan []byte // nil without a Forwarder
	fwdDone chan struct{}
	stop    chan struct{}
	tickers sync.WaitGroup

	closeOnce sync.Once
	closeErr  error

	mu      sync.Mutex
	cond    sync.Cond
	f       *os.File // current segment, nil before the first or after a failed rotation
	seg     string   // its name
	segDay  string   // its YYYYMMDD
	segN    uint64   // its counter
	w       chainState
	s       chainState // durable prefix of w
	pending *batch
	syncing bool
	failed  error  // last write/fsync failure, nil once an append is durable again
	failGen uint64 // counts failures so a sync that began before one does not clear it
	dirty   bool   // the segment may hold bytes past w.off: truncate before writing
	closed  bool
}

// Open opens (creating if needed) the log in opts.Dir, repairs a torn tail
// left by a crash, and starts the checkpoint timer.
func Open(opts Options) (*Log, error) {
	if opts.Dir == "" {
		return nil, errors.New("audit: Options.Dir is required")
	}
	if len(opts.SigningKey) != ed25519.PrivateKeySize {
		return nil, errors.New("audit: Options.SigningKey (Ed25519) is required")
	}
	if opts.SegmentMaxBytes <= 0 {
		opts.SegmentMaxBytes = defaultSegmentMax
	}
	if opts.CheckpointEvery <= 0 {
		opts.CheckpointEvery = defaultEvery
	}
	if opts.CheckpointInterval <= 0 {
		opts.CheckpointInterval = defaultInterval
	}
	l := &Log{opts: opts, now: opts.Now, logger: opts.Logger, stop: make(chan struct{}), pending: &batch{}}
	if l.now == nil {
		l.now = time.Now
	}
	if l.logger == nil {
		l.logger = slog.New(slog.DiscardHandler)
	}
	l.cond.L = &l.mu
	var err error
	if l.met, err = newMetrics(opts.Registerer); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	if err := os.Chmod(opts.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	rec, lastType, lastEvery, err := l.openTail()
	if err != nil {
		return nil, err
	}
	if opts.Forward != nil {
		l.fwd = make(chan []byte, forwardBuffer)
		l.fwdDone = make(chan struct{})
		go l.forwardLoop(opts.Forward)
	}
	// The recovered record, and a checkpoint so the stretch before this
	// start is signed and the current Every is on record.
	l.mu.Lock()
	err = l.prepareLocked()
	if err == nil && rec != nil {
		_, err = l.writeLocked(Event{Type: TypeRecovered}, mustJSON(rec))
	}
	if err == nil && l.w.seq > 0 && (lastType != TypeCheckpoint || lastEvery != opts.CheckpointEvery || rec != nil) {
		err = l.writeCheckpointLocked()
	}
	if err == nil {
		err = l.flushLocked()
	}
	l.mu.Unlock()
	if err != nil {
		l.closeFiles()
		return nil, err
	}
	l.met.healthy.Set(1)
	l.tickers.Add(1)
	go l.checkpointLoop()
	return l, nil
}

func mustJSON(v any) json.RawMessage {
	b, err := marshal(v)
	if err != nil {
		panic(err) // only our own plain structs come here
	}
	return b
}

// Append writes ev and returns once it is durable (written and fsynced).
// Concurrent appenders share fsyncs. After a failure Healthy reports it;
// later Appends retry, and the first durable one makes the Log healthy again.
func (l *Log) Append(ev Event) (Record, error) {
	if ev.Type == "" {
		return Record{}, errors.New("audit: event without a type")
	}
	var data json.RawMessage
	if ev.Data != nil {
		b, err := marshal(ev.Data)
		if err != nil {
			return Record{}, fmt.Errorf("audit: encode %s data: %w", ev.Type, err)
		}
		data = b
	}
	start := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return Record{}, errors.New("audit: log is closed")
	}
	if err := l.prepareLocked(); err != nil {
		l.met.errors.Inc()
		return Record{}, err
	}
	rec, err := l.writeLocked(ev, data)
	if err != nil {
		l.met.errors.Inc()
		return Record{}, err
	}
	b := l.pending
	if l.w.sinceCkpt >= l.opts.CheckpointEvery {
		// Same batch, same fsync; a failure here is the next Append's problem.
		_ = l.writeCheckpointLocked()
	}
	if err := l.waitLocked(b); err != nil {
		l.met.errors.Inc()
		return Record{}, err
	}
	l.met.latency.Observe(time.Since(start).Seconds())
	return rec, nil
}

// LastSeq is the sequence number of the last durable record (0 when none):
// readers that follow the log know how far they must get to have seen
// everything appended so far.
func (l *Log) LastSeq() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.s.seq
}

// Healthy returns the last write or fsync failure, or nil once an append
// has been durable since.
func (l *Log) Healthy() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.failed
}

// Checkpoint writes a signed checkpoint now if any record was appended
// since the last one. The timer calls it every CheckpointInterval.
func (l *Log) Checkpoint() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed || l.w.sinceCkpt == 0 {
		return nil
	}
	if err := l.prepareLocked(); err != nil {
		return err
	}
	if err := l.writeCheckpointLocked(); err != nil {
		return err
	}
	return l.waitLocked(l.pending)
}

// Probe retries a failed log with a durable checkpoint record and returns
// Healthy's answer after it. The gateway refuses mail while the log is
// failed, so no Append would ever come to find the disk writable again:
// Probe is how it finds out.
func (l *Log) Probe() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.failed == nil || l.closed {
		return l.failed
	}
	if err := l.roomLocked(); err != nil {
		return err
	}
	if err := l.prepareLocked(); err != nil {
		return err
	}
	if err := l.writeCheckpointLocked(); err != nil {
		return err
	}
	if err := l.waitLocked(l.pending); err != nil {
		return err
	}
	return l.failed
}

// Close writes a final checkpoint, fsyncs and closes the segment.
func (l *Log) Close() error {
	l.closeOnce.Do(func() { l.closeErr = l.close() })
	return l.closeErr
}

func (l *Log) close() error {
	close(l.stop)
	l.tickers.Wait()

	l.mu.Lock()
	var err error
	if l.w.sinceCkpt > 0 {
		if err = l.prepareLocked(); err == nil {
			err = l.writeCheckpointLocked()
		}
	}
	if ferr := l.flushLocked(); err == nil {
		err = ferr
	}
	l.closed = true
	if l.fwd != nil {
		close(l.fwd)
	}
	l.mu.Unlock()
	if cerr := l.closeFiles(); err == nil && cerr != nil {
		err = fmt.Errorf("audit: close: %w", cerr)
	}
	if l.fwdDone != nil {
		// A blocked Forwarder must not hold up shutdown forever.
		select {
		case <-l.fwdDone:
		case <-time.After(5 * time.Second):
			l.logger.Warn("audit: forwarder did not finish; abandoning it")
		}
	}
	return err
}

func (l *Log) closeFiles() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

func (l *Log) checkpointLoop() {
	defer l.tickers.Done()
	t := time.NewTicker(l.opts.CheckpointInterval)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			if err := l.Checkpoint(); err != nil {
				l.logger.Error("audit: checkpoint failed", "err", err)
			}
		}
	}
}

func (l *Log) forwardLoop(f Forwarder) {
	defer close(l.fwdDone)
	for line := range l.fwd {
		f.Forward(line)
	}
}

func (l *Log) fault(op string) error {
	if l.opts.fault != nil {
		return l.opts.fault(op)
	}
	return nil
}

// prepareLocked repairs after a failure and rolls the segment when needed.
// It may release and retake mu while it waits for an fsync.
func (l *Log) prepareLocked() error {
	for {
		if err := l.repairLocked(); err != nil {
			return err
		}
		if !l.needRotateLocked() {
			return nil
		}
		// The old segment must be wholly durable before the next one
		// exists, or a crash could leave a gap in the middle of the chain.
		if l.syncing {
			l.cond.Wait()
			continue
		}
		if len(l.pending.lines) > 0 {
			l.syncLocked()
			continue
		}
		return l.rotateLocked()
	}
}

func (l *Log) today() string { return l.now().UTC().Format("20060102") }

func (l *Log) needRotateLocked() bool {
	return l.f == nil || l.w.off >= l.opts.SegmentMaxBytes || (l.today() > l.segDay)
}

func (l *Log) rotateLocked() error {
	day := l.today()
	if day < l.segDay { // the clock went back: keep file order = chain order
		day = l.segDay
	}
	if l.f != nil {
		old := l.seg
		l.f.Close()
		l.f = nil
		if l.w.off == 0 {
			os.Remove(segPath(l.opts.Dir, old))
		}
	}
	name := segmentName(day, l.segN+1)
	f, err := os.OpenFile(segPath(l.opts.Dir, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
	if err == nil {
		err = syncDir(l.opts.Dir)
		if err != nil {
			f.Close()
			os.Remove(segPath(l.opts.Dir, name))
		}
	}
	if err != nil {
		err = fmt.Errorf("audit: new segment %s: %w", name, err)
		l.setFailedLocked(err)
		return err
	}
	l.f, l.seg, l.segDay, l.segN = f, name, day, l.segN+1
	l.w.off, l.s.off = 0, 0
	l.logger.Info("audit: new segment", "file", name, "seq", l.w.seq+1)
	l.retainLocked()
	l.checkDiskLocked()
	return nil
}

func (l *Log) setFailedLocked(err error) {
	if l.failed == nil {
		l.logger.Error("audit: log unwritable; mail must stop", "err", err)
	}
	l.failed = err
	l.failGen++
	l.met.healthy.Set(0)
}

// repairLocked truncates the segment back to its last whole record after
// a failed write or fsync, so a retry never leaves a partial line behind.
func (l *Log) repairLocked() error {
	if !l.dirty {
		return nil
	}
	if l.f == nil {
		l.dirty = false
		return nil
	}
	err := l.fault("truncate")
	if err == nil {
		err = l.f.Truncate(l.w.off)
	}
	if err == nil {
		err = l.f.Sync()
	}
	if err != nil {
		err = fmt.Errorf("audit: truncate %s to %d after a failure: %w", l.seg, l.w.off, err)
		l.setFailedLocked(err)
		return err
	}
	l.dirty = false
	return nil
}

// writeLocked appends one line to the segment and the pending batch.
func (l *Log) writeLocked(ev Event, data json.RawMessage) (Record, error) {
	t := l.now().UTC()
	seq := l.w.seq + 1
	raw, err := encodeLine(seq, t, ev, data, l.w.head)
	if err != nil {
		return Record{}, err
	}
	buf := make([]byte, len(raw)+1)
	copy(buf, raw)
	buf[len(raw)] = '\n'
	raw = buf[:len(raw)]
	err = l.fault("write")
	if err == nil {
		_, err = l.f.Write(buf)
	}
	if err != nil {
		err = fmt.Errorf("audit: write %s: %w", l.seg, err)
		l.setFailedLocked(err)
		l.dirty = true
		_ = l.repairLocked()
		return Record{}, err
	}
	rec := Record{Seq: seq, Time: t.Truncate(0), Type: ev.Type, MsgID: ev.MsgID, MessageID: ev.MessageID, Data: data, Prev: l.w.head, Raw: raw}
	l.w.seq = seq
	l.w.head = hashLine(raw)
	l.w.off += int64(len(buf))
	if ev.Type == TypeCheckpoint {
		l.w.sinceCkpt = 0
	} else {
		l.w.sinceCkpt++
	}
	l.pending.lines = append(l.pending.lines, raw)
	l.met.records.Inc()
	return rec, nil
}

func (l *Log) writeCheckpointLocked() error {
	cp := signCheckpoint(l.opts.SigningKey, l.w.seq, l.w.head, l.opts.CheckpointEvery, int(l.opts.CheckpointInterval/time.Second))
	_, err := l.writeLocked(Event{Type: TypeCheckpoint}, mustJSON(cp))
	return err
}

// waitLocked returns once b is durable or failed. Whoever finds no fsync
// running becomes the leader and fsyncs for everyone written so far.
func (l *Log) waitLocked(b *batch) error {
	for !b.done {
		if l.syncing {
			l.cond.Wait()
			continue
		}
		l.syncLocked()
	}
	return b.err
}

// flushLocked makes everything written so far durable.
func (l *Log) flushLocked() error {
	for l.syncing || len(l.pending.lines) > 0 {
		if l.syncing {
			l.cond.Wait()
			continue
		}
		b := l.pending
		l.syncLocked()
		if b.err != nil {
			return b.err
		}
	}
	return nil
}

// syncLocked fsyncs the segment for the pending batch (the leader's job).
// Called with mu held and no fsync running; releases mu during the fsync.
func (l *Log) syncLocked() {
	b := l.pending
	l.pending = &batch{}
	target, f, gen, seg := l.w, l.f, l.failGen, l.seg
	l.syncing = true
	l.mu.Unlock()
	err := l.fault("sync")
	if err == nil && f != nil {
		err = f.Sync()
	}
	l.met.fsyncs.Inc()
	l.mu.Lock()
	l.syncing = false
	defer l.cond.Broadcast()
	if err == nil {
		l.s = target
		b.done = true
		if l.failed != nil && gen == l.failGen && !l.dirty && l.roomLocked() == nil {
			l.logger.Info("audit: log writable again", "seq", target.seq)
			l.failed = nil
			l.met.healthy.Set(1)
		}
		if l.fwd != nil {
			for _, line := range b.lines {
				select {
				case l.fwd <- line:
				default:
					l.met.dropped.Inc()
				}
			}
		}
		return
	}
	// Nothing after the durable prefix can be trusted to be on disk: fail
	// this batch and the one written meanwhile, roll back, and truncate.
	err = fmt.Errorf("audit: fsync %s: %w", seg, err)
	b.done, b.err = true, err
	p := l.pending
	p.done, p.err = true, err
	l.pending = &batch{}
	l.w = l.s
	l.setFailedLocked(err)
	l.dirty = true
	_ = l.repairLocked()
}

// retainLocked deletes the oldest whole segments whose last write is older
// than Retention; never the current one, never out of order.
func (l *Log) retainLocked() {
	if l.opts.Retention <= 0 {
		return
	}
	segs, err := listSegments(l.opts.Dir)
	if err != nil {
		return
	}
	cutoff := l.now().Add(-l.opts.Retention)
	removed := 0
	for _, name := range segs {
		if name == l.seg {
			break
		}
		fi, err := os.Stat(segPath(l.opts.Dir, name))
		if err != nil || !fi.ModTime().Before(cutoff) {
			break
		}
		if err := os.Remove(segPath(l.opts.Dir, name)); err != nil {
			l.logger.Error("audit: retention: remove failed", "file", name, "err", err)
			break
		}
		removed++
	}
	if removed > 0 {
		_ = syncDir(l.opts.Dir)
		l.logger.Info("audit: retention removed old segments", "count", removed)
	}
}

// recoverHeadroom is the free space a failed log needs before it calls
// itself healthy again. On a full disk a checkpoint can still fit in the
// slack of the segment's last block; without this, the log would flap to
// healthy, the relay would deliver, and the record of that delivery would
// be the one that does not fit.
const recoverHeadroom = 64 << 10

// roomLocked says whether the audit filesystem has recoverHeadroom free.
// A filesystem that cannot report its space is trusted.
func (l *Log) roomLocked() error {
	var st syscall.Statfs_t
	if err := syscall.Statfs(l.opts.Dir, &st); err != nil || st.Blocks == 0 {
		return nil
	}
	if free := uint64(st.Bavail) * uint64(st.Bsize); free < recoverHeadroom {
		return fmt.Errorf("audit: %s has %d bytes free, %d needed to resume: %w", filepath.Clean(l.opts.Dir), free, recoverHeadroom, l.failed)
	}
	return nil
}

// checkDiskLocked warns when the audit filesystem is nearly full: with the
// default of keeping everything, someone must add space or archive.
func (l *Log) checkDiskLocked() {
	var st syscall.Statfs_t
	if err := syscall.Statfs(l.opts.Dir, &st); err != nil || st.Blocks == 0 {
		return
	}
	free := float64(st.Bavail) / float64(st.Blocks)
	if free < 0.10 {
		l.logger.Warn("audit: filesystem nearly full", "dir", filepath.Clean(l.opts.Dir), "free_percent", int(free*100))
	}
}
