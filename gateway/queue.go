package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sealgate/sealgate/gateway/audit"
	"github.com/sealgate/sealgate/gateway/control"
	"github.com/sealgate/sealgate/gateway/process"
	"github.com/sealgate/sealgate/gateway/relay"
)

// queueHandler answers the control socket's queue commands.
type queueHandler struct{ g *Gateway }

func (h queueHandler) Handle(ctx context.Context, req control.Request) (any, io.ReadCloser, error) {
	data, body, err := h.handle(ctx, req)
	switch req.Op {
	case "flush", "hold", "release", "delete", "reprocess":
		result := "ok"
		if err != nil {
			result = err.Error()
		}
		h.g.record(audit.Event{Type: audit.TypeQueueOp, MsgID: req.ID, Data: audit.QueueOp{Op: req.Op, Actor: req.Actor, Method: req.Method, Result: result}})
	case "portal-revoke", "portal-extend", "portal-purge", "portal-totp-reset":
		// Recorded by the portal itself too (revoked, extended, expired);
		// this says which operator did it.
		result := "ok"
		if err != nil {
			result = err.Error()
		}
		h.g.record(audit.Event{Type: audit.TypeQueueOp, Data: audit.QueueOp{Op: strings.ReplaceAll(req.Op, "-", "_") + " " + req.ID, Actor: req.Actor, Result: result}})
	case "tls-reset":
		// The domain is no PHI; it says what the operator undid.
		result := "ok domain=" + req.ID
		if err != nil {
			result = err.Error()
		}
		h.g.record(audit.Event{Type: audit.TypeQueueOp, Data: audit.QueueOp{Op: "tls_reset", Actor: req.Actor, Result: result}})
	case "show":
		// Nobody reads a message that the audit log cannot say was read.
		if req.Body && err == nil {
			if rerr := h.g.record(audit.Event{Type: audit.TypeQueueOp, MsgID: req.ID, Data: audit.QueueOp{Op: "show_body", Actor: req.Actor, Result: "ok"}}); rerr != nil {
				body.Close()
				return nil, nil, rerr
			}
		}
	}
	return data, body, err
}

func (h queueHandler) handle(ctx context.Context, req control.Request) (any, io.ReadCloser, error) {
	r := h.g.relay
	switch req.Op {
	case "reprocess":
		res, err := h.g.Reprocess(ctx, req.ID)
		return res, nil, err
	case "list":
		return r.List(), nil, nil
	case "show":
		e, err := r.Show(req.ID)
		if err != nil {
			return nil, nil, err
		}
		if !req.Body {
			return e, nil, nil
		}
		body, err := h.g.spool.OpenBody(req.ID)
		if err != nil {
			return nil, nil, err
		}
		h.g.log.Warn("message body shown to a queue operator", "msg_id", req.ID)
		return e, body, nil
	case "flush":
		// A held message is skipped by Flush; saying so beats a silent
		// success that leaves the operator waiting for a delivery.
		if req.ID != "" {
			if e, err := r.Show(req.ID); err == nil && e.Held {
				return nil, nil, fmt.Errorf("control: %s is held, flush does not deliver it (use `queue release %s`)", req.ID, req.ID)
			}
		}
		return nil, nil, r.Flush(req.ID)
	case "hold":
		return nil, nil, r.Hold(req.ID)
	case "release":
		if req.Method == "portal" {
			return h.g.releaseToPortal(ctx, req)
		}
		if err := releaseMethod(r, req); err != nil {
			return nil, nil, err
		}
		return nil, nil, r.Release(req.ID)
	case "delete":
		return nil, nil, r.Delete(req.ID)
	case "tls-reset":
		if req.ID == "" {
			return nil, nil, fmt.Errorf("control: tls-reset needs a domain")
		}
		existed, err := r.ResetMemory(req.ID)
		if err != nil {
			return nil, nil, err
		}
		return map[string]any{"domain": req.ID, "existed": existed}, nil, nil
	case "portal-list", "portal-show", "portal-revoke", "portal-extend", "portal-purge", "portal-totp-reset":
		return h.g.portalOp(ctx, req)
	case "apikey-create", "apikey-list", "apikey-revoke":
		return h.g.apiKeyOp(req)
	case "webhooks-list", "webhooks-test", "webhooks-replay", "webhooks-enable":
		return h.g.webhooksOp(ctx, req)
	case "tls-show":
		if req.ID == "" {
			return nil, nil, fmt.Errorf("control: tls-show needs a domain")
		}
		return r.ShowTLS(req.ID), nil, nil
	case "tls-can-verify":
		// The selector's question, asked by `policy test` so that what it
		// shows is what the daemon would choose (this may probe the MX).
		if req.ID == "" {
			return nil, nil, fmt.Errorf("control: tls-can-verify needs a domain")
		}
		ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		ok, how, err := r.CanVerifyTLS(ctx, req.ID)
		res := TLSCanVerify{Domain: req.ID, OK: ok, How: how}
		if err != nil {
			res.Error = err.Error()
		}
		return res, nil, nil
	}
	return nil, nil, fmt.Errorf("control: unknown op %q (known: list, show, flush, hold, release, delete, reprocess, tls-reset, tls-show, tls-can-verify, portal-list, portal-show, portal-revoke, portal-extend, portal-purge, portal-totp-reset, apikey-create, apikey-list, apikey-revoke, webhooks-list, webhooks-test, webhooks-replay, webhooks-enable)", req.Op)
}

