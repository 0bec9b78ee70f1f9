package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/sealgate/sealgate/gateway/api/apikey"
	"github.com/sealgate/sealgate/gateway/audit"
	"github.com/sealgate/sealgate/gateway/control"
	"github.com/sealgate/sealgate/gateway/webhook"
)

// APIKeysPath is where the API key store lives under the data directory;
// `sealgate api-key` opens it directly while no daemon runs.
func APIKeysPath(dataDir string) string { return filepath.Join(dataDir, "api-keys.db") }

// NewAPIKey is apikey-create's answer: the token, shown this once.
type NewAPIKey struct {
	Token string     `json:"token"`
	Key   apikey.Key `json:"key"`
}

// APIKeyCommand runs one api-key operation on store: the daemon does it
// for the control socket, `sealgate api-key` when no daemon runs. record,
// when not nil, writes the api_key audit record.
func APIKeyCommand(store apikey.Store, req control.Request, record func(audit.APIKey) error) (any, error) {
	switch req.Op {
	case "apikey-create":
		var expires time.Time
		if req.Until != "" {
			t, err := time.Parse(time.RFC3339, req.Until)
			if err != nil {
				return nil, fmt.Errorf("control: apikey-create: expiry %q is not an RFC 3339 time", req.Until)
			}
			expires = t
		}
		token, k, err := store.Create(req.Name, req.Scopes, expires)
		if err != nil {
			return nil, err
		}
		if record != nil {
			if err := record(audit.APIKey{Event: "created", KeyID: k.ID, Name: k.Name, Scopes: k.Scopes, Actor: req.Actor}); err != nil {
				// Unrecorded, it must not work.
				store.Revoke(k.ID)
				return nil, err
			}
		}
		return NewAPIKey{Token: token, Key: k}, nil
	case "apikey-list":
		return store.List()
	case "apikey-revoke":
		if err := store.Revoke(req.ID); err != nil {
			if errors.Is(err, apikey.ErrUnknown) {
				return nil, fmt.Errorf("control: no API key %s", req.ID)
			}
			return nil, err
		}
		if record != nil {
			record(audit.APIKey{Event: "revoked", KeyID: req.ID, Actor: req.Actor})
		}
		return nil, nil
	}
	return nil, fmt.Errorf("control: unknown op %q", req.Op)
}

// apiKeyOp answers the control socket's api-key commands, with the open
// store when the API runs, or the file opened for this one command.
func (g *Gateway) apiKeyOp(req control.Request) (any, io.ReadCloser, error) {
	record := func(r audit.APIKey) error { return g.record(audit.Event{Type: audit.TypeAPIKey, Data: r}) }
	if g.api != nil {
		v, err := APIKeyCommand(g.api.keys, req, record)
		return v, nil, err
	}
	s, err := apikey.OpenBolt(APIKeysPath(g.cfg.Load().DataDir))
	if err != nil {
		return nil, nil, err
	}
	defer s.Close()
	v, err := APIKeyCommand(s, req, record)
	return v, nil, err
}

// WebhookTest is webhooks-test's answer.
type WebhookTest struct {
	Endpoint string `json:"endpoint"`
	Status   int    `json:"status"`
	Error    string `json:"error,omitempty"`
	Duration string `json:"duration"`
}

// webhooksOp answers the control socket's webhooks commands.
func (g *Gateway) webhooksOp(ctx context.Context, req control.Request) (any, io.ReadCloser, error) {
	if g.events == nil {
		return nil, nil, errors.New("control: webhooks are off: configure webhooks.endpoints or enable the API")
	}
	hooks := g.events.hooks
	switch req.Op {
	case "webhooks-list":
		return hooks.Endpoints(), nil, nil
	case "webhooks-test":
		t0 := time.Now()
		status, err := hooks.Test(ctx, req.ID)
		if errors.Is(err, webhook.ErrNotFound) {
			return nil, nil, fmt.Errorf("control: no webhook endpoint %q (by ID or URL)", req.ID)
		}
		res := WebhookTest{Endpoint: req.ID, Status: status, Duration: time.Since(t0).Round(time.Millisecond).String()}
		if err != nil {
			res.Error = err.Error()
		}
		return res, nil, nil
	case "webhooks-enable":
		if err := hooks.Enable(req.ID); err != nil {
			if errors.Is(err, webhook.ErrNotFound) {
				return nil, nil, fmt.Errorf("control: no webhook endpoint %q", req.ID)
			}
			return nil, nil, err
		}
		g.record(audit.Event{Type: audit.TypeWebhook, Data: audit.Webhook{Event: "enabled", Endpoint: req.ID, Actor: req.Actor}})
		return nil, nil, nil
	case "webhooks-replay":
		since, err := time.Parse(time.RFC3339, req.Since)
		if err != nil {
			return nil, nil, fmt.Errorf("control: webhooks-replay: since %q is not an RFC 3339 time", req.Since)
		}
		n, err := g.events.replay(ctx, since)
		if err != nil {
			return nil, nil, err
		}
		g.record(audit.Event{Type: audit.TypeWebhook, Data: audit.Webhook{Event: "replayed", Endpoint: "*", Actor: req.Actor, Events: n,
			Reason: "since " + since.UTC().Format(time.RFC3339)}})
		return map[string]int{"events": n}, nil, nil
	}
	return nil, nil, fmt.Errorf("control: unknown op %q", req.Op)
}
