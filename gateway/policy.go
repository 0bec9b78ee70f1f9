package gateway

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/sealgate/sealgate/config"
	"github.com/sealgate/sealgate/crypto/keystore"
	"github.com/sealgate/sealgate/crypto/pgp"
	"github.com/sealgate/sealgate/crypto/selector"
	"github.com/sealgate/sealgate/crypto/smime"
	"github.com/sealgate/sealgate/envelope"
	"github.com/sealgate/sealgate/gateway/audit"
	"github.com/sealgate/sealgate/gateway/relay"
	"github.com/sealgate/sealgate/gateway/spool"
	"github.com/sealgate/sealgate/policy"
)

// evalTimeout bounds the inline policy evaluation before the SMTP reply;
// extraction has its own limits well below it.
const evalTimeout = 60 * time.Second

// loadPolicy builds the engine from the configured files, or the shipped
// default policy.
func loadPolicy(cfg *config.Config) (*policy.Engine, error) {
	set := policy.DefaultSet()
	if len(cfg.Policy.Paths) > 0 {
		var err error
		if set, err = policy.Load(cfg.Policy.Paths...); err != nil {
			return nil, err
		}
	}
	return policy.NewEngine(set)
}

// decisions carries the inline decision from the SMTP session to the
// processing stage. After a crash it is gone, and processing evaluates the
// message again (same policy, same answer).
type decisions struct {
	mu sync.Mutex
	m  map[string]*policy.Decision
}

func (d *decisions) put(id string, dec *policy.Decision) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.m == nil {
		d.m = map[string]*policy.Decision{}
	}
	d.m[id] = dec
}

func (d *decisions) get(id string) *policy.Decision {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.m[id]
}

func (d *decisions) drop(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.m, id)
}

// evaluate runs the policy over the spooled message.
func (g *Gateway) evaluate(ctx context.Context, env *envelope.Envelope) (*policy.Decision, error) {
	body, err := g.spool.OpenBody(env.ID)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	return g.engine.Load().Evaluate(ctx, policy.Input{Env: env, Body: body})
}

// accepted runs inline, after the commit and before the reply: a blocked
// message is answered 550 5.7.1 so the upstream tells the sender.
func (g *Gateway) accepted(env *envelope.Envelope) error {
	ctx, cancel := context.WithTimeout(context.Background(), evalTimeout)
	defer cancel()
	dec, err := g.evaluate(ctx, env)
	if err != nil {
		// Nothing was decided: say "later", keep nothing.
		g.log.Error("policy evaluation failed; message refused with a temporary error", "msg_id", env.ID, "err", err)
		g.spool.Remove(env.ID)
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Temporary local problem, try again later"}
	}
	for _, rd := range dec.Recipients {
		if rd.Action == policy.ActionBlock && dec.Action != policy.ActionBlock {
			// One DATA, one reply: a block for any recipient refuses the
			// message. Record it as that rule's block.
			dec.Rule, dec.Action, dec.BlockText = rd.Rule, policy.ActionBlock, rd.BlockText
		}
	}
	if dec.Action == policy.ActionBlock {
		if err := g.recordDecision(env, dec, nil, ""); err != nil {
			g.spool.Remove(env.ID)
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Temporary local problem, try again later"}
		}
		g.countDecision(dec, plan{})
		g.spool.Remove(env.ID)
		g.log.Info("policy: message blocked", "msg_id", env.ID, "rule", dec.Rule)
		text := dec.BlockText
		if text == "" {
			text = policy.DefaultBlockText
		}
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: text}
	}
	g.decided.put(env.ID, dec)
	g.enqueueProcess(env.ID)
	return nil
}

// plan is how one message leaves: its copies, and whether it is held.
type plan struct {
	copies     []relay.Copy
	holdReason string
	methods    []audit.RecipientMethod
	notify     bool // some rule asked to notify the sender
}

