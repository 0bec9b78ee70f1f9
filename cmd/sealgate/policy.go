package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sealgate/sealgate/config"
	"github.com/sealgate/sealgate/crypto/keystore"
	"github.com/sealgate/sealgate/crypto/selector"
	"github.com/sealgate/sealgate/envelope"
	"github.com/sealgate/sealgate/gateway"
	"github.com/sealgate/sealgate/gateway/control"
	"github.com/sealgate/sealgate/policy"
)

func newPolicy() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Check policy files and test messages against a policy",
	}
	cmd.AddCommand(newPolicyLint(), newPolicyTest())
	return cmd
}

func newPolicyLint() *cobra.Command {
	return &cobra.Command{
		Use:   "lint [FILE|DIR...]",
		Short: "Check policy files and print every problem with file, line and key path",
		Long: `lint loads the policy files (a directory means its *.yaml and *.yml files, in
lexical order) exactly as the daemon would. Without arguments it lints the
policy the config file (-c) names in policy.paths, or the shipped default
policy when there are none. Exit status 0 and a summary with the policy hash
when valid, 1 with every problem otherwise.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			var set *policy.Set
			var err error
			if len(args) > 0 {
				set, err = policy.Load(args...)
			} else {
				cfg, cerr := loadConfig(cmd)
				if cerr != nil {
					return configError{cerr}
				}
				set, err = gateway.PolicySet(cfg)
			}
			if err != nil {
				var le *policy.LintError
				if errors.As(err, &le) {
					for _, p := range le.Problems {
						fmt.Fprintln(cmd.OutOrStdout(), p.String())
					}
					fmt.Fprintf(cmd.OutOrStdout(), "%d problem(s)\n", len(le.Problems))
				} else {
					fmt.Fprintln(cmd.OutOrStdout(), err)
				}
				return exitError{1}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "OK: %d rules in %d files, hash %s\n", len(set.Rules), len(set.Files), set.Hash)
			return nil
		},
	}
}

func newPolicyTest() *cobra.Command {
	var (
		dirs           []string
		from           string
		to             []string
		listener, auth string
		asJSON         bool
		showMatches    bool
		offline        bool
	)
	cmd := &cobra.Command{
		Use:   "test MESSAGE.eml",
		Short: "Show the decision for a message: the rule, why earlier rules did not match, every finding",
		Long: `test evaluates a message file against a policy (--policy, repeatable; without it
the policy the config file (-c) names, as serve would run it, or the shipped
default policy when the config names none) and prints which rule matched and why each earlier
rule did not, every finding with type, count, confidence and location, and the
action for each recipient; with --show-matches also masked previews of the
matches. Without --from and
--to the envelope comes from the message's From, To and Cc fields.

With a config, it also shows per recipient the method the daemon would choose
and why: keys from the key store and the configured lookups (keys.lookup, so
WKD too), and verified-TLS capability from the running daemon's relay (its
MTA-STS, DANE and downgrade knowledge; it may probe the MX), asked over the
control socket. --offline uses local keys only and asks nobody.

The masked previews exist only in this local output: the daemon never logs them.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			msg, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			set, cfg, err := testPolicySet(cmd, dirs)
			if err != nil {
				return err
			}
			eng, err := policy.NewEngine(set)
			if err != nil {
				return err
			}
			env := policy.EnvelopeFromHeaders(msg)
			if cmd.Flags().Changed("from") {
				env.From = from
			}
			if len(to) > 0 {
				env.Recipients = nil
				for _, a := range to {
					env.Recipients = append(env.Recipients, envelope.Recipient{Addr: a})
				}
			}
			env.Listener, env.AuthUser = listener, auth
			rep, err := eng.Explain(cmd.Context(), policy.Input{Env: env, Body: bytes.NewReader(msg)})
			if err != nil {
				return err
			}
			if !showMatches {
				// Masked fragments are still pieces of PHI: a screen share or
				// a pasted ticket should not carry them unless asked for.
				rep.Matches = nil
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(rep)
			}
			if err := rep.WriteText(cmd.OutOrStdout()); err != nil {
				return err
			}
			if cfg != nil && cfg.Keys.Dir != "" {
				writeMethods(cmd, cfg, rep, offline)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&dirs, "policy", nil, "policy file or directory (repeatable; default: policy.paths from the config file)")
	f.StringVar(&from, "from", "", "envelope sender (default: the From field)")
	f.StringArrayVar(&to, "to", nil, "envelope recipient (repeatable; default: the To and Cc fields)")
	f.StringVar(&listener, "listener", "", "name of the listener the message arrived on")
	f.StringVar(&auth, "auth-user", "", "authenticated identity of the submitter")
	f.BoolVar(&asJSON, "json", false, "print the decision as JSON")
	f.BoolVar(&offline, "offline", false, "local keys only, no WKD request, no TLS question to the daemon")
	f.BoolVar(&showMatches, "show-matches", false, "also print masked fragments of what the detectors matched (PHI; shown only here, never logged)")
	return cmd
}

