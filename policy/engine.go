package policy

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/textproto"
	"sort"
	"strings"
	"time"

	"github.com/emersion/go-message/charset"

	"github.com/sealgate/sealgate/envelope"
	"github.com/sealgate/sealgate/policy/detect"
	"github.com/sealgate/sealgate/policy/extract"
)

// Engine evaluates messages against one policy Set. It is safe for
// concurrent use; build a new one for a new Set.
type Engine struct {
	set     *Set
	scanner *detect.Scanner
	model   *detect.PatientModel // nil when patient_context is off
	// allFeatures makes gather keep every model feature (training only).
	allFeatures bool
	limits      extract.Limits
	tags        []string // recognised subject tags, lower-cased
	wd          *mime.WordDecoder
}

// Input is one message to evaluate.
type Input struct {
	Env  *envelope.Envelope // From, Recipients, Listener, AuthUser, Size
	Body io.Reader          // the whole message as received (headers + body); read once
}

// RuleTrace says whether one rule matched and why, in policy terms only:
// it names patterns and counts, never addresses, header values or text.
type RuleTrace struct {
	ID      string `json:"id"`
	Matched bool   `json:"matched"`
	Why     string `json:"why"`
}

// Decision is the outcome for one message. It holds finding types, counts,
// confidences and locations, never matched text.
type Decision struct {
	PolicyHash string `json:"policy_hash"`
	Rule       string `json:"rule"`
	Action     string `json:"action"` // pass|encrypt|require_tls|block|quarantine

	Methods []string `json:"methods,omitempty"` // encrypt: ordered allowed set
	Min     string   `json:"min,omitempty"`     // encrypt: tls or end-to-end
	// PortalExpiry (encrypt): the rule's portal_expiry; 0 = portal.expiry.
	PortalExpiry time.Duration `json:"portal_expiry,omitempty"`

	BlockText string `json:"block_text,omitempty"`

	Findings []detect.Finding `json:"findings,omitempty"`
	Score    float64          `json:"score"`
	// PatientModel is the patient model's probability that the message is
	// about a patient (-1 when the model is off); patient_context is
	// reported from 0.7.
	PatientModel float64               `json:"patient_model"`
	Unscannable  []extract.Unscannable `json:"unscannable,omitempty"`
	// NotRead lists parts skipped as pictures (OCR off): not findings, but
	// never described as scanned either.
	NotRead []extract.Unscannable `json:"not_read,omitempty"`

	SubjectTag   string            `json:"subject_tag,omitempty"`
	StripTag     bool              `json:"strip_tag,omitempty"`
	AddHeaders   map[string]string `json:"add_headers,omitempty"`
	Bcc          []string          `json:"bcc,omitempty"`
	NotifySender bool              `json:"notify_sender,omitempty"`

	Trace []RuleTrace `json:"trace"`

	// Recipients holds the decision for each envelope recipient alone, in
	// envelope order (Recipients[i] is for Env.Recipients[i]; no addresses
	// here, so a logged Decision names nobody): the
	// rules run once per recipient over the same findings, so a `recipient`
	// condition can send one recipient by TLS and another encrypted. The
	// message-level fields above are the rules run over all recipients
	// together; block and quarantine there apply to the whole message (one
	// DATA, one reply; one queue entry), and a block for any single
	// recipient refuses the message too.
	Recipients []RecipientDecision `json:"recipients,omitempty"`
}

// RecipientDecision is the outcome for one recipient.
type RecipientDecision struct {
	Rule         string            `json:"rule"`
	Action       string            `json:"action"`
	Methods      []string          `json:"methods,omitempty"`
	Min          string            `json:"min,omitempty"`
	BlockText    string            `json:"block_text,omitempty"`
	StripTag     bool              `json:"strip_tag,omitempty"`
	AddHeaders   map[string]string `json:"add_headers,omitempty"`
	Bcc          []string          `json:"bcc,omitempty"`
	NotifySender bool              `json:"notify_sender,omitempty"`
	PortalExpiry time.Duration     `json:"portal_expiry,omitempty"`
}

// RuleForceEncrypt is the rule a sender's force-encrypt request (the REST
// API's policy_hints.force_encrypt) shows as where it raised the action.
const RuleForceEncrypt = "force-encrypt"