// process turns the decision into outbound copies, records the decision
// (durable before anything can leave) and hands the copies to the relay.
func (g *Gateway) process(id string) error {
	if _, err := g.relay.Show(id); err == nil {
		return nil // already planned and queued (a retried or repeated hand-off)
	}
	env, err := g.spool.Envelope(id)
	if errors.Is(err, spool.ErrNotFound) {
		return nil // withdrawn or removed meanwhile: nothing to do
	}
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// Kept until the relay has the message: a failed hand-off is retried
	// with the same decision, not a second scan.
	dec := g.decided.get(id)
	if dec == nil {
		if env.DSN {
			// Our own DSNs carry the sender's headers only; they leave as
			// any other mail without PHI (TLS required).
			dec = &policy.Decision{Action: policy.ActionRequireTLS, Rule: "dsn"}
		} else if dec, err = g.evaluate(ctx, env); err != nil {
			return err
		}
	}
	// A block here (not inline) means the message was evaluated again after
	// a restart: it may have had a 250 under an earlier policy. It is held
	// for an operator (plan does that), never dropped after a 250 and never sent.
	p, err := g.plan(ctx, env, dec)
	if err != nil {
		return err
	}
	if err := g.recordDecision(env, dec, p.methods, p.holdReason); err != nil {
		return err
	}
	if p.holdReason != "" {
		err = g.relay.SubmitHeld(id, p.copies, p.holdReason)
	} else {
		err = g.relay.Submit(id, p.copies)
	}
	if err == nil {
		g.decided.drop(id)
		g.countDecision(dec, p)
	}
	if err == nil && (dec.NotifySender || p.notify) {
		if nerr := g.notifySender(env, dec, p); nerr != nil {
			// The message itself is queued; a lost notice is logged, not retried.
			g.log.Error("policy: sender notification failed", "msg_id", id, "err", nerr)
		}
	}
	return err
}

// recordDecision writes the audit decision: rule, action, finding types
// and counts, and the method per recipient. Never matched text.
func (g *Gateway) recordDecision(env *envelope.Envelope, dec *policy.Decision, methods []audit.RecipientMethod, hold string) error {
	action := dec.Action
	if hold != "" {
		action += " (held: " + hold + ")"
	}
	return g.record(audit.Event{Type: audit.TypeDecision, MsgID: env.ID, MessageID: env.MessageID, Data: audit.Decision{
		PolicyHash: dec.PolicyHash, Rule: dec.Rule, Action: action, Findings: dec.FindingCounts(), NotRead: dec.NotReadCounts(),
		Recipients: methods,
	}})
}

// ruleOutcome is what one rule decided for a group of recipients.
type ruleOutcome struct {
	rule, action string
	methods      []string
	min          string
	strip        bool
	addHeaders   map[string]string
	bcc          []string
	notify       bool
	rcpts        []string
}

// groups splits the recipients by the rule that decided for each alone
// (policy.Decision.Recipients); without per-recipient decisions (a DSN, a
// synthetic decision) everyone follows the message-level decision.
func groups(env *envelope.Envelope, dec *policy.Decision) []*ruleOutcome {
	// Block and quarantine are message-wide: decided for the message, they
	// apply to every recipient.
	if len(dec.Recipients) != len(env.Recipients) || dec.Action == policy.ActionQuarantine || dec.Action == policy.ActionBlock {
		return []*ruleOutcome{{rule: dec.Rule, action: dec.Action, methods: dec.Methods, min: dec.Min,
			strip: dec.StripTag, addHeaders: dec.AddHeaders, bcc: dec.Bcc, notify: dec.NotifySender, rcpts: env.Addrs()}}
	}
	var out []*ruleOutcome
	byRule := map[string]*ruleOutcome{}
	for i, rd := range dec.Recipients {
		g := byRule[rd.Rule]
		if g == nil {
			g = &ruleOutcome{rule: rd.Rule, action: rd.Action, methods: rd.Methods, min: rd.Min, strip: rd.StripTag,
				addHeaders: rd.AddHeaders, bcc: rd.Bcc, notify: rd.NotifySender}
			byRule[rd.Rule] = g
			out = append(out, g)
		}
		g.rcpts = append(g.rcpts, env.Recipients[i].Addr)
	}
	return out
}

