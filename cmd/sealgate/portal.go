package main

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/sealgate/sealgate/gateway"
	"github.com/sealgate/sealgate/gateway/control"
	"github.com/sealgate/sealgate/gateway/portal/store"
)

func newPortal() *cobra.Command {
	p := &cobra.Command{
		Use:   "portal",
		Short: "List, show, revoke, extend and purge secure-portal messages of the running daemon",
		Long: `portal talks to the running daemon over its control socket, like queue. Messages are
named by their portal id (queue show and the audit log's "portal" records give it).
Nothing here shows a subject or a body: those stay sealed for the recipient.`,
	}
	p.PersistentFlags().String("socket", "", "control socket (default: from the config file)")
	p.PersistentFlags().Bool("json", false, "print JSON")
	list := &cobra.Command{
		Use: "list", Short: "List portal messages (live, revoked and expired)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var ms []store.Meta
			if err := queueDo(cmd, control.Request{Op: "portal-list"}, &ms, nil); err != nil {
				return err
			}
			if j, _ := cmd.Flags().GetBool("json"); j {
				return printJSON(cmd.OutOrStdout(), ms)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tCREATED\tEXPIRES\tSTATE\tSIZE\tFROM\tRECIPIENTS")
			for _, m := range ms {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t<%s>\t%s\n", m.ID, m.Created.UTC().Format(time.RFC3339),
					m.Expires.UTC().Format(time.RFC3339), m.State, m.Size, m.Sender, strings.Join(m.Recipients, " "))
			}
			tw.Flush()
			fmt.Fprintf(cmd.OutOrStdout(), "%d message(s)\n", len(ms))
			return nil
		},
	}
	show := &cobra.Command{
		Use: "show ID", Short: "Show a portal message's record and its events (who opened, verified, downloaded)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var m gateway.PortalMessage
			if err := queueDo(cmd, control.Request{Op: "portal-show", ID: args[0]}, &m, nil); err != nil {
				return err
			}
			if j, _ := cmd.Flags().GetBool("json"); j {
				return printJSON(cmd.OutOrStdout(), m)
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "ID:       %s\nFrom:     <%s>\nCreated:  %s\nExpires:  %s\nState:    %s\nSize:     %d\n",
				m.ID, m.Sender, m.Created.UTC().Format(time.RFC3339), m.Expires.UTC().Format(time.RFC3339), m.State, m.Size)
			if m.RevokedBy != "" {
				fmt.Fprintf(out, "Revoked:  %s by %s\n", m.RevokedAt.UTC().Format(time.RFC3339), m.RevokedBy)
			}
			for _, r := range m.Recipients {
				fmt.Fprintf(out, "To:       <%s>\n", r)
			}
			for _, e := range m.Events {
				fmt.Fprintf(out, "Event:    %s %s <%s>\n", e.Time.UTC().Format(time.RFC3339), e.Kind, e.Recipient)
			}
			return nil
		},
	}
	revoke := &cobra.Command{
		Use: "revoke ID", Short: "Revoke a message now: its key is destroyed and its link stops working", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := queueDo(cmd, control.Request{Op: "portal-revoke", ID: args[0]}, nil, nil); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: revoked; its data key is destroyed\n", args[0])
			return nil
		},
	}
	extend := &cobra.Command{
		Use: "extend ID (--until RFC3339 | --for DURATION)", Short: "Move a live message's expiry", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			until, _ := cmd.Flags().GetString("until")
			dur, _ := cmd.Flags().GetDuration("for")
			switch {
			case until == "" && dur > 0:
				until = time.Now().Add(dur).UTC().Format(time.RFC3339)
			case until == "" || dur > 0:
				return fmt.Errorf("portal extend: give exactly one of --until 2027-01-31T00:00:00Z or --for 168h")
			}
			if err := queueDo(cmd, control.Request{Op: "portal-extend", ID: args[0], Until: until}, nil, nil); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: expires %s\n", args[0], until)
			return nil
		},
	}
	extend.Flags().String("until", "", "new expiry, RFC 3339")
	extend.Flags().Duration("for", 0, "new expiry, from now")
	purge := &cobra.Command{
		Use: "purge", Short: "Destroy every expired message's key and file now (the daemon also does it on its own)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var res map[string]int
			if err := queueDo(cmd, control.Request{Op: "portal-purge"}, &res, nil); err != nil {
				return err
			}
			if j, _ := cmd.Flags().GetBool("json"); j {
				return printJSON(cmd.OutOrStdout(), res)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d expired message(s) purged\n", res["purged"])
			return nil
		},
	}
	totpReset := &cobra.Command{
		Use: "totp-reset ADDRESS", Short: "Forget a recipient's authenticator app (lost phone): they enrol again on their next visit", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var res map[string]bool
			if err := queueDo(cmd, control.Request{Op: "portal-totp-reset", ID: args[0]}, &res, nil); err != nil {
				return err
			}
			if res["had_authenticator"] {
				fmt.Fprintf(cmd.OutOrStdout(), "%s: authenticator forgotten; they enrol again on their next visit\n", args[0])
			} else {
				fmt.Fprintf(cmd.OutOrStdout(), "%s: had no authenticator enrolled\n", args[0])
			}
			return nil
		},
	}
	p.AddCommand(list, show, revoke, extend, purge, totpReset)
	return p
}
