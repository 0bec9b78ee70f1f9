// Package compose builds an RFC 5322 message from the API's structured
// fields with go-message, streaming into an io.Writer.
//
// The MIME tree is the smallest that holds the content:
//
//	text or html alone               text/plain | text/html
//	text and html                    multipart/alternative
//	+ inline parts (content_id)      multipart/related [body, inline…]
//	+ attachments                    multipart/mixed [body, attachment…]
//
// Text is quoted-printable, everything else base64, every line CRLF. A
// Message has no Bcc field: blind-copy recipients are envelope only, so
// no header of the built message can reveal them.
package compose

import (
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/mail"
	"strings"
	"time"

	"github.com/emersion/go-message"
	gomail "github.com/emersion/go-message/mail"
)

// Message is what the API asks to send.
type Message struct {
	From        *mail.Address
	To, Cc      []*mail.Address
	ReplyTo     []*mail.Address
	Subject     string
	Text, HTML  string
	Attachments []Attachment
	// Headers are extra fields, written in order after the standard ones.
	// The caller refuses structural names (see Structural).
	Headers []Field
}

// Attachment is one file; with a ContentID it is an inline part that the
// HTML refers to as cid:ContentID.
type Attachment struct {
	Filename    string
	ContentType string // a media type; parameters are dropped
	ContentID   string // without angle brackets
	Content     []byte
}

// Field is one extra header field.
type Field struct{ Name, Value string }

// Options are per-build settings.
type Options struct {
	Hostname string    // right-hand side of the Message-ID; required
	Date     time.Time // zero means now
}

// Structural reports whether an extra header name is one the builder or
// the gateway owns, so a caller may not set it: addresses, subject, MIME
// structure, trace fields, signatures and sealgate's own marks.
func Structural(name string) bool {
	n := strings.ToLower(strings.TrimSpace(name))
	switch n {
	case "from", "to", "cc", "bcc", "resent-bcc", "sender", "reply-to", "subject",
		"date", "message-id", "mime-version", "received", "return-path", "dkim-signature":
		return true
	}
	return strings.HasPrefix(n, "content-") || strings.HasPrefix(n, "x-sealgate-")
}

// Write builds m into w and returns its Message-ID (without brackets).
func Write(w io.Writer, m Message, opts Options) (string, error) {
	if opts.Hostname == "" {
		return "", errors.New("compose: no hostname for the Message-ID")
	}
	if m.From == nil {
		return "", errors.New("compose: no From address")
	}
	if m.Text == "" && m.HTML == "" && len(m.Attachments) == 0 {
		return "", errors.New("compose: no text, html or attachment")
	}
	date := opts.Date
	if date.IsZero() {
		date = time.Now()
	}
	msgID, err := newMessageID(opts.Hostname)
	if err != nil {
		return "", err
	}

	var h gomail.Header
	h.SetDate(date)
	h.SetMessageID(msgID)
	// SetAddressList RFC 2047-encodes display names that need it.
	h.SetAddressList("From", convert([]*mail.Address{m.From}))
	h.SetAddressList("To", convert(m.To))
	h.SetAddressList("Cc", convert(m.Cc))
	h.SetAddressList("Reply-To", convert(m.ReplyTo))
	if m.Subject != "" {
		h.SetSubject(m.Subject)
	}
	for _, f := range m.Headers {
		h.Add(f.Name, mime.QEncoding.Encode("utf-8", f.Value))
	}

	var inline, attached []Attachment
	for _, a := range m.Attachments {
		if a.ContentID != "" {
			inline = append(inline, a)
		} else {
			attached = append(attached, a)
		}
	}
	b := builder{}
	root := b.mixed(m, inline, attached)
	if err := root.write(w, h.Header); err != nil {
		return "", fmt.Errorf("compose: %w", err)
	}
	return msgID, nil
}

