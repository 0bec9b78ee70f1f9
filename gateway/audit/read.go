package audit

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"time"
)

// Filter selects records for Scan and Summarize. Zero fields match all.
type Filter struct {
	Since, Until    time.Time // Since inclusive, Until exclusive
	Types           []string
	MsgID           string
	RecipientDomain string // records naming at least one recipient in this domain
	// AfterSeq skips records up to this sequence number (a page cursor);
	// Scan then opens only the segments from the one holding AfterSeq+1.
	AfterSeq uint64
}

// Match reports whether r passes the filter.
func (f Filter) Match(r Record) bool {
	if r.Seq <= f.AfterSeq && f.AfterSeq > 0 {
		return false
	}
	if !f.Since.IsZero() && r.Time.Before(f.Since) {
		return false
	}
	if !f.Until.IsZero() && !r.Time.Before(f.Until) {
		return false
	}
	if len(f.Types) > 0 && !slices.Contains(f.Types, r.Type) {
		return false
	}
	if f.MsgID != "" && r.MsgID != f.MsgID {
		return false
	}
	if f.RecipientDomain != "" {
		suffix := "@" + strings.ToLower(strings.TrimPrefix(f.RecipientDomain, "@"))
		if !slices.ContainsFunc(Recipients(r), func(a string) bool { return strings.HasSuffix(strings.ToLower(a), suffix) }) {
			return false
		}
	}
	return true
}

// Recipients returns the recipient addresses a record names.
func Recipients(r Record) []string {
	if len(r.Data) == 0 {
		return nil
	}
	switch r.Type {
	case TypeReceived:
		var d Received
		_ = json.Unmarshal(r.Data, &d)
		return d.Recipients
	case TypeRejected:
		var d Rejected
		_ = json.Unmarshal(r.Data, &d)
		return d.Recipients
	case TypeDecision:
		var d Decision
		_ = json.Unmarshal(r.Data, &d)
		out := make([]string, 0, len(d.Recipients))
		for _, m := range d.Recipients {
			out = append(out, m.Addr)
		}
		return out
	case TypeAttempt:
		var d Attempt
		_ = json.Unmarshal(r.Data, &d)
		return d.Recipients
	case TypeDelivery:
		var d Delivery
		_ = json.Unmarshal(r.Data, &d)
		return []string{d.Recipient}
	case TypeDSNSent:
		var d DSNSent
		_ = json.Unmarshal(r.Data, &d)
		return d.Recipients
	case TypeQuarantined:
		var d Quarantined
		_ = json.Unmarshal(r.Data, &d)
		return d.Recipients
	}
	return nil
}

// Scan calls fn for every record matching f, in chain order, and stops at
// fn's first error (returned). A line that does not parse is an error: run
// Verify. A torn last line (a write in progress) is skipped.
func Scan(dir string, f Filter, fn func(Record) error) error {
	segs, err := listSegments(dir)
	if err != nil {
		return err
	}
	sinceDay, untilDay := "", ""
	if !f.Since.IsZero() {
		sinceDay = f.Since.UTC().Format("20060102")
	}
	if !f.Until.IsZero() {
		untilDay = f.Until.UTC().Format("20060102")
	}
	start := 0
	if f.AfterSeq > 0 {
		start = segmentHolding(dir, segs, f.AfterSeq+1)
	}
	for i := start; i < len(segs); i++ {
		name := segs[i]
		day, _, _ := parseSegmentName(name)
		if untilDay != "" && day > untilDay {
			break // this segment starts after Until, and so do the rest
		}
		if sinceDay != "" && i+1 < len(segs) {
			if next, _, _ := parseSegmentName(segs[i+1]); next < sinceDay {
				continue // the next one starts before Since: this one ends before it
			}
		}
		if err := scanFile(dir, name, f, fn); err != nil {
			return err
		}
	}
	return nil
}

