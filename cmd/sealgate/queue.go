package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/sealgate/sealgate/config"
	"github.com/sealgate/sealgate/gateway/control"
	"github.com/sealgate/sealgate/gateway/relay"
)

func newQueue() *cobra.Command {
	q := &cobra.Command{
		Use:   "queue",
		Short: "Inspect and steer the running daemon's queue (like postqueue/postsuper)",
		Long: `queue talks to the running daemon over its control socket (control.socket in the
config, default <data_dir>/control.sock; --socket overrides).`,
	}
	q.PersistentFlags().String("socket", "", "control socket (default: from the config file)")
	q.PersistentFlags().Bool("json", false, "print JSON")
	list := &cobra.Command{
		Use: "list", Short: "List queued messages", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var entries []relay.Entry
			if err := queueDo(cmd, control.Request{Op: "list"}, &entries, nil); err != nil {
				return err
			}
			if j, _ := cmd.Flags().GetBool("json"); j {
				return printJSON(cmd.OutOrStdout(), entries)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tRECEIVED\tSIZE\tSTATE\tFROM\tRECIPIENTS")
			for _, e := range entries {
				state := "active"
				if e.Held {
					state = "held"
				} else if n := heldRecipients(e); n > 0 {
					state = fmt.Sprintf("partly held (%d)", n)
				}
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t<%s>\t%s\n", e.ID, e.Received.UTC().Format(time.RFC3339), e.Size, state, e.From, rcptSummary(e.Recipients))
				if e.HoldReason != "" {
					fmt.Fprintf(tw, "\t\t\t\t\t  held: %s\n", e.HoldReason)
				}
				for _, r := range e.Recipients {
					if r.Held && r.Status == relay.StatusQueued {
						fmt.Fprintf(tw, "\t\t\t\t\t  held <%s>: %s\n", r.Addr, r.HoldReason)
					}
				}
			}
			tw.Flush()
			fmt.Fprintf(cmd.OutOrStdout(), "%d message(s)\n", len(entries))
			return nil
		},
	}
	show := &cobra.Command{
		Use: "show ID", Short: "Show a message's envelope and delivery state (--body adds the message)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body, _ := cmd.Flags().GetBool("body")
			var e relay.Entry
			var w io.Writer
			if body {
				w = cmd.OutOrStdout()
			}
			if j, _ := cmd.Flags().GetBool("json"); j && !body {
				if err := queueDo(cmd, control.Request{Op: "show", ID: args[0]}, &e, nil); err != nil {
					return err
				}
				return printJSON(cmd.OutOrStdout(), e)
			}
			// Print the envelope before the body streams.
			if err := queueDo(cmd, control.Request{Op: "show", ID: args[0]}, &e, nil); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			held := fmt.Sprint(e.Held)
			if e.HoldReason != "" {
				held += " (" + e.HoldReason + ")"
			}
			fmt.Fprintf(out, "ID:       %s\nFrom:     <%s>\nReceived: %s\nSize:     %d\nHeld:     %s\n", e.ID, e.From, e.Received.UTC().Format(time.RFC3339), e.Size, held)
			for _, r := range e.Recipients {
				status := r.Status
				if r.Held {
					status += ", held: " + r.HoldReason
				}
				fmt.Fprintf(out, "To:       <%s> %s attempts=%d", r.Addr, status, r.Attempts)
				if r.LastReply != "" {
					fmt.Fprintf(out, " last=%q", r.LastReply)
				}
				if !r.NextAttempt.IsZero() && r.Status == relay.StatusQueued {
					fmt.Fprintf(out, " next=%s", r.NextAttempt.UTC().Format(time.RFC3339))
				}
				fmt.Fprintln(out)
			}
			if body {
				fmt.Fprintln(out)
				return queueDo(cmd, control.Request{Op: "show", ID: args[0], Body: true}, nil, w)
			}
			return nil
		},
	}
	show.Flags().Bool("body", false, "also print the message (it may contain PHI; the daemon logs that it was shown)")
	q.AddCommand(list, show)
	for _, op := range []struct{ name, short string }{
		{"flush", "Attempt delivery now, ignoring backoff (all messages, or one ID)"},
		{"hold", "Hold a message: no delivery until released"},
		{"release", "Release a held message"},
		{"delete", "Delete a message from the queue without a DSN"},
	} {
		op := op
		args := cobra.ExactArgs(1)
		use := op.name + " ID"
		if op.name == "flush" {
			args, use = cobra.MaximumNArgs(1), "flush [ID]"
		}
		c := &cobra.Command{
			Use: use, Short: op.short, Args: args,
			RunE: func(cmd *cobra.Command, a []string) error {
				id := ""
				if len(a) > 0 {
					id = a[0]
				}
				method := ""
				if op.name == "release" {
					method, _ = cmd.Flags().GetString("method")
				}
				if err := queueDo(cmd, control.Request{Op: op.name, ID: id, Method: method}, nil, nil); err != nil {
					return err
				}
				target := id
				if target == "" {
					target = "all messages"
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: %s\n", op.name, target)
				return nil
			},
		}
		if op.name == "release" {
			c.Flags().String("method", "", "how recipients held for want of a method go: tls (verified TLS, never less); required when there are any")
		}
		q.AddCommand(c)
	}
	reprocess := &cobra.Command{
		Use:   "reprocess [ID|--all]",
		Short: "Run selection again for held recipients (after importing their keys): those with a method now leave",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, a []string) error {
			all, _ := cmd.Flags().GetBool("all")
			if (len(a) == 0) != all {
				return fmt.Errorf("queue reprocess: give a message ID or --all")
			}
			id := ""
			if len(a) > 0 {
				id = a[0]
			}
			var res struct{ Messages, Served, Held int }
			if err := queueDo(cmd, control.Request{Op: "reprocess", ID: id}, &res, nil); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "reprocess: %d message(s) with held recipients; %d recipient(s) now have a method and are due, %d still held\n",
				res.Messages, res.Served, res.Held)
			return nil
		},
	}
	reprocess.Flags().Bool("all", false, "every queued message")
	q.AddCommand(reprocess)
	return q
}

func rcptSummary(rs []relay.RecipientState) string {
	var parts []string
	for _, r := range rs {
		parts = append(parts, "<"+r.Addr+">:"+r.Status)
	}
	return strings.Join(parts, " ")
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// queueDo sends a request to the daemon; out receives the JSON data.
func queueDo(cmd *cobra.Command, req control.Request, out any, body io.Writer) error {
	sock, _ := cmd.Flags().GetString("socket")
	if sock == "" {
		path, _ := cmd.Flags().GetString("config")
		c, err := config.Load(path)
		if err != nil {
			return configError{fmt.Errorf("%s: need the control socket: pass --socket, or a valid -c config:\n%w", cmd.Parent().Name(), err)}
		}
		sock = c.Control.Socket
	}
	resp, err := control.Do(sock, req, body)
	if err != nil {
		fmt.Fprintln(cmd.ErrOrStderr(), "sealgate "+cmd.Parent().Name()+":", err)
		return exitError{exitCode(err)}
	}
	if out != nil && len(resp.Data) > 0 {
		return json.Unmarshal(resp.Data, out)
	}
	return nil
}

// heldRecipients counts the recipients of e waiting for an operator while
// the rest of the message is delivered.
func heldRecipients(e relay.Entry) int {
	n := 0
	for _, r := range e.Recipients {
		if r.Held && r.Status == relay.StatusQueued {
			n++
		}
	}
	return n
}
