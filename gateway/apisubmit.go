package gateway

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/sealgate/sealgate/envelope"
	"github.com/sealgate/sealgate/gateway/api"
	"github.com/sealgate/sealgate/gateway/process"
	"github.com/sealgate/sealgate/policy"
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
	cw := &countingWriter{w: w}
	fmt.Fprintf(cw, "Received: from api (key %s)\r\n\tby %s (sealgate) with HTTPS id %s;\r\n\t%s\r\n",
		keyID, cfg.Hostname, id, now.Format(time.RFC1123Z))
	sc, err := copyCRLF(cw, sub.Message, int64(cfg.Limits.MaxMessageSize))
	if errors.Is(err, errTooLarge) {
		return abort(&api.InvalidError{Field: "message", Detail: fmt.Sprintf("larger than limits.max_message_size (%d bytes)", cfg.Limits.MaxMessageSize)})
	}
	if err != nil {
		g.log.Error("api: cannot store message", "msg_id", id, "err", err)
		return abort(api.ErrUnavailable)
	}
	env := &envelope.Envelope{ID: id, Received: now, From: sub.From, Listener: apiListener, AuthUser: "api-key:" + keyID,
		Size: cw.n, MessageID: sc.messageID, Body8Bit: sc.eightBit, ForceEncrypt: sub.ForceEncrypt}
	env.SMTPUTF8 = sc.headerEightBit || !isASCII(sub.From)
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
	plan := g.plans.wait(id)
	defer g.plans.drop(id)
	err = g.stage.AcceptNow(ctx, env)
	var blocked *process.BlockedError
	switch {
	case errors.As(err, &blocked):
		return res, &api.BlockedError{Rule: blocked.Rule, Text: blocked.Text}
	case err != nil:
		return res, api.ErrUnavailable
	}
	res = api.SubmitResult{ID: id, MessageID: env.MessageID}
	select {
	case p := <-plan:
		res.Action, res.Rule = p.action, p.rule
		for _, m := range p.methods {
			res.Recipients = append(res.Recipients, api.PlannedRecipient{Address: m.Addr, Method: plannedMethod(m.Method, p.held), Reason: m.Reason})
		}
	case <-time.After(cfg.API.PlanWait):
		for _, r := range sub.Recipients {
			res.Recipients = append(res.Recipients, api.PlannedRecipient{Address: r, Method: "pending"})
		}
	case <-ctx.Done():
		for _, r := range sub.Recipients {
			res.Recipients = append(res.Recipients, api.PlannedRecipient{Address: r, Method: "pending"})
		}
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

// planned is what the stage decided for one message, as the API reports it.
type planned struct {
	action, rule string
	held         bool // the whole message waits for an operator
	methods      []process.Method
}

// planWaiters hands the stage's decision to the API request waiting for it,
// so a send answers with each recipient's real method, not a guess.
type planWaiters struct {
	mu sync.Mutex
	m  map[string]chan planned
}

func (p *planWaiters) wait(id string) <-chan planned {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = map[string]chan planned{}
	}
	ch := make(chan planned, 1)
	p.m[id] = ch
	return ch
}

func (p *planWaiters) drop(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.m, id)
}

// decided is called once the stage's decision for id is durable.
func (p *planWaiters) decided(id string, dec *policy.Decision, methods []process.Method, hold string) {
	p.mu.Lock()
	ch := p.m[id]
	p.mu.Unlock()
	if ch == nil {
		return
	}
	held := dec.Action == policy.ActionQuarantine || (hold != "" && !hasMethod(methods, "none"))
	select {
	case ch <- planned{action: dec.Action, rule: dec.Rule, held: held, methods: methods}:
	default:
	}
}

func hasMethod(ms []process.Method, m string) bool {
	for _, x := range ms {
		if x.Method == m {
			return true
		}
	}
	return false
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

var errTooLarge = errors.New("message too large")

// scanned is what copyCRLF learned about a message on the way through.
type scanned struct {
	messageID      string
	eightBit       bool // any byte >= 0x80
	headerEightBit bool // in the header section (RFC 6532: needs SMTPUTF8)
}

// copyCRLF copies a message to w with CRLF line endings (a file sent with
// curl has LF; a lone CR becomes a space: it has no place in mail), at
// most limit bytes of input, and notes its Message-ID and 8-bit content.
// Unlike SMTP DATA there is no dot and no smuggling to guard against here:
// the body arrives whole, framed by HTTP.
func copyCRLF(w io.Writer, r io.Reader, limit int64) (scanned, error) {
	var sc scanned
	br := bufio.NewReaderSize(io.LimitReader(r, limit+1), 64<<10)
	bw := bufio.NewWriterSize(w, 64<<10)
	inHeader, midLine := true, false
	var read int64
	for {
		line, err := br.ReadSlice('\n')
		read += int64(len(line))
		if read > limit {
			return sc, errTooLarge
		}
		if len(line) > 0 {
			full := line[len(line)-1] == '\n'
			content := bytes.TrimRight(line, "\r\n")
			if !full {
				content = bytes.TrimSuffix(line, []byte("\r"))
			}
			for _, c := range content {
				if c >= 0x80 {
					sc.eightBit = true
					if inHeader {
						sc.headerEightBit = true
					}
				}
			}
			if inHeader && !midLine {
				if len(content) == 0 && full {
					inHeader = false
				} else if k, v, ok := strings.Cut(string(content), ":"); ok && strings.EqualFold(strings.TrimSpace(k), "Message-ID") && sc.messageID == "" {
					sc.messageID = strings.TrimSpace(v)
				}
			}
			if _, werr := bw.Write(bytes.ReplaceAll(content, []byte("\r"), []byte(" "))); werr != nil {
				return sc, werr
			}
			if full {
				if _, werr := bw.WriteString("\r\n"); werr != nil {
					return sc, werr
				}
			}
			midLine = !full
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if errors.Is(err, io.EOF) {
			if midLine {
				// The last line had no ending: give it one.
				if _, werr := bw.WriteString("\r\n"); werr != nil {
					return sc, werr
				}
			}
			return sc, bw.Flush()
		}
		if err != nil {
			return sc, err
		}
	}
}