// plan maps a decision to copies, per group of recipients that the same
// rule decided for. TLS levels: require_tls means STARTTLS is mandatory
// ("encrypt"); the tls method of encrypt means verified TLS. Any group that
// must be held holds the whole message.
func (g *Gateway) plan(ctx context.Context, env *envelope.Envelope, dec *policy.Decision) (plan, error) {
	var p plan
	var holds []string
	bccSeen := map[string]bool{}
	for gi, grp := range groups(env, dec) {
		suffix := ""
		if gi > 0 {
			suffix = fmt.Sprint(gi)
		}
		base, err := g.baseCopy(env, grp, dec.SubjectTag, suffix)
		if err != nil {
			return p, err
		}
		all := func(method, minTLS string) {
			p.copies = append(p.copies, relay.Copy{Name: base, Recipients: grp.rcpts, MinTLS: minTLS})
			for _, r := range grp.rcpts {
				p.methods = append(p.methods, audit.RecipientMethod{Addr: r, Method: method, Reason: "rule " + grp.rule})
			}
		}
		switch grp.action {
		case policy.ActionPass:
			all("tls-opportunistic", "")
		case policy.ActionRequireTLS:
			all("tls-required", "encrypt")
		case policy.ActionQuarantine:
			all("quarantine", "encrypt")
			holds = append(holds, "quarantined by policy rule "+grp.rule)
		case policy.ActionEncrypt:
			hold, err := g.planEncrypt(ctx, env, grp, base, suffix, &p)
			if err != nil {
				return p, err
			}
			if hold != "" {
				holds = append(holds, hold)
			}
		case policy.ActionBlock:
			// Blocks are answered inline (any recipient's block refuses the
			// message); here only after a crash: hold it for an operator.
			all("blocked", "verify")
			holds = append(holds, "blocked by policy rule "+grp.rule)
		default:
			return p, fmt.Errorf("gateway: unknown policy action %q", grp.action)
		}
		var bcc []string
		for _, b := range grp.bcc {
			if !bccSeen[strings.ToLower(b)] {
				bccSeen[strings.ToLower(b)] = true
				bcc = append(bcc, b)
			}
		}
		if len(bcc) > 0 {
			// The archive copy: the message as the policy modified it, over
			// TLS at least; verified TLS when the rule encrypts (an archive
			// is the admin's own mailbox, so it gets the plain copy).
			floor := "encrypt"
			if grp.action == policy.ActionEncrypt {
				floor = "verify"
			}
			p.copies = append(p.copies, relay.Copy{Name: base, Recipients: bcc, MinTLS: floor})
			for _, b := range bcc {
				p.methods = append(p.methods, audit.RecipientMethod{Addr: b, Method: "tls-required", Reason: "policy bcc, rule " + grp.rule})
			}
		}
		p.notify = p.notify || grp.notify
	}
	p.holdReason = strings.Join(holds, "; ")
	return p, nil
}

// planEncrypt chooses a method per recipient of grp and writes the
// encrypted copies; it returns a hold reason when some recipient has no
// usable method.
//
// A multi-recipient PGP or S/MIME copy names every recipient's key (key
// IDs, issuer and serial), so each recipient gets an encrypted copy of
// their own; with policy.shared_copies, the recipients the header names
// (To, Cc, Resent-To, Resent-Cc) share one, and every other one (Bcc)
// still gets their own.
func (g *Gateway) planEncrypt(ctx context.Context, env *envelope.Envelope, grp *ruleOutcome, base, suffix string, p *plan) (string, error) {
	sel := g.selector()
	minE2E := grp.min == policy.MinEndToEnd
	var pgpKeys []*pgp.Key
	var pgpRcpts, smimeRcpts, tlsRcpts, none []string
	var certs []*x509.Certificate
	for _, r := range grp.rcpts {
		c := sel.Choose(ctx, r, grp.methods, minE2E)
		rm := audit.RecipientMethod{Addr: r, Method: c.Method, Reason: "rule " + grp.rule + ": " + c.Reason}
		if c.Source != "" {
			rm.Reason += " [key from " + c.Source + "]"
		}
		switch c.Method {
		case selector.PGP:
			pgpKeys = append(pgpKeys, c.PGPKey)
			pgpRcpts = append(pgpRcpts, r)
		case selector.SMIME:
			certs = append(certs, c.Cert)
			smimeRcpts = append(smimeRcpts, r)
		case selector.TLS:
			tlsRcpts = append(tlsRcpts, r)
			rm.Method = "tls-verified"
		default:
			none = append(none, r)
			rm.Method = "none"
		}
		p.methods = append(p.methods, rm)
	}
	cfg := g.cfg.Load()
	subject := cfg.Policy.Subject
	var named map[string]bool
	if cfg.Policy.SharedCopies && len(pgpRcpts)+len(smimeRcpts) > 1 {
		var err error
		if named, err = g.namedRecipients(env.ID); err != nil {
			return "", err
		}
	}
	for k, idx := range copyGroups(pgpRcpts, named) {
		keys, rcpts := pick(pgpKeys, idx), pick(pgpRcpts, idx)
		name := copyName("pgp"+suffix, k)
		err := g.putEncrypted(env.ID, name, base, func(w io.Writer, msg io.Reader) error {
			return pgp.Encrypt(w, msg, keys, pgp.Options{Subject: subject, Signer: g.pgpSigner})
		})
		if err != nil {
			return "", err
		}
		p.copies = append(p.copies, relay.Copy{Name: name, Recipients: rcpts})
	}
	for k, idx := range copyGroups(smimeRcpts, named) {
		cs, rcpts := pick(certs, idx), pick(smimeRcpts, idx)
		name := copyName("smime"+suffix, k)
		err := g.putEncrypted(env.ID, name, base, func(w io.Writer, msg io.Reader) error {
			return smime.Encrypt(w, msg, cs, smime.Options{Subject: subject, Signer: g.smimeSigner})
		})
		if err != nil {
			return "", err
		}
		p.copies = append(p.copies, relay.Copy{Name: name, Recipients: rcpts})
	}
	if len(tlsRcpts) > 0 {
		p.copies = append(p.copies, relay.Copy{Name: base, Recipients: tlsRcpts, MinTLS: "verify"})
	}
	if len(none) > 0 {
		// Fail closed: hold the whole message. If an operator releases it,
		// these recipients get the message over verified TLS, never less.
		p.copies = append(p.copies, relay.Copy{Name: base, Recipients: none, MinTLS: "verify"})
		return fmt.Sprintf("encryption required by rule %s; no usable method for %d recipient(s)", grp.rule, len(none)), nil
	}
	return "", nil
}