func convert(in []*mail.Address) []*gomail.Address {
	out := make([]*gomail.Address, 0, len(in))
	for _, a := range in {
		out = append(out, &gomail.Address{Name: a.Name, Address: a.Address})
	}
	return out
}

// newMessageID is <random@hostname>: 20 random bytes, unguessable, so a
// Message-ID tells nothing about when or in what order mail was sent.
func newMessageID(hostname string) (string, error) {
	buf := make([]byte, 20)
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("compose: random: %w", err)
	}
	enc := base32.StdEncoding.WithPadding(base32.NoPadding)
	return strings.ToLower(enc.EncodeToString(buf)) + "@" + hostname, nil
}

// node is one MIME entity: a leaf with content, or a multipart with parts.
type node struct {
	header message.Header
	body   []byte // leaf content (before transfer encoding)
	parts  []*node
}

type builder struct{}

func (builder) leafText(ctype, s string) *node {
	n := &node{body: []byte(s)}
	n.header.SetContentType(ctype, map[string]string{"charset": "utf-8"})
	n.header.Set("Content-Transfer-Encoding", "quoted-printable")
	return n
}

func multipart(sub string, parts ...*node) *node {
	if len(parts) == 1 {
		return parts[0]
	}
	n := &node{parts: parts}
	n.header.SetContentType("multipart/"+sub, nil)
	return n
}

func (b builder) body(m Message) []*node {
	var alt []*node
	if m.Text != "" {
		alt = append(alt, b.leafText("text/plain", m.Text))
	}
	if m.HTML != "" {
		alt = append(alt, b.leafText("text/html", m.HTML))
	}
	if len(alt) == 0 {
		return nil
	}
	return []*node{multipart("alternative", alt...)}
}

func (b builder) file(a Attachment, disposition string) *node {
	n := &node{body: a.Content}
	ctype := a.ContentType
	if mt, _, err := mime.ParseMediaType(ctype); err == nil {
		ctype = mt
	} else {
		ctype = "application/octet-stream"
	}
	n.header.SetContentType(ctype, nil)
	params := map[string]string{}
	if a.Filename != "" {
		params["filename"] = a.Filename // RFC 2231-encoded when it needs to be
	}
	n.header.SetContentDisposition(disposition, params)
	n.header.Set("Content-Transfer-Encoding", "base64")
	if a.ContentID != "" {
		n.header.Set("Content-ID", "<"+a.ContentID+">")
	}
	return n
}

func (b builder) mixed(m Message, inline, attached []Attachment) *node {
	parts := b.body(m)
	if len(inline) > 0 {
		rel := parts
		for _, a := range inline {
			rel = append(rel, b.file(a, "inline"))
		}
		r := &node{parts: rel}
		r.header.SetContentType("multipart/related", nil)
		parts = []*node{r}
	}
	for _, a := range attached {
		parts = append(parts, b.file(a, "attachment"))
	}
	if len(parts) == 1 && len(attached) == 0 {
		return parts[0]
	}
	n := &node{parts: parts}
	n.header.SetContentType("multipart/mixed", nil)
	return n
}

// write writes n as the whole message, top header fields first.
func (n *node) write(w io.Writer, top message.Header) error {
	h := top.Copy()
	fields := n.header.Fields()
	for fields.Next() {
		h.Set(fields.Key(), fields.Value())
	}
	mw, err := message.CreateWriter(w, h)
	if err != nil {
		return err
	}
	if err := n.writeContent(mw); err != nil {
		return err
	}
	return mw.Close()
}

func (n *node) writeContent(mw *message.Writer) error {
	if n.parts == nil {
		_, err := mw.Write(n.body)
		return err
	}
	for _, p := range n.parts {
		pw, err := mw.CreatePart(p.header)
		if err != nil {
			return err
		}
		if err := p.writeContent(pw); err != nil {
			return err
		}
		if err := pw.Close(); err != nil {
			return err
		}
	}
	return nil
}
