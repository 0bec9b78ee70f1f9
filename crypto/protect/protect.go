// Package protect splits a message into what must stay visible for delivery
// and what moves inside the encrypted part: header protection as RFC 9788
// defines it (and, as an option, the older "protected headers" convention,
// draft-autocrypt-lamps-protected-headers, which Thunderbird reads).
//
// The outer message keeps what delivery and threading need: trace headers
// on top (RFC 5321 §4.4), From, To, Cc, Date, Message-ID, Reply-To,
// In-Reply-To, References, Sender, Thread-Index and MIME-Version; its
// Subject is obscured, "[...]" by default (RFC 9788 §3.2's hcp_baseline),
// because subjects carry PHI. Everything else leaves the outside (stricter
// than hcp_baseline, which keeps unknown fields): Keywords and Comments as
// hcp_baseline removes them, X-* fields, and Thread-Topic, which Outlook
// fills with the subject itself (RFC 9788 does not name the Thread-*
// fields; Thread-Index is a timestamp and a random GUID, no content, and
// Outlook threads by it). Bcc and Resent-Bcc survive in neither part.
//
// The inner entity (RFC 9788's Cryptographic Payload) carries every
// protected header field (the real Subject among them), then one HP-Outer
// field per non-structural, non-trace field left outside ("HP-Outer:
// Subject: [...]", RFC 9788 §2.2), so the recipient's client knows what
// was obscured and what removed; its Content-Type gets hp="cipher" and,
// for Thunderbird's OpenPGP reader, protected-headers="v1". With the legacy
// display (the default, RFC 9788 §4.5.3), the main text/plain and text/html
// parts start with "Subject: <real subject>" (HTML: a
// div.header-protection-legacy-display) and are marked hp-legacy-display="1",
// so Outlook and Apple Mail, which show only the outer Subject, still show
// the real one; RFC 9788 clients hide it. Those parts are re-encoded as
// UTF-8 quoted-printable; every other part is copied byte for byte, and a
// part whose charset is unknown, or an attachment, is left as it is.
// Nothing is buffered beyond 64 KiB of an HTML part's start.
package protect

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"mime"
	nettextproto "net/textproto"

	"github.com/emersion/go-message/textproto"

	"github.com/sealgate/sealgate/internal/bcc"
)

// DefaultSubject replaces the Subject of every encrypted message: RFC 9788
// §3.2's hcp_baseline obscures it to "[...]".
const DefaultSubject = "[...]"

// Header protection schemes for Options.Mode (config keys.header_protection).
const (
	// ModeRFC9788 is RFC 9788: hp="cipher" and HP-Outer, no legacy display.
	ModeRFC9788 = "rfc9788"
	// ModeRFC9788LegacyDisplay adds RFC 9788 §4.5.3's legacy display: the
	// real Subject leads the main text parts, for clients without header
	// protection. The default.
	ModeRFC9788LegacyDisplay = "rfc9788+legacy-display"
	// ModeLegacyV1 is the older convention alone: protected-headers="v1",
	// no hp, no HP-Outer.
	ModeLegacyV1 = "legacy-v1"
)

// Options tune Split.
type Options struct {
	// Subject is the obscured outer Subject; "" means DefaultSubject.
	Subject string
	// Mode is the header protection scheme; "" means
	// ModeRFC9788LegacyDisplay.
	Mode string
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
	"In-Reply-To": true, "References": true, "Sender": true, "Thread-Index": true,
}

