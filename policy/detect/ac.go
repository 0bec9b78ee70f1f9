package detect

import (
	"fmt"
	"strings"
)

// Aho-Corasick over a folded byte alphabet: ASCII letters (case-folded), digits, whitespace
// and a few punctuation marks. Every other byte is class 0, which no term may contain, so it
// always leads back toward the root. The automaton is a full DFA (one table lookup per byte).

const (
	clsOther = 0
	clsSpace = 37
	numCls   = 64 // 49 used; a power of two so a row is a shift away
	clsShift = 6
	// outFlag marks a delta entry whose target state has output (own or along its failure chain).
	outFlag = int32(-1 << 31)
)

var byteClass = func() (t [256]uint8) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = uint8(c-'a') + 1
		t[c-'a'+'A'] = uint8(c-'a') + 1
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = uint8(c-'0') + 27
	}
	t[' '], t['\t'], t['\r'], t['\n'] = clsSpace, clsSpace, clsSpace, clsSpace
	for i, c := range "-'.#/:,&+()" {
		t[c] = uint8(38 + i)
	}
	return t
}()

// acPattern is the metadata of one term.
type acPattern struct {
	dict int    // index into Scanner.dictType, or -1 for a context keyword
	ctx  uint64 // context kinds this term signals
	n    int    // term length in bytes (set by the builder)
	wEnd bool   // term ends with a word character: needs a boundary after it
	wBeg bool   // term starts with a word character: needs a boundary before it
	// afterDigit lets the term follow a digit without a boundary ("63yo", "63y/o").
	afterDigit bool
}

type acBuilder struct {
	next  []map[uint8]int32
	out   [][]int32 // pattern ids ending at each trie node
	pats  []acPattern
	terms map[string]map[int]bool // normalized term -> dict ids already added (dedupe)
}

func newACBuilder() *acBuilder {
	return &acBuilder{next: []map[uint8]int32{{}}, out: [][]int32{nil}, terms: map[string]map[int]bool{}}
}

// normalizeTerm lower-cases and collapses whitespace runs to one space.
func normalizeTerm(t string) string {
	return strings.ToLower(strings.Join(strings.Fields(t), " "))
}

func (b *acBuilder) add(term string, p acPattern) error {
	t := normalizeTerm(term)
	if t == "" {
		return nil
	}
	if len(t) > maxTermLen {
		// Terms are not quoted: a site dictionary may hold names, and this
		// error reaches the log and the audit log.
		return fmt.Errorf("a term of %d bytes is longer than %d", len(t), maxTermLen)
	}
	for i := 0; i < len(t); i++ {
		if byteClass[t[i]] == clsOther {
			return fmt.Errorf("a term of %d bytes has byte %d outside ASCII letters, digits, spaces and -'.#/:,&+()", len(t), i+1)
		}
	}
	key := p.dict
	if p.dict < 0 {
		key = -1 - int(p.ctx) // context terms dedupe per kind
	}
	if b.terms[t] == nil {
		b.terms[t] = map[int]bool{}
	}
	if b.terms[t][key] {
		return nil
	}
	b.terms[t][key] = true
	p.n = len(t)
	p.wBeg = isWord(t[0])
	p.wEnd = isWord(t[len(t)-1])
	id := int32(len(b.pats))
	b.pats = append(b.pats, p)
	s := int32(0)
	for i := 0; i < len(t); i++ {
		c := byteClass[t[i]]
		n, ok := b.next[s][c]
		if !ok {
			n = int32(len(b.next))
			b.next = append(b.next, map[uint8]int32{})
			b.out = append(b.out, nil)
			b.next[s][c] = n
		}
		s = n
	}
	b.out[s] = append(b.out[s], id)
	return nil
}

// automaton is the DFA. States are numbered in breadth-first order, so the shallow states
// where a scan spends nearly all its time sit together at the start of the table. While
// the automaton has fewer than 1<<15 states the table is uint16 (half the cache footprint);
// the high bit of an entry marks a target state with output in both layouts.
type automaton struct {
	delta16 []uint16 // state<<clsShift | class -> state | outFlag16; nil when delta32 is used
	delta32 []int32  // the same for larger automata, with outFlag
	outNext []int32  // next state in the failure chain that has output, or -1
	outs    [][]int32
}

