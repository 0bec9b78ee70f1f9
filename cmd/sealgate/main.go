// Command sealgate is the secure email gateway daemon and its tools. Each
// subcommand is thin: flags in, library calls out.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	if err := newRoot().Execute(); err != nil {
		if _, ok := err.(exitError); !ok {
			fmt.Fprintln(os.Stderr, "sealgate:", err)
		}
		os.Exit(exitCode(err))
	}
}

// exitError carries an exit status without printing twice.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

func exitCode(err error) int {
	if e, ok := err.(exitError); ok {
		return e.code
	}
	return 1
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
	root.AddCommand(newServe(), newDemo(), newCheck(), newQueue(), newPortal(), newVersion(), newHashPassword(), newKeygen(), newAudit(), newPolicy(), newKeys(), newDKIM(), newTLS(), newAPIKey(), newWebhooks())
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
