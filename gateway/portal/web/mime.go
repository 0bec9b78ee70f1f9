package web

import (
	"errors"
	"fmt"
	"html/template"
	"io"
	"mime"
	"path"
	"strings"
	"unicode"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // non-UTF-8 parts decode instead of failing
	"github.com/emersion/go-message/mail"
)

// Parser limits: go-message has no nesting limit of its own.
const (
	maxDepth       = 8
	maxParts       = 200
	maxHeaderBytes = 256 << 10
)

var errStop = errors.New("web: stop walk")

// errMalformed replaces the parser's own errors, whose text may quote the
// message (a header line, a body fragment): that would be PHI in a log.
var errMalformed = errors.New("web: malformed MIME message")

// Attachment is one downloadable part of the message.
type Attachment struct {
	Index       int    // leaf index: the {n} of /v/att/{n}
	Filename    string // safe for display and Content-Disposition
	ContentType string // bare media type
}

// View is the message as the portal shows it after verification.
type View struct {
	From, To, Cc, Date, Subject string
	MessageID                   string
	References                  []string
	HTML                        template.HTML // sanitised by sanitizeHTML
	Text                        string        // escaped by html/template
	Truncated                   bool
	BlockedImages               int
	Attachments                 []Attachment
}

// leafFunc sees each leaf part with its index; returning errStop ends the
// walk early without error.
type leafFunc func(idx int, e *message.Entity) error

// walk reads the message streaming and calls fn for each leaf, depth-first,
// within maxDepth and maxParts.
func walk(r io.Reader, fn func(h *message.Header) error, leaf leafFunc) error {
	e, err := message.ReadWithOptions(r, &message.ReadOptions{MaxHeaderBytes: maxHeaderBytes})
	if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
		return errMalformed
	}
	if fn != nil {
		if err := fn(&e.Header); err != nil {
			return err
		}
	}
	n := 0
	err = walkEntity(e, 0, &n, leaf)
	if errors.Is(err, errStop) {
		return nil
	}
	return err
}

func walkEntity(e *message.Entity, depth int, n *int, leaf leafFunc) error {
	if depth > maxDepth {
		return errors.New("web: message nested too deep")
	}
	mr := e.MultipartReader()
	if mr == nil {
		if *n >= maxParts {
			return errors.New("web: too many parts")
		}
		*n++
		return leaf(*n-1, e)
	}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return nil
		}
		if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
			return errMalformed
		}
		if err := walkEntity(p, depth+1, n, leaf); err != nil {
			return err
		}
	}
}

// partInfo classifies a leaf: body text (html or plain) or an attachment.
func partInfo(idx int, e *message.Entity) (kind string, a Attachment) {
	ct, _, err := e.Header.ContentType()
	if err != nil || ct == "" {
		ct = "text/plain"
	}
	ct = strings.ToLower(ct)
	disp, _, _ := e.Header.ContentDisposition()
	ah := mail.AttachmentHeader{Header: e.Header}
	name, _ := ah.Filename()
	if disp != "attachment" && name == "" && (ct == "text/plain" || ct == "text/html") {
		return ct, Attachment{}
	}
	return "attachment", Attachment{Index: idx, Filename: safeFilename(name, idx), ContentType: safeMediaType(ct)}
}

// safeFilename keeps the last path element, drops control and format
// characters, and bounds the length.
func safeFilename(name string, idx int) string {
	name = path.Base(strings.ReplaceAll(name, "\\", "/"))
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '"' || r == unicode.ReplacementChar {
			return -1
		}
		return r
	}, name)
	name = strings.TrimLeft(strings.TrimSpace(name), ".")
	if r := []rune(name); len(r) > 120 {
		name = string(r[len(r)-120:])
	}
	if name == "" || name == "/" {
		return fmt.Sprintf("attachment-%d", idx+1)
	}
	return name
}

// safeMediaType returns a syntactically valid bare type/subtype, or
// application/octet-stream.
func safeMediaType(ct string) string {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || !strings.Contains(mt, "/") || mime.FormatMediaType(mt, nil) == "" {
		return "application/octet-stream"
	}
	return mt
}

// parseView reads the whole message once, keeping body text up to maxBody
// bytes and only the names of attachments.
func parseView(r io.Reader, maxBody int64) (*View, error) {
	v := &View{}
	var html, text string
	var gotHTML, gotText bool
	err := walk(r, func(h *message.Header) error {
		fillHeader(v, mail.Header{Header: *h})
		return nil
	}, func(idx int, e *message.Entity) error {
		kind, a := partInfo(idx, e)
		switch {
		case kind == "attachment":
			v.Attachments = append(v.Attachments, a)
		case kind == "text/html" && !gotHTML:
			gotHTML = true
			html = readBounded(e.Body, maxBody, &v.Truncated)
		case kind == "text/plain" && !gotText:
			gotText = true
			text = readBounded(e.Body, maxBody, &v.Truncated)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if gotHTML {
		v.HTML, v.BlockedImages = sanitizeHTML(html)
	} else {
		v.Text = text
	}
	return v, nil
}

func readBounded(r io.Reader, max int64, truncated *bool) string {
	b, _ := io.ReadAll(io.LimitReader(r, max+1))
	if int64(len(b)) > max {
		*truncated = true
		b = b[:max]
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

func fillHeader(v *View, h mail.Header) {
	text := func(k string) string {
		s, err := h.Text(k)
		if err != nil {
			s = h.Get(k)
		}
		return strings.ToValidUTF8(s, "\uFFFD")
	}
	v.From, v.To, v.Cc, v.Subject = text("From"), text("To"), text("Cc"), text("Subject")
	if d, err := h.Date(); err == nil && !d.IsZero() {
		v.Date = d.UTC().Format("2 January 2006 15:04 UTC")
	}
	v.MessageID, _ = h.MessageID()
	v.References, _ = h.MsgIDList("References")
}

// openPart walks to leaf idx and hands it to fn if it is an attachment.
func openPart(r io.Reader, idx int, fn func(a Attachment, body io.Reader) error) (found bool, err error) {
	err = walk(r, nil, func(i int, e *message.Entity) error {
		if i != idx {
			return nil
		}
		kind, a := partInfo(i, e)
		if kind != "attachment" {
			return errStop
		}
		found = true
		if err := fn(a, e.Body); err != nil {
			return err
		}
		return errStop
	})
	return found, err
}
