package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// newMan writes the man pages, one per command, so that packages (the
// Dockerfile) generate them from the binary instead of keeping a copy that
// drifts from --help.
func newMan() *cobra.Command {
	return &cobra.Command{
		Use:   "man DIR",
		Short: "Write the man pages (section 1) for every command into DIR",
		Long: `man writes sealgate.1, sealgate-serve.1, sealgate-queue-flush.1 and so on into
DIR (created if missing): the same text as --help. Install them under
/usr/share/man/man1 (the container image does).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := os.MkdirAll(args[0], 0o755); err != nil {
				return fmt.Errorf("man: %w", err)
			}
			root := cmd.Root()
			root.DisableAutoGenTag = true // no "auto generated" footer; the date follows SOURCE_DATE_EPOCH
			hdr := &doc.GenManHeader{Title: "SEALGATE", Section: "1", Source: "sealgate " + version, Manual: "sealgate manual"}
			if err := doc.GenManTree(root, hdr, args[0]); err != nil {
				return fmt.Errorf("man: %w", err)
			}
			return nil
		},
	}
}
