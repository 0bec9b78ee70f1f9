package main

import (
	"context"
	"crypto/ed25519"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/sealgate/sealgate/config"
	"github.com/sealgate/sealgate/gateway/audit"
)

func newAudit() *cobra.Command {
	a := &cobra.Command{
		Use:   "audit",
		Short: "Verify, query and export the tamper-evident audit log",
		Long: `audit reads the audit log directly (audit.dir in the config; --dir overrides). verify
also needs the checkpoint public key: from audit.signing_key_file, or --pubkey (64 hex
digits) for an auditor who holds only the public key.`,
	}
	a.PersistentFlags().String("dir", "", "audit directory (default: from the config file)")
	a.AddCommand(newAuditVerify(), newAuditShow(), newAuditExport(), newAuditTail(), newAuditReport())
	return a
}

// auditDir returns --dir, or the config's audit.dir.
func auditDir(cmd *cobra.Command) (string, error) {
	if d, _ := cmd.Flags().GetString("dir"); d != "" {
		return d, nil
	}
	cfg, err := loadConfig(cmd)
	if err != nil {
		return "", err
	}
	if cfg.Audit.Dir == "" {
		return "", errors.New("audit: no audit.dir in the config (use --dir)")
	}
	return cfg.Audit.Dir, nil
}

func loadConfig(cmd *cobra.Command) (*config.Config, error) {
	path, _ := cmd.Flags().GetString("config")
	cfg, err := config.Load(path)
	if err != nil {
		return nil, configError{err}
	}
	return cfg, nil
}

func newAuditVerify() *cobra.Command {
	c := &cobra.Command{
		Use:   "verify",
		Short: "Walk the hash chain and checkpoint signatures; exit 1 at the first bad record",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			from, _ := cmd.Flags().GetString("from")
			pubHex, _ := cmd.Flags().GetString("pubkey")
			dir, _ := cmd.Flags().GetString("dir")
			var pub ed25519.PublicKey
			if pubHex != "" {
				b, err := hex.DecodeString(strings.TrimSpace(pubHex))
				if err != nil || len(b) != ed25519.PublicKeySize {
					return errors.New("audit: --pubkey wants 64 hex digits (an Ed25519 public key)")
				}
				pub = b
			}
			if dir == "" || pub == nil {
				cfg, err := loadConfig(cmd)
				if err != nil {
					return err
				}
				if dir == "" {
					dir = cfg.Audit.Dir
				}
				if pub == nil {
					key, err := config.ReadSigningKey(cfg.Audit.SigningKeyFile)
					if err != nil {
						return fmt.Errorf("audit: signing key: %w", err)
					}
					pub = key.Public().(ed25519.PublicKey)
				}
			}
			res, err := audit.Verify(dir, pub, from)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if p := res.Problem; p != nil {
				fmt.Fprintf(out, "TAMPERED: %s:%d seq %d: %s\n", p.File, p.Line, p.Seq, p.Msg)
				return exitError{1}
			}
			fmt.Fprintf(out, "OK: %d records in %d segments, %d checkpoints, last seq %d", res.Records, res.Segments, res.Checkpoints, res.LastSeq)
			if res.UnsignedTail > 0 {
				fmt.Fprintf(out, ", %d records after the last checkpoint", res.UnsignedTail)
			}
			fmt.Fprintln(out)
			return nil
		},
	}
	c.Flags().String("from", "", "start at this segment file name (its first prev is trusted)")
	c.Flags().String("pubkey", "", "checkpoint public key, 64 hex digits (default: derived from audit.signing_key_file)")
	return c
}

func newAuditShow() *cobra.Command {
	c := &cobra.Command{
		Use:   "show MSG_ID",
		Short: "Every record of one message, in order",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir, err := auditDir(cmd)
			if err != nil {
				return err
			}
			asJSON, _ := cmd.Flags().GetBool("json")
			out := cmd.OutOrStdout()
			n := 0
			err = audit.Scan(dir, audit.Filter{MsgID: args[0]}, func(r audit.Record) error {
				n++
				if asJSON {
					_, err := fmt.Fprintf(out, "%s\n", r.Raw)
					return err
				}
				_, err := fmt.Fprintln(out, humanLine(r))
				return err
			})
			if err != nil {
				return err
			}
			if n == 0 {
				return fmt.Errorf("audit: no records for %s", args[0])
			}
			return nil
		},
	}
	c.Flags().Bool("json", false, "print the raw JSON lines")
	return c
}

// humanLine renders a record on one line: time, seq, type, IDs, data as k=v.
func humanLine(r audit.Record) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s  #%d  %-13s", r.Time.UTC().Format("2006-01-02T15:04:05.000Z"), r.Seq, r.Type)
	if r.MsgID != "" {
		fmt.Fprintf(&b, " msg_id=%s", r.MsgID)
	}
	if r.MessageID != "" {
		fmt.Fprintf(&b, " message_id=%s", r.MessageID)
	}
	cols := flattenData(r.Data)
	keys := make([]string, 0, len(cols))
	for k := range cols {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := cols[k]
		if strings.ContainsAny(v, " \"") {
			v = strconv.Quote(v)
		}
		fmt.Fprintf(&b, " %s=%s", k, v)
	}
	return b.String()
}

