package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/sealgate/sealgate/crypto/keystore"
	"github.com/sealgate/sealgate/envelope"
	"github.com/sealgate/sealgate/gateway/api"
	"github.com/sealgate/sealgate/gateway/audit"
	"github.com/sealgate/sealgate/gateway/control"
	"github.com/sealgate/sealgate/gateway/portal/store"
	"github.com/sealgate/sealgate/gateway/relay"
	"github.com/sealgate/sealgate/gateway/spool"
	"github.com/sealgate/sealgate/gateway/webhook"
	"github.com/sealgate/sealgate/internal/hookspec"
	"github.com/sealgate/sealgate/policy"
)

// apiBackend is the gateway as the REST API sees it (api.Backend). Admin
// operations go through the same handler as the control socket, so an API
// call and `sealgate queue` do, check and audit exactly the same thing.
type apiBackend struct{ g *Gateway }

// actor names the API key in queue_op audit records.
func actor(ctx context.Context) string { return "api-key:" + api.KeyID(ctx) }

var errPageFull = errors.New("page full")

// Audit pages through the log in chain order; the cursor is the last
// sequence number of the previous page.
func (b apiBackend) Audit(ctx context.Context, q api.AuditQuery) (api.AuditPage, error) {
	var after uint64
	if q.Cursor != "" {
		n, err := strconv.ParseUint(q.Cursor, 10, 64)
		if err != nil {
			return api.AuditPage{}, &api.InvalidError{Field: "cursor", Detail: "not a cursor this API returned"}
		}
		after = n
	}
	page := api.AuditPage{Records: []json.RawMessage{}}
	var last uint64
	f := audit.Filter{Since: q.Since, Until: q.Until, Types: q.Types, MsgID: q.MsgID, RecipientDomain: q.RecipientDomain, AfterSeq: after}
	err := audit.Scan(b.g.cfg.Load().Audit.Dir, f, func(r audit.Record) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if len(page.Records) == q.Limit {
			page.Next = strconv.FormatUint(last, 10)
			return errPageFull
		}
		page.Records = append(page.Records, json.RawMessage(bytes.Clone(r.Raw)))
		last = r.Seq
		return nil
	})
	if err != nil && !errors.Is(err, errPageFull) {
		return api.AuditPage{}, err
	}
	return page, nil
}

// Summary is `sealgate audit report` over [since, until).
func (b apiBackend) Summary(ctx context.Context, since, until time.Time) (json.RawMessage, error) {
	s, err := audit.Summarize(b.g.cfg.Load().Audit.Dir, audit.Filter{Since: since, Until: until})
	if err != nil {
		return nil, err
	}
	return json.Marshal(s)
}

// Admin runs one queue or portal operation through the control handler
// (which writes the queue_op record naming the key).
func (b apiBackend) Admin(ctx context.Context, op api.AdminOp) (json.RawMessage, error) {
	switch op.Op {
	case "list", "show", "hold", "release", "reprocess", "delete", "flush",
		"portal-list", "portal-show", "portal-revoke", "portal-extend":
	default:
		return nil, &api.InvalidError{Field: "op", Detail: fmt.Sprintf("unknown operation %q", op.Op)}
	}
	req := control.Request{Op: op.Op, ID: op.ID, Method: op.Method, Actor: actor(ctx)}
	if !op.Until.IsZero() {
		req.Until = op.Until.UTC().Format(time.RFC3339)
	}
	data, body, err := queueHandler(b).Handle(ctx, req)
	if body != nil {
		body.Close() // the API never streams a message body
	}
	if err != nil {
		return nil, adminErr(err)
	}
	if data == nil {
		data = map[string]string{"result": "ok"}
	}
	return json.Marshal(data)
}