// AtLeastEncrypt raises pass and require_tls, for the message and each
// recipient, to encrypt with every method, recorded as rule; encrypt keeps
// its rule's methods, and block and quarantine stay. A request can only
// make a decision stronger.
func (d *Decision) AtLeastEncrypt(rule string) {
	raise := func(action, r *string, methods *[]string, min *string) {
		if *action == ActionPass || *action == ActionRequireTLS {
			*action, *r, *methods, *min = ActionEncrypt, rule, append([]string(nil), allMethods...), ""
		}
	}
	raise(&d.Action, &d.Rule, &d.Methods, &d.Min)
	for i := range d.Recipients {
		rd := &d.Recipients[i]
		raise(&rd.Action, &rd.Rule, &rd.Methods, &rd.Min)
	}
}

// FindingCounts returns type -> count, including "unscannable" when any
// part could not be scanned. This is what audit records carry.
func (d *Decision) FindingCounts() map[string]int {
	out := make(map[string]int, len(d.Findings))
	for _, f := range d.Findings {
		out[f.Type] += f.Count
	}
	if len(d.Unscannable) > 0 {
		out[FindingUnscannable] = len(d.Unscannable)
	}
	return out
}

// NotReadCounts returns reason -> number of parts skipped unread (pictures
// while OCR is off), or nil. Audit records carry it next to the findings.
func (d *Decision) NotReadCounts() map[string]int {
	if len(d.NotRead) == 0 {
		return nil
	}
	out := map[string]int{}
	for _, u := range d.NotRead {
		out[u.Reason]++
	}
	return out
}

// Built-in extraction limits, used for every limit the policy leaves 0.
var defaultLimits = extract.Limits{
	MaxDepth:        20,
	MaxParts:        1000,
	MaxDecodedBytes: 200 << 20,
	MaxPartBytes:    50 << 20,
	MaxHeaderBytes:  1 << 20,
	MaxZipRatio:     100,
	Timeout:         30e9,
}

// NewEngine builds the detectors for set once.
func NewEngine(set *Set) (*Engine, error) {
	if set == nil || len(set.Rules) == 0 {
		return nil, errors.New("policy: empty policy set")
	}
	sc, err := detect.New(detectConfig(set.Settings.Detect))
	if err != nil {
		return nil, fmt.Errorf("policy: detectors: %w", err)
	}
	l := set.Settings.Limits
	lim := extract.Limits{
		MaxDepth: orInt(l.MaxDepth, defaultLimits.MaxDepth), MaxParts: orInt(l.MaxParts, defaultLimits.MaxParts),
		MaxDecodedBytes: orInt64(l.MaxDecodedBytes, defaultLimits.MaxDecodedBytes),
		MaxPartBytes:    orInt64(l.MaxPartBytes, defaultLimits.MaxPartBytes),
		MaxHeaderBytes:  orInt(l.MaxHeaderBytes, defaultLimits.MaxHeaderBytes),
		MaxZipRatio:     orInt(l.MaxZipRatio, defaultLimits.MaxZipRatio),
		Timeout:         defaultLimits.Timeout,
	}
	if l.Timeout > 0 {
		lim.Timeout = l.Timeout
	}
	// Helpers and OCR: extract fills what is left zero with its defaults.
	lim.ToolMemory, lim.ToolTimeout = l.HelperMemory, l.HelperTimeout
	o := set.Settings.OCR
	lim.OCR = extract.OCR{Enabled: o.Enabled, Languages: o.Languages, Timeout: o.Timeout,
		MaxPixels: o.MaxPixels, MaxPages: o.MaxPages, DPI: o.DPI}
	e := &Engine{set: set, scanner: sc, limits: lim,
		wd: &mime.WordDecoder{CharsetReader: charset.Reader}}
	if sc.Enabled(detect.TypePatientContext) {
		if e.model, err = detect.LoadPatientModel(); err != nil {
			return nil, fmt.Errorf("policy: detectors: %w", err)
		}
	}
	for _, t := range set.Settings.SubjectTags {
		e.tags = append(e.tags, strings.ToLower(t))
	}
	return e, nil
}

