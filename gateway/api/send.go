package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sync"

	"github.com/sealgate/sealgate/gateway/api/compose"
	"github.com/sealgate/sealgate/gateway/api/idempotency"
)

// MaxBatch is the most messages one batch may carry.
const MaxBatch = 1000

// batchConcurrency bounds the submissions of one batch in flight: enough
// to overlap the backend's fsyncs, few enough to leave room for others.
const batchConcurrency = 4

// submitFunc submits one prepared message; reserve is Backend.Submit's.
type submitFunc func(ctx context.Context, reserve func(string) error) (SubmitResult, error)

// postMessage is POST /v1/messages: a JSON or raw message, submitted once
// per Idempotency-Key.
func (s *Server) postMessage(w http.ResponseWriter, r *http.Request) error {
	idemKey := r.Header.Get("Idempotency-Key")
	if idemKey != "" && idempotency.ValidKey(idemKey) != nil {
		return invalidField("Idempotency-Key", "must be 1 to 255 printable ASCII characters")
	}
	mt, err := requireMedia(r, "application/json", "message/rfc822")
	if err != nil {
		return err
	}
	var submit submitFunc
	var hash string
	switch {
	case mt == "application/json":
		body, err := readBody(w, r, s.jsonMax)
		if err != nil {
			return err
		}
		var req MessageRequest
		if err := decodeJSON(body, &req); err != nil {
			return err
		}
		if submit, err = s.prepareJSON(&req); err != nil {
			return err
		}
		hash = idempotency.RequestHash(r.Method, r.URL.RequestURI(), mt, body)
	case idemKey != "":
		// The request hash needs the whole body before anything is
		// submitted; it is bounded by the message size limit. Without a
		// key the raw body streams (below).
		body, err := readBody(w, r, s.opts.MaxMessageBytes)
		if err != nil {
			return err
		}
		if submit, err = s.prepareRaw(r.URL.Query(), bytes.NewReader(body), s.opts.MaxMessageBytes); err != nil {
			return err
		}
		hash = idempotency.RequestHash(r.Method, r.URL.RequestURI(), mt, body)
	default:
		body := http.MaxBytesReader(w, r.Body, s.opts.MaxMessageBytes)
		if submit, err = s.prepareRaw(r.URL.Query(), body, s.opts.MaxMessageBytes); err != nil {
			return err
		}
	}
	res, replayed, err := s.submitOnce(r.Context(), idemKey, hash, submit)
	if err != nil {
		return err
	}
	if res.Recipients == nil {
		res.Recipients = []PlannedRecipient{}
	}
	noteMessage(r.Context(), res.ID)
	w.Header().Set("Location", "/v1/messages/"+res.ID)
	if replayed {
		w.Header().Set("Idempotent-Replayed", "true")
		writeJSON(w, http.StatusOK, res)
		return nil
	}
	writeJSON(w, http.StatusAccepted, res)
	return nil
}

// prepareJSON validates a structured message and returns its submission,
// which composes the MIME message while the backend reads it.
func (s *Server) prepareJSON(req *MessageRequest) (submitFunc, error) {
	v, fe := req.validate(s.opts.MaxRecipients)
	if len(fe) > 0 {
		return nil, invalid(fe...)
	}
	if v.size > s.opts.MaxMessageBytes {
		return nil, problem(ProbBodyTooLarge, http.StatusRequestEntityTooLarge, "the message would be larger than the gateway's message size limit")
	}
	sub := Submission{
		From:       v.from,
		Recipients: v.recipients,
		Tags:       req.Tags,
		Metadata:   req.Metadata,
	}
	if req.PolicyHints != nil {
		sub.ForceEncrypt = req.PolicyHints.ForceEncrypt
	}
	return func(ctx context.Context, reserve func(string) error) (SubmitResult, error) {
		// Composing streams through a pipe: the message is never held
		// whole here, and the backend spools it as it comes.
		pr, pw := io.Pipe()
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, err := compose.Write(pw, v.msg, compose.Options{Hostname: s.opts.Hostname, Date: s.opts.Now()})
			pw.CloseWithError(err)
		}()
		sub := sub
		sub.Message = pr
		res, err := s.backend.Submit(ctx, sub, reserve)
		pr.CloseWithError(errSubmitReturned) // unblock the writer if the backend stopped reading
		<-done
		return res, err
	}, nil
}

var errSubmitReturned = errors.New("api: submit returned")

