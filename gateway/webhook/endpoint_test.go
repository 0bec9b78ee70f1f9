package webhook

import (
	"strings"
	"testing"
)

func TestHTTPOnlyToLoopbackAndOnlyWhenAllowed(t *testing.T) {
	cases := []struct {
		url          string
		strict, test bool // accepted without / with AllowLoopbackHTTP
	}{
		{"https://hooks.example.org/sealgate?token=x", true, true},
		{"https://127.0.0.1:8443/", true, true},
		{"http://127.0.0.1:8080/hook", false, true},
		{"http://[::1]:8080/hook", false, true},
		{"http://localhost/hook", false, true},
		{"http://hooks.example.org/hook", false, false},
		{"http://10.0.0.1/hook", false, false},
		{"http://127.0.0.1.example.org/", false, false},
		{"ftp://hooks.example.org/", false, false},
		{"https://user:pw@hooks.example.org/", false, false},
		{"https:///nohost", false, false},
		{"hooks.example.org/hook", false, false},
	}
	for _, c := range cases {
		if got := ValidateURL(c.url, false) == nil; got != c.strict {
			t.Errorf("ValidateURL(%q, false) accepted=%v, want %v", c.url, got, c.strict)
		}
		err := ValidateURL(c.url, true)
		if got := err == nil; got != c.test {
			t.Errorf("ValidateURL(%q, true) accepted=%v, want %v", c.url, got, c.test)
		}
		if err != nil && (strings.Contains(err.Error(), "token") || strings.Contains(err.Error(), "pw")) {
			t.Errorf("error %q quotes the URL", err)
		}
	}
	s, _ := tempStore(t)
	o := fastOptions(s, configEndpoint("x", "http://127.0.0.1:9/hook", mustSecret(t)))
	o.AllowLoopbackHTTP = false
	if _, err := New(o); err == nil || !strings.Contains(err.Error(), "https") {
		t.Errorf("New with a loopback http endpoint, not allowed: %v", err)
	}
}

func TestWants(t *testing.T) {
	cases := []struct {
		filter []string
		typ    string
		want   bool
	}{
		{[]string{"*"}, "portal.revoked", true},
		{[]string{"message.*"}, "message.bounced", true},
		{[]string{"message.*"}, "portal.opened", false},
		{[]string{"portal.*"}, "portal.opened", true},
		{[]string{"message.delivered", "portal.opened"}, "portal.opened", true},
		{[]string{"message.delivered"}, "message.deferred", false},
		{nil, "message.accepted", false},
	}
	for _, c := range cases {
		if got := (Endpoint{Events: c.filter}).Wants(c.typ); got != c.want {
			t.Errorf("%v wants %s = %v", c.filter, c.typ, got)
		}
	}
}

func TestValidateNamesEveryProblem(t *testing.T) {
	ep := Endpoint{ID: "bad id", URL: "http://example.org", Events: []string{"message.sent"}, Secrets: []string{"nope"}, Source: "file"}
	err := ep.Validate(false)
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{"id:", "url:", "events[0]", "secrets[0]", "source:"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %s", err, want)
		}
	}
	if strings.Contains(err.Error(), "nope") {
		t.Errorf("error %q repeats the secret", err)
	}
}