func orInt(v, d int) int {
	if v > 0 {
		return v
	}
	return d
}

func orInt64(v, d int64) int64 {
	if v > 0 {
		return v
	}
	return d
}

// Set returns the policy the engine evaluates.
func (e *Engine) Set() *Set { return e.set }

// MissingHelpers names the external programs this policy's extraction needs
// but cannot find (poppler-utils for PDFs, tesseract when OCR is on). The
// parts they would read become unscannable ("tool_missing"): safe, but every
// PDF then leaves end-to-end encrypted.
func (e *Engine) MissingHelpers() []string { return extract.MissingHelpers(e.limits) }

func detectConfig(d DetectSettings) detect.Config {
	cfg := detect.Config{
		Enabled:          d.Enabled,
		MRNPatterns:      d.MRNPatterns,
		MemberIDPatterns: d.MemberIDPatterns,
	}
	if len(d.Dictionaries) > 0 {
		cfg.Dictionaries = d.Dictionaries
	}
	for _, c := range d.Custom {
		conf, _ := detect.ParseConfidence(c.Confidence)
		cfg.Custom = append(cfg.Custom, detect.CustomPattern{Name: c.Name, Pattern: c.Pattern, Confidence: conf, Context: c.Context})
	}
	return cfg
}

func builtinDetectors() []string { return detect.Types() }

// knownDetectors are the finding types a detect condition may name.
func knownDetectors(d DetectSettings) []string {
	out := detect.Types()
	for name := range d.Dictionaries {
		if !contains(out, name) {
			out = append(out, name)
		}
	}
	for _, c := range d.Custom {
		out = append(out, c.Name)
	}
	sort.Strings(out[len(detect.Types()):])
	return append(out, FindingUnscannable)
}

func checkDetectSettings(d DetectSettings) error {
	_, err := detect.New(detectConfig(d))
	return err
}

func sortStrings(s []string) { sort.Strings(s) }

// attachment is what attachment conditions see. Name is sensitive: it is
// matched, never logged or put in a trace.
type attachment struct {
	name, typ string
	size      int64
	part      int
}

// partSize is the decoded size of the attachment at part index i, 0 if none is.
func (f *facts) partSize(i int) int64 {
	for _, a := range f.attachments {
		if a.part == i {
			return a.size
		}
	}
	return 0
}

// Part kinds as extraction names them.
const (
	kindHeader     = extract.Kind("header")
	kindAttachment = extract.Kind("attachment")
)

// facts is everything rules are evaluated against.
type facts struct {
	env         *envelope.Envelope
	size        int64
	header      textproto.MIMEHeader // top-level header, raw values
	subject     string               // decoded
	attachments []attachment
	findings    []detect.Finding // real detector findings (no synthetic)
	all         []detect.Finding // findings + synthetic unscannable
	score       float64
	model       float64 // the patient model's probability, -1 when off
	unscannable []extract.Unscannable
	notRead     []extract.Unscannable
	settingsTag string // the recognised tag found in the subject, lower-cased
	// matchedTag is the tag the winning rule's subject_tag condition saw.
	matchedTag string
	explain    bool
	matches    []PartMatch
	parts      int                     // extraction's part count
	features   *detect.PatientFeatures // the patient model's input; nil when it is off
}

// PartMatch is a masked detector hit for the local CLI (never logged).
type PartMatch struct {
	Part   int    `json:"part"`
	Field  string `json:"field"`
	Type   string `json:"type"`
	Conf   string `json:"confidence"`
	Masked string `json:"masked"`
}

// Evaluate streams the message once through extraction and the detectors,
// then tries the rules in order; the first match decides, else the default
// rule. Content that cannot be scanned is a finding ("unscannable"), never
// an error; the error is only for ctx cancellation and internal failures.
func (e *Engine) Evaluate(ctx context.Context, in Input) (*Decision, error) {
	f, err := e.gather(ctx, in, false)
	if err != nil {
		return nil, err
	}
	d := e.decide(f)
	d.Recipients = e.perRecipient(f)
	return d, nil
}

