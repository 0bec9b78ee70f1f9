package config

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sealgate/sealgate/internal/tlslevel"
)

func TestAnInvalidEnvironmentValueIsBlamedOnTheVariable(t *testing.T) {
	dir := copyCase(t, "../testdata")
	t.Setenv("SEALGATE_LIMITS_MAX_RECIPIENTS", "many")
	t.Setenv("SEALGATE_LOG_LEVEL", "loud")
	_, err := Load(filepath.Join(dir, "sealgate.yaml"))
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("want *Error, got %v", err)
	}
	got := err.Error()
	for _, want := range []string{
		"config: SEALGATE_LIMITS_MAX_RECIPIENTS: limits.max_recipients: not a whole number",
		`config: SEALGATE_LOG_LEVEL: log.level: "loud" is not one of: debug, info, warn, error`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
	// The file's lines hold valid values: they are not to blame.
	if strings.Contains(got, "sealgate.yaml:") {
		t.Errorf("a file line is blamed:\n%s", got)
	}
	for _, p := range ce.Problems {
		if p.Env == "" || p.Line != 0 {
			t.Errorf("problem %+v: want Env set and no line", p)
		}
	}
}

// viper's and mapstructure's own words ("While parsing config:", Go type
// names) never reach the admin.
func TestLibraryWordingNeverReachesTheAdmin(t *testing.T) {
	for name, doc := range map[string]string{
		"duplicate":   "relay:\n  smarthost: a:25\nrelay:\n  mx_port: 26\n",
		"not-mapping": "- a\n- b\n",
		"scalar-root": "hello\n",
		"tab":         "relay:\n\tsmarthost: a:25\n",
		"types":       "hostname: [a]\ndata_dir: {x: 1}\nlisteners: {a: 1}\nrelay: {tls_policy: [a], mx_port: x, mta_sts: perhaps}\napi: {rate: fast}\n",
		"nested-dup":  "listeners:\n  - name: a\n    name: b\n",
	} {
		_, err := Parse(name+".yaml", []byte(doc))
		if err == nil {
			t.Fatalf("%s: accepted", name)
		}
		msg := err.Error()
		for _, bad := range []string{"While parsing", "interface {}", "mapstructure", "decoding failed", "unconvertible", "strconv.", "'", "::"} {
			if strings.Contains(msg, bad) {
				t.Errorf("%s: %q in:\n%s", name, bad, msg)
			}
		}
		for _, l := range strings.Split(msg, "\n") {
			if !strings.HasPrefix(l, "config: "+name+".yaml") {
				t.Errorf("%s: line not in file:line form: %q", name, l)
			}
		}
	}
}

func TestDuplicateKeysAreReportedAtTheirLine(t *testing.T) {
	_, err := Parse("d.yaml", []byte("relay:\n  smarthost: a:25\nrelay:\n  mx_port: 26\n"))
	if err == nil || !strings.Contains(err.Error(), `config: d.yaml:3: relay: duplicate key "relay" (first at line 1)`) {
		t.Fatalf("got %v", err)
	}
}

func TestUnknownKeysGetTheNearestKnownKey(t *testing.T) {
	for _, c := range []struct{ path, key, want string }{
		{"relay", "smarthst", "did you mean relay.smarthost?"},
		{"listeners[0].tls", "certfile", "did you mean listeners[0].tls.cert_file?"},
		{"", "smarthost", "did you mean relay.smarthost?"}, // right key, wrong section
		{"relay", "zzzzzz", "(known: ca_file, "},
	} {
		var known []string
		switch c.path {
		case "relay":
			known = []string{"ca_file", "smarthost", "smarthost_tls"}
		case "listeners[0].tls":
			known = []string{"cert_file", "key_file", "mode"}
		default:
			known = []string{"hostname", "relay"}
		}
		if got := unknownKey(c.path, c.key, known); !strings.Contains(got, c.want) {
			t.Errorf("%s.%s: got %q, want %q", c.path, c.key, got, c.want)
		}
	}
	for a, b := range map[[2]string]int{{"", ""}: 0, {"kitten", "sitting"}: 3, {"smarthst", "smarthost"}: 1, {"abc", ""}: 3} {
		if d := editDistance(a[0], a[1]); d != b {
			t.Errorf("editDistance(%q, %q) = %d, want %d", a[0], a[1], d, b)
		}
	}
}

