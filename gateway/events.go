package gateway

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sealgate/sealgate/config"
	"github.com/sealgate/sealgate/crypto/seal"
	"github.com/sealgate/sealgate/gateway/audit"
	"github.com/sealgate/sealgate/gateway/tracker"
	"github.com/sealgate/sealgate/gateway/webhook"
)

// events is the tracker (the message status index, derived from the audit
// log) and the webhook dispatcher it feeds. Both exist only when the API
// or a webhook endpoint is configured.
type events struct {
	g       *Gateway
	tracker *tracker.Tracker
	index   *tracker.BoltStore
	hooks   *webhook.Dispatcher
	outbox  *webhook.Bolt
	cancel  context.CancelFunc
	done    chan struct{}
	tagKey  []byte // HMAC key for tag filters
	sealKey []byte // seals tags and metadata at rest
}

// derive makes an independent 32-byte key for one purpose from the spool
// key, so a leak of one (an index file, say) tells nothing of the others.
func derive(master []byte, purpose string) ([]byte, error) {
	return hkdf.Key(sha256.New, master, nil, "sealgate "+purpose, 32)
}

// startEvents opens the index and the outbox and starts following the log.
func (g *Gateway) startEvents(cfg *config.Config, master []byte) error {
	if !cfg.API.Enabled && len(cfg.Webhooks.Endpoints) == 0 {
		return nil
	}
	e := &events{g: g, done: make(chan struct{})}
	var err error
	if e.tagKey, err = derive(master, "api tag filter"); err != nil {
		return err
	}
	if e.sealKey, err = derive(master, "api annotations"); err != nil {
		return err
	}
	obKey, err := derive(master, "webhook outbox")
	if err != nil {
		return err
	}
	block, err := aes.NewCipher(obKey)
	if err != nil {
		return err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return err
	}
	if e.outbox, err = webhook.OpenBolt(filepath.Join(cfg.DataDir, "webhooks.db"), aead); err != nil {
		return err
	}
	g.events = e // from here Stop closes what is open
	eps, err := configEndpoints(cfg)
	if err != nil {
		return err
	}
	client, err := webhookClient(cfg)
	if err != nil {
		return err
	}
	w := cfg.Webhooks
	e.hooks, err = webhook.New(webhook.Options{
		Store: e.outbox, Endpoints: eps, Client: client, Logger: g.log, Registerer: g.reg,
		Concurrency: w.Concurrency, Timeout: w.Timeout, RetryMin: w.RetryMin, RetryMax: w.RetryMax,
		DisableAfter: w.DisableAfter, AllowLoopbackHTTP: w.AllowLoopbackHTTP,
		OnDisabled: func(ep webhook.Endpoint, reason string) {
			g.record(audit.Event{Type: audit.TypeWebhook, Data: audit.Webhook{Event: "disabled", Endpoint: ep.ID, Reason: reason}})
		},
	})
	if err != nil {
		return fmt.Errorf("gateway: webhooks: %w", err)
	}
	e.hooks.Start()
	if e.index, err = tracker.OpenBolt(filepath.Join(cfg.DataDir, "tracker.db")); err != nil {
		return err
	}
	e.tracker, err = tracker.New(tracker.Options{AuditDir: cfg.Audit.Dir, Store: e.index, Emit: e.emit,
		Logger: g.log, Registerer: g.reg, Retention: cfg.API.MessageRetention})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	e.cancel = cancel
	go func() {
		defer close(e.done)
		if err := e.tracker.Run(ctx); err != nil && ctx.Err() == nil {
			g.log.Error("tracker stopped: message status and webhooks are not updated", "err", err)
		}
	}()
	return nil
}

// stop ends the tracker, then the dispatcher, then closes both stores.
// What was not delivered stays in the outbox for the next start.
func (e *events) stop(ctx context.Context) error {
	if e == nil {
		return nil
	}
	var err error
	if e.cancel != nil {
		e.cancel()
		<-e.done
		e.tracker.Close()
	}
	if e.hooks != nil {
		err = e.hooks.Stop(ctx)
	}
	if e.index != nil {
		e.index.Close()
	}
	if e.outbox != nil {
		e.outbox.Close()
	}
	return err
}

// configEndpoints reads the endpoints of the config file with their secrets.
func configEndpoints(cfg *config.Config) ([]webhook.Endpoint, error) {
	var out []webhook.Endpoint
	for i, c := range cfg.Webhooks.Endpoints {
		data, err := os.ReadFile(c.SecretFile)
		if err != nil {
			return nil, fmt.Errorf("gateway: webhooks.endpoints[%d].secret_file: %w", i, err)
		}
		var secrets []string
		for _, l := range strings.Split(string(data), "\n") {
			if l = strings.TrimSpace(l); l != "" {
				secrets = append(secrets, l)
			}
		}
		out = append(out, webhook.Endpoint{ID: c.ID, URL: c.URL, Events: c.Events, Secrets: secrets, Source: webhook.SourceConfig})
	}
	return out, nil
}

