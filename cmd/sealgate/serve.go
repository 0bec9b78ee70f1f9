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
	"github.com/sealgate/sealgate/internal/sdnotify"
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

// run starts the gateway and serves signals until told to stop. Under
// systemd (NOTIFY_SOCKET) it says READY=1 once every listener is bound and
// the spool recovered, RELOADING=1 ... READY=1 around SIGHUP, STATUS= with
// the queue, STOPPING=1, and WATCHDOG=1 while the gateway is alive.
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
	// READY=1 only after signal.Notify: systemd may send SIGHUP as soon as
	// we are ready, and without the handler it would end the process.
	notify := sdnotify.FromEnv(log)
	notify.Ready(g.StatusLine())
	wdCtx, wdStop := context.WithCancel(context.Background())
	wdDone := make(chan struct{})
	go func() { notify.Watchdog(wdCtx, g.Alive, g.StatusLine); close(wdDone) }()
	defer func() { wdStop(); <-wdDone }()
	for s := range sig {
		if s == syscall.SIGHUP {
			if reload == nil {
				continue
			}
			notify.Reloading()
			nc, hash, err := reload()
			if err == nil {
				err = g.Reload(nc)
			}
			if err != nil {
				log.Error("config reload refused; the running config stays in force", "err", err.Error())
			}
			g.RecordReload(err, hash)
			// Refused or not, the daemon serves (with the old config if refused).
			notify.Ready(g.StatusLine())
			continue
		}
		log.Info("stopping", "signal", s.String())
		notify.Stopping()
		wdStop()
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
