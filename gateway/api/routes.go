package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/sealgate/sealgate/gateway/api/apikey"
	"github.com/sealgate/sealgate/internal/smtpaddr"
)

// register lists every route with the scope it needs. Handlers stay thin:
// parse, call the Backend, answer.
func (s *Server) register() {
	const send, read, admin = apikey.ScopeSend, apikey.ScopeRead, apikey.ScopeAdmin
	s.handle("GET /v1/openapi.json", "", s.getOpenAPI)
	s.handle("GET /v1/health", "", s.getHealth)

	s.handle("POST /v1/messages", send, s.postMessage)
	s.handle("POST /v1/messages/batch", send, s.postBatch)
	s.handle("GET /v1/messages/{id}", read, s.getMessage)
	s.handle("GET /v1/messages", read, s.listMessages)
	s.handle("GET /v1/audit", read, s.getAudit)
	s.handle("GET /v1/reports/summary", read, s.getSummary)

	s.handle("GET /v1/queue", admin, s.adminOp("list", false))
	s.handle("GET /v1/queue/{id}", admin, s.adminOp("show", true))
	s.handle("POST /v1/queue/{id}/hold", admin, s.adminOp("hold", true))
	s.handle("POST /v1/queue/{id}/release", admin, s.releaseQueued)
	s.handle("POST /v1/queue/{id}/reprocess", admin, s.adminOp("reprocess", true))
	s.handle("POST /v1/queue/{id}/flush", admin, s.adminOp("flush", true))
	s.handle("DELETE /v1/queue/{id}", admin, s.adminOp("delete", true))
	s.handle("GET /v1/portal", admin, s.adminOp("portal-list", false))
	s.handle("GET /v1/portal/{id}", admin, s.adminOp("portal-show", true))
	s.handle("POST /v1/portal/{id}/revoke", admin, s.adminOp("portal-revoke", true))
	s.handle("POST /v1/portal/{id}/extend", admin, s.extendPortal)

	s.handle("GET /v1/keys", admin, s.listKeys)
	s.handle("POST /v1/keys", admin, s.importKey)
	s.handle("DELETE /v1/keys/{fingerprint}", admin, s.removeKey)
	s.handle("POST /v1/policy/validate", admin, s.validatePolicy)
	s.handle("POST /v1/policy/test", admin, s.testPolicy)
	s.handle("GET /v1/webhooks", admin, s.listWebhooks)
	s.handle("POST /v1/webhooks", admin, s.createWebhook)
	s.handle("DELETE /v1/webhooks/{id}", admin, s.deleteWebhook)
	s.handle("POST /v1/webhooks/{id}/test", admin, s.testWebhook)
	s.handle("GET /v1/api-keys", admin, s.listAPIKeys)
	s.handle("POST /v1/api-keys", admin, s.createAPIKey)
	s.handle("DELETE /v1/api-keys/{id}", admin, s.revokeAPIKey)
}

func (s *Server) getOpenAPI(w http.ResponseWriter, _ *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(openAPIDocument)
	return nil
}

