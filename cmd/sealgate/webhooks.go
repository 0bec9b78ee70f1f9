package main

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/sealgate/sealgate/gateway"
	"github.com/sealgate/sealgate/gateway/control"
	"github.com/sealgate/sealgate/gateway/webhook"
)

func newWebhooks() *cobra.Command {
	w := &cobra.Command{
		Use:   "webhooks",
		Short: "List, test, enable and replay the running daemon's webhook endpoints",
		Long: `webhooks talks to the running daemon over its control socket. Endpoints come from
webhooks.endpoints in the config file and from POST /v1/webhooks (docs/webhooks.md).
Events wait in a durable outbox until their endpoint answers 2xx; an endpoint that
only fails for webhooks.disable_after is disabled until "webhooks enable".`,
	}
	w.PersistentFlags().String("socket", "", "control socket (default: from the config file)")
	w.PersistentFlags().Bool("json", false, "print JSON")
	list := &cobra.Command{
		Use: "list", Short: "List endpoints with their pending events and last outcome", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var eps []webhook.EndpointStatus
			if err := queueDo(cmd, control.Request{Op: "webhooks-list"}, &eps, nil); err != nil {
				return err
			}
			if j, _ := cmd.Flags().GetBool("json"); j {
				return printJSON(cmd.OutOrStdout(), eps)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tSOURCE\tSTATE\tPENDING\tLAST SUCCESS\tLAST FAILURE\tEVENTS\tURL")
			for _, e := range eps {
				state := "enabled"
				if e.Disabled {
					state = "disabled: " + e.DisabledReason
				} else if e.LastError != "" && e.LastFailure.After(e.LastSuccess) {
					state = "failing: " + e.LastError
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", e.ID, e.Source, state, e.Pending,
					orDash(e.LastSuccess), orDash(e.LastFailure), strings.Join(e.Events, ","), e.URL)
			}
			return tw.Flush()
		},
	}
	test := &cobra.Command{
		Use: "test ID|URL", Short: "Send one signed webhook.test event to an endpoint now", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var res gateway.WebhookTest
			if err := queueDo(cmd, control.Request{Op: "webhooks-test", ID: args[0]}, &res, nil); err != nil {
				return err
			}
			if j, _ := cmd.Flags().GetBool("json"); j {
				return printJSON(cmd.OutOrStdout(), res)
			}
			if res.Error != "" {
				fmt.Fprintf(cmd.OutOrStdout(), "%s: failed after %s: %s\n", args[0], res.Duration, res.Error)
				return exitError{1}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: HTTP %d in %s\n", args[0], res.Status, res.Duration)
			return nil
		},
	}
	enable := &cobra.Command{
		Use: "enable ID", Short: "Enable a disabled endpoint: its waiting events are sent at once", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := queueDo(cmd, control.Request{Op: "webhooks-enable", ID: args[0]}, nil, nil); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: enabled\n", args[0])
			return nil
		},
	}
	replay := &cobra.Command{
		Use:   "replay --since T",
		Short: "Send every event since T again, to every endpoint subscribed to it (same event IDs)",
		Long: `replay derives the events of every audit record since T again and queues them for
every subscribed endpoint, even those that had them. Receivers dedupe by the
webhook-id header, which is the same as the first time.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, _ := cmd.Flags().GetString("since")
			if s == "" {
				return fmt.Errorf("webhooks replay: --since is required (RFC 3339, YYYY-MM-DD, or a duration like 24h)")
			}
			since, err := parseWhen(s, time.Now())
			if err != nil {
				return err
			}
			var res map[string]int
			if err := queueDo(cmd, control.Request{Op: "webhooks-replay", Since: since.UTC().Format(time.RFC3339)}, &res, nil); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d event(s) queued again since %s\n", res["events"], since.UTC().Format(time.RFC3339))
			return nil
		},
	}
	replay.Flags().String("since", "", "from (inclusive): RFC 3339, YYYY-MM-DD, or a duration like 24h (= now-24h)")
	secret := &cobra.Command{
		Use: "secret", Short: "Print a new signing secret (whsec_...) for a webhooks.endpoints[].secret_file", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := webhook.NewSecret()
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), s)
			return nil
		},
	}
	w.AddCommand(list, test, enable, replay, secret)
	return w
}
