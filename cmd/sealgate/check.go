package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/sealgate/sealgate/config"
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
			relay := "MX delivery"
			if c.Relay.Smarthost != "" {
				relay = "smarthost " + c.Relay.Smarthost + " (tls " + c.Relay.SmarthostTLS + ")"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: OK: %d listener(s), %s, data in %s\n", path, len(c.Listeners), relay, c.DataDir)
			return nil
		},
	}
}
