package notice

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	texttemplate "text/template"
	"time"
)

//go:embed templates/*
var defaults embed.FS

// The template files Load looks for, in a custom directory and embedded.
const (
	NotificationText = "notification.txt"
	NotificationHTML = "notification.html"
	CodeText         = "code.txt"
	CodeHTML         = "code.html"
)

// Branding is what an organisation puts on every notice. All of it is
// configuration, none of it comes from a message.
type Branding struct {
	OrgName        string // "Example Hospital"; "" leaves it out
	LogoURL        string // https URL (on the portal's own host), or "" for no image
	Footer         string // plain text, may hold line breaks
	SupportContact string // "the IT help desk, +1 555 0100" or an address
}

// NotificationData is what notification.txt and notification.html see.
type NotificationData struct {
	Branding
	SenderName string // the sender's display name, or its address
	SenderAddr string
	Link       string // the portal link, token included
	Expires    string // "Friday, 1 January 2027 at 09:30 UTC"
	ExpiresIn  string // "in 30 days"
	Subject    string // "" unless the admin opted in to show it
}

// CodeData is what code.txt and code.html see.
type CodeData struct {
	Branding
	Code     string
	ValidFor string // "10 minutes"
	Expires  string // "Friday, 1 January 2027 at 09:30 UTC"
}

// textTmpl is what both text/template and html/template offer.
type textTmpl interface {
	Execute(w io.Writer, data any) error
	Name() string
}

// Templates renders notices. It is safe for concurrent use.
type Templates struct {
	b                    Branding
	notifText, notifHTML textTmpl
	codeText, codeHTML   textTmpl
	now                  func() time.Time
}

// Load reads the four templates from dir, each missing file falling back to
// the embedded default; dir "" means the defaults only. Each template is
// parsed and run once on sample data, so an error shows at start, naming
// the file: "notice: /etc/sealgate/notice/code.html: template: ...".
func Load(dir string, b Branding) (*Templates, error) {
	if err := checkBranding(b); err != nil {
		return nil, err
	}
	t := &Templates{b: b, now: time.Now}
	var errs []error
	load := func(name string, html bool, sample any) textTmpl {
		tm, err := parse(dir, name, html)
		if err == nil {
			err = tm.Execute(io.Discard, sample)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("notice: %s: %w", where(dir, name), err))
		}
		return tm
	}
	n, c := sampleNotification(b), sampleCode(b)
	t.notifText = load(NotificationText, false, n)
	t.notifHTML = load(NotificationHTML, true, n)
	t.codeText = load(CodeText, false, c)
	t.codeHTML = load(CodeHTML, true, c)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return t, nil
}

// where is the file a template came from, for error messages.
func where(dir, name string) string {
	if dir != "" {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return "embedded " + name
}

// parse reads dir/name, or the embedded default when dir is "" or the file
// does not exist. Any other read error is an error: a template the admin
// meant to use is never silently replaced.
func parse(dir, name string, html bool) (textTmpl, error) {
	src, err := fs.ReadFile(defaults, "templates/"+name)
	if err != nil {
		return nil, err
	}
	if dir != "" {
		b, err := os.ReadFile(filepath.Join(dir, name))
		switch {
		case err == nil:
			src = b
		case !errors.Is(err, fs.ErrNotExist):
			return nil, err
		}
	}
	if html {
		return htmltemplate.New(name).Funcs(funcs).Option("missingkey=error").Parse(string(src))
	}
	return texttemplate.New(name).Funcs(funcs).Option("missingkey=error").Parse(string(src))
}

// funcs are available to every template. lines splits a multi-line value
// (the footer) so HTML can put a <br> between lines without trusting it.
var funcs = map[string]any{
	"lines": func(s string) []string {
		return strings.Split(strings.ReplaceAll(strings.TrimRight(s, "\r\n"), "\r\n", "\n"), "\n")
	},
}

func sampleNotification(b Branding) NotificationData {
	return NotificationData{Branding: b, SenderName: "Dr. Sample", SenderAddr: "sample@example.org",
		Link: "https://portal.example.org/m/sample", Expires: "Friday, 1 January 2027 at 09:30 UTC",
		ExpiresIn: "in 30 days", Subject: "Sample"}
}

func sampleCode(b Branding) CodeData {
	return CodeData{Branding: b, Code: "12345678", ValidFor: "10 minutes",
		Expires: "Friday, 1 January 2027 at 09:30 UTC"}
}

// render runs a template into a buffer. Its error names the template, not
// the data, so it cannot quote a field.
func render(tm textTmpl, data any) ([]byte, error) {
	var buf bytes.Buffer
	if err := tm.Execute(&buf, data); err != nil {
		return nil, fmt.Errorf("notice: %s: rendering failed", tm.Name())
	}
	return buf.Bytes(), nil
}
