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

type automaton struct {
	delta   []int32 // state*numCls + class -> state
	first   []int32 // first pattern id ending at state, or -1
	outNext []int32 // next state in the failure chain that has output, or -1
	outs    [][]int32
}

func (b *acBuilder) build() (*automaton, []acPattern) {
	n := len(b.next)
	a := &automaton{delta: make([]int32, n*numCls), first: make([]int32, n), outNext: make([]int32, n), outs: b.out}
	fail := make([]int32, n)
	queue := make([]int32, 0, n)
	for c := 0; c < numCls; c++ {
		if t, ok := b.next[0][uint8(c)]; ok {
			a.delta[c] = t
			fail[t] = 0
			queue = append(queue, t)
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		for c := 0; c < numCls; c++ {
			if t, ok := b.next[s][uint8(c)]; ok {
				a.delta[int(s)*numCls+c] = t
				fail[t] = a.delta[int(fail[s])*numCls+c]
				queue = append(queue, t)
			} else {
				a.delta[int(s)*numCls+c] = a.delta[int(fail[s])*numCls+c]
			}
		}
	}
	// Output links: BFS order guarantees fail[s] is finished before s.
	order := make([]int32, 0, n)
	order = append(order, 0)
	for i := 0; i < len(order); i++ {
		s := order[i]
		for c := 0; c < numCls; c++ {
			if t, ok := b.next[s][uint8(c)]; ok {
				order = append(order, t)
			}
		}
	}
	a.outNext[0] = -1
	a.first[0] = -1
	for _, s := range order[1:] {
		f := fail[s]
		if len(b.out[f]) > 0 {
			a.outNext[s] = f
		} else {
			a.outNext[s] = a.outNext[f]
		}
		if len(b.out[s]) > 0 {
			a.first[s] = b.out[s][0]
		} else {
			a.first[s] = -1
		}
	}
	for i, t := range a.delta {
		if a.first[t] >= 0 || a.outNext[t] >= 0 {
			a.delta[i] = t | outFlag
		}
	}
	return a, b.pats
}

// acHit is a term occurrence [start, end).
type acHit struct {
	start, end int
	pat        int32
}

// run reports every occurrence of every term in text that sits on word boundaries.
func (a *automaton) run(text []byte, pats []acPattern, emit func(acHit)) {
	var s int32
	delta := a.delta
	for i := 0; i < len(text); i++ {
		s = delta[int(s)<<clsShift|int(byteClass[text[i]])]
		if s >= 0 {
			continue
		}
		s &^= outFlag
		for st := s; st >= 0; st = a.outNext[st] {
			if st == 0 {
				break
			}
			for _, id := range a.outs[st] {
				p := &pats[id]
				start := i + 1 - p.n
				if p.wBeg && start > 0 && isWord(text[start-1]) {
					continue
				}
				if p.wEnd && i+1 < len(text) && isWord(text[i+1]) {
					continue
				}
				emit(acHit{start: start, end: i + 1, pat: id})
			}
		}
	}
}
