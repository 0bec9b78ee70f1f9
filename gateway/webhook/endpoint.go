package webhook

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/sealgate/sealgate/internal/hookspec"
)

// EventTypes are the event types sealgate emits (hookspec owns the list).
var EventTypes = hookspec.EventTypes

// TestEventType is the type of the event Dispatcher.Test sends. No
// subscription matches it: it never goes through the outbox.
const TestEventType = "webhook.test"

// Endpoint sources.
const (
	SourceConfig = "config"
	SourceAPI    = "api"
)

// Endpoint is one subscriber URL and what it wants.
type Endpoint struct {
	ID             string
	URL            string
	Events         []string // exact types, or message.*, portal.*, *
	Secrets        []string // whsec_..., newest first; every one signs each attempt
	Source         string   // SourceConfig or SourceAPI
	Disabled       bool
	DisabledReason string
	DisabledAt     time.Time
	Created        time.Time
}

// Wants reports whether the endpoint subscribes to an event type.
func (ep Endpoint) Wants(eventType string) bool {
	for _, f := range ep.Events {
		switch {
		case f == "*", f == eventType:
			return true
		case strings.HasSuffix(f, ".*") && strings.HasPrefix(eventType, f[:len(f)-1]):
			return true
		}
	}
	return false
}

// idPattern keeps IDs safe as metric labels, log fields and store keys.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// Validate returns every problem with the endpoint, joined, each naming
// its field. allowLoopbackHTTP permits http:// to a loopback address
// (tests, a local relay); everything else must be https.
func (ep Endpoint) Validate(allowLoopbackHTTP bool) error {
	var errs []error
	add := func(format string, a ...any) {
		errs = append(errs, fmt.Errorf("webhook: endpoint %q: "+format, append([]any{ep.ID}, a...)...))
	}
	if !idPattern.MatchString(ep.ID) {
		add("id: want 1 to 64 of A-Z a-z 0-9 _ . -, starting with a letter or digit")
	}
	if err := ValidateURL(ep.URL, allowLoopbackHTTP); err != nil {
		add("url: %v", err)
	}
	if len(ep.Events) == 0 {
		add("events: empty (use * for every event)")
	}
	for i, f := range ep.Events {
		if !validFilter(f) {
			add("events[%d]: unknown event type %q (known: %s, message.*, portal.*, *)", i, f, strings.Join(EventTypes, ", "))
		}
	}
	if len(ep.Secrets) == 0 {
		add("secrets: empty")
	}
	for i, s := range ep.Secrets {
		if _, err := ParseSecret(s); err != nil {
			add("secrets[%d]: %v", i, err)
		}
	}
	if ep.Source != SourceConfig && ep.Source != SourceAPI {
		add("source: %q, want %q or %q", ep.Source, SourceConfig, SourceAPI)
	}
	return errors.Join(errs...)
}

func validFilter(f string) bool { return hookspec.KnownFilter(f) }

// ValidateURL is hookspec.CheckURL: https only, or http to a loopback
// address when allowLoopbackHTTP.
func ValidateURL(raw string, allowLoopbackHTTP bool) error {
	return hookspec.CheckURL(raw, allowLoopbackHTTP)
}

// parseSecrets decodes an endpoint's secrets, newest first.
func parseSecrets(ss []string) ([][]byte, error) {
	keys := make([][]byte, 0, len(ss))
	for _, s := range ss {
		k, err := ParseSecret(s)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, nil
}
