// Command sealgate is the secure email gateway daemon and its tools. Each
// subcommand is thin: flags in, library calls out.
package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sealgate/sealgate/gateway/control"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	if err := newRoot().Execute(); err != nil {
		var ee exitError
		if !errors.As(err, &ee) {
			fmt.Fprintln(os.Stderr, "sealgate:", err)
		}
		os.Exit(exitCode(err))
	}
}

// Exit statuses, after sysexits(3), so scripts and systemd can tell a typo
// from a broken config from a daemon that is down (docs/operations.md).
const (
	exitFailure     = 1  // the command ran and the answer is "no" (lint problems, a refused op)
	exitUsage       = 64 // EX_USAGE: wrong arguments or flags
	exitUnavailable = 69 // EX_UNAVAILABLE: no daemon answers on the control socket
	exitTempFail    = 75 // EX_TEMPFAIL: the daemon was reached but did not answer; try again
	exitConfig      = 78 // EX_CONFIG: the config file cannot be loaded
)

// exitError carries an exit status without printing twice.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// usageError marks wrong arguments or flags.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// configError marks a config file that cannot be loaded.
type configError struct{ err error }

func (e configError) Error() string { return e.err.Error() }
func (e configError) Unwrap() error { return e.err }

// exitCode is the one place that maps an error to an exit status.
func exitCode(err error) int {
	var (
		ee exitError
		ue usageError
		ce configError
	)
	switch {
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &ue):
		return exitUsage
	case errors.As(err, &ce):
		return exitConfig
	case strings.HasPrefix(err.Error(), "unknown command "):
		// cobra's own error for a mistyped (sub)command; it has no type.
		return exitUsage
	case errors.Is(err, control.ErrUnavailable):
		return exitUnavailable
	case errors.Is(err, control.ErrNoAnswer):
		return exitTempFail
	}
	return exitFailure
}

// markUsageErrors makes every argument and flag error of the tree a
// usageError, so that exitCode can tell them apart.
func markUsageErrors(c *cobra.Command) {
	c.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	if args := c.Args; args != nil {
		c.Args = func(cmd *cobra.Command, a []string) error {
			if err := args(cmd, a); err != nil {
				return usageError{err}
			}
			return nil
		}
	}
	if c.HasSubCommands() && !c.Runnable() {
		// cobra prints help and exits 0 for "sealgate queue lsit": a
		// script would take the typo for success.
		c.RunE = func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError{fmt.Errorf("unknown command %q for %q", args[0], cmd.CommandPath())}
			}
			return cmd.Help()
		}
	}
	for _, sub := range c.Commands() {
		markUsageErrors(sub)
	}
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "sealgate",
		Short: "sealgate: a secure email gateway (SMTP smarthost) for healthcare mail",
		Long: `sealgate takes outbound mail from Microsoft 365, Google Workspace or Exchange as a
smarthost, stores it durably and sealed, decides how each message may leave, and
relays it: delivered or bounced, never lost.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringP("config", "c", "/etc/sealgate/sealgate.yaml", "configuration file")
	root.AddCommand(newServe(), newDemo(), newCheck(), newQueue(), newPortal(), newVersion(), newHashPassword(), newKeygen(), newAudit(), newPolicy(), newKeys(), newDKIM(), newTLS(), newAPIKey(), newWebhooks(), newMan(), newConfigCmd())
	markUsageErrors(root)
	return root
}

func newVersion() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintln(cmd.OutOrStdout(), "sealgate", version)
		},
	}
}
