package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/sealgate/sealgate/config"
	"github.com/sealgate/sealgate/gateway"
)

func newServe() *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Run the gateway daemon",
		Long: `serve runs the gateway with the configuration file. SIGHUP reloads it (an invalid
new file is refused and the running one stays); SIGTERM or SIGINT stops it
gracefully. Mail in flight stays in the spool and is delivered after a restart.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path, _ := cmd.Flags().GetString("config")
			cfg, err := config.Load(path)
			if err != nil {
				fmt.Fprintln(cmd.ErrOrStderr(), err)
				return exitError{exitConfig}
			}
			log := newLogger(cfg.Log, cmd.ErrOrStderr())
			err = run(cfg, log, func() (*config.Config, string, error) {
				c, err := config.Load(path)
				data, _ := os.ReadFile(path)
				sum := sha256.Sum256(data)
				return c, hex.EncodeToString(sum[:]), err
			}, gateway.Options{Logger: log, Version: version}, nil)
			if inUse := (*gateway.InUseError)(nil); errors.As(err, &inUse) {
				// Already "sealgate: <data_dir> is in use by pid N": no second prefix.
				fmt.Fprintln(cmd.ErrOrStderr(), inUse)
				return exitError{1}
			}
			return err
		},
	}
}

func newLogger(c config.Log, w io.Writer) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(c.Level))
	opts := &slog.HandlerOptions{Level: lvl}
	if c.Format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// run starts the gateway and serves signals until told to stop.
func run(cfg *config.Config, log *slog.Logger, reload func() (*config.Config, string, error), opts gateway.Options, started func(*gateway.Gateway)) error {
	g, err := gateway.New(cfg, opts)
	if err != nil {
		return err
	}
	if err := g.Start(); err != nil {
		log.Error("cannot start", "err", err)
		return err
	}
	if started != nil {
		started(g)
	}
	sig := make(chan os.Signal, 4)
	signal.Notify(sig, syscall.SIGHUP, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sig)
	for s := range sig {
		if s == syscall.SIGHUP {
			if reload == nil {
				continue
			}
			nc, hash, err := reload()
			if err == nil {
				err = g.Reload(nc)
			}
			if err != nil {
				log.Error("config reload refused; the running config stays in force", "err", err.Error())
			}
			g.RecordReload(err, hash)
			continue
		}
		log.Info("stopping", "signal", s.String())
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := g.Stop(ctx)
		cancel()
		if err != nil && !errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		return nil
	}
	return nil
}
