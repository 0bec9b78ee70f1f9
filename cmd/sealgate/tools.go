package main

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/crypto/bcrypt"
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
			h, err := bcrypt.GenerateFromPassword(pw, 12)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), string(h))
			return nil
		},
	}
}

func newKeygen() *cobra.Command {
	return &cobra.Command{
		Use:   "keygen spool",
		Short: "Print a new random 32-byte spool key (hex) for spool.key_file",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if args[0] != "spool" {
				return fmt.Errorf("keygen: unknown key kind %q (known: spool)", args[0])
			}
			k := make([]byte, 32)
			if _, err := rand.Read(k); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), hex.EncodeToString(k))
			return nil
		},
	}
}
