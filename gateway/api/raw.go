package api

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // encoded names in other charsets than UTF-8
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"

	"github.com/sealgate/sealgate/internal/bcc"
	"github.com/sealgate/sealgate/internal/smtpaddr"
)

// maxRawHeader bounds the header section read before submitting.
const maxRawHeader = 256 << 10

// prepareRaw reads the envelope of a raw message and returns its
// submission. The envelope is ?from= and ?to= when given, else the
// header's like `sendmail -t`: From (or Sender, for several authors) is
// the sender, To, Cc and Bcc the recipients. The Bcc fields are always
// stripped (internal/bcc) before the message reaches the backend.
func (s *Server) prepareRaw(q url.Values, body io.Reader, limit int64) (submitFunc, error) {
	from, rcpts, msg, err := s.rawEnvelope(q, body, limit)
	if err != nil {
		return nil, err
	}
	var tags []string
	for i, t := range q["tag"] {
		if !tagName(t, maxTagLen) || i >= maxTags {
			return nil, invalidField("tag", "at most 10 tags, each 1 to 64 of A-Z a-z 0-9 _ . : -")
		}
		tags = append(tags, t)
	}
	force := false
	switch q.Get("force_encrypt") {
	case "", "false":
	case "true":
		force = true
	default:
		return nil, invalidField("force_encrypt", "must be true or false")
	}
	return func(ctx context.Context, reserve func(string) error) (SubmitResult, error) {
		tr := &trackReader{r: msg}
		res, err := s.backend.Submit(ctx, Submission{From: from, Recipients: rcpts, Message: tr, Tags: tags, ForceEncrypt: force}, reserve)
		if err != nil && tr.err != nil {
			// The backend saw our reader fail: report why, not what the
			// backend made of it.
			return res, bodyError(tr.err, limit)
		}
		return res, err
	}, nil
}

// rawEnvelope reads the header of a raw message and returns the envelope
// and the message to submit (Bcc stripped, line endings CRLF).
func (s *Server) rawEnvelope(q url.Values, body io.Reader, limit int64) (string, []string, io.Reader, error) {
	br := bufio.NewReaderSize(body, 32<<10)
	head, err := readHeaderSection(br, limit)
	if err != nil {
		return "", nil, nil, err
	}
	parseable := head
	if !bytes.HasSuffix(head, []byte("\n\n")) && !bytes.HasSuffix(head, []byte("\n\r\n")) {
		parseable = append(bytes.Clone(head), "\r\n"...)
	}
	th, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(parseable)))
	if err != nil {
		return "", nil, nil, problem(ProbInvalidRequest, http.StatusBadRequest, "the message header is not RFC 5322")
	}
	h := mail.Header{Header: message.Header{Header: th}}

	var e errs
	from := ""
	if v := q.Get("from"); v != "" {
		if a, ok := envelopeAddress(&e, "from", v); ok {
			from = a
		}
	} else {
		list, err := h.AddressList("From")
		if len(list) > 1 {
			list, err = h.AddressList("Sender")
		}
		if err != nil || len(list) != 1 {
			e.add("from", "no ?from= and the header has no single From (or Sender) address")
		} else if a, ok := envelopeAddress(&e, "From", list[0].Address); ok {
			from = a
		}
	}
	var rcpts []string
	seen := map[string]bool{}
	beforeRcpts := len(e)
	add := func(a string) {
		if k := strings.ToLower(a); !seen[k] {
			seen[k] = true
			rcpts = append(rcpts, a)
		}
	}
	if tos := q["to"]; len(tos) > 0 {
		for _, v := range tos {
			if a, ok := envelopeAddress(&e, "to", v); ok {
				add(a)
			}
		}
	} else {
		for _, field := range []string{"To", "Cc", "Bcc"} {
			list, err := h.AddressList(field)
			if err != nil {
				e.add(field, "the header field is not an address list")
				continue
			}
			for _, a := range list {
				if a, ok := envelopeAddress(&e, field, a.Address); ok {
					add(a)
				}
			}
		}
	}
	if len(e) == beforeRcpts { // no bad address: say what is missing
		switch {
		case len(rcpts) == 0:
			e.add("to", "no ?to= and no To, Cc or Bcc address in the header")
		case len(rcpts) > s.opts.MaxRecipients:
			e.add("to", "more than %d recipients", s.opts.MaxRecipients)
		}
	}
	if len(e) > 0 {
		return "", nil, nil, invalid(e...)
	}
	msg := bcc.Strip(io.MultiReader(bytes.NewReader(head), br))
	return from, rcpts, &crlfReader{r: msg}, nil
}

func envelopeAddress(e *errs, field, s string) (string, bool) {
	a, err := smtpaddr.Parse(s)
	if err != nil || a.IsLiteral() {
		e.add(field, "is not a mailbox sealgate can deliver to")
		return "", false
	}
	return a.String(), true
}

// readHeaderSection reads up to and including the empty line that ends
// the header (or to EOF, for a message without a body).
func readHeaderSection(br *bufio.Reader, limit int64) ([]byte, error) {
	var head []byte
	for {
		line, err := br.ReadSlice('\n')
		head = append(head, line...)
		if len(head) > maxRawHeader {
			return nil, problem(ProbInvalidRequest, http.StatusBadRequest, "the message header section is larger than 256 KiB")
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF {
			if len(head) == 0 {
				return nil, problem(ProbInvalidRequest, http.StatusBadRequest, "the message is empty")
			}
			return head, nil
		}
		if err != nil {
			return nil, bodyError(err, limit)
		}
		if string(line) == "\n" || string(line) == "\r\n" {
			return head, nil
		}
	}
}

// trackReader remembers the error its reader returned.
type trackReader struct {
	r   io.Reader
	err error
}

func (t *trackReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		t.err = err
	}
	return n, err
}

// crlfReader makes every line end in CRLF: a bare LF (what a Unix client
// writes) becomes CRLF, and so does a bare CR, as SMTP ingress never lets
// either through (line-ending smuggling, CVE-2023-51766).
type crlfReader struct {
	r      io.Reader
	buf    [32 << 10]byte
	out    []byte // converted bytes not yet returned
	lastCR bool   // the last input byte was CR: its LF is owed
	err    error
}

func (c *crlfReader) Read(p []byte) (int, error) {
	for len(c.out) == 0 {
		if c.err != nil {
			return 0, c.err
		}
		n, err := c.r.Read(c.buf[:])
		c.out = c.out[:0]
		for _, b := range c.buf[:n] {
			if c.lastCR {
				c.lastCR = false
				c.out = append(c.out, '\n')
				if b == '\n' {
					continue
				}
			}
			switch b {
			case '\r':
				c.out = append(c.out, '\r')
				c.lastCR = true
			case '\n':
				c.out = append(c.out, '\r', '\n')
			default:
				c.out = append(c.out, b)
			}
		}
		if err != nil {
			if c.lastCR {
				c.lastCR = false
				c.out = append(c.out, '\n')
			}
			c.err = err
		}
	}
	n := copy(p, c.out)
	c.out = c.out[n:]
	return n, nil
}
