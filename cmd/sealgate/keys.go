package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/sealgate/sealgate/config"
	"github.com/sealgate/sealgate/crypto/keystore"
	"github.com/sealgate/sealgate/gateway/control"
)

func newKeys() *cobra.Command {
	k := &cobra.Command{
		Use:   "keys",
		Short: "Import, list, show and remove recipient certificates and OpenPGP keys",
		Long: `keys manages the recipient key store (keys.dir in the config; --dir overrides).
These commands work while sealgate serve runs: the daemon does not hold the
store open (it reads it read-only per lookup), sees an import within seconds,
and import asks it to retry recipients held for want of a key.`,
	}
	k.PersistentFlags().String("dir", "", "key store directory (default: keys.dir from the config file)")
	k.AddCommand(newKeysImport(), newKeysList(), newKeysShow(), newKeysRemove())
	return k
}

// openKeys opens the store from --dir or the config. With live WKD, the
// config's lookup order and WKD settings apply; otherwise local only.
func openKeys(cmd *cobra.Command, liveWKD bool) (*keystore.Store, error) {
	opts := keystore.Options{Lookup: []string{"local"}}
	dir, _ := cmd.Flags().GetString("dir")
	if dir == "" || liveWKD {
		cfg, err := loadConfig(cmd)
		if err != nil {
			if dir == "" {
				return nil, err
			}
		} else {
			if dir == "" {
				dir = cfg.Keys.Dir
			}
			if liveWKD {
				opts.WKD = keystore.WKDOptions{Timeout: cfg.Keys.WKD.Timeout, PositiveTTL: cfg.Keys.WKD.PositiveTTL, NegativeTTL: cfg.Keys.WKD.NegativeTTL}
			}
		}
	}
	if dir == "" {
		return nil, errors.New("keys: no keys.dir in the config (use --dir)")
	}
	if liveWKD {
		opts.Lookup = []string{"local", "wkd"}
	}
	opts.Dir = dir
	return keystore.Open(opts)
}

func expiry(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format(time.DateOnly)
}

