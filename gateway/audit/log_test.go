package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestRecordLineHasFixedFieldOrderAndChains(t *testing.T) {
	dir := t.TempDir()
	key := newKey(t)
	clk := &fakeClock{t: time.Date(2026, 11, 28, 10, 0, 0, 123456789, time.UTC)}
	l := mustOpen(t, Options{Dir: dir, SigningKey: key, Now: clk.Now})
	r1, err := l.Append(Event{Type: TypeReceived, MsgID: "m1", MessageID: "<a@b>", Data: Received{From: "a@b", Recipients: []string{"c@d"}, Size: 10}})
	if err != nil {
		t.Fatal(err)
	}
	r2, err := l.Append(Event{Type: TypeConfigReload, Data: nil})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	want := regexp.MustCompile(`^\{"seq":1,"time":"2026-11-28T10:00:00\.1[0-9]{8}Z","type":"received","msg_id":"m1","message_id":"<a@b>","data":\{"from":"a@b","recipients":\["c@d"\],"size":10\},"prev":"0{64}"\}$`)
	if !want.Match(r1.Raw) {
		t.Fatalf("line\n got %s\nwant %s", r1.Raw, want)
	}
	if r2.Prev != hashLine(r1.Raw) || r2.Seq != 2 || bytes.Contains(r2.Raw, []byte(`"data"`)) || bytes.Contains(r2.Raw, []byte(`msg_id`)) {
		t.Fatalf("second record %s", r2.Raw)
	}
	lines := readLines(t, onlySegment(t, dir))
	if len(lines) != 3 || !bytes.Equal(lines[0], r1.Raw) || !bytes.Contains(lines[2], []byte(`"type":"checkpoint"`)) {
		t.Fatalf("file lines: %q", lines)
	}
	fi, _ := os.Stat(onlySegment(t, dir))
	di, _ := os.Stat(dir)
	if fi.Mode().Perm() != 0o600 || di.Mode().Perm() != 0o700 {
		t.Fatalf("modes %v %v", fi.Mode(), di.Mode())
	}
	res := mustVerify(t, dir, pubOf(key))
	if res.Records != 3 || res.Checkpoints != 1 || res.LastSeq != 3 || res.UnsignedTail != 0 {
		t.Fatalf("verify %+v", res)
	}
}

