package policy

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/mail"
	"sort"
	"strings"

	"github.com/sealgate/sealgate/envelope"
	"github.com/sealgate/sealgate/policy/detect"
)

// Report is a Decision explained for a person at the local CLI (`sealgate
// policy test`). It carries masked previews of what the detectors matched:
// never log it, never store it.
type Report struct {
	Decision   *Decision
	Files      int
	Rules      int
	From       string
	Recipients []string
	Parts      int
	Matches    []PartMatch
}

// Explain evaluates like Evaluate and also keeps masked previews of every
// detector match. For the local CLI only.
func (e *Engine) Explain(ctx context.Context, in Input) (*Report, error) {
	f, err := e.gather(ctx, in, true)
	if err != nil {
		return nil, err
	}
	d := e.decide(f)
	d.Recipients = e.perRecipient(f)
	r := &Report{Decision: d, Files: len(e.set.Files), Rules: len(e.set.Rules),
		From: f.env.From, Recipients: f.env.Addrs(), Parts: f.parts, Matches: f.matches}
	sort.SliceStable(r.Matches, func(i, j int) bool {
		return r.Matches[i].Part < r.Matches[j].Part // within a part, in text order
	})
	return r, nil
}

// EnvelopeFromHeaders builds an envelope from a message's From, To and Cc
// header fields, for testing a message file without an SMTP envelope.
func EnvelopeFromHeaders(msg []byte) *envelope.Envelope {
	env := &envelope.Envelope{Size: int64(len(msg))}
	m, err := mail.ReadMessage(bufio.NewReader(bytes.NewReader(msg)))
	if err != nil {
		return env
	}
	if l, err := m.Header.AddressList("From"); err == nil && len(l) > 0 {
		env.From = l[0].Address
	}
	for _, h := range []string{"To", "Cc"} {
		if l, err := m.Header.AddressList(h); err == nil {
			for _, a := range l {
				env.Recipients = append(env.Recipients, envelope.Recipient{Addr: a.Address})
			}
		}
	}
	return env
}

