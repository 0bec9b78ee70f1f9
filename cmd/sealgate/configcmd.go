package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/sealgate/sealgate/config"
)

func newConfigCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "config [KEY...]",
		Short: "Print the effective configuration: what the file and SEALGATE_* variables set, with their source",
		Long: `config prints, like postconf -n, every value the config file (-c) or a
SEALGATE_* environment variable sets to something other than its default, one
per line as "key = value", each with its source: "# FILE:LINE" or
"# SEALGATE_VARIABLE". Values are as serve uses
them: relative paths resolved against the file's directory, the environment
over the file. Secrets (password hashes, inline secrets) are shown as ********.

KEY arguments print those keys, or every key of a section ("relay",
"listeners[0]", "listeners[].tls.mode"), whatever their source, defaults
included. An unknown KEY exits 64 with the nearest known key.

--defaults prints the built-in defaults instead, like postconf -d (no file is
read). --json prints a JSON array of {key, value, default, source}.

Exit status 0 when printed, also for a file with problems that do not stop
its values from being read (they are counted on stderr: run sealgate check);
78 when the values cannot be read (not YAML, a value of the wrong type).`,
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, name := range args {
				if ok, near := config.KnownKey(name); !ok {
					hint := ""
					if near != "" {
						hint = fmt.Sprintf(" (did you mean %s?)", near)
					}
					return usageError{fmt.Errorf("config: unknown key %q%s", name, hint)}
				}
			}
			defaults, _ := cmd.Flags().GetBool("defaults")
			asJSON, _ := cmd.Flags().GetBool("json")
			var settings []config.Setting
			if defaults {
				settings = config.DefaultSettings()
			} else {
				path, _ := cmd.Flags().GetString("config")
				var problems error
				settings, problems = config.Effective(path)
				var ce *config.Error
				if settings == nil {
					if errors.As(problems, &ce) {
						for _, p := range ce.Problems {
							fmt.Fprintln(cmd.ErrOrStderr(), p.String(ce.File))
						}
					}
					return exitError{exitConfig}
				}
				if errors.As(problems, &ce) {
					defer fmt.Fprintf(cmd.ErrOrStderr(), "%s: %d problem(s): sealgate check -c %s lists them\n", path, len(ce.Problems), path)
				}
			}
			return printSettings(cmd.OutOrStdout(), pick(settings, args, defaults), defaults, asJSON)
		},
	}
	c.Flags().Bool("defaults", false, "print the built-in defaults (postconf -d)")
	c.Flags().Bool("json", false, "print a JSON array of {key, value, default, source}")
	return c
}

// pick keeps the settings the names select, or without names the ones the
// file or the environment sets to something other than the default (every
// one with --defaults).
func pick(settings []config.Setting, names []string, all bool) []config.Setting {
	out := []config.Setting{}
	for _, s := range settings {
		keep := len(names) == 0 && (all || s.Source != config.SourceDefault && s.Value != s.Default)
		for _, n := range names {
			keep = keep || config.MatchKey(n, s.Key)
		}
		if keep {
			out = append(out, s)
		}
	}
	return out
}

func printSettings(w io.Writer, settings []config.Setting, defaults, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(settings)
	}
	for _, s := range settings {
		if defaults {
			fmt.Fprintf(w, "%s = %s\n", s.Key, s.Value)
			continue
		}
		fmt.Fprintf(w, "%s = %s  # %s\n", s.Key, s.Value, s.Source)
	}
	return nil
}
