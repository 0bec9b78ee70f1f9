package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sealgate/sealgate/config"
	"github.com/sealgate/sealgate/gateway/dkim"
	"github.com/sealgate/sealgate/policy"
)

func newCheck() *cobra.Command {
	return &cobra.Command{
		Use:   "check",
		Short: "Validate the configuration file and print every problem",
		Long: `check loads the configuration (with SEALGATE_* environment overrides) exactly as
serve would, and prints every problem with its file, line and key path. Exit
status 0 and a one-line summary when valid, 1 otherwise.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path, _ := cmd.Flags().GetString("config")
			c, err := config.Load(path)
			if err != nil {
				var ce *config.Error
				if errors.As(err, &ce) {
					for _, p := range ce.Problems {
						fmt.Fprintln(cmd.OutOrStdout(), p.String(ce.File))
					}
					fmt.Fprintf(cmd.OutOrStdout(), "%s: %d problem(s)\n", path, len(ce.Problems))
				} else {
					fmt.Fprintln(cmd.OutOrStdout(), err)
				}
				return exitError{1}
			}
			// What serve would refuse beyond the file itself: the policy
			// files and the DKIM keys.
			var problems []string
			set := policy.DefaultSet()
			if len(c.Policy.Paths) > 0 {
				var err error
				if set, err = policy.Load(c.Policy.Paths...); err != nil {
					var le *policy.LintError
					if errors.As(err, &le) {
						for _, p := range le.Problems {
							problems = append(problems, p.String())
						}
					} else {
						problems = append(problems, err.Error())
					}
				}
			}
			for i, k := range c.DKIM.Keys {
				if _, err := dkim.LoadKey(k.Domain, k.Selector, k.KeyFile); err != nil {
					problems = append(problems, fmt.Sprintf("config: %s: dkim.keys[%d].key_file: %v", path, i, err))
				}
			}
			if len(problems) > 0 {
				for _, p := range problems {
					fmt.Fprintln(cmd.OutOrStdout(), p)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: %d problem(s)\n", path, len(problems))
				return exitError{1}
			}
			// Not a config error, but the admin should know: without the
			// helpers every PDF (and, with OCR on, every picture) is
			// unscannable and so leaves end-to-end encrypted.
			if eng, err := policy.NewEngine(set); err == nil {
				if missing := eng.MissingHelpers(); len(missing) > 0 {
					fmt.Fprintf(cmd.OutOrStdout(), "%s: warning: not installed: %s; the parts they read count as unscannable (tool_missing): install poppler-utils (and tesseract-ocr for OCR)\n",
						path, strings.Join(missing, ", "))
				}
			}
			relay := "MX delivery"
			if c.Relay.Smarthost != "" {
				relay = "smarthost " + c.Relay.Smarthost + " (tls " + c.Relay.SmarthostTLS.String() + ")"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: OK: %d listener(s), %s, data in %s\n", path, len(c.Listeners), relay, c.DataDir)
			return nil
		},
	}
}