const outFlag16 = uint16(1 << 15)

func (b *acBuilder) build() (*automaton, []acPattern) {
	n := len(b.next)
	// Renumber the trie in BFS order; then fail[s] < s for every s > 0.
	order := make([]int32, 0, n)
	order = append(order, 0)
	newID := make([]int32, n)
	for i := 0; i < len(order); i++ {
		s := order[i]
		for c := 0; c < numCls; c++ {
			if t, ok := b.next[s][uint8(c)]; ok {
				newID[t] = int32(len(order))
				order = append(order, t)
			}
		}
	}
	delta := make([]int32, n*numCls)
	fail := make([]int32, n)
	outs := make([][]int32, n)
	for ns, old := range order {
		outs[ns] = b.out[old]
		row := ns * numCls
		frow := int(fail[ns]) * numCls
		for c := 0; c < numCls; c++ {
			if t, ok := b.next[old][uint8(c)]; ok {
				nt := newID[t]
				delta[row+c] = nt
				if ns > 0 {
					fail[nt] = delta[frow+c]
				}
			} else if ns > 0 {
				delta[row+c] = delta[frow+c]
			}
		}
	}
	a := &automaton{outNext: make([]int32, n), outs: outs}
	a.outNext[0] = -1
	hasOut := make([]bool, n)
	for s := 1; s < n; s++ {
		f := fail[s]
		if len(outs[f]) > 0 {
			a.outNext[s] = f
		} else {
			a.outNext[s] = a.outNext[f]
		}
		hasOut[s] = len(outs[s]) > 0 || a.outNext[s] > 0
	}
	if n <= int(outFlag16) {
		a.delta16 = make([]uint16, len(delta))
		for i, t := range delta {
			a.delta16[i] = uint16(t)
			if hasOut[t] {
				a.delta16[i] |= outFlag16
			}
		}
	} else {
		a.delta32 = delta
		for i, t := range delta {
			if hasOut[t] {
				a.delta32[i] = t | outFlag
			}
		}
	}
	return a, b.pats
}

// acHit is a term occurrence [start, end).
type acHit struct {
	start, end int
	pat        int32
}

// acBufs are run's output and working buffers, reused across scans.
type acBufs struct {
	hits  []acHit
	lanes [lanes][]acHit // runSplit: hits per walk; lanes[0] becomes the result
}

// run reports every occurrence of every term in text that sits on word boundaries, in
// order of end offset. The result is b.hits, valid until the next run with b.
func (a *automaton) run(text []byte, pats []acPattern, b *acBufs) []acHit {
	if a.delta16 != nil && len(text) >= lanes*splitMin {
		return a.runSplit(text, pats, b)
	} else {
		b.hits = a.run1(text, pats, b.hits[:0])
	}
	return b.hits
}

// run1 is one walk over text, appending to hits.
func (a *automaton) run1(text []byte, pats []acPattern, hits []acHit) []acHit {
	if a.delta16 != nil {
		var s uint16
		for i := 0; i < len(text); i++ {
			if i, s = walk16(a.delta16, text, i, s); i >= len(text) {
				break
			}
			s &^= outFlag16
			hits = a.emit(text, pats, i, int32(s), hits)
		}
		return hits
	}
	var s int32
	for i := 0; i < len(text); i++ {
		if i, s = walk32(a.delta32, text, i, s); i >= len(text) {
			break
		}
		s &^= outFlag
		hits = a.emit(text, pats, i, s, hits)
	}
	return hits
}

// splitMin is the smallest quarter worth walking apart (4 walks of at least 2 KB each).
const splitMin = 2 << 10

// lanes is how many walks runSplit interleaves.
const lanes = 4

