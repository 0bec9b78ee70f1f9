package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sealgate/sealgate/config"
	"github.com/sealgate/sealgate/gateway"
	"github.com/sealgate/sealgate/gateway/dkim"
	"github.com/sealgate/sealgate/policy"
)

// checkItem is one finding of `sealgate check`, as --json prints it.
type checkItem struct {
	File     string `json:"file"`
	Line     int    `json:"line"`
	Key      string `json:"key"`
	Env      string `json:"env,omitempty"` // the SEALGATE_* variable to blame, if any
	Severity string `json:"severity"`      // error or warning
	Message  string `json:"message"`
	text     string // the line printed without --json
}

const (
	severityError   = "error"
	severityWarning = "warning"
)

func newCheck() *cobra.Command {
	c := &cobra.Command{
		Use:   "check",
		Short: "Validate the configuration file and print every problem",
		Long: `check loads the configuration (with SEALGATE_* environment overrides) exactly as
serve would, reads every file it names, lints the policy files and prints every
problem at once: unknown keys (with the nearest known key), YAML syntax and
duplicate keys, values of the wrong type and invalid values, each with its
file, line and key path, or the SEALGATE_* variable that set the value.
Warnings (a relay TLS setting that the policy's TLS requirements would turn
into deferred mail, a missing PDF helper, a SEALGATE_* variable that is nearly
a key) do not fail the check.

--json prints a JSON array of {file, line, key, env, severity, message}.

Exit status 0 and a one-line summary when valid (warnings alone included),
78 (EX_CONFIG) when there is any error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path, _ := cmd.Flags().GetString("config")
			asJSON, _ := cmd.Flags().GetBool("json")
			items, summary := runCheck(path)
			failed := false
			for _, it := range items {
				failed = failed || it.Severity == severityError
			}
			if err := printCheck(cmd.OutOrStdout(), path, items, summary, asJSON, failed); err != nil {
				return err
			}
			if failed {
				return exitError{exitConfig}
			}
			return nil
		},
	}
	c.Flags().Bool("json", false, "print a JSON array of {file, line, key, env, severity, message}")
	return c
}

// runCheck collects every error and warning about the config at path;
// summary is the OK line for a valid one.
func runCheck(path string) (items []checkItem, summary string) {
	rep := config.Check(path)
	for _, p := range rep.Problems {
		items = append(items, configItem(path, p, severityError))
	}
	for _, p := range config.EnvWarnings(os.Environ()) {
		items = append(items, configItem(path, p, severityWarning))
	}
	c := rep.Config
	if c == nil {
		return items, ""
	}
	// What serve would refuse beyond the file itself: the policy files and
	// the DKIM keys. A path the config already faulted is not read again.
	var set *policy.Set
	if !rep.HasProblem("policy.paths") {
		var err error
		if set, err = gateway.PolicySet(c); err != nil {
			var le *policy.LintError
			if errors.As(err, &le) {
				for _, p := range le.Problems {
					items = append(items, checkItem{File: p.File, Line: p.Line, Key: p.Path, Severity: severityError, Message: p.Msg, text: p.String()})
				}
			} else {
				items = append(items, checkItem{File: path, Key: "policy.paths", Severity: severityError, Message: err.Error(), text: err.Error()})
			}
		}
	}
	for i, k := range c.DKIM.Keys {
		key := fmt.Sprintf("dkim.keys[%d]", i)
		if rep.HasProblem(key) {
			continue
		}
		if _, err := dkim.LoadKey(k.Domain, k.Selector, k.KeyFile); err != nil {
			items = append(items, configItem(path, rep.Locate(config.Problem{Path: key + ".key_file", Msg: err.Error()}), severityError))
		}
	}
	if set != nil {
		for _, p := range c.TLSWarnings(policyNeeds(set)) {
			items = append(items, configItem(path, rep.Locate(p), severityWarning))
		}
		// Not a config error, but the admin should know: without the
		// helpers every PDF (and, with OCR on, every picture) is
		// unscannable and so leaves end-to-end encrypted.
		if eng, err := policy.NewEngine(set); err == nil {
			if missing := eng.MissingHelpers(); len(missing) > 0 {
				msg := fmt.Sprintf("not installed: %s; the parts they read count as unscannable (tool_missing): install poppler-utils (and tesseract-ocr for OCR)", strings.Join(missing, ", "))
				items = append(items, checkItem{File: path, Severity: severityWarning, Message: msg, text: path + ": warning: " + msg})
			}
		}
	}
	relay := "MX delivery"
	if c.Relay.Smarthost != "" {
		relay = "smarthost " + c.Relay.Smarthost + " (tls " + c.Relay.SmarthostTLS.String() + ")"
	}
	return items, fmt.Sprintf("%s: OK: %d listener(s), %s, data in %s", path, len(c.Listeners), relay, c.DataDir)
}

func configItem(path string, p config.Problem, severity string) checkItem {
	it := checkItem{File: path, Line: p.Line, Key: p.Path, Env: p.Env, Severity: severity, Message: p.Msg}
	if severity == severityWarning {
		p.Msg = "warning: " + p.Msg
	}
	it.text = p.String(path)
	return it
}

// policyNeeds reads what each rule asks of outbound TLS (see
// config.PolicyNeed): the copies gateway/process plans for each action.
func policyNeeds(set *policy.Set) []config.PolicyNeed {
	var out []config.PolicyNeed
	for _, r := range set.Rules {
		n := config.PolicyNeed{Rule: r.ID}
		switch r.Action {
		case policy.ActionRequireTLS, policy.ActionQuarantine:
			n.TLS = true
		case policy.ActionEncrypt:
			for _, m := range r.Methods {
				if m == "tls" && r.Min != policy.MinEndToEnd {
					n.TLS, n.VerifiedTLS = true, true
				}
			}
		}
		if n.TLS {
			out = append(out, n)
		}
	}
	return out
}

func printCheck(w io.Writer, path string, items []checkItem, summary string, asJSON, failed bool) error {
	if asJSON {
		if items == nil {
			items = []checkItem{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(items)
	}
	errs, warns := 0, 0
	for _, it := range items {
		fmt.Fprintln(w, it.text)
		if it.Severity == severityError {
			errs++
		} else {
			warns++
		}
	}
	switch {
	case failed:
		fmt.Fprintf(w, "%s: %d problem(s)\n", path, errs)
	case summary != "":
		fmt.Fprintln(w, summary)
	}
	return nil
}
