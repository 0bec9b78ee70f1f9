package detect

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Confidence is how sure a detector is that a match is PHI.
type Confidence int

// Confidence levels. The zero value means "no confidence" and never appears in a Finding.
const (
	Low    Confidence = 1
	Medium Confidence = 2
	High   Confidence = 3
)

func (c Confidence) String() string {
	switch c {
	case Low:
		return "low"
	case Medium:
		return "medium"
	case High:
		return "high"
	}
	return fmt.Sprintf("confidence(%d)", int(c))
}

// ParseConfidence parses "low", "medium" or "high" (case-insensitive).
func ParseConfidence(s string) (Confidence, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "low":
		return Low, nil
	case "medium", "med":
		return Medium, nil
	case "high":
		return High, nil
	}
	return 0, fmt.Errorf("detect: unknown confidence %q (known: low, medium, high)", s)
}

// Location says where a finding was seen. The caller sets it; the scanner only copies it.
type Location struct {
	Part  int    // MIME part index, as numbered by extraction
	Field string // "body", "header:subject", "attachment", ...
}

// maxWhere caps Finding.Where so a message with thousands of parts stays small.
const maxWhere = 16

// Finding is what a detector reports: a type, how often, how sure, and where.
// It never holds the matched text.
type Finding struct {
	Type       string
	Count      int
	Confidence Confidence // the highest confidence among the matches counted
	Where      []Location // distinct locations, capped at 16
}

// Match is a single masked hit, for the local `sealgate policy test` CLI only. Never log it.
type Match struct {
	Type       string
	Confidence Confidence
	Masked     string // e.g. "***-**-6789"
	Offset     int    // byte offset in the scanned text
}

// Config selects and tunes detectors. The zero value runs every built-in detector with defaults.
type Config struct {
	Enabled          []string            // detector types to run; nil = all built-ins (plus every custom one)
	MRNPatterns      []string            // site regexes for MRNs; the built-in needs "MRN"-like context
	MemberIDPatterns []string            // health plan member ID regexes
	Dictionaries     map[string][]string // extra admin dictionaries: type -> terms
	Custom           []CustomPattern     // admin regex detectors
}

// CustomPattern is an admin-defined regex detector.
type CustomPattern struct {
	Name       string
	Pattern    string
	Confidence Confidence // confidence of a match without context; Low if zero
	Context    []string   // words that raise a match to High when within 40 bytes before it
}

// Built-in detector names.
const (
	TypeSSN        = "ssn"
	TypeNPI        = "npi"
	TypeDEA        = "dea"
	TypeMBI        = "mbi"
	TypeNDC        = "ndc"
	TypeICD10      = "icd10"
	TypeCPT        = "cpt"
	TypeMRN        = "mrn"
	TypeCard       = "card"
	TypePhone      = "phone"
	TypeDOB        = "dob"
	TypeMemberID   = "member_id"
	TypeCondition  = "condition"
	TypeMedication = "medication"
	TypeProcedure  = "procedure"
	// TypePatientAccount is a patient's account number at a hospital or practice (a HIPAA
	// identifier), told from an invoice's account number by its label and context.
	TypePatientAccount = "patient_account"
)

var builtinTypes = []string{TypeSSN, TypeNPI, TypeDEA, TypeMBI, TypeNDC, TypeICD10, TypeCPT, TypeMRN,
	TypeCard, TypePhone, TypeDOB, TypeMemberID, TypeCondition, TypeMedication, TypeProcedure,
	TypePatientAccount, TypePersonName, TypePersonalHealth, TypeTeachingCase, TypeAnimalPatient, TypePatientContext, TypeNoPatient}

// Types returns the built-in detector names.
func Types() []string { return slices.Clone(builtinTypes) }

// regexDetector is a configured regex (MRN, member ID or custom) run over the whole text.
type regexDetector struct {
	typ     string
	re      *regexp.Regexp
	base    Confidence
	ctxMask uint64 // label kinds that raise it to High
	ctxBit  uint64 // for custom context words: the bit assigned to them
}

// Scanner runs the configured detectors. It is immutable after New and safe for concurrent use.
type Scanner struct {
	enabled    map[string]bool
	ac         *automaton
	pats       []acPattern // AC pattern metadata, indexed by pattern id
	dictType   []string    // dictionary type names, indexed by acPattern.dict
	regexes    []regexDetector
	icd        *icdTable
	order      map[string]int // type -> position for stable output
	allOn      bool           // every built-in detector is enabled (skips map lookups per hit)
	scratch    sync.Pool      // *scratch, reused working slices
	foldBufs   sync.Pool      // *[]byte, folded copies of non-ASCII texts
	streamBufs sync.Pool      // *streamBufs of finished Streams
	names      nameTable      // person-name lists (names.go); nil when person_name is off
	year       int            // the current year, for dates of birth told by an age
}

