package main

import (
	"bufio"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/sealgate/sealgate/internal/passhash"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

func newHashPassword() *cobra.Command {
	return &cobra.Command{
		Use:   "hash-password",
		Short: "Read a password on stdin and print a bcrypt hash for listeners[].relay.users",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var pw []byte
			var err error
			if term.IsTerminal(int(os.Stdin.Fd())) {
				fmt.Fprint(os.Stderr, "Password: ")
				pw, err = term.ReadPassword(int(os.Stdin.Fd()))
				fmt.Fprintln(os.Stderr)
			} else {
				var line string
				line, err = bufio.NewReader(os.Stdin).ReadString('\n')
				if errors.Is(err, os.ErrClosed) || line != "" {
					err = nil
				}
				pw = []byte(strings.TrimRight(line, "\r\n"))
			}
			if err != nil {
				return err
			}
			if len(pw) < 12 {
				return errors.New("hash-password: use at least 12 characters")
			}
			h, err := passhash.New(pw, passhash.DefaultCost)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), h)
			return nil
		},
	}
}

func newKeygen() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keygen spool|audit",
		Short: "Print a new random key: the spool sealing key, or the audit log's Ed25519 signing key",
		Long: `keygen spool prints a 32-byte key (hex) for spool.key_file.
keygen audit prints an Ed25519 seed (hex) for audit.signing_key_file.
keygen audit --public reads such a seed on stdin and prints its public key,
which "sealgate audit verify --pubkey" takes: keep it off the box.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			public, _ := cmd.Flags().GetBool("public")
			switch args[0] {
			case "spool", "audit":
			default:
				return fmt.Errorf("keygen: unknown key kind %q (known: spool, audit)", args[0])
			}
			if public {
				if args[0] != "audit" {
					return errors.New("keygen: --public is for audit keys")
				}
				line, _ := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
				seed, err := hex.DecodeString(strings.TrimSpace(line))
				if err != nil || len(seed) != ed25519.SeedSize {
					return errors.New("keygen: stdin must hold the 64-hex-digit audit key")
				}
				pub := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
				fmt.Fprintln(cmd.OutOrStdout(), hex.EncodeToString(pub))
				return nil
			}
			k := make([]byte, 32)
			if _, err := rand.Read(k); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), hex.EncodeToString(k))
			return nil
		},
	}
	cmd.Flags().Bool("public", false, "read an audit key on stdin and print its public key")
	return cmd
}
