package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/sealgate/sealgate/envelope"
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
		Use:   "lint FILE|DIR...",
		Short: "Check policy files and print every problem with file, line and key path",
		Long: `lint loads the policy files (a directory means its *.yaml and *.yml files, in
lexical order) exactly as the daemon would. Exit status 0 and a summary with the
policy hash when valid, 1 with every problem otherwise.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			set, err := policy.Load(args...)
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
	)
	cmd := &cobra.Command{
		Use:   "test MESSAGE.eml",
		Short: "Show the decision for a message: the rule, why earlier rules did not match, every finding",
		Long: `test evaluates a message file against a policy (--policy, repeatable; without it
the shipped default policy) and prints which rule matched and why each earlier
rule did not, every finding with type, count, confidence and location, masked
previews of the matches, and the action for each recipient. Without --from and
--to the envelope comes from the message's From, To and Cc fields.

The masked previews exist only in this local output: the daemon never logs them.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			msg, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			set := policy.DefaultSet()
			if len(dirs) > 0 {
				if set, err = policy.Load(dirs...); err != nil {
					fmt.Fprintln(cmd.ErrOrStderr(), err)
					return exitError{1}
				}
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
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(rep)
			}
			return rep.WriteText(cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&dirs, "policy", nil, "policy file or directory (repeatable; default: the shipped default policy)")
	f.StringVar(&from, "from", "", "envelope sender (default: the From field)")
	f.StringArrayVar(&to, "to", nil, "envelope recipient (repeatable; default: the To and Cc fields)")
	f.StringVar(&listener, "listener", "", "name of the listener the message arrived on")
	f.StringVar(&auth, "auth-user", "", "authenticated identity of the submitter")
	f.BoolVar(&asJSON, "json", false, "print the decision as JSON")
	return cmd
}