func webhookClient(cfg *config.Config) (*http.Client, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if f := cfg.Webhooks.CAFile; f != "" {
		pool, err := caPool("webhooks.ca_file", f)
		if err != nil {
			return nil, err
		}
		tc.RootCAs = pool
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: tc, Proxy: http.ProxyFromEnvironment,
		MaxIdleConnsPerHost: 16, IdleConnTimeout: 90 * time.Second, TLSHandshakeTimeout: 10 * time.Second}}, nil
}

// annotation is what an API sender attached to a message, sealed at rest:
// staff put patient numbers in "metadata" whatever the docs say.
type annotation struct {
	Tags     []string          `json:"tags,omitempty"`
	Metadata map[string]string `json:"metadata,omitempty"`
}

func (e *events) tagFilter(tag string) string {
	m := hmac.New(sha256.New, e.tagKey)
	m.Write([]byte(tag))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// annotate records the API key, tags and metadata of msgID.
func (e *events) annotate(msgID, keyID string, a annotation) error {
	rec := tracker.Annotation{Source: apiListener, KeyID: keyID}
	for _, t := range a.Tags {
		rec.TagKeys = append(rec.TagKeys, e.tagFilter(t))
	}
	if len(a.Tags) > 0 || len(a.Metadata) > 0 {
		plain, err := json.Marshal(a)
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		w, err := seal.NewWriter(&buf, e.sealKey, "api-annotation:"+msgID)
		if err != nil {
			return err
		}
		if _, err := w.Write(plain); err != nil {
			return err
		}
		if err := w.Close(); err != nil {
			return err
		}
		rec.Sealed = buf.Bytes()
	}
	return e.tracker.Annotate(msgID, rec)
}

// annotationOf opens msgID's tags and metadata (none for SMTP mail).
func (e *events) annotationOf(msgID string) annotation {
	var a annotation
	rec, ok := e.tracker.Annotation(msgID)
	if !ok || len(rec.Sealed) == 0 {
		return a
	}
	r, err := seal.NewReader(bytes.NewReader(rec.Sealed), e.sealKey, "api-annotation:"+msgID)
	if err == nil {
		var plain []byte
		if plain, err = io.ReadAll(r); err == nil {
			err = json.Unmarshal(plain, &a)
		}
	}
	if err != nil {
		e.g.log.Error("api: tags and metadata do not open (wrong spool key?)", "msg_id", msgID, "err", err)
	}
	return a
}

// payload is one event as subscribers get it (Standard Webhooks' type,
// timestamp, data), with the sender's tags and metadata.
type payload struct {
	Type      string      `json:"type"`
	Timestamp time.Time   `json:"timestamp"`
	Data      payloadData `json:"data"`
}

type payloadData struct {
	tracker.EventData
	Tags     []string          `json:"tags,omitempty"`
	Metadata map[string]string `json:"metadata,omitempty"`
}

// webhookEvents turns tracker events into signed-to-be webhook events.
func (e *events) webhookEvents(evs []tracker.Event) ([]webhook.Event, error) {
	out := make([]webhook.Event, 0, len(evs))
	cache := map[string]annotation{}
	for _, ev := range evs {
		a, ok := cache[ev.MsgID]
		if !ok {
			a = e.annotationOf(ev.MsgID)
			cache[ev.MsgID] = a
		}
		body, err := json.Marshal(payload{Type: ev.Type, Timestamp: ev.Time.UTC(),
			Data: payloadData{EventData: ev.Data, Tags: a.Tags, Metadata: a.Metadata}})
		if err != nil {
			return nil, err
		}
		out = append(out, webhook.Event{ID: ev.ID, Type: ev.Type, Time: ev.Time, OrderKey: ev.MsgID, Body: body})
	}
	return out, nil
}

// emit is the tracker's Emit: durable in the outbox before the tracker
// moves its cursor past the records.
func (e *events) emit(evs []tracker.Event) error {
	wevs, err := e.webhookEvents(evs)
	if err != nil {
		return err
	}
	return e.hooks.Emit(wevs)
}

// replay sends every event since t again (`sealgate webhooks replay`).
func (e *events) replay(ctx context.Context, since time.Time) (int, error) {
	n := 0
	err := e.tracker.Replay(ctx, since, func(evs []tracker.Event) error {
		wevs, err := e.webhookEvents(evs)
		if err != nil {
			return err
		}
		n += len(wevs)
		return e.hooks.Replay(wevs)
	})
	return n, err
}
