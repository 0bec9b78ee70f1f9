package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/sealgate/sealgate/gateway/control"
	"github.com/sealgate/sealgate/gateway/relay"
)

func newTLS() *cobra.Command {
	c := &cobra.Command{
		Use:   "tls",
		Short: "Inspect and reset the relay's TLS knowledge of a recipient domain (downgrade memory)",
		Long: `tls talks to the running daemon over its control socket (control.socket in the
config, default <data_dir>/control.sock; --socket overrides). See docs/tls.md.`,
	}
	c.PersistentFlags().String("socket", "", "control socket (default: from the config file)")
	c.PersistentFlags().Bool("json", false, "print JSON")
	show := &cobra.Command{
		Use: "show DOMAIN", Short: "Show the admin level, downgrade memory and cached capability of DOMAIN", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var st relay.TLSState
			if err := queueDo(cmd, control.Request{Op: "tls-show", ID: args[0]}, &st, nil); err != nil {
				return err
			}
			if j, _ := cmd.Flags().GetBool("json"); j {
				return printJSON(cmd.OutOrStdout(), st)
			}
			out := cmd.OutOrStdout()
			if st.Smarthost != "" {
				// Every message goes to the smarthost at its own level.
				fmt.Fprintf(out, "Domain:      %s\nSmarthost:   %s, smarthost_tls %s (tls_policy, default_tls, DANE and MTA-STS do not apply)\n",
					st.Domain, st.Smarthost, st.SmarthostTLS)
				return nil
			}
			level := st.AdminLevel
			if level == "" {
				level = "(none; default_tls " + st.DefaultTLS + ")"
			}
			fmt.Fprintf(out, "Domain:      %s\nAdmin level: %s\n", st.Domain, level)
			switch {
			case st.MemoryOff:
				fmt.Fprintln(out, "Memory:      off (relay.downgrade_memory)")
			case st.Memory == nil:
				fmt.Fprintln(out, "Memory:      nothing proven")
			default:
				m := st.Memory
				fmt.Fprintf(out, "Memory:      %s, %s, last %s (active: %v)\n", m.Auth, m.VersionName, m.Proven.UTC().Format(time.RFC3339), st.MemoryActive)
				if st.Downgraded {
					fmt.Fprintf(out, "Downgrade:   seen %s; deliveries defer until verified TLS returns or `sealgate tls reset %s`\n", m.Downgrade.UTC().Format(time.RFC3339), st.Domain)
				}
			}
			if a := st.Capability; a != nil {
				fmt.Fprintf(out, "Capability:  verified TLS %v (%s), cached until %s\n", a.OK, a.How, a.Expires.UTC().Format(time.RFC3339))
			}
			return nil
		},
	}
	reset := &cobra.Command{
		Use: "reset DOMAIN", Short: "Forget what DOMAIN has proven (after it really changed its TLS); audited", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var res struct {
				Domain  string `json:"domain"`
				Existed bool   `json:"existed"`
			}
			if err := queueDo(cmd, control.Request{Op: "tls-reset", ID: args[0]}, &res, nil); err != nil {
				return err
			}
			if res.Existed {
				fmt.Fprintf(cmd.OutOrStdout(), "tls reset: %s forgotten\n", res.Domain)
			} else {
				fmt.Fprintf(cmd.OutOrStdout(), "tls reset: %s had no record\n", res.Domain)
			}
			return nil
		},
	}
	c.AddCommand(show, reset)
	return c
}