// flattenData turns a record's data into column -> text: lists joined with
// ";", maps as k=v, objects in lists as a:b:c.
func flattenData(data json.RawMessage) map[string]string {
	out := map[string]string{}
	if len(data) == 0 {
		return out
	}
	var m map[string]any
	if json.Unmarshal(data, &m) != nil {
		out["data"] = string(data)
		return out
	}
	for k, v := range m {
		out[k] = flatValue(v)
	}
	return out
}

func flatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			if obj, ok := e.(map[string]any); ok {
				// decision recipients: addr:method:reason
				parts[i] = strings.TrimRight(flatValue(obj["addr"])+":"+flatValue(obj["method"])+":"+flatValue(obj["reason"]), ":")
				continue
			}
			parts[i] = flatValue(e)
		}
		return strings.Join(parts, ";")
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + "=" + flatValue(x[k])
		}
		return strings.Join(parts, ";")
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// csvDataColumns is the whole schema of the typed payloads, so every export
// has the same columns; unknown keys (newer record types) go to data_other.
func csvDataColumns() []string {
	return []string{
		"listener", "client_ip", "auth_user", "from", "recipients", "size",
		"stage", "code", "enhanced", "reason",
		"policy_hash", "rule", "action", "findings",
		"destination", "copy", "recipient", "outcome", "attempt", "remote_host", "reply", "tls_version", "tls_cipher", "peer_cert_sha256", "tls_verified", "tls_auth",
		"dsn_msg_id", "to", "op", "actor", "result", "ok", "error", "config_hash", "file", "bytes", "envelope_readable",
		"head_seq", "head_hash", "key_id", "signature", "every", "interval_seconds",
	}
}

// parseWhen accepts RFC 3339, YYYY-MM-DD (UTC midnight) or a duration
// meaning that long before now.
func parseWhen(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("audit: %q is not RFC 3339, YYYY-MM-DD or a duration like 24h", s)
}

func addRangeFlags(c *cobra.Command) {
	c.Flags().String("since", "", "from (inclusive): RFC 3339, YYYY-MM-DD, or a duration like 24h (= now-24h)")
	c.Flags().String("until", "", "to (exclusive): RFC 3339, YYYY-MM-DD, or a duration")
}

func rangeFilter(cmd *cobra.Command) (audit.Filter, error) {
	var f audit.Filter
	now := time.Now()
	s, _ := cmd.Flags().GetString("since")
	u, _ := cmd.Flags().GetString("until")
	var err error
	if f.Since, err = parseWhen(s, now); err != nil {
		return f, err
	}
	if f.Until, err = parseWhen(u, now); err != nil {
		return f, err
	}
	return f, nil
}

func newAuditExport() *cobra.Command {
	c := &cobra.Command{
		Use:   "export [--since T] [--until T] [--type T]... [--recipient-domain D] [--format csv|json]",
		Short: "Export records for a compliance officer (CSV or JSON lines)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, err := auditDir(cmd)
			if err != nil {
				return err
			}
			f, err := rangeFilter(cmd)
			if err != nil {
				return err
			}
			f.Types, _ = cmd.Flags().GetStringArray("type")
			f.RecipientDomain, _ = cmd.Flags().GetString("recipient-domain")
			format, _ := cmd.Flags().GetString("format")
			out := cmd.OutOrStdout()
			switch format {
			case "json":
				return audit.Scan(dir, f, func(r audit.Record) error {
					_, err := fmt.Fprintf(out, "%s\n", r.Raw)
					return err
				})
			case "csv":
				return exportCSV(out, dir, f)
			}
			return fmt.Errorf("audit: --format %q (want csv or json)", format)
		},
	}
	addRangeFlags(c)
	c.Flags().StringArray("type", nil, "record type (repeatable): received, rejected, decision, attempt, delivery, dsn_sent, queue_op, config_reload, recovered, quarantined, checkpoint, portal, api_call, api_key, webhook")
	c.Flags().String("recipient-domain", "", "only records naming a recipient in this domain")
	c.Flags().String("format", "csv", "csv or json")
	return c
}

func exportCSV(out io.Writer, dir string, f audit.Filter) error {
	w := csv.NewWriter(out)
	dataCols := csvDataColumns()
	header := append([]string{"seq", "time", "type", "msg_id", "message_id"}, dataCols...)
	header = append(header, "data_other", "prev")
	if err := w.Write(header); err != nil {
		return err
	}
	err := audit.Scan(dir, f, func(r audit.Record) error {
		cols := flattenData(r.Data)
		row := []string{strconv.FormatUint(r.Seq, 10), r.Time.UTC().Format(time.RFC3339Nano), r.Type, r.MsgID, r.MessageID}
		for _, k := range dataCols {
			row = append(row, cols[k])
			delete(cols, k)
		}
		other := ""
		if len(cols) > 0 {
			b, _ := json.Marshal(cols)
			other = string(b)
		}
		row = append(row, other, r.Prev)
		return w.Write(row)
	})
	w.Flush()
	if err != nil {
		return err
	}
	return w.Error()
}

