// Package protect splits a message into what must stay visible for delivery
// and what moves inside the encrypted part, following the "protected
// headers" convention (draft-autocrypt-lamps-protected-headers, as used by
// Thunderbird): the outer message keeps From, To, Cc, Date, Message-ID,
// MIME-Version and trace headers, and gets a neutral Subject, because
// subjects carry PHI; the inner entity carries the content headers, a copy
// of the protected header fields (the real Subject among them) and the body,
// streamed unchanged. Bcc and Resent-Bcc never survive in either part.
package protect

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"mime"
	nettextproto "net/textproto"
	"strings"

	"github.com/emersion/go-message/textproto"

	"github.com/sealgate/sealgate/internal/bcc"
)

// DefaultSubject replaces the Subject of every encrypted message.
const DefaultSubject = "Secure message"

// Options tune Split.
type Options struct {
	// Subject is the neutral outer Subject; "" means DefaultSubject.
	Subject string
}

// outerOnly stay outside only: trace and transport headers that mean
// nothing inside the encrypted part.
var outerOnly = map[string]bool{
	"Received": true, "Return-Path": true, "Authentication-Results": true,
	"Mime-Version": true, "X-Ms-Exchange-Organization-Authas": true,
}

// brokenByEncryption are signatures over the original body and header
// (an upstream's DKIM, e.g. Microsoft 365's, and its ARC set): the
// encrypted copy replaces both, so they could only fail ("body hash
// mismatch") at the recipient. They go; sealgate signs the copy itself.
var brokenByEncryption = map[string]bool{
	"Dkim-Signature": true, "Arc-Seal": true, "Arc-Message-Signature": true, "Arc-Authentication-Results": true,
}

// trace fields stay on top of the outer header, in their order
// (RFC 5321 §4.4: trace headers are prepended, never moved below others).
var trace = map[string]bool{"Received": true, "Return-Path": true, "Authentication-Results": true}

// bothSides are delivery headers: kept outside, and copied inside so the
// recipient's client shows the authentic values.
var bothSides = map[string]bool{
	"From": true, "To": true, "Cc": true, "Date": true, "Message-Id": true, "Reply-To": true,
	"In-Reply-To": true, "References": true, "Sender": true,
}

// Split reads the message header from r and returns the outer header and a
// reader of the inner MIME entity (header + body). The body is not buffered:
// the inner reader streams the rest of r.
func Split(r io.Reader, opts Options) (outer textproto.Header, inner io.Reader, err error) {
	br := bufio.NewReader(r)
	h, err := textproto.ReadHeader(br)
	if err != nil {
		return outer, nil, fmt.Errorf("protect: read header: %w", err)
	}
	subject := opts.Subject
	if subject == "" {
		subject = DefaultSubject
	}
	var in textproto.Header
	fields := h.Fields()
	// Fields iterates in order; textproto.Header.Add prepends, so collect
	// then add in reverse to keep the original order.
	type kv struct {
		k   string
		raw []byte
	}
	var outs, ins []kv
	for fields.Next() {
		k := nettextproto.CanonicalMIMEHeaderKey(fields.Key())
		raw, err := fields.Raw()
		if err != nil {
			return outer, nil, fmt.Errorf("protect: header %s: %w", k, err)
		}
		switch {
		case bcc.IsField(k):
			// Bcc and Resent-Bcc: never in any copy (RFC 5322 §3.6.3).
		case brokenByEncryption[k]:
		case k == "Subject":
			ins = append(ins, kv{k, raw})
		case outerOnly[k]:
			outs = append(outs, kv{k, raw})
		case bothSides[k]:
			outs = append(outs, kv{k, raw})
			ins = append(ins, kv{k, raw})
		case strings.HasPrefix(k, "Content-"):
			ins = append(ins, kv{k, raw})
		default:
			// Other headers (X-*, Keywords, Comments...) may carry PHI too:
			// inside only.
			ins = append(ins, kv{k, raw})
		}
	}
	for i := len(outs) - 1; i >= 0; i-- {
		outer.AddRaw(outs[i].raw)
	}
	for i := len(ins) - 1; i >= 0; i-- {
		in.AddRaw(ins[i].raw)
	}
	outer.Del("Mime-Version")
	outer.AddRaw([]byte("MIME-Version: 1.0\r\n"))
	outer.Set("Subject", mime.QEncoding.Encode("utf-8", subject))

	// The inner entity must have a Content-Type; mark it as carrying
	// protected headers.
	ct := in.Get("Content-Type")
	if ct == "" {
		ct = "text/plain; charset=us-ascii"
	}
	if mt, params, err := mime.ParseMediaType(ct); err == nil {
		params["protected-headers"] = "v1"
		in.Set("Content-Type", mime.FormatMediaType(mt, params))
	}
	var hb bytes.Buffer
	if err := textproto.WriteHeader(&hb, in); err != nil {
		return outer, nil, fmt.Errorf("protect: write inner header: %w", err)
	}
	return outer, io.MultiReader(&hb, br), nil
}

// WriteHeader writes the outer header h with its trace fields first, in
// their order, then the others: Split's caller sets Content-Type and
// friends, which textproto.Header puts on top.
func WriteHeader(w io.Writer, h textproto.Header) error {
	var top, rest bytes.Buffer
	fields := h.Fields()
	for fields.Next() {
		raw, err := fields.Raw()
		if err != nil {
			return fmt.Errorf("protect: header %s: %w", fields.Key(), err)
		}
		if trace[nettextproto.CanonicalMIMEHeaderKey(fields.Key())] {
			top.Write(raw)
		} else {
			rest.Write(raw)
		}
	}
	rest.WriteString("\r\n")
	_, err := io.Copy(w, io.MultiReader(&top, &rest))
	return err
}
