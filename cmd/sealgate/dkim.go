package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sealgate/sealgate/gateway"
	"github.com/sealgate/sealgate/gateway/dkim"
)

func newDKIM() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "dkim",
		Short: "DKIM signing keys: generate a key and its DNS record, test-sign a message",
	}
	cmd.AddCommand(newDKIMKeygen(), newDKIMTest())
	return cmd
}

func newDKIMKeygen() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keygen DOMAIN SELECTOR",
		Short: "Generate a DKIM key, write it (mode 0600) and print the DNS TXT record to publish",
		Long: `keygen writes a new private key to --out (default ./DOMAIN.SELECTOR.pem, never
overwritten), then prints the TXT record to publish at SELECTOR._domainkey.DOMAIN
and the configuration to add. Publish the record before sealgate signs with the
key: receivers that cannot find it treat the signature as failed.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			domain := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(args[0])), ".")
			selector := strings.TrimSpace(args[1])
			if err := checkDNSLabel("domain", domain); err != nil {
				return err
			}
			if err := checkDNSLabel("selector", selector); err != nil {
				return err
			}
			alg, _ := cmd.Flags().GetString("alg")
			out, _ := cmd.Flags().GetString("out")
			if out == "" {
				out = domain + "." + selector + ".pem"
			}
			signer, pemBytes, err := dkim.GenerateKey(alg)
			if err != nil {
				return err
			}
			if err := writeNewPrivateFile(out, pemBytes); err != nil {
				return err
			}
			abs, err := filepath.Abs(out)
			if err != nil {
				abs = out
			}
			name, value := dkim.TXTRecord(domain, selector, signer.Public())
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "Private key (%s) written to %s, mode 0600.\n\n", alg, abs)
			fmt.Fprintf(w, "Publish this DNS TXT record (zone-file form):\n\n%s\n\n", dkim.ZoneFileTXT(name, value))
			fmt.Fprintf(w, "or, in a DNS web console: name %s, type TXT, value:\n%s\n\n", name, value)
			fmt.Fprintf(w, "Then add to the configuration:\n\ndkim:\n  keys:\n    - domain: %s\n      selector: %s\n      key_file: %s\n", domain, selector, abs)
			return nil
		},
	}
	cmd.Flags().String("alg", "rsa", "key algorithm: rsa (2048 bits, understood everywhere) or ed25519 (RFC 8463; pair it with an rsa key)")
	cmd.Flags().String("out", "", "private key file to create (default ./DOMAIN.SELECTOR.pem)")
	return cmd
}

func newDKIMTest() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "test [--key FILE --domain D --selector S] MESSAGE.eml",
		Short: "Sign a message as the daemon would (dkim.keys of the config) or with one key, and print it",
		Long: `test signs MESSAGE.eml and prints the signed message. Without --key it uses the
configuration's dkim.keys and dkim.headers (-c), exactly as the relay signs every outgoing
copy: the key is chosen by the From domain. With --key, --domain and --selector it signs
with that key alone (to try a new key before adding it to the configuration).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			keyFile, _ := cmd.Flags().GetString("key")
			domain, _ := cmd.Flags().GetString("domain")
			selector, _ := cmd.Flags().GetString("selector")
			var signer *dkim.Signer
			what := ""
			switch {
			case keyFile == "" && domain == "" && selector == "":
				cfg, err := loadConfig(cmd)
				if err != nil {
					return err
				}
				if len(cfg.DKIM.Keys) == 0 {
					return errors.New("dkim test: the configuration has no dkim.keys (or give --key, --domain and --selector)")
				}
				if signer, err = gateway.DKIMSigner(cfg); err != nil {
					return err
				}
				var ds []string
				for _, k := range cfg.DKIM.Keys {
					ds = append(ds, k.Domain)
				}
				what = "any of dkim.keys' domains (" + strings.Join(ds, ", ") + ")"
			case keyFile == "" || domain == "" || selector == "":
				return errors.New("dkim test: --key, --domain and --selector go together (or give none to use dkim.keys)")
			default:
				k, err := dkim.LoadKey(domain, selector, keyFile)
				if err != nil {
					return err
				}
				signer, what = dkim.NewSigner([]*dkim.Key{k}, nil), k.Domain
			}
			var buf bytes.Buffer
			signed, err := signer.SignTo(&buf, func() (io.ReadCloser, error) {
				return os.Open(args[0])
			})
			if err != nil {
				return err
			}
			if !signed {
				return fmt.Errorf("dkim test: not signed: the message has no single From address in %s (or no header/body separator)", what)
			}
			_, err = buf.WriteTo(cmd.OutOrStdout())
			return err
		},
	}
	cmd.Flags().String("key", "", "PEM private key file (mode 0600)")
	cmd.Flags().String("domain", "", "signing domain (d=); must be the From domain")
	cmd.Flags().String("selector", "", "selector (s=)")
	return cmd
}

// checkDNSLabel keeps names that end up in a DNS name and a file name sane.
func checkDNSLabel(what, s string) error {
	if s == "" || strings.ContainsAny(s, "/\\ \t;\"'") || strings.HasPrefix(s, ".") || strings.HasPrefix(s, "-") {
		return fmt.Errorf("dkim keygen: invalid %s %q", what, s)
	}
	return nil
}

// writeNewPrivateFile creates path with mode 0600, refusing to overwrite,
// and syncs it so a crash does not leave a key the DNS already advertises
// missing from disk.
func writeNewPrivateFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("dkim keygen: %s exists; not overwriting a key (choose --out or a new selector)", path)
		}
		return fmt.Errorf("dkim keygen: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("dkim keygen: write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("dkim keygen: sync %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("dkim keygen: %w", err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