// Split reads the message header from r and returns the outer header and
// the inner MIME entity (header + body). The body is not buffered: inner
// streams the rest of r. The caller must Close inner (after an error too):
// with the legacy display a goroutine writes it, and Close stops it and
// waits for it, so nothing reads r after Close returns.
func Split(r io.Reader, opts Options) (outer textproto.Header, inner io.ReadCloser, err error) {
	mode := opts.Mode
	switch mode {
	case "":
		mode = ModeRFC9788LegacyDisplay
	case ModeRFC9788, ModeRFC9788LegacyDisplay, ModeLegacyV1:
	default:
		return outer, nil, fmt.Errorf("protect: unknown header protection %q (want %s, %s or %s)", opts.Mode, ModeRFC9788, ModeRFC9788LegacyDisplay, ModeLegacyV1)
	}
	br := bufio.NewReader(r)
	h, err := textproto.ReadHeader(br)
	if err != nil {
		return outer, nil, fmt.Errorf("protect: read header: %w", err)
	}
	subject := opts.Subject
	if subject == "" {
		subject = DefaultSubject
	}
	fields := h.Fields()
	var outs, ins [][]byte
	var realSubject string
	hasSubject := false
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
		case k == "Mime-Version":
			// Written anew below.
		case k == "Subject":
			if !hasSubject {
				hasSubject, realSubject = true, fields.Value()
			}
			ins = append(ins, raw)
		case outerOnly[k]:
			outs = append(outs, raw)
		case bothSides[k]:
			outs = append(outs, raw)
			ins = append(ins, raw)
		default:
			// Content-* and everything else (X-*, Keywords, Comments,
			// Thread-Topic...) may carry PHI: inside only.
			ins = append(ins, raw)
		}
	}
	obscured := []byte("Subject: " + mime.QEncoding.Encode("utf-8", subject) + "\r\n")
	outs = append(outs, obscured)
	outs = append(outs, []byte("MIME-Version: 1.0\r\n"))
	if mode != ModeLegacyV1 {
		// RFC 9788 §2.2: HP-Outer records each non-structural field left
		// outside, as it is there. Trace fields are the transport's.
		for _, raw := range outs {
			k, _, _ := bytes.Cut(raw, []byte(":"))
			ck := nettextproto.CanonicalMIMEHeaderKey(string(bytes.TrimSpace(k)))
			if !trace[ck] && !outerOnly[ck] {
				ins = append(ins, append([]byte("HP-Outer: "), raw...))
			}
		}
	}
	// textproto.Header.AddRaw prepends: add in reverse to keep the order.
	var in textproto.Header
	for i := len(outs) - 1; i >= 0; i-- {
		outer.AddRaw(outs[i])
	}
	for i := len(ins) - 1; i >= 0; i-- {
		in.AddRaw(ins[i])
	}

	// The inner entity must have a Content-Type; mark it as carrying
	// protected headers.
	ct := in.Get("Content-Type")
	if ct == "" {
		ct = "text/plain; charset=us-ascii"
	}
	if mt, params, err := mime.ParseMediaType(ct); err == nil {
		params["protected-headers"] = "v1"
		if mode != ModeLegacyV1 {
			params["hp"] = "cipher"
		}
		in.Set("Content-Type", formatContentType(mt, params))
	} else if mode != ModeLegacyV1 {
		// An unparsable type cannot carry hp="cipher": send the entity as
		// opaque data rather than without its marker.
		in.Set("Content-Type", `application/octet-stream; hp="cipher"`)
	}
	if mode != ModeRFC9788LegacyDisplay || !hasSubject {
		var hb bytes.Buffer
		if err := textproto.WriteHeader(&hb, in); err != nil {
			return outer, nil, fmt.Errorf("protect: write inner header: %w", err)
		}
		return outer, io.NopCloser(io.MultiReader(&hb, br)), nil
	}
	return outer, startLegacyDisplay(in, br, decodeSubject(realSubject)), nil
}

// formatContentType writes mt with params, the RFC 9788 parameters last and
// quoted as the RFC writes them (hp="cipher"; some readers match the text).
func formatContentType(mt string, params map[string]string) string {
	rest := make(map[string]string, len(params))
	for k, v := range params {
		if k != "hp" && k != "hp-legacy-display" {
			rest[k] = v
		}
	}
	s := mime.FormatMediaType(mt, rest)
	if v, ok := params["hp-legacy-display"]; ok {
		s += `; hp-legacy-display="` + v + `"`
	}
	if v, ok := params["hp"]; ok {
		s += `; hp="` + v + `"`
	}
	return s
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
	if _, err := w.Write(top.Bytes()); err != nil {
		return err
	}
	_, err := w.Write(rest.Bytes())
	return err
}