// New compiles every detector once.
func New(cfg Config) (*Scanner, error) {
	s := &Scanner{enabled: map[string]bool{}, order: map[string]int{}, year: time.Now().Year()}
	known := map[string]bool{}
	for _, t := range builtinTypes {
		known[t] = true
	}
	for name := range cfg.Dictionaries {
		known[name] = true
	}
	for _, c := range cfg.Custom {
		known[c.Name] = true
	}
	var errs []string
	if cfg.Enabled == nil {
		for t := range known {
			s.enabled[t] = true
		}
	} else {
		for _, t := range cfg.Enabled {
			if !known[t] {
				errs = append(errs, fmt.Sprintf("detect: enabled: unknown detector %q (known: %s)", t, strings.Join(builtinTypes, ", ")))
				continue
			}
			s.enabled[t] = true
		}
	}
	for i, t := range builtinTypes {
		s.order[t] = i
	}

	s.allOn = true
	for _, t := range builtinTypes {
		s.allOn = s.allOn && s.enabled[t]
	}

	b := newACBuilder()
	// Context keywords.
	for _, ck := range slices.Concat(contextWords, fictionWords, animalWords) {
		if err := b.add(ck.term, acPattern{dict: -1, ctx: ck.kind, afterDigit: ck.kind&ctxAge != 0}); err != nil {
			return nil, err
		}
	}
	// Shipped dictionaries.
	addDict := func(typ string, terms []string) error {
		idx := len(s.dictType)
		s.dictType = append(s.dictType, typ)
		if _, ok := s.order[typ]; !ok {
			s.order[typ] = len(s.order)
		}
		for _, t := range terms {
			if err := b.add(t, acPattern{dict: idx, ctx: ctxClinical}); err != nil {
				return fmt.Errorf("detect: dictionary %s: %w", typ, err)
			}
		}
		return nil
	}
	for _, d := range shippedDictionaries() {
		if !s.enabled[d.typ] {
			continue
		}
		if err := addDict(d.typ, d.terms); err != nil {
			return nil, err
		}
	}
	names := make([]string, 0, len(cfg.Dictionaries))
	for n := range cfg.Dictionaries {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if n == "" {
			errs = append(errs, "detect: dictionaries: empty dictionary name")
			continue
		}
		if !s.enabled[n] {
			continue
		}
		if err := addDict(n, cfg.Dictionaries[n]); err != nil {
			errs = append(errs, err.Error())
		}
	}
	// Regex detectors.
	for i, p := range cfg.MRNPatterns {
		re, err := regexp.Compile(p)
		if err != nil {
			errs = append(errs, fmt.Sprintf("detect: mrn_patterns[%d]: %v", i, err))
			continue
		}
		if s.enabled[TypeMRN] {
			s.regexes = append(s.regexes, regexDetector{typ: TypeMRN, re: re, base: Low, ctxMask: ctxMRN})
		}
	}
	for i, p := range cfg.MemberIDPatterns {
		re, err := regexp.Compile(p)
		if err != nil {
			errs = append(errs, fmt.Sprintf("detect: member_id_patterns[%d]: %v", i, err))
			continue
		}
		if s.enabled[TypeMemberID] {
			s.regexes = append(s.regexes, regexDetector{typ: TypeMemberID, re: re, base: Low, ctxMask: ctxMember})
		}
	}
	customBit := uint64(ctxCustomFirst)
	for i, c := range cfg.Custom {
		if c.Name == "" {
			errs = append(errs, fmt.Sprintf("detect: custom[%d]: empty name", i))
			continue
		}
		if known[c.Name] && slices.Contains(builtinTypes, c.Name) {
			errs = append(errs, fmt.Sprintf("detect: custom[%d]: name %q is a built-in detector", i, c.Name))
			continue
		}
		re, err := regexp.Compile(c.Pattern)
		if err != nil {
			errs = append(errs, fmt.Sprintf("detect: custom[%d] (%s): %v", i, c.Name, err))
			continue
		}
		conf := c.Confidence
		if conf < Low || conf > High {
			conf = Low
		}
		rd := regexDetector{typ: c.Name, re: re, base: conf}
		if len(c.Context) > 0 {
			if customBit == 0 {
				errs = append(errs, fmt.Sprintf("detect: custom[%d] (%s): too many custom detectors with context words", i, c.Name))
				continue
			}
			rd.ctxBit = customBit
			rd.ctxMask = customBit
			for _, w := range c.Context {
				if err := b.add(w, acPattern{dict: -1, ctx: customBit}); err != nil {
					errs = append(errs, fmt.Sprintf("detect: custom[%d] (%s): context: %v", i, c.Name, err))
				}
			}
			customBit <<= 1
		}
		if _, ok := s.order[c.Name]; !ok {
			s.order[c.Name] = len(s.order)
		}
		if s.enabled[c.Name] {
			s.regexes = append(s.regexes, rd)
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	s.ac, s.pats = b.build()
	icd, err := loadICD()
	if err != nil {
		return nil, err
	}
	s.icd = icd
	if s.enabled[TypePersonName] {
		if s.names, err = loadNames(); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// hit is one internal match. It carries offsets into the scanned text only while scanning.
type hit struct {
	typ   string
	conf  Confidence
	start int
	end   int
}

// maxPooledFold bounds the folded copy a Scan hands back to the pool.
const maxPooledFold = 1 << 20

// Scan runs every enabled detector over text and returns one Finding per type found.
func (s *Scanner) Scan(text []byte, loc Location) []Finding {
	var acc accumulator
	text, _ = subjectText(text, loc)
	bp, _ := s.foldBufs.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	ft, folded := fold(text, *bp, nil)
	s.scanWindow(ft, 0, len(ft), func(h hit) { acc.add(h) }, nil)
	if folded && cap(ft) <= maxPooledFold {
		*bp = ft[:0]
	}
	s.foldBufs.Put(bp)
	return acc.findings(s, loc)
}

// Enabled reports whether detector type t runs.
func (s *Scanner) Enabled(t string) bool { return s.enabled[t] }

// Explain returns every match with a masked preview, for the local CLI only. Matches are
// found in the folded text (see fold.go) and masked there, so a fullwidth digit is masked
// like an ASCII one; Offset is the byte offset in the original text.
func (s *Scanner) Explain(text []byte, loc Location) []Match {
	var out []Match
	var edits []foldEdit
	text, lead := subjectText(text, loc)
	ft, _ := fold(text, nil, &edits)
	fm := foldMap(edits)
	s.scanWindow(ft, 0, len(ft), func(h hit) {
		m := mask(ft[h.start:h.end])
		if h.typ == TypePersonName {
			m = maskName(ft[h.start:h.end])
		} else if slices.Contains(s.dictType, h.typ) {
			// Dictionary terms are words, not identifiers: show only the first letter.
			m = string(ft[h.start:h.start+1]) + strings.Repeat("*", h.end-h.start-1)
		}
		out = append(out, Match{Type: h.typ, Confidence: h.conf, Masked: m, Offset: max(0, fm.start(h.start)-lead)})
	}, nil)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Offset < out[j].Offset })
	return out
}

// mask keeps the separators and the last four alphanumerics; everything else becomes '*'.
func mask(b []byte) string {
	keep := 4
	if len(b) <= 6 {
		keep = 2
	}
	out := []byte(string(b))
	n := 0
	for i := len(out) - 1; i >= 0; i-- {
		c := out[i]
		if isAlnum(c) {
			if n >= keep {
				out[i] = '*'
			}
			n++
		}
	}
	return string(out)
}

// accumulator counts hits per type. A scan sees a handful of types, so a list searched in
// order is cheaper than a map.
type accumulator struct {
	list []Finding
}

func (a *accumulator) add(h hit) {
	for i := range a.list {
		if f := &a.list[i]; f.Type == h.typ {
			f.Count++
			f.Confidence = max(f.Confidence, h.conf)
			return
		}
	}
	a.list = append(a.list, Finding{Type: h.typ, Count: 1, Confidence: h.conf})
}

func (a *accumulator) findings(s *Scanner, loc Location) []Finding {
	if len(a.list) == 0 {
		return nil
	}
	out := slices.Clone(a.list)
	for i := range out {
		out[i].Where = []Location{loc}
	}
	sortFindings(out, s.order)
	return out
}

func sortFindings(fs []Finding, order map[string]int) {
	sort.Slice(fs, func(i, j int) bool {
		oi, iok := order[fs[i].Type]
		oj, jok := order[fs[j].Type]
		if iok && jok && oi != oj {
			return oi < oj
		}
		if iok != jok {
			return iok
		}
		return fs[i].Type < fs[j].Type
	})
}

// Merge sums counts per type, keeps the highest confidence and unions locations (capped at 16).
func Merge(fs ...[]Finding) []Finding { return combine(fs, true) }

// Richest is Merge for lists that say the same thing (the text/plain and text/html
// alternatives of one message): per type the highest count instead of the sum.
func Richest(fs ...[]Finding) []Finding { return combine(fs, false) }

func combine(fs [][]Finding, sum bool) []Finding {
	byType := map[string]*Finding{}
	var types []string
	for _, list := range fs {
		for _, f := range list {
			m := byType[f.Type]
			if m == nil {
				m = &Finding{Type: f.Type}
				byType[f.Type] = m
				types = append(types, f.Type)
			}
			if sum {
				m.Count += f.Count
			} else {
				m.Count = max(m.Count, f.Count)
			}
			if f.Confidence > m.Confidence {
				m.Confidence = f.Confidence
			}
			for _, w := range f.Where {
				if len(m.Where) < maxWhere && !slices.Contains(m.Where, w) {
					m.Where = append(m.Where, w)
				}
			}
		}
	}
	if len(types) == 0 {
		return nil
	}
	order := map[string]int{}
	for i, t := range builtinTypes {
		order[t] = i
	}
	out := make([]Finding, 0, len(types))
	for _, t := range types {
		out = append(out, *byType[t])
	}
	sortFindings(out, order)
	return out
}