// perRecipient runs the rules for each recipient alone over the same facts.
func (e *Engine) perRecipient(f *facts) []RecipientDecision {
	out := make([]RecipientDecision, 0, len(f.env.Recipients))
	for _, r := range f.env.Recipients {
		one := *f.env
		one.Recipients = []envelope.Recipient{r}
		f1 := *f
		f1.env = &one
		d := e.decide(&f1)
		out = append(out, RecipientDecision{Rule: d.Rule, Action: d.Action, Methods: d.Methods, Min: d.Min, BlockText: d.BlockText,
			StripTag: d.StripTag, AddHeaders: d.AddHeaders, Bcc: d.Bcc, NotifySender: d.NotifySender, PortalExpiry: d.PortalExpiry})
	}
	return out
}

// explainCap bounds the text kept per part for masked previews.
const explainCap = 8 << 20

func (e *Engine) gather(ctx context.Context, in Input, explain bool) (*facts, error) {
	env := in.Env
	if env == nil {
		env = &envelope.Envelope{}
	}
	f := &facts{env: env, explain: explain}
	if e.model != nil || e.allFeatures {
		m := e.model
		if e.allFeatures {
			m = nil
		}
		f.features = detect.NewPatientFeatures(m)
	}
	body := in.Body
	if body == nil {
		body = strings.NewReader("")
	}
	cr := &captureReader{r: body, max: e.limits.MaxHeaderBytes}
	var parts []scanned
	buf := make([]byte, 32<<10)
	res, err := extract.Walk(ctx, cr, e.limits, func(p *extract.Part) error {
		loc := detect.Location{Part: p.Index, Field: fieldName(p)}
		var rerr error
		if p.Kind == kindHeader || explain {
			// Headers are small (bounded by MaxHeaderBytes); explain keeps text for previews.
			lim := int64(e.limits.MaxHeaderBytes)
			if explain {
				lim = explainCap
			}
			var text []byte
			text, rerr = io.ReadAll(io.LimitReader(p.Text, lim))
			if rerr == nil {
				if m, _ := io.Copy(io.Discard, p.Text); m > 0 {
					// Past the cap and not scanned: fail closed.
					f.unscannable = append(f.unscannable, extract.Unscannable{Part: p.Index, Reason: extract.ReasonSize})
				}
			}
			fs := e.scanner.Scan(text, loc)
			if p.Kind == kindHeader && addressField(p.Field) {
				fs = withoutNames(fs)
			} else if f.features != nil {
				// The correspondents' names say nothing about a patient.
				f.features.Write(text)
				f.features.EndPart()
			}
			parts = append(parts, scanned{alt: p.Alt, fs: fs})
			if explain {
				for _, m := range e.scanner.Explain(text, loc) {
					if m.Type == detect.TypePersonName && p.Kind == kindHeader && addressField(p.Field) {
						continue // not counted either (withoutNames)
					}
					f.matches = append(f.matches, PartMatch{Part: p.Index, Field: loc.Field, Type: m.Type, Conf: m.Confidence.String(), Masked: m.Masked})
				}
			}
		} else {
			st := e.scanner.NewStream(loc)
			var w io.Writer = st
			if f.features != nil {
				w = io.MultiWriter(st, f.features)
			}
			_, rerr = io.CopyBuffer(w, p.Text, buf)
			if f.features != nil {
				f.features.EndPart()
			}
			parts = append(parts, scanned{alt: p.Alt, fs: st.Findings()})
			if st.Inexact() {
				// The stream had to cut without a safe place: a match may
				// have been split, so the part counts as not fully scanned.
				f.unscannable = append(f.unscannable, extract.Unscannable{Part: p.Index, Reason: extract.ReasonSize})
			}
		}
		if rerr != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			// Text we could not read to the end was not fully scanned.
			f.unscannable = append(f.unscannable, extract.Unscannable{Part: p.Index, Reason: "decode"})
		}
		return nil
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("policy: evaluate: %w", ctx.Err())
		}
		return nil, fmt.Errorf("policy: evaluate: %w", err)
	}
	f.parts = res.Parts
	f.unscannable = append(res.Unscannable, f.unscannable...)
	f.notRead = res.NotRead
	for _, a := range res.Attachments {
		f.attachments = append(f.attachments, attachment{name: strings.ToLower(a.Filename), typ: strings.ToLower(a.ContentType), size: a.Size, part: a.Index})
	}
	f.size = env.Size
	if f.size <= 0 {
		_, _ = io.Copy(io.Discard, cr) // count what extraction left unread
		f.size = cr.n
	}
	f.findings = mergeAlternatives(parts, 0)
	f.model = -1
	if f.features != nil {
		f.features.AddFindings(f.findings)
		if e.model != nil {
			f.model = e.model.Probability(f.features)
			if pc, ok := detect.PatientContextFinding(f.model); ok {
				f.findings = append(f.findings, pc)
			}
			if np, ok := detect.NoPatientFinding(f.model); ok && e.scanner.Enabled(detect.TypeNoPatient) {
				f.findings = append(f.findings, np)
			}
		}
	}
	f.score = detect.Score(f.findings)
	f.all = f.findings
	if len(f.unscannable) > 0 {
		u := detect.Finding{Type: FindingUnscannable, Count: len(f.unscannable), Confidence: detect.High}
		for _, x := range f.unscannable {
			if len(u.Where) < 16 {
				u.Where = append(u.Where, detect.Location{Part: x.Part, Field: "unscannable:" + x.Reason})
			}
		}
		f.all = append(append([]detect.Finding(nil), f.findings...), u)
	}
	f.header = parseHeader(cr.head.Bytes())
	f.subject = e.decodeHeader(f.header.Get("Subject"))
	f.settingsTag = findTag(f.subject, e.tags)
	return f, nil
}

