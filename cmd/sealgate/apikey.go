package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/sealgate/sealgate/config"
	"github.com/sealgate/sealgate/gateway"
	"github.com/sealgate/sealgate/gateway/api/apikey"
	"github.com/sealgate/sealgate/gateway/control"
)

func newAPIKey() *cobra.Command {
	k := &cobra.Command{
		Use:   "api-key",
		Short: "Create, list and revoke REST API keys",
		Long: `api-key manages the keys of the REST API (docs/api.md). While the daemon runs it
asks the daemon over the control socket (which writes the api_key audit record);
otherwise it opens <data_dir>/api-keys.db itself, so the first key can be made
before the first start. A key's token is printed once, at creation: only its
hash is stored.

Scopes: send (POST /v1/messages), read (status, audit, reports), admin (queue,
portal, keys, policy, webhooks, api-keys; implies read).`,
	}
	k.PersistentFlags().String("socket", "", "control socket (default: from the config file)")
	k.PersistentFlags().Bool("json", false, "print JSON")
	create := &cobra.Command{
		Use:   "create --name NAME --scope send|read|admin [--scope ...] [--expires 90d]",
		Short: "Create a key and print its token (shown only this once)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			name, _ := cmd.Flags().GetString("name")
			scopes, _ := cmd.Flags().GetStringSlice("scope")
			exp, _ := cmd.Flags().GetString("expires")
			req := control.Request{Op: "apikey-create", Name: name, Scopes: scopes}
			if exp != "" {
				if t, err := time.Parse(time.RFC3339, exp); err == nil {
					req.Until = t.UTC().Format(time.RFC3339)
				} else if d, err := parseAge(exp); err == nil && d > 0 {
					req.Until = time.Now().Add(d).UTC().Format(time.RFC3339)
				} else {
					return fmt.Errorf("api-key: --expires %q: use a duration like 90d or 720h, or an RFC 3339 time", exp)
				}
			}
			var res gateway.NewAPIKey
			if err := apiKeyDo(cmd, req, &res); err != nil {
				return err
			}
			if j, _ := cmd.Flags().GetBool("json"); j {
				return printJSON(cmd.OutOrStdout(), res)
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "id:      %s\nname:    %s\nscopes:  %s\n", res.Key.ID, res.Key.Name, strings.Join(res.Key.Scopes, ","))
			if !res.Key.Expires.IsZero() {
				fmt.Fprintf(out, "expires: %s\n", res.Key.Expires.UTC().Format(time.RFC3339))
			}
			fmt.Fprintf(out, "token:   %s\n\nThe token is shown only now; store it in the client's secret store.\n", res.Token)
			return nil
		},
	}
	create.Flags().String("name", "", "what the key is for (\"epic-reminders\")")
	create.Flags().StringSlice("scope", nil, "send, read or admin (repeatable, or comma-separated)")
	create.Flags().String("expires", "", "lifetime (90d, 720h) or an RFC 3339 time (default: never)")
	list := &cobra.Command{
		Use: "list", Short: "List keys (never their tokens)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var keys []apikey.Key
			if err := apiKeyDo(cmd, control.Request{Op: "apikey-list"}, &keys); err != nil {
				return err
			}
			if j, _ := cmd.Flags().GetBool("json"); j {
				return printJSON(cmd.OutOrStdout(), keys)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tSCOPES\tCREATED\tEXPIRES\tSTATE\tLAST USED")
			now := time.Now()
			for _, k := range keys {
				state := "active"
				switch {
				case !k.Revoked.IsZero():
					state = "revoked " + k.Revoked.UTC().Format(time.RFC3339)
				case !k.Expires.IsZero() && !now.Before(k.Expires):
					state = "expired"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Name, strings.Join(k.Scopes, ","),
					k.Created.UTC().Format(time.RFC3339), orDash(k.Expires), state, orDash(k.LastUsed))
			}
			return tw.Flush()
		},
	}
	revoke := &cobra.Command{
		Use: "revoke ID", Short: "Revoke a key for good: its next request gets 401", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := apiKeyDo(cmd, control.Request{Op: "apikey-revoke", ID: args[0]}, nil); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: revoked\n", args[0])
			return nil
		},
	}
	k.AddCommand(create, list, revoke)
	return k
}

func orDash(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// apiKeyDo runs req on the daemon, or on the key store itself when no
// daemon answers on the control socket.
func apiKeyDo(cmd *cobra.Command, req control.Request, out any) error {
	sock, _ := cmd.Flags().GetString("socket")
	path, _ := cmd.Flags().GetString("config")
	cfg, cerr := config.Load(path)
	if sock == "" && cerr == nil {
		sock = cfg.Control.Socket
	}
	if sock != "" {
		resp, err := control.Do(sock, req, nil)
		switch {
		case err == nil:
			if out != nil && len(resp.Data) > 0 {
				return json.Unmarshal(resp.Data, out)
			}
			return nil
		case resp != nil: // the daemon answered: no
			fmt.Fprintln(os.Stderr, "sealgate api-key:", err)
			return exitError{1}
		}
		// No daemon: the file is free.
	}
	if cerr != nil {
		return fmt.Errorf("api-key: no daemon answers and the config does not load:\n%w", cerr)
	}
	// Before the first start the data directory may not exist yet.
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("api-key: %w", err)
	}
	s, err := apikey.OpenBolt(gateway.APIKeysPath(cfg.DataDir))
	if err != nil {
		return fmt.Errorf("api-key: %w", err)
	}
	defer s.Close()
	v, err := gateway.APIKeyCommand(s, req, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sealgate api-key:", err)
		return exitError{1}
	}
	if out == nil || v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}
