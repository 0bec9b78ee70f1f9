package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"
)

// tailLines holds the end of a segment: up to two last complete lines and
// any bytes after the last "\n".
type tailLines struct {
	size       int64
	partialOff int64    // offset just after the last "\n" (0 if none)
	lines      [][]byte // the last complete lines, oldest first (at most 2)
	offs       []int64  // their start offsets
}

func readTail(path string) (tailLines, error) {
	f, err := os.Open(path)
	if err != nil {
		return tailLines{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return tailLines{}, err
	}
	size := fi.Size()
	for window := int64(64 << 10); ; window *= 4 {
		start := max(size-window, 0)
		buf := make([]byte, size-start)
		if _, err := f.ReadAt(buf, start); err != nil && !errors.Is(err, io.EOF) {
			return tailLines{}, err
		}
		t := tailLines{size: size}
		end := bytes.LastIndexByte(buf, '\n')
		if end < 0 {
			if start == 0 {
				return t, nil // no complete line at all
			}
			continue
		}
		t.partialOff = start + int64(end) + 1
		body := buf[:end] // complete lines, last "\n" dropped
		// Collect up to two lines from the end; each must be preceded by
		// a "\n" inside the window, or by the start of the file.
		for len(t.lines) < 2 {
			i := bytes.LastIndexByte(body, '\n')
			if i < 0 {
				if start != 0 {
					break
				}
				t.lines = append([][]byte{body}, t.lines...)
				t.offs = append([]int64{start}, t.offs...)
				break
			}
			t.lines = append([][]byte{body[i+1:]}, t.lines...)
			t.offs = append([]int64{start + int64(i) + 1}, t.offs...)
			body = body[:i]
		}
		if len(t.lines) == 2 || start == 0 {
			return t, nil
		}
	}
}

// openTail finds the chain head, repairs a torn tail of the last segment,
// and opens it for appending. It returns what was recovered (nil if
// nothing), and the type and Every of the last record.
func (l *Log) openTail() (*Recovered, string, int, error) {
	dir := l.opts.Dir
	segs, err := listSegments(dir)
	if err != nil {
		return nil, "", 0, err
	}
	l.w = chainState{head: zeroHash}
	// Empty segments at the end are a crash right after a rotation.
	for len(segs) > 0 {
		last := segs[len(segs)-1]
		fi, err := os.Stat(segPath(dir, last))
		if err != nil {
			return nil, "", 0, fmt.Errorf("audit: %w", err)
		}
		if fi.Size() > 0 {
			break
		}
		_, n, _ := parseSegmentName(last)
		l.segN = max(l.segN, n)
		if err := os.Remove(segPath(dir, last)); err != nil {
			return nil, "", 0, fmt.Errorf("audit: remove empty segment: %w", err)
		}
		segs = segs[:len(segs)-1]
	}
	if len(segs) == 0 {
		return nil, "", 0, syncDir(dir)
	}
	name := segs[len(segs)-1]
	day, n, _ := parseSegmentName(name)
	l.segN = max(l.segN, n)
	path := segPath(dir, name)
	t, err := readTail(path)
	if err != nil {
		return nil, "", 0, fmt.Errorf("audit: read %s: %w", name, err)
	}
	// The line before the last one may be at the end of the previous segment.
	var before []byte
	if len(t.lines) == 2 {
		before = t.lines[0]
	} else if len(segs) > 1 {
		pt, err := readTail(segPath(dir, segs[len(segs)-2]))
		if err != nil {
			return nil, "", 0, fmt.Errorf("audit: read %s: %w", segs[len(segs)-2], err)
		}
		if len(pt.lines) > 0 {
			before = pt.lines[len(pt.lines)-1]
		}
	}
	cut, reason := t.size, ""
	if t.partialOff < t.size {
		cut, reason = t.partialOff, "last record has no final newline"
	}
	head := before
	if len(t.lines) > 0 {
		last := t.lines[len(t.lines)-1]
		if why := chainsAfter(last, before); why != "" {
			cut = t.offs[len(t.offs)-1]
			if reason != "" {
				reason += "; "
			}
			reason += "last whole record " + why
		} else {
			head = last
		}
	}
	var rec *Recovered
	if cut < t.size {
		if rec, err = l.moveAside(path, name, cut, t.size, reason); err != nil {
			return nil, "", 0, err
		}
	}
	lastType, lastEvery := "", 0
	if head != nil {
		r, err := parseLine(head)
		if err != nil {
			return nil, "", 0, fmt.Errorf("audit: chain head in %s: %v (run sealgate audit verify)", name, err)
		}
		l.w.seq, l.w.head = r.Seq, hashLine(head)
		lastType = r.Type
		if r.Type == TypeCheckpoint {
			var cp Checkpoint
			if json.Unmarshal(r.Data, &cp) == nil {
				lastEvery = cp.Every
			}
		}
	}
	if cut == 0 {
		// Nothing whole left in this segment: start a fresh one.
		if err := os.Remove(path); err != nil {
			return nil, "", 0, fmt.Errorf("audit: %w", err)
		}
		l.segDay = day
		l.s = l.w
		return rec, lastType, lastEvery, syncDir(dir)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, "", 0, fmt.Errorf("audit: %w", err)
	}
	l.f, l.seg, l.segDay = f, name, day
	l.w.off = cut
	l.s = l.w
	return rec, lastType, lastEvery, nil
}

// chainsAfter reports why line does not follow before ("" if it does).
// Without a line before (first record, or older segments removed by
// retention) only seq 1 must have the zero prev.
func chainsAfter(line, before []byte) string {
	r, err := parseLine(line)
	if err != nil {
		return "is not a valid record"
	}
	if before == nil {
		if r.Seq == 1 && r.Prev != zeroHash {
			return "does not chain (first record with a non-zero prev)"
		}
		return ""
	}
	b, err := parseLine(before)
	if err != nil {
		return "" // damage further back is for verify to report, not for us to cut
	}
	if r.Seq != b.Seq+1 || r.Prev != hashLine(before) {
		return "does not chain to the record before it"
	}
	return ""
}

// moveAside copies bytes [cut,size) of the segment into a recovery file,
// makes that durable, then truncates the segment to cut.
func (l *Log) moveAside(path, name string, cut, size int64, reason string) (*Recovered, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	torn := make([]byte, size-cut)
	_, err = f.ReadAt(torn, cut)
	f.Close()
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("audit: read torn tail of %s: %w", name, err)
	}
	rname := "recovery-" + strconv.FormatInt(time.Now().UnixNano(), 10) + ".bin"
	rpath := segPath(l.opts.Dir, rname)
	if err := writeSync(rpath, torn); err != nil {
		return nil, fmt.Errorf("audit: save torn tail: %w", err)
	}
	if err := syncDir(l.opts.Dir); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	sf, err := os.OpenFile(path, os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	err = sf.Truncate(cut)
	if err == nil {
		err = sf.Sync()
	}
	if cerr := sf.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("audit: truncate torn tail of %s: %w", name, err)
	}
	l.logger.Warn("audit: torn tail moved aside", "file", name, "recovery_file", rname, "bytes", len(torn), "reason", reason)
	return &Recovered{File: rname, Bytes: int64(len(torn)), Reason: reason}, nil
}

func writeSync(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