// scanned is one part's findings and the alternatives it belongs to.
type scanned struct {
	alt []extract.AltRef
	fs  []detect.Finding
}

// addressField reports whether a header field holds addresses. Their
// display names are the correspondents, staff mostly: a name there says
// nothing about a patient (a patient's name in a greeting or a label does).
func addressField(f string) bool {
	switch f {
	case "from", "to", "cc", "reply-to", "sender":
		return true
	}
	return false
}

// withoutNames drops person_name findings.
func withoutNames(fs []detect.Finding) []detect.Finding {
	out := fs[:0:0]
	for _, f := range fs {
		if f.Type != detect.TypePersonName {
			out = append(out, f)
		}
	}
	return out
}

// mergeAlternatives sums findings across parts, except that the branches
// of one multipart/alternative (text/plain, text/html, text/calendar of the
// same message) say the same thing: per type, a group counts as much as its
// richest branch (highest count, highest confidence), not the sum. Nested
// groups are resolved innermost first; parts outside any group, and
// attachments inside one, add up as before.
func mergeAlternatives(items []scanned, level int) []detect.Finding {
	var lists [][]detect.Finding
	groups := map[int]map[int][]scanned{}
	var order []int
	for _, it := range items {
		if len(it.alt) <= level {
			lists = append(lists, it.fs)
			continue
		}
		r := it.alt[level]
		g := groups[r.Group]
		if g == nil {
			g = map[int][]scanned{}
			groups[r.Group] = g
			order = append(order, r.Group)
		}
		g[r.Branch] = append(g[r.Branch], it)
	}
	for _, gid := range order {
		branches := make([]int, 0, len(groups[gid]))
		for b := range groups[gid] {
			branches = append(branches, b)
		}
		sort.Ints(branches)
		perBranch := make([][]detect.Finding, 0, len(branches))
		for _, b := range branches {
			perBranch = append(perBranch, mergeAlternatives(groups[gid][b], level+1))
		}
		lists = append(lists, detect.Richest(perBranch...))
	}
	return detect.Merge(lists...)
}

func fieldName(p *extract.Part) string {
	switch p.Kind {
	case kindHeader:
		// X-* names are chosen by the sender and could carry anything:
		// findings name them only as a class.
		if strings.HasPrefix(p.Field, "x-") {
			return "header:x-*"
		}
		return "header:" + p.Field
	case kindAttachment:
		return "attachment"
	}
	return "body"
}

func (e *Engine) decodeHeader(v string) string {
	if d, err := e.wd.DecodeHeader(v); err == nil {
		return d
	}
	return v
}