func TestEffectiveShowsValuesWithTheirSource(t *testing.T) {
	dir := copyCase(t, "../testdata")
	t.Setenv("SEALGATE_RELAY_SMARTHOST", "next.example.test:2525")
	path := filepath.Join(dir, "sealgate.yaml")
	settings, err := Effective(path)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Setting{}
	for _, s := range settings {
		got[s.Key] = s
	}
	want := map[string]Setting{
		"relay.smarthost":            {Key: "relay.smarthost", Value: "next.example.test:2525", Default: "", Source: "SEALGATE_RELAY_SMARTHOST"},
		"hostname":                   {Key: "hostname", Value: "relay.example.test", Default: Default().Hostname, Source: path + ":10"},
		"listeners[0].tls.cert_file": {Key: "listeners[0].tls.cert_file", Value: filepath.Join(dir, "tls/relay.crt"), Default: "", Source: path + ":46"},
		"listeners[0].relay.users[0].password_hash": {Key: "listeners[0].relay.users[0].password_hash", Value: Masked, Source: path + ":64"},
		"limits.max_message_size":                   {Key: "limits.max_message_size", Value: "50MiB", Default: "50MiB", Source: path + ":77"},
		"keys.smime_key_transport":                  {Key: "keys.smime_key_transport", Value: "pkcs1v15", Default: "pkcs1v15", Source: SourceDefault},
		"control.socket":                            {Key: "control.socket", Value: "/var/lib/sealgate/control.sock", Default: "/var/lib/sealgate/control.sock", Source: path + ":33"},
		"relay.tls_policy.partner-hospital.example": {Key: "relay.tls_policy.partner-hospital.example", Value: "verify", Source: path + ":107"},
		"listeners[0].tls.required":                 {Key: "listeners[0].tls.required", Value: "true", Default: "false", Source: path + ":45"},
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s:\n got  %+v\n want %+v", k, got[k], w)
		}
	}
	for _, s := range settings {
		if strings.Contains(s.Value, "$argon2id$") || strings.Contains(s.Value, "$2b$") {
			t.Errorf("%s shows a password hash", s.Key)
		}
	}
}

func TestEffectiveRefusesValuesItCannotRead(t *testing.T) {
	dir := copyCase(t, "../testdata/config/bad/07-wrong-types")
	settings, err := Effective(filepath.Join(dir, "sealgate.yaml"))
	var ce *Error
	if settings != nil || !errors.As(err, &ce) || len(ce.Problems) != 3 {
		t.Fatalf("settings %v, err %v", settings, err)
	}
	// Problems that do not hide any value still give the settings.
	dir = copyCase(t, "../testdata/config/bad/03-no-relay-rule")
	settings, err = Effective(filepath.Join(dir, "sealgate.yaml"))
	if settings == nil || err == nil {
		t.Fatalf("settings %v, err %v", settings, err)
	}
}