func scanFile(dir, name string, f Filter, fn func(Record) error) error {
	file, err := os.Open(segPath(dir, name))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil // removed by retention meanwhile
		}
		return fmt.Errorf("audit: %w", err)
	}
	defer file.Close()
	r := bufio.NewReaderSize(file, 256<<10)
	for lineNo := 1; ; lineNo++ {
		b, err := r.ReadBytes('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("audit: read %s: %w", name, err)
		}
		if len(b) == 0 || b[len(b)-1] != '\n' {
			return nil
		}
		rec, perr := parseLine(bytes.Clone(b[:len(b)-1]))
		if perr != nil {
			return fmt.Errorf("audit: %s:%d: %v", name, lineNo, perr)
		}
		if f.Match(rec) {
			if err := fn(rec); err != nil {
				return err
			}
		}
	}
}

// Follow calls fn for each record as it is appended, across segment
// rotation, until ctx is done (returns ctx.Err()) or fn fails. With
// fromEnd it starts after the current last record, otherwise at the first.
func Follow(ctx context.Context, dir string, fromEnd bool, fn func(Record) error) error {
	var cur string
	var off int64
	if segs, err := listSegments(dir); err != nil {
		return err
	} else if len(segs) > 0 {
		if fromEnd {
			cur = segs[len(segs)-1]
			t, err := readTail(segPath(dir, cur))
			if err != nil {
				return fmt.Errorf("audit: %w", err)
			}
			off = t.partialOff
		} else {
			cur = segs[0]
		}
	}
	return followLoop(ctx, dir, cur, off, fn)
}

// followLoop reads cur from off, then every later segment, calling fn for
// each record, and waits for more until ctx is done or fn fails.
func followLoop(ctx context.Context, dir, cur string, off int64, fn func(Record) error) error {
	const poll = 200 * time.Millisecond
	for {
		progressed := false
		if cur != "" {
			n, err := followRead(dir, cur, off, fn)
			if err != nil {
				return err
			}
			off += n
			progressed = n > 0
		}
		if !progressed {
			// At the end of cur: move on only once a later segment exists
			// (the writer finished cur before creating it).
			segs, err := listSegments(dir)
			if err != nil {
				return err
			}
			if next := nextSegment(segs, cur); next != "" {
				if cur != "" {
					// Read whatever cur got between our read and the listing.
					n, err := followRead(dir, cur, off, fn)
					if err != nil {
						return err
					}
					if n > 0 {
						off += n
						continue
					}
				}
				cur, off = next, 0
				continue
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(poll):
			}
		} else if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

func nextSegment(segs []string, cur string) string {
	for _, s := range segs {
		if s > cur {
			return s
		}
	}
	return ""
}

// followRead calls fn for the complete lines of name from off and returns
// the bytes consumed.
func followRead(dir, name string, off int64, fn func(Record) error) (int64, error) {
	file, err := os.Open(segPath(dir, name))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return 0, nil
		}
		return 0, fmt.Errorf("audit: %w", err)
	}
	defer file.Close()
	r := bufio.NewReader(io.NewSectionReader(file, off, 1<<62))
	var n int64
	for {
		b, err := r.ReadBytes('\n')
		if len(b) == 0 || b[len(b)-1] != '\n' {
			return n, nil // partial line: the writer is mid-write
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return n, fmt.Errorf("audit: read %s: %w", name, err)
		}
		rec, perr := parseLine(bytes.Clone(b[:len(b)-1]))
		if perr != nil {
			return n, fmt.Errorf("audit: %s at byte %d: %v", name, off+n, perr)
		}
		n += int64(len(b))
		if err := fn(rec); err != nil {
			return n, err
		}
	}
}