// WriteText writes the report as `sealgate policy test` prints it.
func (r *Report) WriteText(w io.Writer) error {
	d := r.Decision
	var b strings.Builder
	fmt.Fprintf(&b, "policy:    %s (%d rules in %d files)\n", d.PolicyHash, r.Rules, r.Files)
	from := r.From
	if from == "" {
		from = "<>"
	}
	fmt.Fprintf(&b, "envelope:  from %s to %s\n", from, strings.Join(r.Recipients, ", "))
	fmt.Fprintf(&b, "scanned:   %d parts, PHI score %.2f\n", r.Parts, d.Score)
	if d.PatientModel >= 0 {
		fmt.Fprintf(&b, "model:     reads as mail about a patient with probability %.2f (patient_context from %.2f, high from %.2f; no_patient below %.2f)\n",
			d.PatientModel, detect.PatientContextMedium, detect.PatientContextHigh, detect.NoPatientBelow)
	}
	b.WriteString("\nrules, in order (first match wins):\n")
	width := 0
	for _, t := range d.Trace {
		width = max(width, len(t.ID))
	}
	for i, t := range d.Trace {
		verdict := "no     "
		if t.Matched {
			verdict = "MATCHED"
		}
		fmt.Fprintf(&b, "  %2d. %-*s  %s  %s\n", i+1, width, t.ID, verdict, t.Why)
	}
	fmt.Fprintf(&b, "\ndecision:  %s (rule %s)\n", d.Action, d.Rule)
	switch d.Action {
	case ActionEncrypt:
		fmt.Fprintf(&b, "  methods:       %s (min %s)\n", strings.Join(d.Methods, ", "), d.Min)
	case ActionBlock:
		fmt.Fprintf(&b, "  reply:         550 5.7.1 %s\n", d.BlockText)
	}
	if d.SubjectTag != "" {
		fmt.Fprintf(&b, "  subject tag:   %q (strip: %v)\n", d.SubjectTag, d.StripTag)
	}
	for _, k := range sortedHeaderKeys(d.AddHeaders) {
		fmt.Fprintf(&b, "  add header:    %s: %s\n", k, d.AddHeaders[k])
	}
	if len(d.Bcc) > 0 {
		fmt.Fprintf(&b, "  bcc:           %s\n", strings.Join(d.Bcc, ", "))
	}
	if d.NotifySender {
		b.WriteString("  notify sender: yes\n")
	}
	b.WriteString("\nfindings:\n")
	if len(d.Findings) == 0 {
		b.WriteString("  none\n")
	}
	for _, f := range d.Findings {
		fmt.Fprintf(&b, "  %-12s count %-3d %-6s at %s\n", f.Type, f.Count, f.Confidence, wheres(f.Where))
	}
	if len(d.Unscannable) > 0 {
		b.WriteString("\nunscannable (treated as a finding):\n")
		for _, u := range d.Unscannable {
			fmt.Fprintf(&b, "  part %d: %s\n", u.Part, u.Reason)
		}
	}
	if len(d.NotRead) > 0 {
		b.WriteString("\nnot read (no finding; turn on settings.ocr to read pictures):\n")
		for _, u := range d.NotRead {
			fmt.Fprintf(&b, "  part %d: %s\n", u.Part, u.Reason)
		}
	}
	if len(r.Matches) > 0 {
		b.WriteString("\nmatches (masked; shown only here, never logged):\n")
		for _, m := range r.Matches {
			fmt.Fprintf(&b, "  part %d %-16s %-12s %-6s %s\n", m.Part, m.Field, m.Type, m.Conf, m.Masked)
		}
	}
	b.WriteString("\nper recipient:\n")
	if len(r.Recipients) == 0 {
		b.WriteString("  (no recipients)\n")
	}
	for i, rc := range r.Recipients {
		fmt.Fprintf(&b, "  %s: %s\n", rc, r.actionFor(i))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// actionFor describes recipient i's action: the rules run for each
// recipient alone (Decision.Recipients); a different rule than the
// message's is named. The crypto selector later picks the method.
func (r *Report) actionFor(i int) string {
	d := r.Decision
	if i >= len(d.Recipients) || d.Action == ActionBlock || d.Action == ActionQuarantine {
		// Message-wide actions: the whole message is refused or held.
		return recipientAction(d)
	}
	rd := d.Recipients[i]
	one := &Decision{Action: rd.Action, Methods: rd.Methods, Min: rd.Min}
	if d.Action == ActionBlock {
		one.Action = ActionBlock
	}
	s := recipientAction(one)
	if rd.Rule != d.Rule && d.Action != ActionBlock {
		s += " (rule " + rd.Rule + ")"
	}
	return s
}

// recipientAction describes an action for the per-recipient list.
func recipientAction(d *Decision) string {
	switch d.Action {
	case ActionEncrypt:
		return fmt.Sprintf("encrypt, first possible of %s (min %s)", strings.Join(d.Methods, ", "), d.Min)
	case ActionBlock:
		return "refused with the message (550 5.7.1)"
	case ActionQuarantine:
		return "held in quarantine until an admin releases it"
	case ActionRequireTLS:
		return "deliver over TLS only"
	}
	return "deliver (TLS when offered)"
}

func wheres(ws []detect.Location) string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = fmt.Sprintf("part %d %s", w.Part, w.Field)
	}
	return strings.Join(out, ", ")
}

func sortedHeaderKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

type jsonFinding struct {
	Type       string         `json:"type"`
	Count      int            `json:"count"`
	Confidence string         `json:"confidence"`
	Where      []jsonLocation `json:"where"`
}

type jsonLocation struct {
	Part  int    `json:"part"`
	Field string `json:"field"`
}

type jsonRecipient struct {
	Addr   string `json:"addr"`
	Action string `json:"action"`
}

// MarshalJSON is the --json output: stable lower-case names, confidences
// as words.
func (r *Report) MarshalJSON() ([]byte, error) {
	d := r.Decision
	type decision Decision
	out := struct {
		*decision
		Findings   []jsonFinding   `json:"findings"`
		Files      int             `json:"files"`
		Rules      int             `json:"rules"`
		From       string          `json:"from"`
		Recipients []jsonRecipient `json:"recipients"`
		Parts      int             `json:"parts"`
		Matches    []PartMatch     `json:"matches"`
	}{decision: (*decision)(d), Files: r.Files, Rules: r.Rules, From: r.From, Parts: r.Parts,
		Findings: []jsonFinding{}, Recipients: []jsonRecipient{}, Matches: r.Matches}
	for _, f := range d.Findings {
		jf := jsonFinding{Type: f.Type, Count: f.Count, Confidence: f.Confidence.String(), Where: []jsonLocation{}}
		for _, w := range f.Where {
			jf.Where = append(jf.Where, jsonLocation{w.Part, w.Field})
		}
		out.Findings = append(out.Findings, jf)
	}
	for i, a := range r.Recipients {
		act := d.Action
		if i < len(d.Recipients) && d.Action != ActionBlock && d.Action != ActionQuarantine {
			act = d.Recipients[i].Action
		}
		out.Recipients = append(out.Recipients, jsonRecipient{a, act})
	}
	if out.Matches == nil {
		out.Matches = []PartMatch{}
	}
	return json.Marshal(out)
}
