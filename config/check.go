package config

import (
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"

	"github.com/spf13/viper"

	"github.com/sealgate/sealgate/internal/tlslevel"
)

// Report is what Check finds in one configuration file.
type Report struct {
	File string
	// Config is the configuration as far as it could be read, so that the
	// files it names can be checked too; nil when the file is not usable
	// at all (not YAML, values of the wrong type).
	Config *Config
	// Problems are what Load would refuse, in file order.
	Problems []Problem
	r        *reading
}

// Check reads the file at path like Load, environment included, and keeps
// the configuration even when it has problems.
func Check(path string) *Report {
	rep := &Report{File: path}
	data, err := os.ReadFile(path)
	if err != nil {
		rep.Problems = []Problem{{Msg: err.Error()}}
		return rep
	}
	rep.r = read(path, data)
	rep.Problems = rep.r.probs
	if len(rep.r.failed) == 0 {
		rep.Config = rep.r.c
	}
	return rep
}

// Locate gives p (a warning about a key) the line of that key in the file,
// or the SEALGATE_* variable that set it.
func (rep *Report) Locate(p Problem) Problem {
	if rep.r == nil {
		return p
	}
	return rep.r.locate(p)
}

// HasProblem says whether a problem was reported at key or inside it.
func (rep *Report) HasProblem(key string) bool {
	for _, p := range rep.Problems {
		if p.Path == key || within(p.Path, key) {
			return true
		}
	}
	return false
}

// PolicyNeed is what one policy rule asks of outbound TLS; the caller
// reads it from the policy (config does not import it).
type PolicyNeed struct {
	Rule string
	// TLS: the rule's copies must not leave in plaintext (require_tls,
	// quarantine, and encrypt's verified-TLS and held copies): the relay
	// raises the next hop's level to at least encrypt for them.
	TLS bool
	// VerifiedTLS: encrypt with method tls, which the selector picks only
	// when the relay can guarantee verified TLS to the recipient's domain.
	VerifiedTLS bool
}

// TLSWarnings returns, as problems to report as warnings, where the relay
// settings and the policy's needs meet badly:
//
//   - a smarthost at smarthost_tls none or may, with rules that require
//     TLS: the relay still insists on STARTTLS for their mail, so if the
//     smarthost does not offer it every such message defers and finally
//     bounces, while the setting suggests plaintext is fine;
//   - a smarthost not at verify or implicit, with rules that allow method
//     tls: verified TLS is then never available (gateway/relay
//     CanVerifyTLS), so those recipients go to the portal or are held;
//   - MX delivery at default_tls none, with such rules: verified TLS is
//     never available to a domain without a relay.tls_policy entry.
//
// MX delivery at default_tls may needs no warning: require_tls mail then
// defers only at MX hosts without STARTTLS, which is the policy's intent,
// and verified TLS is found per domain (MTA-STS, DANE, memory, probe).
func (c *Config) TLSWarnings(needs []PolicyNeed) []Problem {
	var tlsRules, verifiedRules []string
	for _, n := range needs {
		if n.TLS {
			tlsRules = append(tlsRules, n.Rule)
		}
		if n.VerifiedTLS {
			verifiedRules = append(verifiedRules, n.Rule)
		}
	}
	fallback := "go to the secure portal"
	if !c.Portal.Enabled {
		fallback = "are held (portal.enabled is false)"
	}
	var out []Problem
	r := c.Relay
	if r.Smarthost != "" {
		lvl := r.SmarthostTLS
		if (lvl == tlslevel.None || lvl == tlslevel.May) && len(tlsRules) > 0 {
			out = append(out, Problem{Path: "relay.smarthost_tls", Msg: fmt.Sprintf(
				"%q does not require TLS, but policy rule(s) %s do: their mail leaves only if %s offers STARTTLS, and otherwise every such message waits in the queue (4.7.5) and bounces after relay.max_lifetime; set smarthost_tls: encrypt or verify if it offers TLS, or change the policy",
				lvl, ruleList(tlsRules), r.Smarthost)})
		}
		if lvl != tlslevel.Verify && lvl != tlslevel.Implicit && len(verifiedRules) > 0 {
			out = append(out, Problem{Path: "relay.smarthost_tls", Msg: fmt.Sprintf(
				"%q is not verified TLS, so method tls of policy rule(s) %s is never available through the smarthost: recipients without a PGP key or S/MIME certificate %s; set smarthost_tls: verify (or implicit) if its certificate verifies",
				lvl, ruleList(verifiedRules), fallback)})
		}
		return out
	}
	if r.DefaultTLS == tlslevel.None && len(verifiedRules) > 0 {
		out = append(out, Problem{Path: "relay.default_tls", Msg: fmt.Sprintf(
			"\"none\": method tls of policy rule(s) %s is never available to a domain without a relay.tls_policy entry: its recipients without a PGP key or S/MIME certificate %s",
			ruleList(verifiedRules), fallback)})
	}
	return out
}

func ruleList(ids []string) string {
	const max = 5
	if len(ids) > max {
		return strings.Join(ids[:max], ", ") + fmt.Sprintf(" and %d more", len(ids)-max)
	}
	return strings.Join(ids, ", ")
}

// EnvWarnings returns a warning for each SEALGATE_* variable in environ
// ("NAME=value" items) that is no configuration key but nearly one: a typo
// there is silently ignored. Variables far from every key (other tools'
// SEALGATE_* settings) are left alone.
func EnvWarnings(environ []string) []Problem {
	known := map[string]bool{}
	var names []string
	defaults := map[string]any{}
	setDefaults(viper.New(), reflect.ValueOf(Default()), "", defaults)
	for k := range defaults {
		names = append(names, EnvVar(k))
		known[EnvVar(k)] = true
	}
	sort.Strings(names)
	var out []Problem
	for _, kv := range environ {
		name, value, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, EnvPrefix+"_") || known[name] || value == "" {
			continue
		}
		if s, ok := closest(name, names); ok {
			out = append(out, Problem{Env: name, Msg: fmt.Sprintf("not a configuration variable, ignored (did you mean %s?)", s)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Env < out[j].Env })
	return out
}
