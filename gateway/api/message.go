package api

import (
	"encoding/base64"
	"fmt"
	"mime"
	"net/mail"
	"sort"
	"strings"

	"github.com/sealgate/sealgate/gateway/api/compose"
	"github.com/sealgate/sealgate/internal/smtpaddr"
)

// MessageRequest is the JSON body of POST /v1/messages.
type MessageRequest struct {
	From        string              `json:"from"`
	To          []string            `json:"to,omitempty"`
	Cc          []string            `json:"cc,omitempty"`
	Bcc         []string            `json:"bcc,omitempty"`
	ReplyTo     []string            `json:"reply_to,omitempty"`
	Subject     string              `json:"subject,omitempty"`
	Text        string              `json:"text,omitempty"`
	HTML        string              `json:"html,omitempty"`
	Attachments []AttachmentRequest `json:"attachments,omitempty"`
	Headers     map[string]string   `json:"headers,omitempty"`
	Tags        []string            `json:"tags,omitempty"`
	Metadata    map[string]string   `json:"metadata,omitempty"`
	PolicyHints *PolicyHints        `json:"policy_hints,omitempty"`
}

// AttachmentRequest is one attachment; Content is base64.
type AttachmentRequest struct {
	Filename    string `json:"filename,omitempty"`
	ContentType string `json:"content_type,omitempty"`
	Content     string `json:"content"`
	ContentID   string `json:"content_id,omitempty"`
}

// PolicyHints can only make the policy stricter.
type PolicyHints struct {
	ForceEncrypt bool `json:"force_encrypt,omitempty"`
}

// Limits of the structured fields.
const (
	maxTags        = 10
	maxTagLen      = 64
	maxMetaKeys    = 20
	maxMetaKeyLen  = 40
	maxMetaValLen  = 500
	maxHeaders     = 50
	maxHeaderName  = 76
	maxHeaderValue = 998
	maxSubject     = 998
	maxFilename    = 255
	maxContentID   = 255
	maxAttachments = 100
)

// validated is a MessageRequest checked and converted.
type validated struct {
	msg        compose.Message
	from       string
	recipients []string
	size       int64 // estimate of the built message, for the size limit
}

// errs collects field errors.
type errs []FieldError

func (e *errs) add(field, format string, a ...any) {
	*e = append(*e, FieldError{Field: field, Detail: fmt.Sprintf(format, a...)})
}

// validate checks every field and reports every problem at once; no
// detail quotes a value.
func (req *MessageRequest) validate(maxRecipients int) (validated, []FieldError) {
	var e errs
	var v validated
	seen := map[string]bool{}

	if req.From == "" {
		e.add("from", "is required")
	} else if a, ok := parseMailbox(&e, "from", req.From); ok {
		v.msg.From = a
		v.from = a.Address
	}
	addRcpts := func(field string, list []string) []*mail.Address {
		var out []*mail.Address
		for i, s := range list {
			a, ok := parseMailbox(&e, fmt.Sprintf("%s[%d]", field, i), s)
			if !ok {
				continue
			}
			out = append(out, a)
			if k := strings.ToLower(a.Address); !seen[k] {
				seen[k] = true
				v.recipients = append(v.recipients, a.Address)
			}
		}
		return out
	}
	v.msg.To = addRcpts("to", req.To)
	v.msg.Cc = addRcpts("cc", req.Cc)
	addRcpts("bcc", req.Bcc) // envelope only: compose has no Bcc
	switch n := len(req.To) + len(req.Cc) + len(req.Bcc); {
	case n == 0:
		e.add("to", "at least one recipient (to, cc or bcc) is required")
	case len(v.recipients) > maxRecipients:
		e.add("to", "at most %d recipients (to, cc and bcc together)", maxRecipients)
	}
	for i, s := range req.ReplyTo {
		if a, ok := parseMailbox(&e, fmt.Sprintf("reply_to[%d]", i), s); ok {
			v.msg.ReplyTo = append(v.msg.ReplyTo, a)
		}
	}

	if hasControl(req.Subject) {
		e.add("subject", "must not contain CR, LF or other control characters")
	} else if len(req.Subject) > maxSubject {
		e.add("subject", "must be at most %d bytes", maxSubject)
	}
	v.msg.Subject, v.msg.Text, v.msg.HTML = req.Subject, req.Text, req.HTML
	if req.Text == "" && req.HTML == "" && len(req.Attachments) == 0 {
		e.add("text", "one of text, html or attachments is required")
	}
	v.size = int64(len(req.Text)+len(req.HTML)+len(req.Subject)) * 105 / 100 // quoted-printable overhead

	if len(req.Attachments) > maxAttachments {
		e.add("attachments", "at most %d attachments", maxAttachments)
	}
	for i, a := range req.Attachments {
		at, ok := a.validate(&e, fmt.Sprintf("attachments[%d]", i))
		if ok {
			v.msg.Attachments = append(v.msg.Attachments, at)
			v.size += int64(len(at.Content)) * 4 / 3
		}
	}

	if len(req.Headers) > maxHeaders {
		e.add("headers", "at most %d extra headers", maxHeaders)
	}
	names := make([]string, 0, len(req.Headers))
	for name := range req.Headers {
		names = append(names, name)
	}
	sort.Strings(names) // a map has no order; the built message should
	for _, name := range names {
		value := req.Headers[name]
		switch {
		case !headerName(name):
			// The name itself may be anything: do not quote it.
			e.add("headers", "a header name is not a valid field name (printable ASCII without colon or space, at most %d)", maxHeaderName)
		case compose.Structural(name):
			e.add("headers."+name, "is set by sealgate or by its own field (from, to, subject, attachments, …)")
		case hasControl(value):
			e.add("headers."+name, "must not contain CR, LF or other control characters")
		case len(value) > maxHeaderValue:
			e.add("headers."+name, "must be at most %d bytes", maxHeaderValue)
		default:
			v.msg.Headers = append(v.msg.Headers, compose.Field{Name: name, Value: value})
		}
	}

	validTags(&e, "tags", req.Tags)
	validMetadata(&e, req.Metadata)
	return v, e
}