// runSplit walks the four quarters of text at once. One DFA walk is bound by the latency of
// its table load; independent walks overlap. Each later walk starts maxTermLen bytes before
// its quarter, from the root: the DFA state is the longest suffix that is a trie node, at
// most maxTermLen bytes, so by the quarter's start it equals the state of one walk over
// everything. Hits before the quarter belong to the previous walk and are dropped.
func (a *automaton) runSplit(text []byte, pats []acPattern, b *acBufs) []acHit {
	delta := a.delta16
	n := len(text)
	q := n / lanes
	var begin, from, end [lanes]int
	for k := range lanes {
		from[k], end[k] = k*q, (k+1)*q
		begin[k] = max(from[k]-maxTermLen, 0)
	}
	end[lanes-1] = n
	for k := range b.lanes {
		b.lanes[k] = b.lanes[k][:0]
	}
	// In lockstep for q bytes (all of the first quarter), then each later walk alone.
	var st [lanes]uint16
	for k := 0; k < q; k++ {
		k, st[0], st[1], st[2], st[3] = walk16x4(delta, text[begin[0]:begin[0]+q], text[begin[1]:begin[1]+q],
			text[begin[2]:begin[2]+q], text[begin[3]:begin[3]+q], k, st[0], st[1], st[2], st[3])
		if k >= q {
			break
		}
		for l := range lanes {
			if st[l]&outFlag16 != 0 {
				st[l] &^= outFlag16
				if i := begin[l] + k; i >= from[l] {
					b.lanes[l] = a.emit(text, pats, i, int32(st[l]), b.lanes[l])
				}
			}
		}
	}
	hits := b.lanes[0]
	for l := 1; l < lanes; l++ {
		s := st[l]
		for i := begin[l] + q; i < end[l]; i++ {
			if i, s = walk16(delta, text[:end[l]], i, s); i >= end[l] {
				break
			}
			s &^= outFlag16
			if i >= from[l] {
				b.lanes[l] = a.emit(text, pats, i, int32(s), b.lanes[l])
			}
		}
		hits = append(hits, b.lanes[l]...)
	}
	b.lanes[0] = hits
	return hits
}

// walk16x4 steps four walks, one byte of each of t0..t3 (of equal length) per round, until
// one enters a state with output or all reach the end. Not inlined, so that the states stay
// in registers (inlined, the compiler spills them).
//
//go:noinline
func walk16x4(delta []uint16, t0, t1, t2, t3 []byte, k int, s0, s1, s2, s3 uint16) (int, uint16, uint16, uint16, uint16) {
	t1, t2, t3 = t1[:len(t0)], t2[:len(t0)], t3[:len(t0)]
	for ; k < len(t0); k++ {
		s0 = delta[int(s0)<<clsShift|int(byteClass[t0[k]])]
		s1 = delta[int(s1)<<clsShift|int(byteClass[t1[k]])]
		s2 = delta[int(s2)<<clsShift|int(byteClass[t2[k]])]
		s3 = delta[int(s3)<<clsShift|int(byteClass[t3[k]])]
		if (s0|s1|s2|s3)&outFlag16 != 0 {
			return k, s0, s1, s2, s3
		}
	}
	return k, s0, s1, s2, s3
}

// walk16 steps the DFA from state s at text[i] until it enters a state with output, and
// returns that offset and state (flag still set), or len(text). It is a leaf so that the
// state stays in a register: the loop is bound by the latency of one load per byte.
//
//go:noinline
func walk16(delta []uint16, text []byte, i int, s uint16) (int, uint16) {
	for ; i < len(text); i++ {
		s = delta[int(s)<<clsShift|int(byteClass[text[i]])]
		if s&outFlag16 != 0 {
			return i, s
		}
	}
	return i, s
}

// walk32 is walk16 for the int32 table.
//
//go:noinline
func walk32(delta []int32, text []byte, i int, s int32) (int, int32) {
	for ; i < len(text); i++ {
		s = delta[int(s)<<clsShift|int(byteClass[text[i]])]
		if s < 0 {
			return i, s
		}
	}
	return i, s
}

// emit appends the terms ending at text[i] in state s (and along its output chain).
func (a *automaton) emit(text []byte, pats []acPattern, i int, s int32, hits []acHit) []acHit {
	for st := s; st > 0; st = a.outNext[st] {
		for _, id := range a.outs[st] {
			p := &pats[id]
			start := i + 1 - p.n
			if p.wBeg && start > 0 && isWord(text[start-1]) && !(p.afterDigit && isDigit(text[start-1])) {
				continue
			}
			if p.wEnd && i+1 < len(text) && isWord(text[i+1]) {
				continue
			}
			hits = append(hits, acHit{start: start, end: i + 1, pat: id})
		}
	}
	return hits
}