func newAuditTail() *cobra.Command {
	c := &cobra.Command{
		Use:   "tail [-f]",
		Short: "Print the last records; -f follows new ones across rotation",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, err := auditDir(cmd)
			if err != nil {
				return err
			}
			n, _ := cmd.Flags().GetInt("lines")
			follow, _ := cmd.Flags().GetBool("follow")
			asJSON, _ := cmd.Flags().GetBool("json")
			out := cmd.OutOrStdout()
			emit := func(r audit.Record) error {
				if asJSON {
					_, err := fmt.Fprintf(out, "%s\n", r.Raw)
					return err
				}
				_, err := fmt.Fprintln(out, humanLine(r))
				return err
			}
			// The last n records: scan once keeping a ring. Simple and
			// bounded; segments are at most SegmentMaxBytes each.
			var ring []audit.Record
			if err := audit.Scan(dir, audit.Filter{}, func(r audit.Record) error {
				if n <= 0 {
					return nil
				}
				if len(ring) == n {
					ring = slices.Delete(ring, 0, 1)
				}
				ring = append(ring, r)
				return nil
			}); err != nil {
				return err
			}
			for _, r := range ring {
				if err := emit(r); err != nil {
					return err
				}
			}
			if !follow {
				return nil
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			err = audit.Follow(ctx, dir, true, emit)
			if errors.Is(err, context.Canceled) {
				return nil
			}
			return err
		},
	}
	c.Flags().BoolP("follow", "f", false, "keep printing records as they are appended")
	c.Flags().IntP("lines", "n", 20, "how many of the last records to print first")
	c.Flags().Bool("json", false, "print the raw JSON lines")
	return c
}

func newAuditReport() *cobra.Command {
	c := &cobra.Command{
		Use:   "report [--since T] [--until T] [--format text|csv]",
		Short: "Counts per action, method, rule; deliveries with and without verified TLS; bounces; rejections",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, err := auditDir(cmd)
			if err != nil {
				return err
			}
			f, err := rangeFilter(cmd)
			if err != nil {
				return err
			}
			s, err := audit.Summarize(dir, f)
			if err != nil {
				return err
			}
			rows := reportRows(s)
			out := cmd.OutOrStdout()
			switch format, _ := cmd.Flags().GetString("format"); format {
			case "csv":
				w := csv.NewWriter(out)
				w.Write([]string{"section", "key", "count"})
				for _, r := range rows {
					w.Write([]string{r.section, r.key, strconv.Itoa(r.count)})
				}
				w.Flush()
				return w.Error()
			case "text", "":
				from, to := "beginning", "now"
				if !f.Since.IsZero() {
					from = f.Since.UTC().Format(time.RFC3339)
				}
				if !f.Until.IsZero() {
					to = f.Until.UTC().Format(time.RFC3339)
				}
				fmt.Fprintf(out, "Audit report %s .. %s\n", from, to)
				last := ""
				for _, r := range rows {
					if r.section != last {
						fmt.Fprintf(out, "\n%s\n", r.section)
						last = r.section
					}
					fmt.Fprintf(out, "  %-40s %8d\n", r.key, r.count)
				}
				return nil
			default:
				return fmt.Errorf("audit: --format %q (want text or csv)", format)
			}
		},
	}
	addRangeFlags(c)
	c.Flags().String("format", "text", "text or csv")
	return c
}

type reportRow struct {
	section, key string
	count        int
}

func reportRows(s audit.Summary) []reportRow {
	rows := []reportRow{
		{"totals", "records", s.Records},
		{"totals", "messages received", s.Messages},
		{"totals", "dsns sent", s.DSNs},
		{"totals", "messages quarantined (damaged in the spool)", s.ByType[audit.TypeQuarantined]},
		{"deliveries", "delivered, TLS certificate verified", s.DeliveredVerifiedTLS},
		{"deliveries", "delivered, TLS not verified", s.DeliveredUnverifiedTLS},
		{"deliveries", "delivered, no TLS", s.DeliveredPlain},
		{"deliveries", "bounced", s.Bounces},
	}
	add := func(section string, m map[string]int) {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			rows = append(rows, reportRow{section, k, m[k]})
		}
	}
	add("deliveries by outcome", s.Deliveries)
	add("actions", s.Actions)
	add("methods (per recipient)", s.Methods)
	add("policy rules", s.Rules)
	add("findings", s.Findings)
	add("rejected by stage", s.RejectedByStage)
	add("records by type", s.ByType)
	return rows
}