func (a AttachmentRequest) validate(e *errs, field string) (compose.Attachment, bool) {
	n := len(*e)
	out := compose.Attachment{Filename: a.Filename, ContentType: a.ContentType, ContentID: a.ContentID}
	if hasControl(a.Filename) || len(a.Filename) > maxFilename {
		e.add(field+".filename", "must be at most %d bytes without control characters", maxFilename)
	}
	if a.ContentType == "" {
		out.ContentType = "application/octet-stream"
	} else if mt, _, err := mime.ParseMediaType(a.ContentType); err != nil {
		e.add(field+".content_type", "must be a media type such as application/pdf")
	} else if strings.HasPrefix(mt, "multipart/") || strings.HasPrefix(mt, "message/") {
		e.add(field+".content_type", "must not be multipart or message: sealgate builds the structure")
	}
	if a.ContentID != "" && !contentID(a.ContentID) {
		e.add(field+".content_id", "must be at most %d characters of an addr-spec, without angle brackets", maxContentID)
	}
	content, err := base64.StdEncoding.DecodeString(a.Content)
	if err != nil {
		content, err = base64.RawStdEncoding.DecodeString(a.Content)
	}
	if err != nil {
		e.add(field+".content", "must be base64 (RFC 4648 §4)")
	}
	out.Content = content
	return out, len(*e) == n
}

// parseMailbox parses "Name <addr>" or "addr"; the address must be one
// smtpaddr accepts, so what goes in the header is what the envelope has.
func parseMailbox(e *errs, field, s string) (*mail.Address, bool) {
	if hasControl(s) {
		e.add(field, "must not contain control characters")
		return nil, false
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		e.add(field, "is not an email address (local@domain, optionally with a name: Name <local@domain>)")
		return nil, false
	}
	p, err := smtpaddr.Parse(a.Address)
	if err != nil || p.IsLiteral() {
		e.add(field, "is not a mailbox sealgate can deliver to")
		return nil, false
	}
	a.Address = p.String()
	return a, true
}

// headerName: RFC 5322 §3.6.8 ftext (printable ASCII but colon), no space.
func headerName(s string) bool {
	if s == "" || len(s) > maxHeaderName {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e || s[i] == ':' {
			return false
		}
	}
	return true
}

func contentID(s string) bool {
	if s == "" || len(s) > maxContentID {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c > 0x7e || strings.IndexByte(`<>()[]\,;:"`, c) >= 0 {
			return false
		}
	}
	return true
}

// tagName: 1..64 of [A-Za-z0-9_.:-].
func tagName(s string, maxLen int) bool {
	if s == "" || len(s) > maxLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isNameByte(s[i]) && s[i] != ':' {
			return false
		}
	}
	return true
}

func validTags(e *errs, field string, tags []string) {
	if len(tags) > maxTags {
		e.add(field, "at most %d tags", maxTags)
	}
	for i, t := range tags {
		if !tagName(t, maxTagLen) {
			e.add(fmt.Sprintf("%s[%d]", field, i), "must be 1 to %d of A-Z a-z 0-9 _ . : -", maxTagLen)
		}
	}
}

func validMetadata(e *errs, md map[string]string) {
	if len(md) > maxMetaKeys {
		e.add("metadata", "at most %d keys", maxMetaKeys)
	}
	keys := make([]string, 0, len(md))
	for k := range md {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !tagName(k, maxMetaKeyLen) {
			e.add("metadata", "a key is not 1 to %d of A-Z a-z 0-9 _ . : -", maxMetaKeyLen)
			continue
		}
		if v := md[k]; len(v) > maxMetaValLen || hasControl(v) {
			e.add("metadata."+k, "must be at most %d bytes without control characters", maxMetaValLen)
		}
	}
}