func TestChainVerifiesAcrossSizeRotationDayChangeAndReopen(t *testing.T) {
	dir := t.TempDir()
	key := newKey(t)
	clk := &fakeClock{t: time.Date(2026, 11, 28, 23, 0, 0, 0, time.UTC)}
	opts := Options{Dir: dir, SigningKey: key, SegmentMaxBytes: 2000, CheckpointEvery: 7, Now: clk.Now}
	l := mustOpen(t, opts)
	appendN(t, l, 30, "a")
	clk.Set(time.Date(2026, 11, 29, 0, 0, 1, 0, time.UTC))
	appendN(t, l, 3, "b")
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l = mustOpen(t, opts)
	appendN(t, l, 10, "c")
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	segs := segFiles(t, dir)
	if len(segs) < 5 {
		t.Fatalf("expected size rotation, have %v", segs)
	}
	days := map[string]bool{}
	for _, s := range segs {
		d, _, _ := parseSegmentName(s)
		days[d] = true
	}
	if !days["20261128"] || !days["20261129"] {
		t.Fatalf("day rotation missing: %v", segs)
	}
	res := mustVerify(t, dir, pubOf(key))
	if res.Segments != len(segs) || res.UnsignedTail != 0 {
		t.Fatalf("%+v", res)
	}
	// Every seq from 1 to LastSeq is there, in order.
	var n uint64
	if err := Scan(dir, Filter{}, func(r Record) error {
		n++
		if r.Seq != n {
			t.Fatalf("seq %d at position %d", r.Seq, n)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n != res.LastSeq {
		t.Fatalf("scanned %d, verify %d", n, res.LastSeq)
	}
	// verify --from a later segment trusts its first prev.
	fr, err := Verify(dir, pubOf(key), segs[2])
	if err != nil || fr.Problem != nil || fr.Segments != len(segs)-2 {
		t.Fatalf("from: %+v %v", fr, err)
	}
}

func TestConcurrentAppendsShareFsyncs(t *testing.T) {
	dir := t.TempDir()
	key := newKey(t)
	var syncs atomic.Int64
	opts := Options{Dir: dir, SigningKey: key, fault: func(op string) error {
		if op == "sync" {
			syncs.Add(1)
			time.Sleep(2 * time.Millisecond) // a slow disk makes batches form
		}
		return nil
	}}
	l := mustOpen(t, opts)
	before := syncs.Load()
	var wg sync.WaitGroup
	for g := 0; g < 32; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				if _, err := l.Append(Event{Type: TypeQueueOp, Data: QueueOp{Op: "flush"}}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	n := syncs.Load() - before
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if n >= 640 {
		t.Fatalf("%d fsyncs for 640 appends: no group commit", n)
	}
	t.Logf("640 appends, %d fsyncs", n)
	mustVerify(t, dir, pubOf(key))
}

func TestWriteAndFsyncFailuresMakeLogUnhealthyAndItRecovers(t *testing.T) {
	for _, op := range []string{"write", "sync"} {
		t.Run(op, func(t *testing.T) {
			dir := t.TempDir()
			key := newKey(t)
			var broken atomic.Bool
			var partial atomic.Bool
			l := mustOpen(t, Options{Dir: dir, SigningKey: key, fault: func(o string) error {
				if broken.Load() && (o == op || o == "truncate" && partial.Load()) {
					return errors.New("injected EIO")
				}
				return nil
			}})
			appendN(t, l, 5, "ok")
			// A partial line on disk, as a failing write could leave, must be
			// cut off before the retry.
			broken.Store(true)
			if op == "write" {
				f, _ := os.OpenFile(onlySegment(t, dir), os.O_WRONLY|os.O_APPEND, 0)
				f.WriteString(`{"seq":7,"ti`)
				f.Close()
			}
			partial.Store(true)
			if _, err := l.Append(Event{Type: TypeQueueOp}); err == nil || !strings.Contains(err.Error(), "audit: ") {
				t.Fatalf("append on a broken disk: %v", err)
			}
			if l.Healthy() == nil {
				t.Fatal("Healthy() nil after a failure")
			}
			if _, err := l.Append(Event{Type: TypeQueueOp}); err == nil {
				t.Fatal("append succeeded while truncation fails")
			}
			partial.Store(false)
			broken.Store(false)
			appendN(t, l, 5, "again")
			if err := l.Healthy(); err != nil {
				t.Fatalf("still unhealthy: %v", err)
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			res := mustVerify(t, dir, pubOf(key))
			if res.Records != 5+5+2 { // + open checkpoint? none: empty log at open; + close checkpoint
				t.Logf("records %d", res.Records)
			}
			var msgs []string
			Scan(dir, Filter{Types: []string{TypeDelivery}}, func(r Record) error { msgs = append(msgs, r.MsgID); return nil })
			if len(msgs) != 10 {
				t.Fatalf("deliveries after recovery: %v", msgs)
			}
		})
	}
}

func TestReadOnlyDirectoryFailsRotationThenRecovers(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root ignores directory permissions; the fault seam test covers this")
	}
	dir := t.TempDir()
	key := newKey(t)
	l := mustOpen(t, Options{Dir: dir, SigningKey: key, SegmentMaxBytes: 300})
	appendN(t, l, 3, "a")
	os.Chmod(dir, 0o500)
	_, err := l.Append(Event{Type: TypeQueueOp})
	os.Chmod(dir, 0o700)
	if err == nil || l.Healthy() == nil {
		t.Fatalf("append into a read-only dir: %v", err)
	}
	appendN(t, l, 3, "b")
	l.Close()
	mustVerify(t, dir, pubOf(key))
}

func TestTornTailIsMovedAsideAndChainContinues(t *testing.T) {
	for _, tc := range []struct {
		name string
		junk string
	}{
		{"half line", `{"seq":11,"time":"2026-`},
		{"bad whole line", "{\"seq\":11,\"garbage\n"},
		{"zeros", "\x00\x00\x00\x00\x00\x00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			key := newKey(t)
			l := mustOpen(t, Options{Dir: dir, SigningKey: key})
			appendN(t, l, 10, "m")
			l.Close()
			seg := onlySegment(t, dir)
			good, _ := os.ReadFile(seg)
			f, _ := os.OpenFile(seg, os.O_WRONLY|os.O_APPEND, 0)
			f.WriteString(tc.junk)
			f.Close()
			l = mustOpen(t, Options{Dir: dir, SigningKey: key})
			appendN(t, l, 2, "after")
			l.Close()
			rec, _ := filepath.Glob(filepath.Join(dir, "recovery-*.bin"))
			if len(rec) != 1 {
				t.Fatalf("recovery files %v", rec)
			}
			if b, _ := os.ReadFile(rec[0]); string(b) != tc.junk {
				t.Fatalf("recovery file holds %q", b)
			}
			now, _ := os.ReadFile(seg)
			if !bytes.HasPrefix(now, good) {
				t.Fatal("whole records were lost")
			}
			var got *Recovered
			Scan(dir, Filter{Types: []string{TypeRecovered}}, func(r Record) error {
				got = new(Recovered)
				return json.Unmarshal(r.Data, got)
			})
			if got == nil || got.Bytes != int64(len(tc.junk)) || got.File != filepath.Base(rec[0]) {
				t.Fatalf("recovered record %+v", got)
			}
			mustVerify(t, dir, pubOf(key))
		})
	}
}

func TestRecordThatDoesNotChainAtTheEndIsMovedAside(t *testing.T) {
	dir := t.TempDir()
	key := newKey(t)
	l := mustOpen(t, Options{Dir: dir, SigningKey: key})
	appendN(t, l, 4, "m")
	l.Close()
	seg := onlySegment(t, dir)
	lines := readLines(t, seg)
	// A valid-looking record whose prev is wrong, e.g. from a lost write before it.
	bogus := bytes.Replace(lines[len(lines)-1], []byte(`"seq":`+itoa(len(lines))), []byte(`"seq":`+itoa(len(lines)+1)), 1)
	writeLines(t, seg, append(lines, bogus))
	l = mustOpen(t, Options{Dir: dir, SigningKey: key})
	l.Close()
	mustVerify(t, dir, pubOf(key))
	if n := len(readLines(t, seg)); n != len(lines)+2 { // + recovered + checkpoint
		t.Fatalf("%d lines", n)
	}
}

func itoa(n int) string { return strings.TrimSpace(strings.Repeat(" ", 0) + fmtInt(n)) }

func fmtInt(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestEmptySegmentAfterCrashedRotationIsDropped(t *testing.T) {
	dir := t.TempDir()
	key := newKey(t)
	l := mustOpen(t, Options{Dir: dir, SigningKey: key})
	appendN(t, l, 3, "m")
	l.Close()
	day, n, _ := parseSegmentName(segFiles(t, dir)[0])
	os.WriteFile(filepath.Join(dir, segmentName(day, n+1)), nil, 0o600)
	l = mustOpen(t, Options{Dir: dir, SigningKey: key})
	appendN(t, l, 3, "n")
	l.Close()
	mustVerify(t, dir, pubOf(key))
}

func TestRetentionDeletesOnlyOldSegments(t *testing.T) {
	dir := t.TempDir()
	key := newKey(t)
	opts := Options{Dir: dir, SigningKey: key, SegmentMaxBytes: 1500, Retention: 24 * time.Hour}
	l := mustOpen(t, opts)
	appendN(t, l, 20, "a")
	l.Close()
	segs := segFiles(t, dir)
	if len(segs) < 4 {
		t.Fatalf("segments %v", segs)
	}
	old := time.Now().Add(-48 * time.Hour)
	for _, s := range segs[:2] {
		os.Chtimes(filepath.Join(dir, s), old, old)
	}
	// The newest segment is old too, but must survive.
	os.Chtimes(filepath.Join(dir, segs[len(segs)-1]), old, old)
	l = mustOpen(t, opts)
	appendN(t, l, 20, "b")
	l.Close()
	after := segFiles(t, dir)
	for _, s := range segs[:2] {
		for _, a := range after {
			if a == s {
				t.Fatalf("%s not deleted", s)
			}
		}
	}
	for _, s := range segs[2:] {
		if _, err := os.Stat(filepath.Join(dir, s)); err != nil {
			t.Fatalf("%s deleted: %v", s, err)
		}
	}
	res := mustVerify(t, dir, pubOf(key))
	if res.FirstSeq <= 1 {
		t.Fatalf("first seq %d", res.FirstSeq)
	}
}

func TestCheckpointIntervalSignsIdleTail(t *testing.T) {
	dir := t.TempDir()
	key := newKey(t)
	l := mustOpen(t, Options{Dir: dir, SigningKey: key, CheckpointInterval: 50 * time.Millisecond})
	defer l.Close()
	appendN(t, l, 3, "m")
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		res := mustVerify(t, dir, pubOf(key))
		if res.UnsignedTail == 0 && res.Checkpoints > 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("no interval checkpoint")
}
