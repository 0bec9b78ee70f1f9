// Package hookspec holds what a webhook subscription may name: the event
// types sealgate emits and the URLs it will post to. The config file and
// the API both check subscriptions with it, so the two cannot disagree.
package hookspec

import (
	"errors"
	"net"
	"net/url"
	"slices"
)

// EventTypes are the event types sealgate emits, in the order an admin
// reads them. Subscriptions name these, or message.*, portal.* or *.
var EventTypes = []string{
	"message.accepted", "message.blocked", "message.held", "message.delivered",
	"message.deferred", "message.bounced",
	"portal.notified", "portal.opened", "portal.verified", "portal.downloaded",
	"portal.replied", "portal.expired", "portal.revoked",
}

// Wildcards are the filters that match several types.
const Wildcards = "message.*, portal.*, *"

// KnownFilter says whether f is an event type or a wildcard.
func KnownFilter(f string) bool {
	return f == "*" || f == "message.*" || f == "portal.*" || slices.Contains(EventTypes, f)
}

// CheckURL accepts an absolute https URL, or http to a loopback address
// when allowLoopbackHTTP. Event payloads describe patient mail (IDs,
// outcomes, recipients' domains): they never cross a network in the
// clear. The error quotes no part of the URL: its query may hold a token.
func CheckURL(raw string, allowLoopbackHTTP bool) error {
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("not a valid URL")
	}
	if u.User != nil {
		return errors.New("credentials in the URL are not allowed")
	}
	if u.Hostname() == "" {
		return errors.New("no host")
	}
	if u.Fragment != "" {
		return errors.New("a fragment is not sent to the server: remove it")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if !allowLoopbackHTTP {
			return errors.New("scheme is http, want https (http only to a loopback address with webhooks.allow_loopback_http)")
		}
		if !isLoopback(u.Hostname()) {
			return errors.New("http is allowed only to a loopback address")
		}
		return nil
	default:
		return errors.New("scheme must be https")
	}
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