// copyGroups splits rcpts (by index) into encrypted copies: one per
// recipient, except that the recipients in named (the header names them)
// share the first one. named is nil unless shared copies are allowed.
func copyGroups(rcpts []string, named map[string]bool) [][]int {
	var shared []int
	var out [][]int
	for i, r := range rcpts {
		if named[normAddr(r)] {
			shared = append(shared, i)
		} else {
			out = append(out, []int{i})
		}
	}
	if len(shared) > 0 {
		out = append([][]int{shared}, out...)
	}
	return out
}

func pick[T any](all []T, idx []int) []T {
	out := make([]T, len(idx))
	for i, j := range idx {
		out[i] = all[j]
	}
	return out
}

// copyName names the k-th encrypted copy of a kind: the first keeps the
// plain name ("pgp", "smime1"), the others get "-k". Never an address:
// copy names show in the queue state.
func copyName(kind string, k int) string {
	if k == 0 {
		return kind
	}
	return fmt.Sprintf("%s-%d", kind, k)
}

// putEncrypted streams the (modified) message through encrypt into a
// sealed copy. A failure leaves no copy: the message stays queued and is
// processed again.
func (g *Gateway) putEncrypted(id, name, base string, encrypt func(io.Writer, io.Reader) error) error {
	src, err := g.openCopy(id, base)
	if err != nil {
		return err
	}
	defer src.Close()
	pr, pw := io.Pipe()
	go func() {
		pw.CloseWithError(encrypt(pw, src))
	}()
	err = g.spool.PutCopy(id, name, pr)
	pr.CloseWithError(errors.New("gateway: copy aborted"))
	if err != nil {
		return fmt.Errorf("gateway: %s copy of %s: %w", name, id, err)
	}
	return nil
}

func (g *Gateway) openCopy(id, name string) (io.ReadCloser, error) {
	if name == "" {
		return g.spool.OpenBody(id)
	}
	return g.spool.OpenCopy(id, name)
}

// baseCopy applies a rule's header modifiers (strip the subject tag, add
// headers) into a copy named "p"+suffix; without modifiers the original
// body is the base ("").
func (g *Gateway) baseCopy(env *envelope.Envelope, grp *ruleOutcome, subjectTag, suffix string) (string, error) {
	strip := grp.strip && subjectTag != ""
	if !strip && len(grp.addHeaders) == 0 {
		return "", nil
	}
	body, err := g.spool.OpenBody(env.ID)
	if err != nil {
		return "", err
	}
	defer body.Close()
	tag := ""
	if strip {
		tag = subjectTag
	}
	name := "p" + suffix
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(modifyHeader(pw, body, tag, grp.addHeaders)) }()
	err = g.spool.PutCopy(env.ID, name, pr)
	pr.CloseWithError(errors.New("gateway: copy aborted"))
	if err != nil {
		return "", fmt.Errorf("gateway: modified copy of %s: %w", env.ID, err)
	}
	return name, nil
}