func TestDefaultSettingsDescribeDerivedDefaults(t *testing.T) {
	got := map[string]string{}
	for _, s := range DefaultSettings() {
		if s.Source != SourceDefault || s.Value != s.Default {
			t.Errorf("%+v", s)
		}
		got[s.Key] = s.Value
	}
	for k, v := range map[string]string{"control.socket": "<data_dir>/control.sock", "limits.max_message_size": "50MiB",
		"relay.smarthost_tls": "verify", "portal.expiry": "720h", "listeners": "[]", "relay.tls_policy": "{}", "keys.lookup": "[local]"} {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

func TestKnownKeysAndSections(t *testing.T) {
	for _, name := range []string{"relay.smarthost", "relay", "listeners[0].tls.mode", "listeners[].tls", "relay.tls_policy.example.org", "keys.wkd.timeout"} {
		if ok, _ := KnownKey(name); !ok {
			t.Errorf("%s: unknown", name)
		}
	}
	for name, near := range map[string]string{"relay.smarthst": "relay.smarthost", "relay.smarthost.x": "relay.smarthost", "realy": "relay", "nothing.like.it.at.all": ""} {
		if ok, s := KnownKey(name); ok || s != near {
			t.Errorf("%s: ok=%v suggestion %q, want %q", name, ok, s, near)
		}
	}
	if !MatchKey("listeners[].tls.mode", "listeners[1].tls.mode") || !MatchKey("relay", "relay.smarthost") || MatchKey("relay.smart", "relay.smarthost") {
		t.Error("MatchKey")
	}
}

func TestSecretsAreMasked(t *testing.T) {
	for key, secret := range map[string]bool{
		"listeners[0].relay.users[0].password_hash": true, "api.secret": true, "x.token": true, "x.key": true, "x.signing_key": true,
		"spool.key_file": false, "portal.kek_env": false, "keys.dir": false, "relay.smarthost": false, "keys.smime_key_transport": false,
	} {
		if secretKey(key) != secret {
			t.Errorf("%s: secret=%v", key, !secret)
		}
	}
}

func TestTLSWarnings(t *testing.T) {
	needs := []PolicyNeed{{Rule: "phi", TLS: true, VerifiedTLS: true}, {Rule: "default", TLS: true}}
	for _, c := range []struct {
		smarthost string
		level     tlslevel.Level
		def       tlslevel.Level
		want      []string
	}{
		{"next:25", tlslevel.May, "may", []string{"rule(s) phi, default do", "method tls of policy rule(s) phi is never available"}},
		{"next:25", tlslevel.None, "may", []string{"rule(s) phi, default do", "never available"}},
		{"next:25", tlslevel.Encrypt, "may", []string{"method tls of policy rule(s) phi is never available"}},
		{"next:25", tlslevel.Verify, "none", nil},
		{"next:25", tlslevel.Implicit, "none", nil},
		{"", tlslevel.May, tlslevel.May, nil},
		{"", tlslevel.Verify, tlslevel.None, []string{"relay.tls_policy entry"}},
	} {
		cfg := Default()
		cfg.Relay.Smarthost, cfg.Relay.SmarthostTLS, cfg.Relay.DefaultTLS = c.smarthost, c.level, c.def
		got := cfg.TLSWarnings(needs)
		if len(got) != len(c.want) {
			t.Errorf("%q/%s/%s: %d warnings, want %d: %v", c.smarthost, c.level, c.def, len(got), len(c.want), got)
			continue
		}
		for i, w := range c.want {
			if !strings.Contains(got[i].Msg, w) {
				t.Errorf("%q/%s: warning %q lacks %q", c.smarthost, c.level, got[i].Msg, w)
			}
		}
	}
	cfg := Default()
	cfg.Relay.Smarthost, cfg.Relay.SmarthostTLS = "next:25", tlslevel.May
	if got := cfg.TLSWarnings([]PolicyNeed{{Rule: "pgp-only"}}); len(got) != 0 {
		t.Errorf("a policy without TLS needs: %v", got)
	}
}

func TestNearMissEnvironmentVariablesAreWarned(t *testing.T) {
	got := EnvWarnings([]string{"SEALGATE_RELAY_SMARTHST=x", "SEALGATE_RELAY_SMARTHOST=y", "SEALGATE_REQUIRE_INTEROP=1", "SEALGATE_LIMITS_MAX_RCPTS=", "PATH=/bin"})
	if len(got) != 1 || got[0].Env != "SEALGATE_RELAY_SMARTHST" || !strings.Contains(got[0].Msg, "did you mean SEALGATE_RELAY_SMARTHOST?") {
		t.Fatalf("%+v", got)
	}
}