func newKeysImport() *cobra.Command {
	return &cobra.Command{
		Use:   "import FILE...",
		Short: "Import certificates (PEM, DER, PKCS#7) and OpenPGP public keys; print what was taken and refused",
		Long: `import reads each FILE: PEM or DER certificates, PKCS#7 certificate bundles (.p7b, .p7c),
armored or binary OpenPGP public keys and keyrings. It prints one line per imported entry
(kind, fingerprint, addresses, expiry) and one per refused item with the reason. It exits 1
if nothing was imported.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := openKeys(cmd, false)
			if err != nil {
				return err
			}
			defer s.Close()
			out := cmd.OutOrStdout()
			imported := 0
			for _, path := range args {
				data, err := readLimited(path, 64<<20)
				if err != nil {
					fmt.Fprintf(out, "refused  %s: %v\n", path, err)
					continue
				}
				res, err := s.Import(path, data)
				if err != nil {
					return err
				}
				for _, e := range res.Imported {
					fmt.Fprintf(out, "imported %-5s %s  %s  expires %s\n", e.Kind, e.Fingerprint, strings.Join(e.Addresses, ","), expiry(e.NotAfter))
				}
				for _, r := range res.Refused {
					fmt.Fprintf(out, "refused  %s: %s\n", r.Item, r.Reason)
				}
				imported += len(res.Imported)
			}
			if imported == 0 {
				fmt.Fprintln(cmd.ErrOrStderr(), "keys: nothing imported")
				return exitError{1}
			}
			s.Close() // the daemon opens the store for its lookups
			reprocessHeld(cmd)
			return nil
		},
	}
}

// reprocessHeld asks a running daemon to run selection again for held
// recipients, so mail waiting for the key just imported leaves now. Without a
// daemon (or a config naming its socket) it says how to do it later.
func reprocessHeld(cmd *cobra.Command) {
	path, _ := cmd.Flags().GetString("config")
	c, err := config.Load(path)
	var res struct{ Messages, Served, Held int }
	if err == nil {
		var resp *control.Response
		if resp, err = control.Do(c.Control.Socket, control.Request{Op: "reprocess"}, nil); err == nil && len(resp.Data) > 0 {
			err = json.Unmarshal(resp.Data, &res)
		}
	}
	out := cmd.OutOrStdout()
	if err != nil {
		fmt.Fprintln(out, "held mail: run `sealgate queue reprocess --all` once the daemon runs, to send what waited for this key")
		return
	}
	fmt.Fprintf(out, "held mail: %d recipient(s) now have a method and are due, %d still held\n", res.Served, res.Held)
}

// readLimited reads a file, refusing one larger than limit (the store
// refuses more than 16 MiB anyway; this keeps a mistaken path from filling
// memory).
func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("larger than %d bytes", limit)
	}
	return data, nil
}

// parseAge parses "30d", "12h", "90m": durations with a day unit.
func parseAge(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("keys: bad duration %q (use e.g. 30d or 12h)", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("keys: bad duration %q (use e.g. 30d or 12h)", s)
	}
	return d, nil
}

// keyRow is an entry as listed: everything but the key material.
type keyRow struct {
	Kind        keystore.Kind `json:"kind"`
	Fingerprint string        `json:"fingerprint"`
	Addresses   []string      `json:"addresses"`
	NotAfter    *time.Time    `json:"not_after,omitempty"`
	Source      string        `json:"source"`
	Imported    time.Time     `json:"imported"`
}

func rows(es []keystore.Entry) []keyRow {
	out := make([]keyRow, 0, len(es))
	for _, e := range es {
		r := keyRow{Kind: e.Kind, Fingerprint: e.Fingerprint, Addresses: e.Addresses, Source: e.Source, Imported: e.Imported}
		if !e.NotAfter.IsZero() {
			na := e.NotAfter
			r.NotAfter = &na
		}
		out = append(out, r)
	}
	return out
}

func printEntries(w io.Writer, es []keystore.Entry) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tFINGERPRINT\tEXPIRES\tSOURCE\tADDRESSES")
	for _, e := range es {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.Kind, e.Fingerprint, expiry(e.NotAfter), e.Source, strings.Join(e.Addresses, ","))
	}
	tw.Flush()
}

func newKeysList() *cobra.Command {
	c := &cobra.Command{
		Use:   "list",
		Short: "List the key store; --expiring 30d lists only what expires within 30 days",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var within time.Duration
			if v, _ := cmd.Flags().GetString("expiring"); v != "" {
				d, err := parseAge(v)
				if err != nil {
					return err
				}
				within = d
			}
			s, err := openKeys(cmd, false)
			if err != nil {
				return err
			}
			defer s.Close()
			es, err := s.List(within)
			if err != nil {
				return err
			}
			if j, _ := cmd.Flags().GetBool("json"); j {
				return printJSON(cmd.OutOrStdout(), rows(es))
			}
			printEntries(cmd.OutOrStdout(), es)
			return nil
		},
	}
	c.Flags().String("expiring", "", "only entries expiring within this long (e.g. 30d, 12h), expired ones included")
	c.Flags().Bool("json", false, "print JSON")
	return c
}

func newKeysShow() *cobra.Command {
	c := &cobra.Command{
		Use:   "show ADDR",
		Short: "Show every entry for an address, with source and expiry",
		Long: `show prints every local entry for ADDR (addresses compare case-insensitively). With
--wkd it also asks the domain's Web Key Directory, as the daemon would, and caches the answer.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			live, _ := cmd.Flags().GetBool("wkd")
			s, err := openKeys(cmd, live)
			if err != nil {
				return err
			}
			defer s.Close()
			es, err := s.Lookup(context.Background(), args[0])
			if err != nil {
				return err
			}
			if j, _ := cmd.Flags().GetBool("json"); j {
				return printJSON(cmd.OutOrStdout(), rows(es))
			}
			if len(es) == 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "keys: no entry for %s\n", args[0])
				return exitError{1}
			}
			printEntries(cmd.OutOrStdout(), es)
			return nil
		},
	}
	c.Flags().Bool("wkd", false, "also look the address up in WKD")
	c.Flags().Bool("json", false, "print JSON")
	return c
}

func newKeysRemove() *cobra.Command {
	return &cobra.Command{
		Use:   "remove FINGERPRINT|ADDR",
		Short: "Remove entries by fingerprint, or every entry for an address",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := openKeys(cmd, false)
			if err != nil {
				return err
			}
			defer s.Close()
			n, err := s.Remove(args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "removed %d entries\n", n)
			if n == 0 {
				return exitError{1}
			}
			return nil
		},
	}
}
