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
	ctx  uint32 // context kinds this term signals
	n    int    // term length in bytes (set by the builder)
	wEnd bool   // term ends with a word character: needs a boundary after it
	wBeg bool   // term starts with a word character: needs a boundary before it
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
		return fmt.Errorf("term %q longer than %d bytes", t, maxTermLen)
	}
	for i := 0; i < len(t); i++ {
		if byteClass[t[i]] == clsOther {
			return fmt.Errorf("term %q: only ASCII letters, digits, spaces and -'.#/:,&+() are supported", t)
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
	hits, second []acHit
}

// run reports every occurrence of every term in text that sits on word boundaries, in
// order of end offset. The result is b.hits, valid until the next run with b.
func (a *automaton) run(text []byte, pats []acPattern, b *acBufs) []acHit {
	if a.delta16 != nil && len(text) >= 2*splitMin {
		b.hits, b.second = a.run2(text, pats, b.hits[:0], b.second[:0])
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

// splitMin is the smallest half worth a second DFA walk.
const splitMin = 4 << 10

// run2 walks two halves of text at once. One DFA walk is bound by the latency of its
// table load; two independent walks overlap. The second starts maxTermLen bytes before
// the middle from the root: the DFA state is the longest suffix that is a trie node, at
// most maxTermLen bytes, so by the middle it equals the state of one walk over everything.
func (a *automaton) run2(text []byte, pats []acPattern, hits, second []acHit) ([]acHit, []acHit) {
	delta := a.delta16
	n := len(text)
	mid := n / 2
	i, j := 0, mid-maxTermLen
	var s, t uint16
	for i < mid {
		i, j, s, t = walk16x2(delta, text, i, j, mid, s, t)
		if i >= mid {
			break
		}
		if s&outFlag16 != 0 {
			s &^= outFlag16
			hits = a.emit(text, pats, i, int32(s), hits)
		}
		if t&outFlag16 != 0 {
			t &^= outFlag16
			if j >= mid {
				second = a.emit(text, pats, j, int32(t), second)
			}
		}
		i++
		j++
	}
	// The second walk has n-mid+maxTermLen bytes, at least as many as the first: finish it.
	for ; j < n; j++ {
		if j, t = walk16(delta, text, j, t); j >= n {
			break
		}
		t &^= outFlag16
		if j >= mid {
			second = a.emit(text, pats, j, int32(t), second)
		}
	}
	return append(hits, second...), second
}

// walk16x2 steps two walks, text[i:end] and text[j:], one byte each per round, until either
// enters a state with output or the first reaches end. The caller guarantees j+(end-i) <= len(text).
// Not inlined, so that both states stay in registers (inlined, the compiler spills them).
//
//go:noinline
func walk16x2(delta []uint16, text []byte, i, j, end int, s, t uint16) (int, int, uint16, uint16) {
	for ; i < end; i, j = i+1, j+1 {
		s = delta[int(s)<<clsShift|int(byteClass[text[i]])]
		t = delta[int(t)<<clsShift|int(byteClass[text[j]])]
		if (s|t)&outFlag16 != 0 {
			return i, j, s, t
		}
	}
	return i, j, s, t
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
			if p.wBeg && start > 0 && isWord(text[start-1]) {
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