// TLSCanVerify is the answer of the tls-can-verify control op.
type TLSCanVerify struct {
	Domain string `json:"domain"`
	OK     bool   `json:"ok"`
	How    string `json:"how,omitempty"`
	Error  string `json:"error,omitempty"`
}

// ReprocessResult is what `queue reprocess` reports.
type ReprocessResult struct {
	Messages int `json:"messages"` // messages with held recipients looked at
	Served   int `json:"served"`   // recipients that now have a method and are due
	Held     int `json:"held"`     // recipients still held
}

// Reprocess runs selection again for the held recipients of id, or of every
// queued message when id is "" (after importing keys, say).
func (g *Gateway) Reprocess(ctx context.Context, id string) (ReprocessResult, error) {
	var res ReprocessResult
	ids := []string{id}
	if id == "" {
		ids = ids[:0]
		for _, e := range g.relay.List() {
			ids = append(ids, e.ID)
		}
	} else if _, err := g.relay.Show(id); err != nil {
		return res, err
	}
	for _, mid := range ids {
		served, held, err := g.stage.Reprocess(ctx, mid)
		if err != nil {
			return res, fmt.Errorf("reprocess %s: %w", mid, err)
		}
		if served+held > 0 {
			res.Messages++
		}
		res.Served += served
		res.Held += held
	}
	return res, nil
}

// releaseMethod checks that a release of recipients held for want of a
// method names how they go: "tls" releases the held copy under its
// verified-TLS floor; "portal" is served by the stage (releaseToPortal). A
// plain hold or a quarantine needs no method.
func releaseMethod(r *relay.Relay, req control.Request) error {
	held, err := r.HeldRecipients(req.ID)
	if err != nil {
		return err
	}
	switch {
	case len(held) == 0 && req.Method == "":
		return nil
	case len(held) == 0:
		return fmt.Errorf("control: release --method applies to recipients held for want of a method; %s has none", req.ID)
	case req.Method == "":
		return fmt.Errorf("control: %d recipient(s) of %s are held because no method could protect them: say how they go (--method tls: verified TLS, never less; --method portal: the secure portal), or import their keys and run queue reprocess", len(held), req.ID)
	case req.Method != "tls":
		return fmt.Errorf("control: release --method %q: tls (verified TLS) or portal", req.Method)
	}
	return nil
}

// releaseToPortal deposits the held recipients of a message in the portal
// (queue release --method portal); the rest of the message is untouched.
func (g *Gateway) releaseToPortal(ctx context.Context, req control.Request) (any, io.ReadCloser, error) {
	if g.portal == nil {
		return nil, nil, fmt.Errorf("control: release --method portal: the secure portal is not enabled (portal.enabled)")
	}
	n, err := g.stage.Release(ctx, req.ID, "portal", req.Actor)
	if errors.Is(err, process.ErrNothingHeld) {
		return nil, nil, fmt.Errorf("control: release --method portal applies to recipients held for want of a method; %s has none", req.ID)
	}
	return map[string]int{"served": n}, nil, err
}