// submitOnce runs submit at most once per (API key, Idempotency-Key):
//
//  1. no key: submit.
//  2. under the key's lock, look up the record. A different request hash
//     is a conflict (409) whether or not its message exists.
//  3. the same hash and a committed message: replay its status.
//  4. otherwise (no record, or a record whose message never committed:
//     a crash between reserve and commit, or a refused submission) submit
//     with a reserve that writes the record before the commit.
func (s *Server) submitOnce(ctx context.Context, idemKey, hash string, submit submitFunc) (SubmitResult, bool, error) {
	if idemKey == "" {
		res, err := submit(ctx, nil)
		return res, false, err
	}
	scope := KeyID(ctx)
	unlock := s.locks.Lock(scope, idemKey)
	defer unlock()
	rec, ok, err := s.idem.Get(ctx, scope, idemKey)
	if err != nil {
		s.log.Error("api: idempotency lookup failed", "err", err)
		return SubmitResult{}, false, unavailable("the idempotency store is not available")
	}
	if ok {
		if rec.RequestHash != hash {
			return SubmitResult{}, false, problem(ProbIdempotencyConflict, http.StatusConflict,
				"this Idempotency-Key was used with a different request")
		}
		exists, err := s.backend.Exists(ctx, rec.MsgID)
		if err != nil {
			return SubmitResult{}, false, err
		}
		if exists {
			st, err := s.backend.Message(ctx, rec.MsgID)
			if err != nil {
				return SubmitResult{}, false, err
			}
			return replayResult(st), true, nil
		}
	}
	var reserveErr error
	reserve := func(msgID string) error {
		reserveErr = s.idem.Put(ctx, scope, idemKey, idempotency.Record{RequestHash: hash, MsgID: msgID, Created: s.opts.Now()})
		return reserveErr
	}
	res, err := submit(ctx, reserve)
	if err != nil && reserveErr != nil {
		s.log.Error("api: idempotency record not written; message not committed", "err", reserveErr)
		return res, false, unavailable("the idempotency store is not available")
	}
	return res, false, err
}

// replayResult is a first answer rebuilt from the message's status.
func replayResult(st MessageStatus) SubmitResult {
	res := SubmitResult{ID: st.ID, MessageID: st.MessageID, Action: st.Action, Rule: st.Rule, Recipients: []PlannedRecipient{}}
	for _, rc := range st.Recipients {
		m := rc.Method
		if m == "" {
			m = "pending"
		}
		res.Recipients = append(res.Recipients, PlannedRecipient{Address: rc.Address, Method: m})
	}
	return res
}

// BatchRequest is the body of POST /v1/messages/batch.
type BatchRequest struct {
	Messages []json.RawMessage `json:"messages"`
}

// BatchItem is one message of a batch: a MessageRequest with its own
// idempotency key.
type BatchItem struct {
	MessageRequest
	IdempotencyKey string `json:"idempotency_key,omitempty"`
}

// BatchResult is one item's outcome; Status is the HTTP status the item
// would have had alone (202, 200 for a replay, 4xx, 5xx).
type BatchResult struct {
	Index   int           `json:"index"`
	Status  int           `json:"status"`
	ID      string        `json:"id,omitempty"`
	Result  *SubmitResult `json:"result,omitempty"`
	Problem *Problem      `json:"problem,omitempty"`
}

// BatchResponse is the answer to a batch: one result per message, in
// order.
type BatchResponse struct {
	Results []BatchResult `json:"results"`
}

// postBatch is POST /v1/messages/batch: every item is validated and
// submitted on its own, so one bad item never stops the others.
func (s *Server) postBatch(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireMedia(r, "application/json"); err != nil {
		return err
	}
	body, err := readBody(w, r, s.opts.MaxBatchBytes)
	if err != nil {
		return err
	}
	var req BatchRequest
	if err := decodeJSON(body, &req); err != nil {
		return err
	}
	if len(req.Messages) == 0 || len(req.Messages) > MaxBatch {
		return invalidField("messages", "must hold 1 to 1000 messages")
	}
	results := make([]BatchResult, len(req.Messages))
	sem := make(chan struct{}, batchConcurrency)
	var wg sync.WaitGroup
	for i, raw := range req.Messages {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			results[i] = s.batchItem(r.Context(), i, raw)
		}()
	}
	wg.Wait()
	writeJSON(w, http.StatusOK, BatchResponse{Results: results})
	return nil
}

func (s *Server) batchItem(ctx context.Context, i int, raw json.RawMessage) BatchResult {
	out := BatchResult{Index: i}
	res, replayed, err := func() (SubmitResult, bool, error) {
		var item BatchItem
		if err := decodeJSON(raw, &item); err != nil {
			return SubmitResult{}, false, err
		}
		if item.IdempotencyKey != "" && idempotency.ValidKey(item.IdempotencyKey) != nil {
			return SubmitResult{}, false, invalidField("idempotency_key", "must be 1 to 255 printable ASCII characters")
		}
		submit, err := s.prepareJSON(&item.MessageRequest)
		if err != nil {
			return SubmitResult{}, false, err
		}
		hash := idempotency.RequestHash(http.MethodPost, "/v1/messages/batch", "application/json", raw)
		return s.submitOnce(ctx, item.IdempotencyKey, hash, submit)
	}()
	if err != nil {
		p := s.problemFor(ctx, err)
		out.Status, out.Problem = p.Status, p
		return out
	}
	if res.Recipients == nil {
		res.Recipients = []PlannedRecipient{}
	}
	noteMessage(ctx, res.ID)
	out.Status, out.ID, out.Result = http.StatusAccepted, res.ID, &res
	if replayed {
		out.Status = http.StatusOK
	}
	return out
}