// testPolicySet is the policy `policy test` evaluates: --policy when given,
// else the one serve would run from the config file.
func testPolicySet(cmd *cobra.Command, dirs []string) (*policy.Set, *config.Config, error) {
	if len(dirs) > 0 {
		set, err := policy.Load(dirs...)
		if err != nil {
			fmt.Fprintln(cmd.ErrOrStderr(), err)
			return nil, nil, exitError{1}
		}
		// The config is optional here: it only adds the key store.
		cfg, _ := loadConfig(cmd)
		return set, cfg, nil
	}
	path, _ := cmd.Flags().GetString("config")
	if _, serr := os.Stat(path); errors.Is(serr, fs.ErrNotExist) && !cmd.Flags().Changed("config") {
		// No config on this machine (a laptop trying a message): the
		// shipped default is what a fresh install would run.
		fmt.Fprintf(cmd.ErrOrStderr(), "policy test: no %s; using the shipped default policy\n", path)
		return policy.DefaultSet(), nil, nil
	}
	cfg, err := loadConfig(cmd)
	if err != nil {
		return nil, nil, configError{err}
	}
	set, err := gateway.PolicySet(cfg)
	if err != nil {
		fmt.Fprintln(cmd.ErrOrStderr(), err)
		return nil, nil, exitError{1}
	}
	return set, cfg, nil
}

// writeMethods shows, for each recipient the policy wants encrypted, the
// method the daemon's selector would choose and why. Online, the keys come
// through the configured lookups (WKD included) and TLS capability from the
// daemon; offline, local keys only and TLS is not checked.
func writeMethods(cmd *cobra.Command, cfg *config.Config, rep *policy.Report, offline bool) {
	w := cmd.OutOrStdout()
	var sel *selector.Selector
	for i, rd := range rep.Decision.Recipients {
		if rd.Action != policy.ActionEncrypt || i >= len(rep.Recipients) {
			continue
		}
		if sel == nil {
			opts := keystore.Options{Dir: cfg.Keys.Dir, Lookup: []string{"local"}}
			if offline {
				fmt.Fprintln(w, "\nmethod the daemon would choose (--offline: local keys, no WKD, TLS not checked):")
			} else {
				fmt.Fprintln(w, "\nmethod the daemon would choose (keys via "+strings.Join(cfg.Keys.Lookup, ", ")+"; TLS as the running daemon knows it):")
				opts.Lookup = cfg.Keys.Lookup
				opts.WKD = keystore.WKDOptions{Timeout: cfg.Keys.WKD.Timeout, PositiveTTL: cfg.Keys.WKD.PositiveTTL, NegativeTTL: cfg.Keys.WKD.NegativeTTL}
			}
			f, err := keystore.NewFinder(opts)
			if err != nil {
				fmt.Fprintf(w, "  key store unavailable: %v\n", err)
				return
			}
			sel = &selector.Selector{Keys: f, PortalAvailable: cfg.Portal.Enabled}
			if !offline {
				sel.TLS = daemonTLS{socket: cfg.Control.Socket}
			}
			if cfg.Keys.SMIMECAFile != "" {
				if sel.Roots, err = config.LoadCertPool(cfg.Keys.SMIMECAFile); err != nil {
					fmt.Fprintf(w, "  S/MIME trust store unavailable: %v\n", err)
					return
				}
			}
		}
		ch := sel.Choose(cmd.Context(), rep.Recipients[i], rd.Methods, rd.Min == policy.MinEndToEnd)
		m := ch.Method
		if m == "" {
			m = "none (held for an operator)"
		}
		fmt.Fprintf(w, "  %s: %s: %s\n", rep.Recipients[i], m, ch.Reason)
	}
}

// daemonTLS asks the running daemon's relay whether it can guarantee
// verified TLS to a domain: the answer the selector gets in production.
type daemonTLS struct{ socket string }

func (d daemonTLS) CanVerifyTLS(_ context.Context, domain string) (bool, string, error) {
	resp, err := control.Do(d.socket, control.Request{Op: "tls-can-verify", ID: domain}, nil)
	if err != nil {
		return false, "", fmt.Errorf("not known without the daemon (%v); --offline skips the question", err)
	}
	var res gateway.TLSCanVerify
	if err := json.Unmarshal(resp.Data, &res); err != nil {
		return false, "", err
	}
	if res.Error != "" {
		return res.OK, res.How, errors.New(res.Error)
	}
	return res.OK, res.How, nil
}
