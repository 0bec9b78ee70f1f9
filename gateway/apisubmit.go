package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/sealgate/sealgate/envelope"
	"github.com/sealgate/sealgate/gateway/api"
	"github.com/sealgate/sealgate/gateway/process"
	"github.com/sealgate/sealgate/internal/msgscan"
)

// apiListener is the listener name API messages carry in the envelope and
// the audit log (policy `listener: api` matches them).
const apiListener = "api"

// submitAPI takes one message from the REST API into the pipeline the way
// smtpd takes one from DATA: stored and sealed, "received" durable, then
// committed and handed to the stage, whose inline decision (a block) is
// the answer. Only then does the API say 202.
func (g *Gateway) submitAPI(ctx context.Context, sub api.Submission, reserve func(string) error, annotate func(id string) error) (api.SubmitResult, error) {
	var res api.SubmitResult
	cfg := g.cfg.Load()
	if err := g.healthy(); err != nil {
		g.log.Warn("api: message refused while degraded", "err", err)
		return res, api.ErrUnavailable
	}
	w, err := g.spool.NewMessage()
	if err != nil {
		g.log.Error("api: cannot store message", "err", err)
		return res, api.ErrUnavailable
	}
	id := w.ID()
	abort := func(err error) (api.SubmitResult, error) {
		w.Abort()
		return res, err
	}
	now := time.Now()
	keyID := api.KeyID(ctx)
	fmt.Fprintf(w, "Received: from api (key %s)\r\n\tby %s (sealgate) with HTTPS id %s;\r\n\t%s\r\n",
		keyID, cfg.Hostname, id, now.Format(time.RFC1123Z))
	// The API hands over CRLF text (raw bodies are converted, JSON is
	// built so); the scanner is smtpd's, so both producers note the same.
	sc := msgscan.New()
	limit := int64(cfg.Limits.MaxMessageSize)
	n, err := io.Copy(io.MultiWriter(w, scanWriter{sc}), io.LimitReader(sub.Message, limit+1))
	if err != nil {
		g.log.Error("api: cannot store message", "msg_id", id, "err", err)
		return abort(api.ErrUnavailable)
	}
	sc.Finish()
	switch {
	case n > limit:
		return abort(&api.InvalidError{Field: "message", Detail: fmt.Sprintf("larger than limits.max_message_size (%d bytes)", cfg.Limits.MaxMessageSize)})
	case sc.Bare:
		return abort(&api.InvalidError{Field: "message", Detail: "a line does not end in CRLF"})
	}
	env := &envelope.Envelope{ID: id, Received: now, From: sub.From, Listener: apiListener, AuthUser: "api-key:" + keyID,
		Size: n, MessageID: sc.MessageID(), Body8Bit: sc.EightBit, TLSRequiredNo: sc.TLSRequiredNo, ForceEncrypt: sub.ForceEncrypt}
	env.SMTPUTF8 = sc.HeaderEightBit || !isASCII(sub.From)
	for _, r := range sub.Recipients {
		env.Recipients = append(env.Recipients, envelope.Recipient{Addr: r})
		env.SMTPUTF8 = env.SMTPUTF8 || !isASCII(r)
	}
	// The idempotency record and the tags are durable before the message
	// can exist: a retry after a crash finds either both or neither.
	if reserve != nil {
		if err := reserve(id); err != nil {
			g.log.Error("api: cannot record idempotency key", "msg_id", id, "err", err)
			return abort(api.ErrUnavailable)
		}
	}
	if annotate != nil {
		if err := annotate(id); err != nil {
			g.log.Error("api: cannot record tags", "msg_id", id, "err", err)
			return abort(api.ErrUnavailable)
		}
	}
	if err := g.recordReceived(env); err != nil {
		return abort(api.ErrUnavailable)
	}
	if err := w.Commit(env); err != nil {
		g.log.Error("api: cannot commit message", "msg_id", id, "err", err)
		return res, api.ErrUnavailable
	}
	out, err := g.stage.AcceptNow(ctx, env)
	var blocked *process.BlockedError
	switch {
	case errors.As(err, &blocked):
		return res, &api.BlockedError{Rule: blocked.Rule, Text: blocked.Text}
	case err != nil:
		return res, api.ErrUnavailable
	}
	res = api.SubmitResult{ID: id, MessageID: env.MessageID}
	if out == nil {
		// Processing failed for now and is retried: accepted, not decided.
		for _, r := range sub.Recipients {
			res.Recipients = append(res.Recipients, api.PlannedRecipient{Address: r, Method: "pending"})
		}
		return res, nil
	}
	res.Action, res.Rule = out.Action, out.Rule
	for _, m := range out.Methods {
		res.Recipients = append(res.Recipients, api.PlannedRecipient{Address: m.Addr, Method: plannedMethod(m.Method, out.Held), Reason: m.Reason})
	}
	return res, nil
}

// plannedMethod names a stage method for API clients: "none" (no method
// could protect the recipient) and a held message are "held".
func plannedMethod(m string, held bool) string {
	if held || m == "none" {
		return "held"
	}
	return m
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// scanWriter feeds a msgscan.Scanner from an io.Copy.
type scanWriter struct{ sc *msgscan.Scanner }

func (w scanWriter) Write(p []byte) (int, error) {
	w.sc.Scan(p)
	return len(p), nil
}
