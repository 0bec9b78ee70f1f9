package detect

import (
	"cmp"
	"errors"
	"slices"
	"unicode/utf8"
)

const (
	// streamKeep is the context kept on each side of a cut: more than nearWindow + maxTermLen.
	streamKeep = 512
	// streamWindow is how much new text a Stream gathers before scanning a piece.
	streamWindow = 64 << 10
	// streamMaxBuf bounds the buffer when no safe cut exists (a megabyte of "1 2 3 4 ...").
	streamMaxBuf = 1 << 20
)

// Stream scans a large part in chunks. It holds at most about streamWindow + 2*streamKeep
// bytes (streamMaxBuf in the worst case), never the whole part. It cuts only where no
// candidate, term or date crosses, and keeps streamKeep bytes of context on each side, so
// its findings equal Scan's over the concatenated text. The exception: an admin regex
// match longer than the kept context, or a buffer that reaches streamMaxBuf without any
// safe cut, may be counted differently; Inexact reports the second case.
type Stream struct {
	s       *Scanner
	loc     Location
	buf     []byte
	base    int // absolute offset of buf[0]
	emitted int // absolute offset: hits starting before it are counted
	acc     accumulator
	window  int
	retryAt int // buffer length at which to try cutting again after a failed attempt
	maxBuf  int
	done    bool
	inexact bool
	hits    []hit    // reused by step
	spans   [][2]int // reused by step
	pend    [utf8.UTFMax]byte
	npend   int // bytes of a rune cut by the end of the last Write, folded with the next
}

// streamBufs are a Stream's buffers, pooled in the Scanner between streams.
type streamBufs struct {
	buf   []byte
	hits  []hit
	spans [][2]int
}

// maxPooledStreamBuf bounds the buffer a finished Stream hands back to the pool.
const maxPooledStreamBuf = 4 * streamWindow

// NewStream starts a streaming scan of one part.
func (s *Scanner) NewStream(loc Location) *Stream {
	st := &Stream{s: s, loc: loc, window: streamWindow, maxBuf: streamMaxBuf}
	if b, ok := s.streamBufs.Get().(*streamBufs); ok {
		st.buf, st.hits, st.spans = b.buf[:0], b.hits[:0], b.spans[:0]
	}
	return st
}

var errStreamDone = errors.New("detect: write after Findings")

// Write feeds the next chunk. It never fails except after Findings.
func (st *Stream) Write(p []byte) (int, error) {
	if st.done {
		return 0, errStreamDone
	}
	n := len(p)
	if st.npend > 0 {
		// Complete the rune cut by the previous chunk, then fold it.
		// Only continuation bytes complete it: a rune start means the cut
		// sequence was invalid on its own (Scan reads it so), and that byte
		// begins the next rune, which must not be swallowed.
		for len(p) > 0 && !utf8.FullRune(st.pend[:st.npend]) && !utf8.RuneStart(p[0]) {
			st.pend[st.npend] = p[0]
			st.npend++
			p = p[1:]
		}
		if len(p) == 0 && !utf8.FullRune(st.pend[:st.npend]) {
			return n, nil
		}
		st.buf = foldAppend(st.buf, st.pend[:st.npend], 0, nil)
		st.npend = 0
	}
	k := cutRune(p)
	st.buf = foldAppend(st.buf, p[:k], 0, nil)
	st.npend = copy(st.pend[:], p[k:])
	for len(st.buf) >= max(st.window+2*streamKeep, st.retryAt) {
		if !st.step() {
			// No safe cut yet: wait for another window of input, not one more byte.
			st.retryAt = len(st.buf) + st.window
			break
		}
	}
	return n, nil
}

// cutRune returns len(p), or the start of an incomplete UTF-8 sequence at the end of p.
func cutRune(p []byte) int {
	for i := len(p) - 1; i >= 0 && i >= len(p)-utf8.UTFMax+1; i-- {
		if utf8.RuneStart(p[i]) {
			if !utf8.FullRune(p[i:]) {
				return i
			}
			break
		}
	}
	return len(p)
}

// step scans the buffer and counts the hits before a safe cut. It reports false when no
// cut was possible yet (more input needed).
func (st *Stream) step() bool {
	hits, spans := st.hits[:0], st.spans[:0]
	from := st.emitted - st.base
	st.s.scanWindow(st.buf, from, len(st.buf), func(h hit) { hits = append(hits, h) },
		func(a, b int) { spans = append(spans, [2]int{a, b}) })
	st.hits, st.spans = hits, spans
	limit := len(st.buf) - streamKeep
	cut := safeCut(spans, from, limit)
	if cut < 0 {
		if len(st.buf) < st.maxBuf {
			return false
		}
		cut = limit
		st.inexact = true
	}
	for _, h := range hits {
		if h.start < cut {
			st.acc.add(h)
		}
	}
	st.emitted = st.base + cut
	if drop := cut - streamKeep; drop > 0 {
		n := copy(st.buf, st.buf[drop:])
		st.buf = st.buf[:n]
		st.base += drop
	}
	return true
}

// safeCut returns the largest c in (from, limit] that lies strictly inside no span, or -1.
// It reorders spans.
func safeCut(spans [][2]int, from, limit int) int {
	if limit <= from {
		return -1
	}
	// A cut is nearly always found close to limit, and only spans ending after limit-cutTail
	// can hold a c >= limit-cutTail: try those first, then all of them.
	tail := 0
	for i, sp := range spans {
		if sp[1] > limit-cutTail {
			spans[tail], spans[i] = spans[i], spans[tail]
			tail++
		}
	}
	c := lastCut(spans[:tail], limit)
	if c < limit-cutTail {
		c = lastCut(spans, limit)
	}
	if c <= from {
		return -1
	}
	return c
}

// cutTail is how far below limit safeCut first looks for a cut.
const cutTail = 1024

// lastCut returns the largest c <= limit held strictly by no span. It sorts spans.
func lastCut(spans [][2]int, limit int) int {
	// By decreasing end: c drops to the start of each span that holds it. Once a span ends
	// at or before c, so do all the rest, and none of them can hold c.
	slices.SortFunc(spans, func(x, y [2]int) int { return cmp.Compare(y[1], x[1]) })
	c := limit
	for _, sp := range spans {
		if sp[1] <= c {
			break
		}
		if sp[0] < c {
			c = sp[0]
		}
	}
	return c
}

// Findings ends the stream and returns its findings.
func (st *Stream) Findings() []Finding {
	if !st.done {
		st.done = true
		st.buf = foldAppend(st.buf, st.pend[:st.npend], 0, nil) // an unfinished rune: as is
		st.npend = 0
		from := st.emitted - st.base
		st.s.scanWindow(st.buf, from, len(st.buf), func(h hit) { st.acc.add(h) }, nil)
		if cap(st.buf) <= maxPooledStreamBuf && cap(st.hits) <= maxPooledHits && cap(st.spans) <= maxPooledHits {
			st.s.streamBufs.Put(&streamBufs{buf: st.buf, hits: st.hits, spans: st.spans})
		}
		st.buf, st.hits, st.spans = nil, nil, nil
	}
	return st.acc.findings(st.s, st.loc)
}

// Inexact reports whether the stream had to cut without a safe boundary.
func (st *Stream) Inexact() bool { return st.inexact }