// adminErr maps the control handler's errors to the API's kinds; their
// texts name IDs and options, never content.
func adminErr(err error) error {
	switch {
	case errors.Is(err, relay.ErrNotFound), errors.Is(err, spool.ErrNotFound), errors.Is(err, store.ErrNotFound):
		return api.ErrNotFound
	case strings.HasPrefix(err.Error(), "control:"):
		return &api.InvalidError{Detail: strings.TrimPrefix(err.Error(), "control: ")}
	}
	return err
}

// withKeys opens the key store for one operation, through the same
// Finder as the lookups, so this process's opens take turns.
func (b apiBackend) withKeys(fn func(*keystore.Store) error) error {
	f, err := b.g.keyStore(b.g.cfg.Load())
	if err != nil {
		return err
	}
	return f.WithStore(fn)
}

// keyEntries drops the key material: the API lists, it does not export.
func keyEntries(es []keystore.Entry) []keystore.Entry {
	out := make([]keystore.Entry, len(es))
	for i, e := range es {
		e.Data = nil
		out[i] = e
	}
	return out
}

// Keys lists the local entries for addr, or every entry when addr is "".
func (b apiBackend) Keys(ctx context.Context, addr string) (json.RawMessage, error) {
	var es []keystore.Entry
	err := b.withKeys(func(ks *keystore.Store) error {
		var err error
		if addr == "" {
			es, err = ks.List(0)
			return err
		}
		if _, err := keystore.NormalizeAddress(addr); err != nil {
			return &api.InvalidError{Field: "address", Detail: "not an email address"}
		}
		es, err = ks.Lookup(ctx, addr)
		return err
	})
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{"keys": keyEntries(es)})
}

// ImportKey stores the certificates and public keys in data.
func (b apiBackend) ImportKey(ctx context.Context, data []byte) (json.RawMessage, error) {
	var res keystore.ImportResult
	err := b.withKeys(func(ks *keystore.Store) error {
		var err error
		res, err = ks.Import("api-"+api.KeyID(ctx), data)
		return err
	})
	if err != nil {
		return nil, err
	}
	b.g.record(audit.Event{Type: audit.TypeQueueOp, Data: audit.QueueOp{Op: "keys_import", Actor: actor(ctx),
		Result: fmt.Sprintf("imported=%d refused=%d", len(res.Imported), len(res.Refused))}})
	if len(res.Imported) == 0 {
		return nil, &api.InvalidError{Field: "body", Detail: "no usable certificate or public key found"}
	}
	res.Imported = keyEntries(res.Imported)
	return json.Marshal(res)
}

// RemoveKey removes the entries with this fingerprint.
func (b apiBackend) RemoveKey(ctx context.Context, fingerprint string) error {
	var n int
	err := b.withKeys(func(ks *keystore.Store) error {
		var err error
		n, err = ks.Remove(fingerprint)
		return err
	})
	if err != nil {
		return err
	}
	b.g.record(audit.Event{Type: audit.TypeQueueOp, Data: audit.QueueOp{Op: "keys_remove " + fingerprint, Actor: actor(ctx), Result: fmt.Sprintf("removed=%d", n)}})
	if n == 0 {
		return api.ErrNotFound
	}
	return nil
}

// PolicyValidate lints one policy document.
func (b apiBackend) PolicyValidate(ctx context.Context, doc []byte) ([]api.PolicyProblem, error) {
	out := []api.PolicyProblem{}
	for _, p := range policy.LintBytes("policy.yaml", doc) {
		out = append(out, api.PolicyProblem{Line: p.Line, Key: p.Path, Message: p.Msg})
	}
	return out, nil
}

// policyTestResult is the decision without the masked previews `policy
// test` shows locally: an API answer is data that travels.
type policyTestResult struct {
	Decision   *policy.Decision `json:"decision"`
	From       string           `json:"from"`
	Recipients []string         `json:"recipients"`
	Parts      int              `json:"parts"`
}