// selector is built per message: the key store is opened for the lookups
// and closed again, so `sealgate keys import` can run while the daemon does.
func (g *Gateway) selector() *selector.Selector {
	cfg := g.cfg.Load()
	return &selector.Selector{Keys: keyFinder{cfg: cfg, log: g, mu: &g.keysMu}, Roots: g.smimeRoots, TLS: g.relay}
}

// keyFinder opens the key store for one lookup. The store's file lock is
// per open file, so lookups from this process take turns on mu rather
// than poll each other's lock.
type keyFinder struct {
	cfg *config.Config
	log *Gateway
	mu  *sync.Mutex
}

func (k keyFinder) Lookup(ctx context.Context, addr string) ([]keystore.Entry, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	ks, err := keystore.Open(keystore.Options{
		Dir: k.cfg.Keys.Dir, Lookup: k.cfg.Keys.Lookup, Logger: k.log.log,
		WKD: keystore.WKDOptions{Timeout: k.cfg.Keys.WKD.Timeout, PositiveTTL: k.cfg.Keys.WKD.PositiveTTL, NegativeTTL: k.cfg.Keys.WKD.NegativeTTL},
	})
	if err != nil {
		return nil, err
	}
	defer ks.Close()
	return ks.Lookup(ctx, addr)
}

// sortedKeys is for deterministic header order.
func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// stripTag removes one occurrence of tag (case-insensitive) from subject.
func stripTag(subject, tag string) string {
	i := strings.Index(strings.ToLower(subject), strings.ToLower(tag))
	if i < 0 {
		return subject
	}
	return strings.Join(strings.Fields(subject[:i]+" "+subject[i+len(tag):]), " ")
}

// loadIdentities loads the organisation's signing keys and the S/MIME
// trust store; private key files readable by others refuse the start.
func (g *Gateway) loadIdentities(cfg *config.Config) error {
	o := cfg.Keys.Org
	var err error
	if o.SMIMECertFile != "" {
		if g.smimeSigner, err = smime.LoadSigner(o.SMIMECertFile, o.SMIMEKeyFile); err != nil {
			return fmt.Errorf("gateway: keys.org.smime: %w", err)
		}
	}
	if o.PGPKeyFile != "" {
		if g.pgpSigner, err = pgp.LoadSigner(o.PGPKeyFile, o.PGPPassphraseFile); err != nil {
			return fmt.Errorf("gateway: keys.org.pgp_key_file: %w", err)
		}
	}
	if cfg.Keys.SMIMECAFile != "" {
		if g.smimeRoots, err = config.LoadCertPool(cfg.Keys.SMIMECAFile); err != nil {
			return fmt.Errorf("gateway: keys.smime_ca_file: %w", err)
		}
	}
	return nil
}

// policyChanged is the policy watcher's callback: a broken policy is
// refused and the running one stays in force; either way it is audited.
func (g *Gateway) policyChanged(set *policy.Set, err error) {
	var eng *policy.Engine
	if err == nil {
		eng, err = policy.NewEngine(set)
	}
	if err != nil {
		g.log.Error("policy change refused; the running policy stays in force", "err", err.Error())
		g.RecordReload(fmt.Errorf("policy: %w", err), "")
		return
	}
	g.engine.Store(eng)
	g.log.Info("policy reloaded", "policy_hash", set.Hash)
	g.RecordReload(nil, "policy:"+set.Hash)
}

// countDecision feeds the decision metrics: actions by rule, methods by
// recipient, holds, finding types. Labels are rule IDs and type names the
// admin wrote or the detectors define, never message content.
func (g *Gateway) countDecision(dec *policy.Decision, p plan) {
	m := g.metrics
	if m == nil {
		return
	}
	m.decisions.WithLabelValues(dec.Action, dec.Rule).Inc()
	for _, rm := range p.methods {
		m.methods.WithLabelValues(rm.Method).Inc()
	}
	if p.holdReason != "" {
		m.held.Inc()
	}
	for typ, n := range dec.FindingCounts() {
		m.findings.WithLabelValues(typ).Add(float64(n))
	}
}