// Summary counts what a compliance report needs.
type Summary struct {
	Records  int            `json:"records"`
	ByType   map[string]int `json:"by_type"`
	Messages int            `json:"messages"` // received records
	Actions  map[string]int `json:"actions"`  // decision action -> messages
	Methods  map[string]int `json:"methods"`  // delivery method -> recipients
	Rules    map[string]int `json:"rules"`    // policy rule -> messages
	Findings map[string]int `json:"findings"` // finding type -> count
	// Deliveries by outcome (delivered, deferred, bounced, expired).
	Deliveries map[string]int `json:"deliveries"`
	// Delivered recipients whose peer certificate was / was not verified.
	DeliveredVerifiedTLS   int            `json:"delivered_verified_tls"`
	DeliveredUnverifiedTLS int            `json:"delivered_unverified_tls"`
	DeliveredPlain         int            `json:"delivered_plain"` // no TLS at all
	Bounces                int            `json:"bounces"`
	RejectedByStage        map[string]int `json:"rejected_by_stage"`
	DSNs                   int            `json:"dsns"`
}

// Summarize counts the records matching f.
func Summarize(dir string, f Filter) (Summary, error) {
	s := Summary{ByType: map[string]int{}, Actions: map[string]int{}, Methods: map[string]int{}, Rules: map[string]int{},
		Findings: map[string]int{}, Deliveries: map[string]int{}, RejectedByStage: map[string]int{}}
	err := Scan(dir, f, func(r Record) error {
		s.Records++
		s.ByType[r.Type]++
		switch r.Type {
		case TypeReceived:
			s.Messages++
		case TypeDecision:
			var d Decision
			if json.Unmarshal(r.Data, &d) == nil {
				s.Actions[d.Action]++
				if d.Rule != "" {
					s.Rules[d.Rule]++
				}
				for k, v := range d.Findings {
					s.Findings[k] += v
				}
				for _, m := range d.Recipients {
					s.Methods[m.Method]++
				}
			}
		case TypeDelivery:
			var d Delivery
			if json.Unmarshal(r.Data, &d) == nil {
				s.Deliveries[d.Outcome]++
				switch {
				case d.Outcome == "bounced":
					s.Bounces++
				case d.Outcome != "delivered":
				case d.TLSVersion == "":
					s.DeliveredPlain++
				case d.TLSVerified:
					s.DeliveredVerifiedTLS++
				default:
					s.DeliveredUnverifiedTLS++
				}
			}
		case TypeRejected:
			var d Rejected
			if json.Unmarshal(r.Data, &d) == nil {
				s.RejectedByStage[d.Stage]++
			}
		case TypeDSNSent:
			s.DSNs++
		}
		return nil
	})
	return s, err
}

// FollowFrom is Follow starting after sequence number after (0: at the
// first record). It opens only the segment holding after+1 and those past
// it: segment names sort in chain order, so a binary search over their
// first records finds it. Records up to after in that segment are read
// and skipped.
func FollowFrom(ctx context.Context, dir string, after uint64, fn func(Record) error) error {
	segs, err := listSegments(dir)
	if err != nil {
		return err
	}
	var cur string
	if len(segs) > 0 {
		cur = segs[segmentHolding(dir, segs, after+1)]
	}
	skip := func(r Record) error {
		if r.Seq <= after {
			return nil
		}
		return fn(r)
	}
	return followLoop(ctx, dir, cur, 0, skip)
}

// segmentHolding returns the index in segs (chain order, not empty) of the
// segment that holds sequence number seq, or the last one before it: a
// binary search over the segments' first records.
func segmentHolding(dir string, segs []string, seq uint64) int {
	// firstSeq is the seq of a segment's first record; an empty, vanished or
	// unreadable segment sorts last, where only the newest can be empty.
	firstSeq := func(name string) uint64 {
		f, err := os.Open(segPath(dir, name))
		if err != nil {
			return ^uint64(0)
		}
		defer f.Close()
		b, err := bufio.NewReader(f).ReadBytes('\n')
		if err != nil {
			return ^uint64(0)
		}
		rec, err := parseLine(b[:len(b)-1])
		if err != nil {
			return ^uint64(0)
		}
		return rec.Seq
	}
	i := sort.Search(len(segs), func(i int) bool { return firstSeq(segs[i]) > seq })
	return max(i-1, 0)
}