// PolicyTest evaluates msg against the live policy; nothing is stored or sent.
func (b apiBackend) PolicyTest(ctx context.Context, from string, to []string, msg io.Reader) (json.RawMessage, error) {
	max := int64(b.g.cfg.Load().Limits.MaxMessageSize)
	data, err := io.ReadAll(io.LimitReader(msg, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, &api.InvalidError{Field: "body", Detail: "larger than limits.max_message_size"}
	}
	env := policy.EnvelopeFromHeaders(data)
	if from != "" {
		env.From = from
	}
	if len(to) > 0 {
		env.Recipients = nil
		for _, a := range to {
			env.Recipients = append(env.Recipients, envelope.Recipient{Addr: a})
		}
	}
	env.Listener = apiListener
	rep, err := b.g.engine.Load().Explain(ctx, policy.Input{Env: env, Body: bytes.NewReader(data)})
	if err != nil {
		return nil, err
	}
	return json.Marshal(policyTestResult{Decision: rep.Decision, From: rep.From, Recipients: rep.Recipients, Parts: rep.Parts})
}

// Submit takes one message from the API (see submitAPI).
func (b apiBackend) Submit(ctx context.Context, sub api.Submission, reserve func(string) error) (api.SubmitResult, error) {
	e := b.g.events
	keyID := api.KeyID(ctx)
	// Without tags or metadata there is nothing to add to what the received
	// record says (listener api, the key in the auth identity): no write.
	var annotate func(string) error
	if len(sub.Tags) > 0 || len(sub.Metadata) > 0 {
		annotate = func(id string) error {
			return e.annotate(id, keyID, annotation{Tags: sub.Tags, Metadata: sub.Metadata})
		}
	}
	return b.g.submitAPI(ctx, sub, reserve, annotate)
}

// Exists says whether msgID was committed for good: still in the spool
// (after a crash before its decision, recovery processes it), or decided.
// A message the stage refused after its commit (a policy evaluation that
// failed: 503, removed, no decision) was never sent, so a retry under the
// same Idempotency-Key must submit again, not replay it.
func (b apiBackend) Exists(ctx context.Context, msgID string) (bool, error) {
	if _, err := b.g.spool.Envelope(msgID); err == nil {
		return true, nil
	}
	if b.g.events.tracker.Decided(msgID) {
		return true, nil
	}
	// The index follows the log a moment behind: a message decided just
	// now has its "decision" record already.
	found := false
	err := audit.Scan(b.g.cfg.Load().Audit.Dir, audit.Filter{MsgID: msgID, Types: []string{audit.TypeDecision},
		Since: time.Now().Add(-b.g.cfg.Load().API.IdempotencyTTL)}, func(audit.Record) error {
		found = true
		return errPageFull
	})
	if err != nil && !errors.Is(err, errPageFull) {
		return false, err
	}
	return found, nil
}

// withAnnotation adds the sender's tags and metadata to a status.
func (b apiBackend) withAnnotation(st api.MessageStatus) api.MessageStatus {
	a := b.g.events.annotationOf(st.ID)
	st.Tags, st.Metadata = a.Tags, a.Metadata
	return st
}

// Message is one message's status from the index.
func (b apiBackend) Message(ctx context.Context, msgID string) (api.MessageStatus, error) {
	tr := b.g.events.tracker
	st, err := tr.Message(msgID)
	if errors.Is(err, api.ErrNotFound) {
		// The index follows the log a moment behind: let it catch up with
		// everything recorded so far, then look again.
		wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		werr := tr.Wait(wctx, b.g.audit.LastSeq())
		cancel()
		if werr == nil {
			st, err = tr.Message(msgID)
		}
	}
	if err != nil {
		return st, err
	}
	return b.withAnnotation(st), nil
}

// Messages pages through the index; a tag filter is matched by its HMAC.
func (b apiBackend) Messages(ctx context.Context, q api.MessageQuery) (api.MessagePage, error) {
	if q.Tag != "" {
		q.Tag = b.g.events.tagFilter(q.Tag)
	}
	p, err := b.g.events.tracker.Messages(q)
	if err != nil {
		return p, err
	}
	for i := range p.Messages {
		p.Messages[i] = b.withAnnotation(p.Messages[i])
	}
	return p, nil
}

func webhookOf(s webhook.EndpointStatus) api.Webhook {
	return api.Webhook{ID: s.ID, URL: s.URL, Events: s.Events, Source: s.Source, Disabled: s.Disabled,
		DisabledReason: s.DisabledReason, Created: s.Created}
}

// Webhooks lists every endpoint, from the config and from the API.
func (b apiBackend) Webhooks(ctx context.Context) ([]api.Webhook, error) {
	out := []api.Webhook{}
	for _, s := range b.g.events.hooks.Endpoints() {
		out = append(out, webhookOf(s))
	}
	return out, nil
}

// CreateWebhook adds an API endpoint; its secret is in this answer only.
func (b apiBackend) CreateWebhook(ctx context.Context, w api.WebhookRequest) (api.Webhook, error) {
	// CreateEndpoint checks the URL and the events (hookspec, like the
	// config file); here only the answer's field is chosen.
	if err := hookspec.CheckURL(w.URL, b.g.cfg.Load().Webhooks.AllowLoopbackHTTP); err != nil {
		return api.Webhook{}, &api.InvalidError{Field: "url", Detail: err.Error()}
	}
	if len(w.Events) == 0 {
		return api.Webhook{}, &api.InvalidError{Field: "events", Detail: "name at least one event type (or " + hookspec.Wildcards + ")"}
	}
	for _, ev := range w.Events {
		if !hookspec.KnownFilter(ev) {
			return api.Webhook{}, &api.InvalidError{Field: "events", Detail: "unknown event type (known: " + strings.Join(hookspec.EventTypes, ", ") + ", " + hookspec.Wildcards + ")"}
		}
	}
	ep, err := b.g.events.hooks.CreateEndpoint(ctx, w.URL, w.Events)
	if err != nil {
		return api.Webhook{}, &api.InvalidError{Field: "url", Detail: strings.TrimPrefix(err.Error(), "webhook: ")}
	}
	b.g.record(audit.Event{Type: audit.TypeWebhook, Data: audit.Webhook{Event: "created", Endpoint: ep.ID, Actor: actor(ctx)}})
	out := webhookOf(webhook.EndpointStatus{Endpoint: ep})
	out.Secret = ep.Secrets[0]
	return out, nil
}

// DeleteWebhook removes an API endpoint and what waits for it.
func (b apiBackend) DeleteWebhook(ctx context.Context, id string) error {
	for _, s := range b.g.events.hooks.Endpoints() {
		if s.ID == id && s.Source == webhook.SourceConfig {
			return &api.InvalidError{Field: "id", Detail: "a webhook from the config file is removed by editing webhooks.endpoints"}
		}
	}
	if err := b.g.events.hooks.DeleteEndpoint(ctx, id); err != nil {
		if errors.Is(err, webhook.ErrNotFound) {
			return api.ErrNotFound
		}
		return err
	}
	b.g.record(audit.Event{Type: audit.TypeWebhook, Data: audit.Webhook{Event: "deleted", Endpoint: id, Actor: actor(ctx)}})
	return nil
}

// TestWebhook sends one signed webhook.test event.
func (b apiBackend) TestWebhook(ctx context.Context, id string) (api.WebhookTestResult, error) {
	t0 := time.Now()
	status, err := b.g.events.hooks.Test(ctx, id)
	if errors.Is(err, webhook.ErrNotFound) {
		return api.WebhookTestResult{}, api.ErrNotFound
	}
	res := api.WebhookTestResult{Status: status, Duration: time.Since(t0).Round(time.Millisecond).String()}
	if err != nil {
		res.Error = err.Error()
	}
	return res, nil
}
