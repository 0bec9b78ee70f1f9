package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/textproto"
	"sync"
	"time"
)

// fakeBackend is an in-memory Backend: Submit stores the bytes it reads,
// calls reserve, then commits, in the order the real one does.
type fakeBackend struct {
	mu      sync.Mutex
	next    int
	msgs    map[string]MessageStatus
	bodies  map[string][]byte
	subs    map[string]Submission
	submits int
	events  []string // "reserve:<id>", "commit:<id>"

	// hooks, set by tests
	submitErr     func(sub Submission) error // before anything is stored
	afterReserve  func(id string)            // between reserve and commit
	submitStarted chan struct{}              // told when a Submit starts (if not nil)
	submitGate    chan struct{}              // Submit waits on it (if not nil)
	lastAudit     AuditQuery
	lastMessages  MessageQuery
	lastAdmin     AdminOp
	panicSummary  bool
}

func newFake() *fakeBackend {
	return &fakeBackend{msgs: map[string]MessageStatus{}, bodies: map[string][]byte{}, subs: map[string]Submission{}}
}

func (f *fakeBackend) Submit(ctx context.Context, sub Submission, reserve func(string) error) (SubmitResult, error) {
	if f.submitStarted != nil {
		f.submitStarted <- struct{}{}
	}
	if f.submitGate != nil {
		<-f.submitGate
	}
	body, err := io.ReadAll(sub.Message)
	if err != nil {
		return SubmitResult{}, fmt.Errorf("fake: spool: %w", err)
	}
	if f.submitErr != nil {
		if err := f.submitErr(sub); err != nil {
			return SubmitResult{}, err
		}
	}
	f.mu.Lock()
	f.next++
	id := fmt.Sprintf("msg%04d", f.next)
	f.submits++
	f.mu.Unlock()
	if reserve != nil {
		if err := reserve(id); err != nil {
			return SubmitResult{}, err
		}
		f.mu.Lock()
		f.events = append(f.events, "reserve:"+id)
		f.mu.Unlock()
		if f.afterReserve != nil {
			f.afterReserve(id)
		}
	}
	tp := textproto.NewReader(bufio.NewReader(bytes.NewReader(body)))
	hdr, _ := tp.ReadMIMEHeader()
	res := SubmitResult{ID: id, MessageID: hdr.Get("Message-Id"), Action: "encrypt", Rule: "phi-encrypt"}
	st := MessageStatus{ID: id, MessageID: res.MessageID, Received: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), From: sub.From,
		Source: "api", KeyID: KeyID(ctx), Action: "encrypt", Rule: "phi-encrypt", Tags: sub.Tags, Metadata: sub.Metadata,
		Updated: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	for _, r := range sub.Recipients {
		res.Recipients = append(res.Recipients, PlannedRecipient{Address: r, Method: "tls"})
		st.Recipients = append(st.Recipients, RecipientStatus{Address: r, Method: "tls", Status: "queued", Updated: st.Updated})
	}
	f.mu.Lock()
	f.msgs[id], f.bodies[id], f.subs[id] = st, body, sub
	f.events = append(f.events, "commit:"+id)
	f.mu.Unlock()
	return res, nil
}

func (f *fakeBackend) Exists(_ context.Context, id string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.msgs[id]
	return ok, nil
}

func (f *fakeBackend) Message(_ context.Context, id string) (MessageStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, ok := f.msgs[id]
	if !ok {
		return MessageStatus{}, ErrNotFound
	}
	return st, nil
}

func (f *fakeBackend) Messages(_ context.Context, q MessageQuery) (MessagePage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lastMessages = q
	p := MessagePage{Messages: []MessageStatus{}}
	for _, st := range f.msgs {
		p.Messages = append(p.Messages, st)
	}
	if len(p.Messages) > q.Limit {
		p.Messages = p.Messages[:q.Limit]
		p.Next = "cursor-2"
	}
	return p, nil
}

func (f *fakeBackend) Audit(_ context.Context, q AuditQuery) (AuditPage, error) {
	f.mu.Lock()
	f.lastAudit = q
	f.mu.Unlock()
	return AuditPage{Records: []json.RawMessage{
		json.RawMessage(`{"seq":1,"time":"2026-01-02T03:04:05Z","type":"received","msg_id":"msg0001","prev":"00"}`),
	}, Next: "c2"}, nil
}

func (f *fakeBackend) Summary(_ context.Context, since, until time.Time) (json.RawMessage, error) {
	if f.panicSummary {
		var none []int
		_ = none[len(since.String())] // index out of range: a runtime panic
	}
	return json.RawMessage(`{"received":3,"delivered":2,"blocked":1}`), nil
}

func (f *fakeBackend) Admin(_ context.Context, op AdminOp) (json.RawMessage, error) {
	f.mu.Lock()
	f.lastAdmin = op
	f.mu.Unlock()
	switch {
	case op.ID == "missing":
		return nil, ErrNotFound
	case op.Op == "release" && op.Method == "":
		return nil, &InvalidError{Field: "method", Detail: "this message needs a release method: tls or portal"}
	}
	return json.RawMessage(`{"ok":true,"op":"` + op.Op + `"}`), nil
}

func (f *fakeBackend) Keys(_ context.Context, addr string) (json.RawMessage, error) {
	return json.RawMessage(`{"keys":[]}`), nil
}
func (f *fakeBackend) ImportKey(_ context.Context, data []byte) (json.RawMessage, error) {
	if !bytes.Contains(data, []byte("BEGIN")) {
		return nil, &InvalidError{Detail: "not an armored PGP key or a PEM certificate"}
	}
	return json.RawMessage(`{"fingerprint":"ABCD","type":"pgp","addresses":["pat@example.org"]}`), nil
}
func (f *fakeBackend) RemoveKey(_ context.Context, fp string) error {
	if fp == "missing" {
		return ErrNotFound
	}
	return nil
}
func (f *fakeBackend) PolicyValidate(_ context.Context, doc []byte) ([]PolicyProblem, error) {
	if bytes.Contains(doc, []byte("bad")) {
		return []PolicyProblem{{Line: 3, Key: "rules[0].when.detect", Message: `unknown detector`}}, nil
	}
	return nil, nil
}
func (f *fakeBackend) PolicyTest(_ context.Context, from string, to []string, msg io.Reader) (json.RawMessage, error) {
	io.Copy(io.Discard, msg)
	b, _ := json.Marshal(map[string]any{"action": "encrypt", "rule": "phi-encrypt", "from": from, "to": to})
	return b, nil
}
func (f *fakeBackend) Webhooks(_ context.Context) ([]Webhook, error) {
	return []Webhook{{ID: "wh1", URL: "https://ehr.example/hooks", Events: []string{"message.delivered"}, Source: "config"}}, nil
}
func (f *fakeBackend) CreateWebhook(_ context.Context, w WebhookRequest) (Webhook, error) {
	return Webhook{ID: "wh2", URL: w.URL, Events: w.Events, Source: "api", Created: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Secret: "whsec_c2VjcmV0"}, nil
}
func (f *fakeBackend) DeleteWebhook(_ context.Context, id string) error {
	if id == "missing" {
		return ErrNotFound
	}
	return nil
}
func (f *fakeBackend) TestWebhook(_ context.Context, id string) (WebhookTestResult, error) {
	return WebhookTestResult{Status: 200, Duration: "12ms"}, nil
}