// decide runs the rules over the gathered facts.
func (e *Engine) decide(f *facts) *Decision {
	d := &Decision{
		PolicyHash:   e.set.Hash,
		Findings:     f.all,
		Score:        f.score,
		PatientModel: f.model,
		Unscannable:  f.unscannable,
		NotRead:      f.notRead,
	}
	var win *Rule
	for _, r := range e.set.Rules {
		if r.Default {
			d.Trace = append(d.Trace, RuleTrace{ID: r.ID, Matched: true, Why: "default rule: no earlier rule matched"})
			win = r
			break
		}
		f.matchedTag = ""
		ok, why := e.eval(r.When, f)
		d.Trace = append(d.Trace, RuleTrace{ID: r.ID, Matched: ok, Why: why})
		if ok {
			win = r
			break
		}
	}
	d.Rule, d.Action = win.ID, win.Action
	d.Methods = append([]string(nil), win.Methods...)
	d.Min = win.Min
	d.PortalExpiry = win.PortalExpiry
	d.BlockText = win.BlockText
	d.SubjectTag = f.settingsTag
	if f.matchedTag != "" {
		d.SubjectTag = f.matchedTag
	}
	d.StripTag = win.StripTag && d.SubjectTag != ""
	if len(win.AddHeaders) > 0 {
		d.AddHeaders = make(map[string]string, len(win.AddHeaders))
		for k, v := range win.AddHeaders {
			d.AddHeaders[k] = v
		}
	}
	d.Bcc = append([]string(nil), win.Bcc...)
	d.NotifySender = win.NotifySender
	return d
}

// captureReader counts bytes and keeps the top-level header section (up to
// max bytes) as it streams past, so header conditions need no second read.
type captureReader struct {
	r    io.Reader
	n    int64
	max  int
	head bytes.Buffer
	done bool
}

func (c *captureReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if !c.done && n > 0 {
		room := c.max - c.head.Len()
		chunk := p[:n]
		if len(chunk) > room {
			chunk = chunk[:room]
			c.done = true
		}
		start := c.head.Len()
		c.head.Write(chunk)
		// Stop at the blank line ending the header (look back 3 bytes across reads).
		from := max(0, start-3)
		b := c.head.Bytes()
		if i := bytes.Index(b[from:], []byte("\n\r\n")); i >= 0 {
			c.head.Truncate(from + i + 1)
			c.done = true
		} else if i := bytes.Index(b[from:], []byte("\n\n")); i >= 0 {
			c.head.Truncate(from + i + 1)
			c.done = true
		}
	}
	return n, err
}

// parseHeader reads a header section leniently: a broken line ends it.
func parseHeader(b []byte) textproto.MIMEHeader {
	h := textproto.MIMEHeader{}
	if len(b) == 0 {
		return h
	}
	if !bytes.HasSuffix(b, []byte("\n")) {
		b = append(b[:len(b):len(b)], '\n')
	}
	b = append(b[:len(b):len(b)], "\r\n"...)
	tr := textproto.NewReader(bufio.NewReader(bytes.NewReader(b)))
	mh, _ := tr.ReadMIMEHeader()
	for k, v := range mh {
		h[k] = v
	}
	return h
}

// findTag returns the first recognised tag in subject, lower-cased; tags
// match case-insensitively and only as whole tokens, so "#encrypt" does not
// match "#encryption".
func findTag(subject string, tags []string) string {
	if subject == "" || len(tags) == 0 {
		return ""
	}
	ls := strings.ToLower(subject)
	for _, t := range tags {
		if tagIn(ls, t) {
			return t
		}
	}
	return ""
}

func tagIn(ls, t string) bool {
	for from := 0; from <= len(ls); {
		i := strings.Index(ls[from:], t)
		if i < 0 {
			return false
		}
		i += from
		end := i + len(t)
		okBefore := i == 0 || !isAlnumByte(ls[i-1]) || !isAlnumByte(t[0])
		okAfter := end == len(ls) || !isAlnumByte(ls[end]) || !isAlnumByte(t[len(t)-1])
		if okBefore && okAfter {
			return true
		}
		from = i + 1
	}
	return false
}

func isAlnumByte(b byte) bool {
	return b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= 0x80
}
