package audit

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"
)

func TestFollowSeesNewRecordsAcrossRotation(t *testing.T) {
	dir := t.TempDir()
	key := newKey(t)
	l := mustOpen(t, Options{Dir: dir, SigningKey: key, SegmentMaxBytes: 800})
	appendN(t, l, 3, "old")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	got := make(chan Record, 100)
	done := make(chan error, 1)
	go func() { done <- Follow(ctx, dir, true, func(r Record) error { got <- r; return nil }) }()
	time.Sleep(300 * time.Millisecond) // let Follow find the end first
	want := appendN(t, l, 12, "new")
	var seen []uint64
	for len(seen) < len(want) {
		select {
		case r := <-got:
			if r.Type == TypeDelivery {
				seen = append(seen, r.Seq)
			}
		case <-ctx.Done():
			t.Fatalf("followed %v of %d", seen, len(want))
		}
	}
	for i, r := range want {
		if seen[i] != r.Seq {
			t.Fatalf("order %v", seen)
		}
	}
	if len(segFiles(t, dir)) < 3 {
		t.Fatal("no rotation happened")
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	l.Close()
}

func TestScanFiltersByTimeTypeMsgIDAndDomain(t *testing.T) {
	dir := t.TempDir()
	clk := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := mustOpen(t, Options{Dir: dir, SigningKey: newKey(t), Now: clk.Now})
	l.Append(Event{Type: TypeReceived, MsgID: "a", Data: Received{Recipients: []string{"x@Hospital.Example"}}})
	clk.Set(time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC))
	l.Append(Event{Type: TypeReceived, MsgID: "b", Data: Received{Recipients: []string{"x@other.example"}}})
	l.Append(Event{Type: TypeDecision, MsgID: "b", Data: Decision{Action: "deliver", Recipients: []RecipientMethod{{Addr: "x@hospital.example", Method: "tls"}}}})
	l.Close()
	count := func(f Filter) int {
		n := 0
		if err := Scan(dir, f, func(Record) error { n++; return nil }); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(Filter{Since: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), Types: []string{TypeReceived}}); n != 1 {
		t.Fatalf("since+type: %d", n)
	}
	if n := count(Filter{RecipientDomain: "hospital.example"}); n != 2 {
		t.Fatalf("domain: %d", n)
	}
	if n := count(Filter{MsgID: "b"}); n != 2 {
		t.Fatalf("msg id: %d", n)
	}
	if n := count(Filter{Until: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)}); n != 1 {
		t.Fatalf("until: %d", n)
	}
}

func TestFollowFromStartsAfterSeqWithoutReadingOlderSegments(t *testing.T) {
	dir := t.TempDir()
	l := mustOpen(t, Options{Dir: dir, SigningKey: newKey(t), SegmentMaxBytes: 800})
	defer l.Close()
	recs := appendN(t, l, 20, "old")
	segs := segFiles(t, dir)
	if len(segs) < 4 {
		t.Fatalf("want several segments, have %v", segs)
	}
	// Damage the middle of the first segment: reading it would fail, so a
	// clean run proves FollowFrom never read it.
	first := filepath.Join(dir, segs[0])
	lines := readLines(t, first)
	if len(lines) < 2 {
		t.Fatalf("first segment has %d lines", len(lines))
	}
	lines[1] = []byte("not a record")
	writeLines(t, first, lines)

	after := recs[len(recs)-5].Seq
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	got := make(chan Record, 100)
	done := make(chan error, 1)
	go func() { done <- FollowFrom(ctx, dir, after, func(r Record) error { got <- r; return nil }) }()
	more := appendN(t, l, 12, "new") // rotates again while followed
	want := after + 1
	last := more[len(more)-1].Seq
	for want <= last {
		select {
		case r := <-got:
			if r.Seq != want {
				t.Fatalf("got seq %d, want %d", r.Seq, want)
			}
			want++
		case err := <-done:
			t.Fatalf("FollowFrom ended: %v", err)
		case <-ctx.Done():
			t.Fatalf("followed up to %d of %d", want-1, last)
		}
	}
	if len(segFiles(t, dir)) <= len(segs) {
		t.Fatal("no rotation while following")
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
}

func TestFollowFromZeroReadsEverythingAndWaitsOnEmptyLog(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	got := make(chan Record, 100)
	done := make(chan error, 1)
	go func() { done <- FollowFrom(ctx, dir, 0, func(r Record) error { got <- r; return nil }) }()
	l := mustOpen(t, Options{Dir: dir, SigningKey: newKey(t), SegmentMaxBytes: 800})
	defer l.Close()
	recs := appendN(t, l, 10, "m")
	var want uint64 = 1
	for want <= recs[len(recs)-1].Seq {
		select {
		case r := <-got:
			if r.Seq != want {
				t.Fatalf("got seq %d, want %d", r.Seq, want)
			}
			want++
		case <-ctx.Done():
			t.Fatalf("followed up to %d", want-1)
		}
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
}

// A page cursor (Filter.AfterSeq) opens only the segments from the one
// holding the next record: a damaged older segment is never read.
func TestScanAfterSeqSkipsOlderSegments(t *testing.T) {
	dir := t.TempDir()
	l := mustOpen(t, Options{Dir: dir, SigningKey: newKey(t), SegmentMaxBytes: 800})
	recs := appendN(t, l, 20, "m")
	l.Close()
	segs := segFiles(t, dir)
	if len(segs) < 4 {
		t.Fatalf("want several segments, have %v", segs)
	}
	first := filepath.Join(dir, segs[0])
	lines := readLines(t, first)
	lines[1] = []byte("not a record")
	writeLines(t, first, lines)

	after := recs[len(recs)-5].Seq
	var got []uint64
	if err := Scan(dir, Filter{AfterSeq: after}, func(r Record) error { got = append(got, r.Seq); return nil }); err != nil {
		t.Fatalf("scan after %d read the damaged first segment: %v", after, err)
	}
	if len(got) == 0 || got[0] != after+1 {
		t.Fatalf("records after %d: %v", after, got)
	}
	for i := 1; i < len(got); i++ {
		if got[i] != got[i-1]+1 {
			t.Fatalf("gap in %v", got)
		}
	}
	if got[len(got)-1] < recs[len(recs)-1].Seq {
		t.Fatalf("scan ended at %d, last appended %d", got[len(got)-1], recs[len(recs)-1].Seq)
	}
}