// getHealth says only that the listener answers: no version, no queue
// sizes, nothing an unauthenticated caller could use.
func (s *Server) getHealth(w http.ResponseWriter, _ *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

func (s *Server) getMessage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	st, err := s.backend.Message(r.Context(), id)
	if err != nil {
		return err
	}
	if st.Recipients == nil {
		st.Recipients = []RecipientStatus{}
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

// Message statuses a list may filter on (RecipientStatus.Status).
var messageStatuses = []string{"queued", "delivered", "deferred", "bounced", "held", "blocked",
	"portal_notified", "portal_opened", "portal_replied", "portal_expired", "portal_revoked"}

func (s *Server) listMessages(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	mq := MessageQuery{Status: q.Get("status"), Recipient: q.Get("recipient"), Tag: q.Get("tag")}
	var err error
	if mq.Since, err = timeParam(r, "since", s.opts.Now()); err != nil {
		return err
	}
	if mq.Status != "" && !slices.Contains(messageStatuses, mq.Status) {
		return invalidField("status", "must be one of "+strings.Join(messageStatuses, ", "))
	}
	if mq.Recipient != "" {
		a, err := smtpaddr.Parse(mq.Recipient)
		if err != nil {
			return invalidField("recipient", "must be an email address")
		}
		mq.Recipient = a.String()
	}
	if mq.Tag != "" && !tagName(mq.Tag, maxTagLen) {
		return invalidField("tag", "must be 1 to 64 of A-Z a-z 0-9 _ . : -")
	}
	if mq.Cursor, mq.Limit, err = page(r); err != nil {
		return err
	}
	p, err := s.backend.Messages(r.Context(), mq)
	if err != nil {
		return err
	}
	if p.Messages == nil {
		p.Messages = []MessageStatus{}
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) getAudit(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	aq := AuditQuery{MsgID: q.Get("msg_id"), RecipientDomain: q.Get("recipient_domain")}
	var err error
	now := s.opts.Now()
	if aq.Since, err = timeParam(r, "since", now); err != nil {
		return err
	}
	if aq.Until, err = timeParam(r, "until", now); err != nil {
		return err
	}
	if !aq.Since.IsZero() && !aq.Until.IsZero() && aq.Until.Before(aq.Since) {
		return invalidField("until", "must not be before since")
	}
	for _, t := range q["type"] {
		for _, t := range strings.Split(t, ",") {
			if !tagName(t, 64) {
				return invalidField("type", "must be audit record types such as received, decision, delivered")
			}
			aq.Types = append(aq.Types, t)
		}
	}
	if aq.MsgID != "" && (len(aq.MsgID) > 256 || !printable(aq.MsgID)) {
		return invalidField("msg_id", "must be a message ID")
	}
	if d := aq.RecipientDomain; d != "" {
		if _, err := smtpaddr.Parse("x@" + d); err != nil || strings.HasPrefix(d, "[") {
			return invalidField("recipient_domain", "must be a domain name")
		}
	}
	if aq.Cursor, aq.Limit, err = page(r); err != nil {
		return err
	}
	p, err := s.backend.Audit(r.Context(), aq)
	if err != nil {
		return err
	}
	if p.Records == nil {
		p.Records = []json.RawMessage{}
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

// getSummary defaults to the last 24 hours.
func (s *Server) getSummary(w http.ResponseWriter, r *http.Request) error {
	now := s.opts.Now()
	since, err := timeParam(r, "since", now)
	if err != nil {
		return err
	}
	until, err := timeParam(r, "until", now)
	if err != nil {
		return err
	}
	if since.IsZero() {
		since = now.Add(-24 * time.Hour)
	}
	if until.IsZero() {
		until = now
	}
	if until.Before(since) {
		return invalidField("until", "must not be before since")
	}
	sum, err := s.backend.Summary(r.Context(), since, until)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sum)
	return nil
}

// adminOp is a handler for an Admin operation without a body.
func (s *Server) adminOp(op string, withID bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		a := AdminOp{Op: op}
		if withID {
			id, err := pathID(r, "id")
			if err != nil {
				return err
			}
			a.ID = id
		}
		return s.runAdmin(w, r, a)
	}
}

func (s *Server) runAdmin(w http.ResponseWriter, r *http.Request, a AdminOp) error {
	res, err := s.backend.Admin(r.Context(), a)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// ReleaseRequest is the optional body of POST /v1/queue/{id}/release.
type ReleaseRequest struct {
	Method string `json:"method,omitempty"` // tls or portal
}

func (s *Server) releaseQueued(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req ReleaseRequest
	if err := s.optionalJSON(w, r, &req); err != nil {
		return err
	}
	if req.Method != "" && req.Method != "tls" && req.Method != "portal" {
		return invalidField("method", "must be tls or portal")
	}
	return s.runAdmin(w, r, AdminOp{Op: "release", ID: id, Method: req.Method})
}

// ExtendRequest is the body of POST /v1/portal/{id}/extend.
type ExtendRequest struct {
	Until time.Time `json:"until"`
}

func (s *Server) extendPortal(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req ExtendRequest
	if err := s.requiredJSON(w, r, &req); err != nil {
		return err
	}
	if !req.Until.After(s.opts.Now()) {
		return invalidField("until", "must be an RFC 3339 time in the future")
	}
	return s.runAdmin(w, r, AdminOp{Op: "portal-extend", ID: id, Until: req.Until})
}

// maxSmallBody bounds the admin routes' JSON, key and policy bodies.
const maxSmallBody = 1 << 20

// optionalJSON decodes a small JSON body when there is one.
func (s *Server) optionalJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if r.ContentLength == 0 && r.Header.Get("Content-Type") == "" {
		return nil
	}
	return s.requiredJSON(w, r, v)
}

func (s *Server) requiredJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if _, err := requireMedia(r, "application/json"); err != nil {
		return err
	}
	body, err := readBody(w, r, maxSmallBody)
	if err != nil {
		return err
	}
	return decodeJSON(body, v)
}

func (s *Server) listKeys(w http.ResponseWriter, r *http.Request) error {
	addr := r.URL.Query().Get("address")
	if addr != "" {
		a, err := smtpaddr.Parse(addr)
		if err != nil {
			return invalidField("address", "must be an email address")
		}
		addr = a.String()
	}
	res, err := s.backend.Keys(r.Context(), addr)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) importKey(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireMedia(r, "application/pgp-keys", "application/x-pem-file", "application/pkix-cert", "text/plain"); err != nil {
		return err
	}
	body, err := readBody(w, r, maxSmallBody)
	if err != nil {
		return err
	}
	res, err := s.backend.ImportKey(r.Context(), body)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, res)
	return nil
}

func (s *Server) removeKey(w http.ResponseWriter, r *http.Request) error {
	fp, err := pathID(r, "fingerprint")
	if err != nil {
		return err
	}
	if err := s.backend.RemoveKey(r.Context(), fp); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// PolicyValidation is the answer of POST /v1/policy/validate.
type PolicyValidation struct {
	Valid    bool            `json:"valid"`
	Problems []PolicyProblem `json:"problems"`
}

func (s *Server) validatePolicy(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireMedia(r, "application/yaml", "application/x-yaml", "text/yaml", "text/plain"); err != nil {
		return err
	}
	body, err := readBody(w, r, maxSmallBody)
	if err != nil {
		return err
	}
	probs, err := s.backend.PolicyValidate(r.Context(), body)
	if err != nil {
		return err
	}
	if probs == nil {
		probs = []PolicyProblem{}
	}
	writeJSON(w, http.StatusOK, PolicyValidation{Valid: len(probs) == 0, Problems: probs})
	return nil
}

// testPolicy runs the policy on a raw message; the envelope comes as for
// POST /v1/messages. Nothing is sent or stored.
func (s *Server) testPolicy(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireMedia(r, "message/rfc822"); err != nil {
		return err
	}
	body := &trackReader{r: http.MaxBytesReader(w, r.Body, s.opts.MaxMessageBytes)}
	from, rcpts, msg, err := s.rawEnvelope(r.URL.Query(), body, s.opts.MaxMessageBytes)
	if err != nil {
		return err
	}
	res, err := s.backend.PolicyTest(r.Context(), from, rcpts, msg)
	if err != nil {
		if body.err != nil {
			return bodyError(body.err, s.opts.MaxMessageBytes)
		}
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// WebhookList is the answer of GET /v1/webhooks.
type WebhookList struct {
	Webhooks []Webhook `json:"webhooks"`
}

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request) error {
	hooks, err := s.backend.Webhooks(r.Context())
	if err != nil {
		return err
	}
	if hooks == nil {
		hooks = []Webhook{}
	}
	writeJSON(w, http.StatusOK, WebhookList{Webhooks: hooks})
	return nil
}

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request) error {
	var req WebhookRequest
	if err := s.requiredJSON(w, r, &req); err != nil {
		return err
	}
	var e errs
	if req.URL == "" || len(req.URL) > 2048 || hasControl(req.URL) {
		e.add("url", "is required: an https URL of at most 2048 characters")
	}
	if len(req.Events) == 0 {
		e.add("events", "at least one event type is required")
	}
	for i, ev := range req.Events {
		if !tagName(ev, 64) {
			e.add("events", "event %d is not an event type such as message.delivered", i)
		}
	}
	if len(e) > 0 {
		return invalid(e...)
	}
	hook, err := s.backend.CreateWebhook(r.Context(), req)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/webhooks/"+hook.ID)
	writeJSON(w, http.StatusCreated, hook)
	return nil
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.backend.DeleteWebhook(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) testWebhook(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	res, err := s.backend.TestWebhook(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// APIKeyList is the answer of GET /v1/api-keys.
type APIKeyList struct {
	Keys []apikey.Key `json:"keys"`
}

// APIKeyRequest is the body of POST /v1/api-keys.
type APIKeyRequest struct {
	Name    string    `json:"name"`
	Scopes  []string  `json:"scopes"`
	Expires time.Time `json:"expires,omitzero"`
}

// APIKeyCreated is the answer of POST /v1/api-keys: the only time the
// token is shown.
type APIKeyCreated struct {
	Token string     `json:"token"`
	Key   apikey.Key `json:"key"`
}

func (s *Server) listAPIKeys(w http.ResponseWriter, r *http.Request) error {
	keys, err := s.keys.List()
	if err != nil {
		return err
	}
	if keys == nil {
		keys = []apikey.Key{}
	}
	writeJSON(w, http.StatusOK, APIKeyList{Keys: keys})
	return nil
}

func (s *Server) createAPIKey(w http.ResponseWriter, r *http.Request) error {
	var req APIKeyRequest
	if err := s.requiredJSON(w, r, &req); err != nil {
		return err
	}
	token, k, err := s.keys.Create(req.Name, req.Scopes, req.Expires)
	if errors.Is(err, apikey.ErrInvalid) {
		return problem(ProbInvalidRequest, http.StatusBadRequest, strings.TrimPrefix(err.Error(), apikey.ErrInvalid.Error()+": "))
	}
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/api-keys/"+k.ID)
	writeJSON(w, http.StatusCreated, APIKeyCreated{Token: token, Key: k})
	return nil
}

func (s *Server) revokeAPIKey(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	err = s.keys.Revoke(id)
	if errors.Is(err, apikey.ErrUnknown) {
		return problem(ProbNotFound, http.StatusNotFound, "no API key with this ID")
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
